import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LEDGER_STATES,
  LEDGER_STATE_OWNERS,
  REJECTION_REASONS,
  TERMINAL_LEDGER_STATES,
  allowedEvents,
  transition,
  type LedgerEvent,
  type LedgerState,
  type LedgerStatus,
} from './ledger.js';

/** Applies events in order, failing the test on a refusal. */
function run(start: LedgerState, ...events: LedgerEvent[]): LedgerStatus {
  let status: LedgerStatus = { state: start };
  for (const event of events) {
    const result = transition(status, event);
    assert.ok(result.ok, `${status.state} --${event.type}--> refused: ${result.ok ? '' : result.message}`);
    if (result.ok) status = result.status;
  }
  return status;
}

function refusal(state: LedgerStatus | LedgerState, event: LedgerEvent): string {
  const result = transition(typeof state === 'string' ? { state } : state, event);
  assert.equal(result.ok, false, `${JSON.stringify(state)} --${event.type}--> should be refused`);
  return result.ok ? '' : result.code;
}

describe('Delivery ledger', () => {
  it('follows a letter from draft through authorisation, transport and filing', () => {
    assert.deepEqual(
      run(
        'draft',
        { type: 'authorise-request' },
        { type: 'authorise' },
        { type: 'queue' },
        { type: 'deliver' },
        { type: 'open' },
        { type: 'file' },
      ),
      { state: 'filed' },
    );
  });

  it('lets an authoriser return a letter to its author', () => {
    assert.deepEqual(run('draft', { type: 'authorise-request' }, { type: 'return-for-edit' }), {
      state: 'draft',
    });
  });

  it('never sends an unauthorised document', () => {
    assert.equal(refusal('draft', { type: 'queue' }), 'not-yet-authorised');
    assert.equal(refusal('awaiting-authorisation', { type: 'queue' }), 'not-yet-authorised');
    assert.equal(refusal('final', { type: 'deliver' }), 'not-allowed');
  });

  it('accepts a repeated or overtaken acknowledgement without moving backwards', () => {
    const filed: LedgerStatus = { state: 'filed' };
    const late = transition(filed, { type: 'deliver' });
    assert.deepEqual(late, { ok: true, status: filed, changed: false });
    const again = transition({ state: 'delivered' }, { type: 'deliver' });
    assert.deepEqual(again, { ok: true, status: { state: 'delivered' }, changed: false });
  });

  it('lets a business acknowledgement overtake the transport acknowledgement', () => {
    assert.deepEqual(run('queued', { type: 'file' }), { state: 'filed' });
  });

  it('records why a recipient rejected a document', () => {
    const status = run('delivered', { type: 'reject', reason: 'not-our-patient', detail: 'Moved to Leeds' });
    assert.deepEqual(status, {
      state: 'rejected',
      rejection: { reason: 'not-our-patient', detail: 'Moved to Leeds' },
    });
    assert.equal(REJECTION_REASONS['not-our-patient'].itk3Code, '30002');
    assert.equal(REJECTION_REASONS['no-longer-registered'].itk3Code, '30003');
  });

  it('re-routes a document rejected only for its address', () => {
    const rejected = run('delivered', { type: 'reject', reason: 'no-longer-registered' });
    assert.deepEqual(
      run(rejected.state, { type: 'reject', reason: 'no-longer-registered' }).state,
      'rejected',
    );
    const result = transition(rejected, { type: 're-route' });
    assert.deepEqual(result, { ok: true, status: { state: 'queued' }, changed: true });
  });

  it('ends a row re-routed elsewhere as rerouted, a new row carrying the document on', () => {
    const rejected = run('delivered', { type: 'reject', reason: 'not-our-patient' });
    assert.deepEqual(transition(rejected, { type: 're-route', elsewhere: true }), {
      ok: true,
      status: { state: 'rerouted' },
      changed: true,
    });
    const atFault = run('delivered', { type: 'reject', reason: 'incomplete' });
    assert.equal(refusal(atFault, { type: 're-route', elsewhere: true }), 'document-at-fault');
    assert.equal(refusal('rerouted', { type: 'deliver' }), 'terminal-state');
  });

  it('records a backlog row whose content the recipient already has as a duplicate, never once sent', () => {
    assert.deepEqual(run('final', { type: 'mark-duplicate' }), { state: 'duplicate' });
    assert.deepEqual(run('queued', { type: 'mark-duplicate' }), { state: 'duplicate' });
    assert.equal(refusal('delivered', { type: 'mark-duplicate' }), 'not-allowed');
    assert.equal(refusal('awaiting-authorisation', { type: 'mark-duplicate' }), 'not-yet-authorised');
    assert.equal(refusal('duplicate', { type: 'deliver' }), 'terminal-state');
  });

  it('refuses to re-route a document rejected for the wrong patient or as incomplete: it must be corrected', () => {
    for (const reason of ['wrong-patient', 'incomplete'] as const) {
      const rejected = run('delivered', { type: 'reject', reason });
      assert.equal(refusal(rejected, { type: 're-route' }), 'document-at-fault');
      assert.deepEqual(run('rejected', { type: 'correct' }), { state: 'superseded' });
    }
  });

  it('lets a filed document be superseded or withdrawn, and nothing happen after that', () => {
    assert.deepEqual(run('filed', { type: 'supersede' }), { state: 'superseded' });
    assert.deepEqual(run('filed', { type: 'withdraw' }), { state: 'withdrawn' });
    for (const terminal of TERMINAL_LEDGER_STATES) {
      for (const event of ['withdraw', 'deliver', 'authorise'] as const) {
        assert.equal(refusal(terminal, { type: event }), 'terminal-state');
      }
      assert.deepEqual(allowedEvents({ state: terminal }), []);
    }
  });

  it('refuses a recipient rejection before the document was sent', () => {
    assert.equal(refusal('draft', { type: 'reject', reason: 'incomplete' }), 'not-allowed');
    assert.equal(refusal('filed', { type: 'reject', reason: 'incomplete' }), 'not-allowed');
  });

  it('names a party who must act in every state that is not settled', () => {
    for (const state of LEDGER_STATES) {
      const { party } = LEDGER_STATE_OWNERS[state];
      const settled = state === 'filed' || TERMINAL_LEDGER_STATES.includes(state);
      assert.equal(party === 'none', settled, state);
    }
    assert.equal(LEDGER_STATE_OWNERS.delivered.party, 'recipient');
    assert.equal(LEDGER_STATE_OWNERS.rejected.party, 'sender');
    assert.equal(LEDGER_STATE_OWNERS.queued.party, 'operations');
  });

  it('lists the events a state accepts', () => {
    assert.deepEqual(allowedEvents({ state: 'draft' }), ['authorise-request', 'authorise', 'withdraw']);
    assert.deepEqual(allowedEvents({ state: 'rejected', rejection: { reason: 'not-our-patient' } }), [
      're-route',
      'correct',
      'supersede',
      'withdraw',
    ]);
  });
});
