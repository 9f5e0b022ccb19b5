import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operationsText as o } from '../../strings/operations.en-GB';
import { readOverview, readReleaseStatus } from './operations-data';

const ledger = (
  side: string,
  organization: string | undefined,
  ods: string,
  state: string,
  count: number,
  name?: string,
) => ({
  name: 'ledger',
  part: [
    { name: 'side', valueCode: side },
    ...(organization === undefined
      ? []
      : [{ name: 'organization', valueReference: { reference: organization } }]),
    { name: 'ods', valueString: ods },
    ...(name === undefined ? [] : [{ name: 'name', valueString: name }]),
    { name: 'state', valueCode: state },
    { name: 'count', valueInteger: count },
  ],
});

describe('Reading the operations screens’ answers', () => {
  it('takes each organisation’s name from the overview, leaving it out where the server has none', () => {
    const overview = readOverview({
      resourceType: 'Parameters',
      parameter: [
        ledger('recipient', 'Organization/practice-a', 'Y99901', 'delivered', 2, 'Quayside'),
        ledger('recipient', 'Organization/practice-a', 'Y99901', 'filed', 1, 'Quayside'),
        ledger('recipient', 'Organization/gone', 'Y99909', 'final', 1),
        ledger('sender', 'Organization/trust', 'RZZ', 'delivered', 3, 'Kingsmere Hospitals'),
      ],
    });
    assert.deepEqual(overview.received, [
      { id: 'practice-a', ods: 'Y99901', name: 'Quayside', counts: { delivered: 2, filed: 1 }, total: 3 },
      { id: 'gone', ods: 'Y99909', counts: { final: 1 }, total: 1 },
    ]);
    assert.deepEqual(
      overview.sent.map((row) => row.name),
      ['Kingsmere Hospitals'],
    );
    assert.deepEqual(overview.states, ['delivered', 'filed', 'final']);
  });

  it('takes each practice’s name from a release’s plan', () => {
    const plan = readReleaseStatus([
      { name: 'status', valueCode: 'running' },
      {
        name: 'practice',
        part: [
          { name: 'ods', valueString: 'Y99901' },
          { name: 'organization', valueReference: { reference: 'Organization/practice-a' } },
          { name: 'name', valueString: 'Quayside' },
          { name: 'total', valueInteger: 3 },
          { name: 'patients', valueInteger: 2 },
        ],
      },
      { name: 'practice', part: [{ name: 'ods', valueString: 'patient-copies' }] },
    ]);
    assert.equal(plan.status, 'running');
    assert.deepEqual(
      plan.practices.map((practice) => [practice.ods, practice.name, practice.total]),
      [
        ['Y99901', 'Quayside', 3],
        ['patient-copies', undefined, 0],
      ],
    );
  });

  it('says how the latest release stands in one line', () => {
    assert.equal(
      o.backlogLatestLine('stalled', 1, 0, '20 March 2026 at 10:00'),
      'Stopped: 1 letter delivered, 0 recorded as duplicates. 20 March 2026 at 10:00',
    );
    assert.equal(
      o.backlogLatestLine('complete', 3, 2, '20 March 2026 at 10:02'),
      'Finished: 3 letters delivered, 2 recorded as duplicates. 20 March 2026 at 10:02',
    );
  });
});
