import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_REQUEST_ALARM_CONFIG, evaluateRequestAlarms, type RequestSnapshot } from './alarms.js';

const at = (iso: string): Date => new Date(iso);

function request(overrides: Partial<RequestSnapshot>): RequestSnapshot {
  return {
    requestId: 'r1',
    category: 'fit-note',
    status: 'requested',
    priority: 'routine',
    // Friday 6 March 2026, 16:00 GMT.
    createdAt: at('2026-03-06T16:00:00Z'),
    ...overrides,
  };
}

const codes = (rows: RequestSnapshot[], now: string) =>
  evaluateRequestAlarms(rows, at(now)).map((a) => a.code);

describe('Request ageing alarms', () => {
  it('raises an unanswered request after 2 working days for the owner, telling the requester', () => {
    const rows = [request({ status: 'received' })];
    assert.deepEqual(codes(rows, '2026-03-10T15:59:59Z'), []);
    const [alarm] = evaluateRequestAlarms(rows, at('2026-03-10T16:00:00Z'));
    assert.equal(alarm?.code, 'request-unanswered');
    assert.equal(alarm?.party, 'owner');
    assert.equal(alarm?.informs, 'requester');
    assert.equal(alarm?.severity, 'warning');
  });

  it('counts working days over the Easter bank holidays', () => {
    // Thursday 2 April 2026, 10:00 BST; Good Friday 3 and Easter Monday 6 April are holidays, so the
    // two working days are Tuesday 7 and Wednesday 8: due Wednesday 10:00 BST.
    const rows = [request({ createdAt: at('2026-04-02T09:00:00Z') })];
    assert.deepEqual(codes(rows, '2026-04-08T08:59:00Z'), []);
    const [alarm] = evaluateRequestAlarms(rows, at('2026-04-08T09:00:00Z'));
    assert.equal(alarm?.dueAt.toISOString(), '2026-04-08T09:00:00.000Z');
  });

  it('gives an urgent request 4 hours', () => {
    const rows = [request({ priority: 'urgent', createdAt: at('2026-03-09T09:00:00Z') })];
    assert.deepEqual(codes(rows, '2026-03-09T12:59:00Z'), []);
    const [alarm] = evaluateRequestAlarms(rows, at('2026-03-09T13:00:00Z'));
    assert.equal(alarm?.severity, 'urgent');
  });

  it('stops the unanswered clock once the owner accepts, and raises overdue past the due date', () => {
    const rows = [request({ status: 'accepted', dueAt: at('2026-03-20T17:00:00Z') })];
    assert.deepEqual(codes(rows, '2026-03-20T16:59:00Z'), []);
    const [alarm] = evaluateRequestAlarms(rows, at('2026-03-20T17:00:00Z'));
    assert.equal(alarm?.code, 'request-overdue');
    assert.equal(alarm?.party, 'owner');
    assert.deepEqual(
      codes([request({ status: 'completed', dueAt: at('2026-03-20T17:00:00Z') })], '2026-04-01T00:00:00Z'),
      [],
    );
  });

  it('raises a decline the requester has not taken back after 1 working day, for the requester', () => {
    const declined = request({ status: 'declined', declinedAt: at('2026-03-09T10:00:00Z') });
    assert.deepEqual(codes([declined], '2026-03-10T09:59:00Z'), []);
    const [alarm] = evaluateRequestAlarms([declined], at('2026-03-10T10:00:00Z'));
    assert.equal(alarm?.code, 'decline-not-acknowledged');
    assert.equal(alarm?.party, 'requester');
    assert.equal(alarm?.informs, 'owner');
    assert.deepEqual(codes([{ ...declined, declineAcknowledged: true }], '2026-04-01T00:00:00Z'), []);
  });

  it('orders the most severe first, and takes its limits from the configuration', () => {
    const rows = [
      request({ requestId: 'a', status: 'received' }),
      request({ requestId: 'b', status: 'received', dueAt: at('2026-03-07T00:00:00Z') }),
    ];
    const alarms = evaluateRequestAlarms(rows, at('2026-03-12T00:00:00Z'));
    assert.deepEqual(
      alarms.map((a) => `${a.requestId}:${a.code}`),
      ['b:request-overdue', 'a:request-unanswered', 'b:request-unanswered'],
    );
    const strict = { ...DEFAULT_REQUEST_ALARM_CONFIG, unanswered: { amount: 1, unit: 'hours' as const } };
    assert.equal(evaluateRequestAlarms([request({})], at('2026-03-06T17:00:00Z'), strict).length, 1);
  });
});
