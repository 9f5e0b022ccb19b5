import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  OPEN_REQUEST_STATUSES,
  REQUEST_STATUSES,
  REQUEST_STATUS_FHIR,
  TERMINAL_REQUEST_STATUSES,
  allowedRequestEvents,
  requestTransition,
  type RequestEvent,
  type RequestParty,
  type RequestState,
  type RequestStatus,
} from './status.js';

/** Applies events in order as the given parties, failing on a refusal. */
function run(start: RequestStatus, ...steps: Array<[RequestParty, RequestEvent]>): RequestState {
  let state: RequestState = { status: start };
  for (const [party, event] of steps) {
    const result = requestTransition(state, event, party);
    assert.ok(result.ok, `${state.status} --${event.type}--> refused: ${result.ok ? '' : result.message}`);
    if (result.ok) state = result.state;
  }
  return state;
}

function refusal(status: RequestStatus, event: RequestEvent, party: RequestParty = 'owner'): string {
  const result = requestTransition({ status }, event, party);
  assert.equal(result.ok, false, `${status} --${event.type}--> should be refused`);
  return result.ok ? '' : result.code;
}

const decline: RequestEvent = { type: 'decline', reason: 'The hospital issues its own fit notes.' };

describe('Request status machine', () => {
  it('follows a request from requested through acceptance to completion', () => {
    assert.deepEqual(
      run(
        'requested',
        ['owner', { type: 'receive' }],
        ['owner', { type: 'accept' }],
        ['owner', { type: 'start' }],
        ['owner', { type: 'complete' }],
      ),
      { status: 'completed' },
    );
  });

  it('lets the owner accept or decline straight from requested, and complete without starting', () => {
    assert.deepEqual(run('requested', ['owner', { type: 'accept' }], ['owner', { type: 'complete' }]), {
      status: 'completed',
    });
    assert.deepEqual(run('requested', ['owner', decline]), { status: 'declined' });
  });

  it('treats repeats and late receipts as no change', () => {
    for (const [status, event] of [
      ['received', { type: 'receive' }],
      ['accepted', { type: 'receive' }],
      ['in-progress', { type: 'accept' }],
      ['declined', decline],
      ['completed', { type: 'complete' }],
    ] as Array<[RequestStatus, RequestEvent]>) {
      const result = requestTransition({ status }, event, 'owner');
      assert.ok(result.ok && !result.changed, `${status} + ${event.type}`);
    }
  });

  it('refuses to decline work already taken on, or to start what was not accepted', () => {
    assert.equal(refusal('accepted', decline), 'not-allowed');
    assert.equal(refusal('in-progress', decline), 'not-allowed');
    assert.equal(refusal('received', { type: 'start' }), 'not-allowed');
    assert.equal(refusal('requested', { type: 'complete' }), 'not-allowed');
  });

  it('needs a reason to decline or cancel', () => {
    assert.equal(refusal('received', { type: 'decline', reason: '  ' }), 'reason-required');
    assert.equal(refusal('received', { type: 'cancel', reason: '' }, 'requester'), 'reason-required');
  });

  it('keeps each event to its party: the owner answers, only the requester cancels', () => {
    assert.equal(refusal('requested', { type: 'accept' }, 'requester'), 'wrong-party');
    assert.equal(refusal('requested', decline, 'requester'), 'wrong-party');
    assert.equal(
      refusal('requested', { type: 'cancel', reason: 'No longer needed' }, 'owner'),
      'wrong-party',
    );
    assert.deepEqual(run('in-progress', ['requester', { type: 'cancel', reason: 'Patient admitted' }]), {
      status: 'cancelled',
    });
  });

  it('never leaves a terminal status', () => {
    for (const status of ['declined', 'completed', 'cancelled'] as const) {
      assert.equal(refusal(status, { type: 'accept' }), 'terminal-state');
    }
    assert.equal(refusal('completed', { type: 'cancel', reason: 'x' }, 'requester'), 'terminal-state');
  });

  it('counts as open exactly the statuses that are not terminal, from which a request can still move', () => {
    assert.deepEqual(OPEN_REQUEST_STATUSES, ['requested', 'received', 'accepted', 'in-progress']);
    assert.deepEqual(
      [...OPEN_REQUEST_STATUSES, ...TERMINAL_REQUEST_STATUSES].sort(),
      [...REQUEST_STATUSES].sort(),
    );
    for (const status of OPEN_REQUEST_STATUSES) {
      assert.ok(
        allowedRequestEvents({ status }, 'owner').length > 0,
        `${status} is still the owner's to move`,
      );
    }
  });

  it('records the requester taking a declined request back, once', () => {
    const state = run('received', ['owner', decline], ['requester', { type: 'acknowledge-decline' }]);
    assert.deepEqual(state, { status: 'declined', declineAcknowledged: true });
    const again = requestTransition(state, { type: 'acknowledge-decline' }, 'requester');
    assert.ok(again.ok && !again.changed);
    assert.equal(refusal('accepted', { type: 'acknowledge-decline' }, 'requester'), 'not-allowed');
  });

  it('maps every status onto FHIR Task.status, declined as rejected', () => {
    const fhir = REQUEST_STATUSES.map((status) => REQUEST_STATUS_FHIR[status].taskStatus);
    assert.deepEqual(fhir, [
      'requested',
      'received',
      'accepted',
      'rejected',
      'in-progress',
      'completed',
      'cancelled',
    ]);
  });

  it('lists what each party may do next', () => {
    assert.deepEqual(allowedRequestEvents({ status: 'received' }, 'owner'), ['accept', 'decline']);
    assert.deepEqual(allowedRequestEvents({ status: 'received' }, 'requester'), ['cancel']);
    assert.deepEqual(allowedRequestEvents({ status: 'accepted' }, 'owner'), ['start', 'complete']);
    assert.deepEqual(allowedRequestEvents({ status: 'declined' }, 'requester'), ['acknowledge-decline']);
  });
});
