import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParametersParameter } from 'fhir/r4';
import {
  actionParameters,
  createParameters,
  listQuery,
  readActionOutcome,
  readCreateOutcome,
  readOneRequest,
  readRequestAlarms,
  readRequestList,
  readWorkloadLedger,
} from './requests';

/** A request as `$request-worklist` and `$request-tracker` present it (server/src/requests/present.ts). */
const flaggedEntry: ParametersParameter[] = [
  { name: 'request', valueString: 'task-1' },
  { name: 'task', valueReference: { reference: 'Task/task-1' } },
  { name: 'status', valueCode: 'declined' },
  { name: 'category', valueCode: 'fit-note' },
  { name: 'categoryDisplay', valueString: 'Issue a fit note' },
  { name: 'priority', valueCode: 'routine' },
  { name: 'patient', valueReference: { reference: 'Patient/pat-0001' } },
  { name: 'requester', valueReference: { reference: 'Organization/org-rzz' } },
  { name: 'requesterName', valueString: 'Kingsmere Hospitals' },
  { name: 'requestingPerson', valueString: 'Dr Ada Jones' },
  { name: 'owner', valueReference: { reference: 'Organization/org-y99901' } },
  { name: 'ownerName', valueString: 'Quayside Medical Centre' },
  { name: 'specialty', valueString: 'Orthopaedics' },
  { name: 'reason', valueString: 'Fit note for 4 weeks after surgery' },
  { name: 'circumstance', valueCode: 'urgent' },
  { name: 'due', valueInstant: '2026-03-20T23:59:59.999Z' },
  { name: 'flagged', valueBoolean: true },
  {
    name: 'responsibility',
    part: [
      { name: 'responsible', valueCode: 'requester' },
      { name: 'placesOnRequester', valueBoolean: true },
      { name: 'rule', valueCode: 'fit-notes-by-provider' },
      { name: 'clause', valueString: 'NHS Standard Contract SC11.11' },
      { name: 'explanation', valueString: 'The hospital issues fit notes.' },
    ],
  },
  { name: 'declineReason', valueString: 'The hospital issues fit notes.' },
  { name: 'declineRule', valueCode: 'fit-notes-by-provider' },
  { name: 'declineClause', valueString: 'NHS Standard Contract SC11.11' },
  { name: 'estimatedMinutes', valueInteger: 10 },
  { name: 'created', valueInstant: '2026-03-02T10:00:00.000Z' },
  { name: 'declined', valueInstant: '2026-03-02T11:00:00.000Z' },
  { name: 'allowedAction', valueCode: 'acknowledge-decline' },
  {
    name: 'alarm',
    part: [
      { name: 'code', valueCode: 'decline-not-acknowledged' },
      { name: 'severity', valueCode: 'warning' },
      { name: 'party', valueCode: 'requester' },
      { name: 'informs', valueCode: 'owner' },
      { name: 'mustAct', valueBoolean: true },
      { name: 'due', valueInstant: '2026-03-03T11:00:00.000Z' },
      { name: 'message', valueString: 'Pick up the decline' },
    ],
  },
  {
    name: 'event',
    part: [
      { name: 'to', valueCode: 'requested' },
      { name: 'event', valueCode: 'create' },
      { name: 'at', valueInstant: '2026-03-02T10:00:00.000Z' },
      { name: 'who', valueString: 'Dr Ada Jones' },
      { name: 'reason', valueString: 'Fit note for 4 weeks after surgery' },
    ],
  },
  {
    name: 'event',
    part: [
      { name: 'from', valueCode: 'requested' },
      { name: 'to', valueCode: 'declined' },
      { name: 'event', valueCode: 'decline' },
      { name: 'at', valueInstant: '2026-03-02T11:00:00.000Z' },
      { name: 'who', valueString: 'Dr Sam Patel' },
      { name: 'role', valueCode: 'gp' },
      { name: 'reason', valueString: 'The hospital issues fit notes.' },
      { name: 'clause', valueString: 'NHS Standard Contract SC11.11' },
    ],
  },
];

describe('Reading the request operations’ answers', () => {
  it('reads a tracker page: the flag and its clause, the decline with its clause, alarms, history and the cursor', () => {
    const page = readRequestList({
      resourceType: 'Parameters',
      parameter: [
        { name: 'count', valueInteger: 1 },
        { name: 'next', valueString: '17' },
        { name: 'entry', part: flaggedEntry },
      ],
    });
    assert.equal(page.next, '17');
    const [entry] = page.entries;
    assert.ok(entry);
    assert.equal(entry.id, 'task-1');
    assert.equal(entry.status, 'declined');
    assert.equal(entry.flagged, true);
    assert.deepEqual(entry.responsibility, {
      responsible: 'requester',
      placesOnRequester: true,
      rule: 'fit-notes-by-provider',
      clause: 'NHS Standard Contract SC11.11',
      explanation: 'The hospital issues fit notes.',
    });
    assert.equal(entry.declineClause, 'NHS Standard Contract SC11.11');
    assert.equal(entry.declineReason, 'The hospital issues fit notes.');
    assert.deepEqual(entry.circumstances, ['urgent']);
    assert.deepEqual(entry.allowedActions, ['acknowledge-decline']);
    assert.equal(entry.owner, 'Organization/org-y99901');
    assert.equal(entry.requester, 'Organization/org-rzz');
    assert.equal(entry.estimatedMinutes, 10);
    assert.deepEqual(entry.alarms, [
      {
        code: 'decline-not-acknowledged',
        severity: 'warning',
        party: 'requester',
        mustAct: true,
        due: '2026-03-03T11:00:00.000Z',
        message: 'Pick up the decline',
      },
    ]);
    assert.deepEqual(
      entry.events.map((event) => [event.from, event.to, event.who, event.clause]),
      [
        [undefined, 'requested', 'Dr Ada Jones', undefined],
        ['requested', 'declined', 'Dr Sam Patel', 'NHS Standard Contract SC11.11'],
      ],
    );
  });

  it('reads a request nobody flagged as not placed on the requester, with no page after it', () => {
    const page = readRequestList({
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'entry',
          part: [
            { name: 'request', valueString: 'task-2' },
            { name: 'status', valueCode: 'requested' },
            { name: 'flagged', valueBoolean: false },
            {
              name: 'responsibility',
              part: [
                { name: 'responsible', valueCode: 'owner' },
                { name: 'placesOnRequester', valueBoolean: false },
                {
                  name: 'explanation',
                  valueString: 'No contract rule places this request with the requester.',
                },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(page.next, undefined);
    assert.equal(page.entries[0]?.flagged, false);
    assert.equal(page.entries[0]?.responsibility.placesOnRequester, false);
    assert.equal(page.entries[0]?.responsibility.clause, undefined);
  });

  it('reads $create-request: created-flagged says the rules place the work on the requester', () => {
    const created = readCreateOutcome({
      resourceType: 'Parameters',
      parameter: [
        { name: 'outcome', valueCode: 'created-flagged' },
        flaggedEntry.find((part) => part.name === 'responsibility') as ParametersParameter,
        { name: 'request', part: flaggedEntry },
      ],
    });
    assert.equal(created.flagged, true);
    assert.equal(created.responsibility.clause, 'NHS Standard Contract SC11.11');
    assert.equal(created.request.ownerName, 'Quayside Medical Centre');
    const plain = readCreateOutcome({
      resourceType: 'Parameters',
      parameter: [{ name: 'outcome', valueCode: 'created' }],
    });
    assert.equal(plain.flagged, false);
  });

  it('reads an action’s outcome with the Communication that told the other side', () => {
    const outcome = readActionOutcome({
      resourceType: 'Parameters',
      parameter: [
        { name: 'outcome', valueCode: 'declined' },
        { name: 'request', part: flaggedEntry },
        { name: 'communication', valueReference: { reference: 'Communication/c-1' } },
      ],
    });
    assert.equal(outcome.outcome, 'declined');
    assert.equal(outcome.communication, 'Communication/c-1');
    assert.equal(outcome.request.declineClause, 'NHS Standard Contract SC11.11');
  });

  it('reads $request-alarms with who must act', () => {
    const [alarm] = readRequestAlarms({
      resourceType: 'Parameters',
      parameter: [
        { name: 'count', valueInteger: 1 },
        {
          name: 'alarm',
          part: [
            { name: 'code', valueCode: 'request-unanswered' },
            { name: 'severity', valueCode: 'warning' },
            { name: 'party', valueCode: 'owner' },
            { name: 'mustAct', valueBoolean: true },
            { name: 'message', valueString: 'Unanswered for 2 working days' },
            { name: 'request', valueString: 'task-3' },
            { name: 'status', valueCode: 'requested' },
            { name: 'category', valueCode: 'arrange-test' },
            { name: 'patient', valueReference: { reference: 'Patient/pat-0007' } },
          ],
        },
      ],
    });
    assert.equal(alarm?.request, 'task-3');
    assert.equal(alarm?.mustAct, true);
    assert.equal(alarm?.party, 'owner');
    assert.equal(alarm?.patient, 'Patient/pat-0007');
  });

  it('reads the workload ledger’s totals, groups and trend, with absent figures as 0', () => {
    const ledger = readWorkloadLedger({
      resourceType: 'Parameters',
      parameter: [
        { name: 'period', valueCode: 'week' },
        { name: 'from', valueString: '2026-03-02' },
        { name: 'to', valueString: '2026-03-22' },
        {
          name: 'totals',
          part: [
            { name: 'requests', valueInteger: 3 },
            { name: 'declined', valueInteger: 2 },
            { name: 'declinedCitingRule', valueInteger: 1 },
            { name: 'minutesDeclined', valueInteger: 30 },
          ],
        },
        {
          name: 'group',
          part: [
            { name: 'requester', valueReference: { reference: 'Organization/org-rzz' } },
            { name: 'requesterName', valueString: 'Kingsmere Hospitals' },
            { name: 'requesterOds', valueString: 'RZZ' },
            { name: 'specialty', valueString: 'Cardiology' },
            { name: 'category', valueCode: 'fit-note' },
            { name: 'categoryDisplay', valueString: 'Issue a fit note' },
            { name: 'requests', valueInteger: 1 },
            { name: 'declined', valueInteger: 1 },
          ],
        },
        {
          name: 'trend',
          part: [
            { name: 'period', valueString: '2026-03-02' },
            { name: 'requests', valueInteger: 3 },
          ],
        },
      ],
    });
    assert.equal(ledger.period, 'week');
    assert.equal(ledger.totals.declined, 2);
    assert.equal(ledger.totals.accepted, 0);
    assert.equal(ledger.totals.minutesDeclined, 30);
    assert.equal(ledger.groups[0]?.requesterName, 'Kingsmere Hospitals');
    assert.equal(ledger.groups[0]?.requesterOds, 'RZZ');
    assert.equal(ledger.groups[0]?.declined, 1);
    assert.deepEqual(
      ledger.trend.map((point) => [point.period, point.requests]),
      [['2026-03-02', 3]],
    );
  });
});

describe('Reading one request and counted lists', () => {
  it('reads $request: the request with its whole history, and the caller’s side as the server decided it', () => {
    const one = readOneRequest({
      resourceType: 'Parameters',
      parameter: [
        { name: 'side', valueCode: 'requester' },
        { name: 'request', part: flaggedEntry },
      ],
    });
    assert.equal(one.side, 'requester');
    assert.equal(one.request.id, 'task-1');
    assert.deepEqual(
      one.request.events.map((event) => [event.from, event.to, event.who]),
      [
        [undefined, 'requested', 'Dr Ada Jones'],
        ['requested', 'declined', 'Dr Sam Patel'],
      ],
    );
    assert.deepEqual(one.request.allowedActions, ['acknowledge-decline']);
    // Operations get no side, and nothing that is not a side is taken for one.
    const watched = readOneRequest({
      resourceType: 'Parameters',
      parameter: [
        { name: 'side', valueCode: 'observer' },
        { name: 'request', part: flaggedEntry },
      ],
    });
    assert.equal(watched.side, undefined);
  });

  it('reads a list’s total when the server counted, capped as the inbox’s, and asks for the declines not taken back by name', () => {
    const counted = readRequestList({
      resourceType: 'Parameters',
      parameter: [
        { name: 'count', valueInteger: 1 },
        { name: 'total', valueInteger: 137 },
        { name: 'entry', part: flaggedEntry },
      ],
    });
    assert.equal(counted.total, 137);
    assert.equal(counted.totalCapped, false);
    const uncounted = readRequestList({ resourceType: 'Parameters', parameter: [] });
    assert.equal(uncounted.total, undefined);
    assert.equal(uncounted.totalCapped, false);
    const capped = readRequestList({
      resourceType: 'Parameters',
      parameter: [
        { name: 'total', valueInteger: 10_000 },
        { name: 'totalCapped', valueBoolean: true },
      ],
    });
    assert.deepEqual([capped.total, capped.totalCapped], [10_000, true]);
    assert.deepEqual(listQuery({ acknowledged: false, total: true, count: 1 }), {
      status: undefined,
      acknowledged: false,
      _total: 'accurate',
      patient: undefined,
      cursor: undefined,
      _count: 1,
    });
  });
});

describe('Writing the request operations’ inputs', () => {
  it('builds $create-request Parameters with every field the form gave, and none it did not', () => {
    const body = createParameters({
      patient: 'Patient/pat-0001',
      owner: 'Organization/org-y99901',
      category: 'fit-note',
      reason: 'Fit note for 4 weeks',
      priority: 'routine',
      circumstances: ['urgent'],
      due: '2026-03-20',
    });
    assert.deepEqual(body.parameter, [
      { name: 'patient', valueReference: { reference: 'Patient/pat-0001' } },
      { name: 'owner', valueReference: { reference: 'Organization/org-y99901' } },
      { name: 'category', valueCode: 'fit-note' },
      { name: 'reason', valueString: 'Fit note for 4 weeks' },
      { name: 'priority', valueCode: 'routine' },
      { name: 'circumstance', valueCode: 'urgent' },
      { name: 'due', valueDate: '2026-03-20' },
    ]);
  });

  it('builds a one-step decline citing the rule, with the owner’s note as its reason', () => {
    assert.deepEqual(actionParameters('task-1', 'decline', { decline: { citeRule: true } }).parameter, [
      { name: 'request', valueString: 'task-1' },
      { name: 'action', valueCode: 'decline' },
      { name: 'cite-rule', valueBoolean: true },
    ]);
    assert.deepEqual(
      actionParameters('task-1', 'decline', {
        decline: { citeRule: true, note: 'Please issue it in clinic' },
      }).parameter,
      [
        { name: 'request', valueString: 'task-1' },
        { name: 'action', valueCode: 'decline' },
        { name: 'cite-rule', valueBoolean: true },
        { name: 'reason', valueString: 'Please issue it in clinic' },
      ],
    );
  });

  it('builds a decline with a reason of its own, and a cancellation with its reason', () => {
    assert.deepEqual(
      actionParameters('task-2', 'decline', {
        decline: { citeRule: false, reason: 'No capacity' },
      }).parameter?.slice(2),
      [{ name: 'reason', valueString: 'No capacity' }],
    );
    assert.deepEqual(actionParameters('task-2', 'cancel', { reason: 'Done in clinic' }).parameter?.slice(2), [
      { name: 'reason', valueString: 'Done in clinic' },
    ]);
    assert.equal(actionParameters('task-2', 'accept').parameter?.length, 2);
  });
});
