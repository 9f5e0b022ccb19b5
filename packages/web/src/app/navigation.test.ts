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
