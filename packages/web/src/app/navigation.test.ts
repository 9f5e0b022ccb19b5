import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { homeFor, navigationFor } from './navigation';

describe('Navigation by role', () => {
  it('lands each role on its own work', () => {
    assert.equal(homeFor('gp'), '/inbox');
    assert.equal(homeFor('practice-admin'), '/inbox');
    assert.equal(homeFor('consultant'), '/letters');
    assert.equal(homeFor('secretary'), '/letters');
    assert.equal(homeFor('ops'), '/operations');
    assert.equal(homeFor('privacy-officer'), '/privacy/break-glass');
    assert.equal(homeFor('pharmacist'), undefined);
  });

  it('offers letter writing to hospital staff only', () => {
    const writes = (role: Parameters<typeof navigationFor>[0]) =>
      navigationFor(role).some((item) => item.to === '/letters/new');
    assert.deepEqual(
      (['gp', 'practice-admin', 'consultant', 'secretary', 'ops', 'privacy-officer'] as const).filter(writes),
      ['consultant', 'secretary'],
    );
  });
});

describe('Navigation to requests', () => {
  const offers = (role: Parameters<typeof navigationFor>[0], to: string) =>
    navigationFor(role).some((item) => item.to === to);

  it('offers the worklist and the tracker to the staff who answer and make requests', () => {
    for (const role of ['gp', 'practice-admin', 'consultant', 'secretary'] as const) {
      assert.equal(offers(role, '/requests'), true, role);
      assert.equal(offers(role, '/requests/sent'), true, role);
    }
    assert.equal(offers('ops', '/requests'), false);
    assert.equal(offers('privacy-officer', '/requests/sent'), false);
  });

  it('offers the workload ledger to practices and operations', () => {
    assert.deepEqual(
      (['gp', 'practice-admin', 'consultant', 'secretary', 'ops', 'privacy-officer'] as const).filter(
        (role) => offers(role, '/requests/ledger'),
      ),
      ['gp', 'practice-admin', 'ops'],
    );
  });
});
