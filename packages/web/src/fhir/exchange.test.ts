import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAlarms, readInbox, readLedger } from './exchange';

describe('Reading the exchange operations’ answers', () => {
  it('reads an $inbox page and its keyset cursor', () => {
    const page = readInbox({
      resourceType: 'Parameters',
      parameter: [
        { name: 'count', valueInteger: 1 },
        { name: 'next', valueString: '41' },
        {
          name: 'entry',
          part: [
            { name: 'document', valueString: 'doc-1' },
            { name: 'title', valueString: 'Discharge summary' },
            { name: 'kind', valueCode: 'inpatient-discharge' },
            { name: 'patient', valueReference: { reference: 'Patient/pat-0001' } },
            { name: 'state', valueCode: 'delivered' },
            { name: 'delayed', valueBoolean: true },
            { name: 'delayedDays', valueInteger: 3 },
            { name: 'hasMedicationChanges', valueBoolean: true },
            { name: 'hasActions', valueBoolean: false },
          ],
        },
      ],
    });
    assert.equal(page.next, '41');
    assert.deepEqual(page.entries[0], {
      document: 'doc-1',
      title: 'Discharge summary',
      kind: 'inpatient-discharge',
      patient: 'Patient/pat-0001',
      state: 'delivered',
      delayedDays: 3,
      hasMedicationChanges: true,
      hasActions: false,
    });
  });

  it('reads a ledger with each recipient’s step times, rejection and events', () => {
    const ledger = readLedger({
      resourceType: 'Parameters',
      parameter: [
        { name: 'document', valueString: 'doc-1' },
        { name: 'status', valueCode: 'final' },
        {
          name: 'recipient',
          part: [
            { name: 'row', valueString: '7' },
            { name: 'state', valueCode: 'rejected' },
            { name: 'authorised', valueInstant: '2026-11-21T09:00:00.000Z' },
            { name: 'delivered', valueInstant: '2026-11-21T09:00:01.000Z' },
            { name: 'rejected', valueInstant: '2026-11-21T10:00:00.000Z' },
            { name: 'rejectionReason', valueCode: 'incomplete' },
            { name: 'rejectionDetail', valueString: 'No medication list' },
            { name: 'delayedDays', valueInteger: 0 },
            {
              name: 'event',
              part: [
                { name: 'to', valueCode: 'rejected' },
                { name: 'who', valueString: 'demo-gp' },
              ],
            },
          ],
        },
      ],
    });
    const row = ledger.recipients[0];
    assert.equal(row?.state, 'rejected');
    assert.deepEqual(row?.times, {
      authorised: '2026-11-21T09:00:00.000Z',
      delivered: '2026-11-21T09:00:01.000Z',
      rejected: '2026-11-21T10:00:00.000Z',
    });
    assert.equal(row?.rejectionDetail, 'No medication list');
    assert.deepEqual(row?.events, [{ to: 'rejected', who: 'demo-gp' }]);
  });

  it('reads alarms', () => {
    const alarms = readAlarms({
      resourceType: 'Parameters',
      parameter: [
        { name: 'count', valueInteger: 1 },
        {
          name: 'alarm',
          part: [
            { name: 'code', valueCode: 'rejection-unresolved' },
            { name: 'severity', valueCode: 'urgent' },
            { name: 'party', valueCode: 'sender' },
            { name: 'message', valueString: 'Rejected and not resolved' },
            { name: 'document', valueString: 'doc-1' },
          ],
        },
      ],
    });
    assert.deepEqual(
      alarms.map((alarm) => [alarm.code, alarm.party, alarm.document]),
      [['rejection-unresolved', 'sender', 'doc-1']],
    );
  });
});
