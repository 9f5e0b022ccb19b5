/**
 * The delivery ledger: one row per document version × recipient, from first draft to filed in the
 * recipient's record. Every failure in the NHS's lost-letter incidents was a document sitting in a
 * state nobody watched; here every state names who must act and (in alarms.ts) how long it may wait.
 *
 * Transport is at-least-once, so events arrive repeated and out of order: a late "delivered" after
 * "filed" changes nothing and is not an error. Only a transition that would be wrong is refused.
 */

export const LEDGER_STATES = [
  'draft',
  'awaiting-authorisation',
  'final',
  'queued',
  'delivered',
  'opened',
  'filed',
  'rejected',
  'superseded',
  'withdrawn',
  'duplicate',
  'rerouted',
] as const;

export type LedgerState = (typeof LEDGER_STATES)[number];

/**
 * States no event leaves. Filed is settled but not terminal: the document can still be replaced or
 * withdrawn. A duplicate row was never sent (the recipient already had the same content, on the row
 * it names); a re-routed row handed its delivery on to a row for the right recipient.
 */
export const TERMINAL_LEDGER_STATES: readonly LedgerState[] = [
  'superseded',
  'withdrawn',
  'duplicate',
  'rerouted',
];

export function isTerminalLedgerState(state: LedgerState): boolean {
  return TERMINAL_LEDGER_STATES.includes(state);
}

/** Who must act for a row to move on: the hospital, the GP practice, or operations (transport, routing). */
export type ResponsibleParty = 'sender' | 'recipient' | 'operations' | 'none';

/** The party that must act now, and what they must do. */
export const LEDGER_STATE_OWNERS: Readonly<Record<LedgerState, { party: ResponsibleParty; action: string }>> =
  {
    draft: { party: 'sender', action: 'Finish the document and send it for authorisation, or authorise it.' },
    'awaiting-authorisation': {
      party: 'sender',
      action: 'The responsible clinician must authorise the document.',
    },
    final: { party: 'operations', action: 'The document is authorised but not yet queued for transport.' },
    queued: { party: 'operations', action: 'The document is waiting for the transport to deliver it.' },
    delivered: { party: 'recipient', action: 'The practice must open and file the document.' },
    opened: { party: 'recipient', action: 'The practice must file the document into the patient record.' },
    filed: { party: 'none', action: 'Filed in the patient record.' },
    rejected: { party: 'sender', action: 'The sender must correct, re-route or withdraw the document.' },
    superseded: { party: 'none', action: 'Replaced by a later version.' },
    withdrawn: { party: 'none', action: 'Withdrawn as entered in error.' },
    duplicate: {
      party: 'none',
      action: 'Not sent: the recipient already has a document with identical content (named on the row).',
    },
    rerouted: { party: 'none', action: 'Sent on to the right recipient, on a new row.' },
  };

/**
 * Why a recipient refuses a document. The first two are the ITK3 business responses 30002 and 30003;
 * the others are Carebridge's, for what ITK3 has no business code for.
 */
export const REJECTION_REASONS = {
  'not-our-patient': { display: 'Patient not registered at this practice', itk3Code: '30002' },
  'no-longer-registered': { display: 'Patient no longer registered at this practice', itk3Code: '30003' },
  'wrong-patient': { display: 'Document does not match the patient record (demographics differ)' },
  incomplete: { display: 'Document incomplete or unreadable' },
} as const satisfies Record<string, { display: string; itk3Code?: string }>;

export type RejectionReason = keyof typeof REJECTION_REASONS;

export interface Rejection {
  reason: RejectionReason;
  /** Free text from the recipient. */
  detail?: string;
}

/** A row's position: the state, and the rejection while it is rejected (re-routing depends on why). */
export interface LedgerStatus {
  state: LedgerState;
  rejection?: Rejection;
}

export type LedgerEvent =
  | { type: 'authorise-request' }
  | { type: 'return-for-edit' }
  | { type: 'authorise' }
  | { type: 'queue' }
  | { type: 'deliver' }
  | { type: 'open' }
  | { type: 'file' }
  | { type: 'reject'; reason: RejectionReason; detail?: string }
  /**
   * Send a rejected document to the right recipient: only when the document itself was not at fault.
   * To the same recipient (its registration was confirmed after all) the row is queued again;
   * `elsewhere` ends this row as re-routed, because a new row for the new recipient carries it on.
   */
  | { type: 're-route'; elsewhere?: boolean }
  /**
   * A backlog release found that the recipient already has a document with identical content: this
   * row is recorded as a duplicate instead of being sent, so nothing is silently dropped.
   */
  | { type: 'mark-duplicate' }
  /** A corrected version answers a rejection; this row ends. */
  | { type: 'correct' }
  /** A later version replaces this one. */
  | { type: 'supersede' }
  /** Entered in error: the document should never have existed. */
  | { type: 'withdraw' };

export type LedgerEventType = LedgerEvent['type'];

export type TransitionRefusalCode =
  'terminal-state' | 'not-allowed' | 'not-yet-authorised' | 'document-at-fault';

export type TransitionResult =
  | { ok: true; status: LedgerStatus; changed: boolean }
  | { ok: false; code: TransitionRefusalCode; message: string };

/** How far a document has got with the recipient; later acknowledgements imply earlier ones. */
const PROGRESS: Partial<Record<LedgerState, number>> = { queued: 0, delivered: 1, opened: 2, filed: 3 };
const PROGRESS_EVENT: Partial<Record<LedgerEventType, LedgerState>> = {
  deliver: 'delivered',
  open: 'opened',
  file: 'filed',
};
const NOT_YET_AUTHORISED: ReadonlySet<LedgerState> = new Set(['draft', 'awaiting-authorisation']);
const REROUTABLE: ReadonlySet<RejectionReason> = new Set(['not-our-patient', 'no-longer-registered']);

const moveTo = (state: LedgerState): TransitionResult => ({ ok: true, status: { state }, changed: true });
const unchanged = (status: LedgerStatus): TransitionResult => ({ ok: true, status, changed: false });
const refuse = (code: TransitionRefusalCode, message: string): TransitionResult => ({
  ok: false,
  code,
  message,
});

/**
 * The next status of a ledger row after an event, or a refusal saying why not. Pure: the caller stores
 * the result (compare-and-set on the previous state, so two workers cannot both move a row).
 */
export function transition(current: LedgerStatus, event: LedgerEvent): TransitionResult {
  const { state } = current;
  if (isTerminalLedgerState(state)) {
    return refuse('terminal-state', `The document is ${state}; nothing more can happen to it.`);
  }
  switch (event.type) {
    case 'authorise-request':
      if (state === 'awaiting-authorisation') return unchanged(current);
      return state === 'draft'
        ? moveTo('awaiting-authorisation')
        : refuse('not-allowed', `A ${state} document is already authorised.`);
    case 'return-for-edit':
      return state === 'awaiting-authorisation'
        ? moveTo('draft')
        : refuse('not-allowed', 'Only a document awaiting authorisation can be returned to its author.');
    case 'authorise':
      if (NOT_YET_AUTHORISED.has(state)) return moveTo('final');
      return state === 'final'
        ? unchanged(current)
        : refuse('not-allowed', `A ${state} document cannot be authorised again.`);
    case 'queue':
      if (state === 'final') return moveTo('queued');
      if (NOT_YET_AUTHORISED.has(state))
        return refuse('not-yet-authorised', 'An unauthorised document cannot be sent.');
      if (PROGRESS[state] !== undefined) return unchanged(current);
      return refuse('not-allowed', `A ${state} document cannot be queued; re-route it instead.`);
    case 'deliver':
    case 'open':
    case 'file': {
      const target = PROGRESS_EVENT[event.type] ?? 'filed';
      const now = PROGRESS[state];
      if (now === undefined) {
        if (NOT_YET_AUTHORISED.has(state) || state === 'final') {
          return refuse('not-allowed', `A ${state} document has not been sent, so it cannot be ${target}.`);
        }
        return refuse('not-allowed', `A ${state} document cannot be ${target}.`);
      }
      // Acknowledgements may overtake each other; progress only moves forward.
      return (PROGRESS[target] ?? 0) > now ? moveTo(target) : unchanged(current);
    }
    case 'reject':
      if (state === 'rejected') return unchanged(current);
      if (state !== 'queued' && state !== 'delivered' && state !== 'opened') {
        return refuse('not-allowed', `A ${state} document cannot be rejected by its recipient.`);
      }
      return {
        ok: true,
        changed: true,
        status: {
          state: 'rejected',
          rejection:
            event.detail === undefined
              ? { reason: event.reason }
              : { reason: event.reason, detail: event.detail },
        },
      };
    case 're-route':
      if (state !== 'rejected') return refuse('not-allowed', 'Only a rejected document can be re-routed.');
      if (current.rejection === undefined || !REROUTABLE.has(current.rejection.reason)) {
        return refuse(
          'document-at-fault',
          'The document was rejected for its content or patient; send a corrected version instead of re-routing it.',
        );
      }
      return moveTo(event.elsewhere === true ? 'rerouted' : 'queued');
    case 'mark-duplicate':
      // Only a row not yet sent can be left unsent; one that reached the recipient is not a duplicate.
      if (state === 'final' || state === 'queued') return moveTo('duplicate');
      if (NOT_YET_AUTHORISED.has(state))
        return refuse('not-yet-authorised', 'An unauthorised document is not released at all.');
      return refuse('not-allowed', `A ${state} document has already reached its recipient.`);
    case 'correct':
      return state === 'rejected'
        ? moveTo('superseded')
        : refuse('not-allowed', 'Only a rejected document is corrected; supersede it instead.');
    case 'supersede':
      return NOT_YET_AUTHORISED.has(state)
        ? refuse('not-yet-authorised', 'A draft is edited, not superseded.')
        : moveTo('superseded');
    case 'withdraw':
      return moveTo('withdrawn');
  }
}

/** The events a row in this state accepts with a change: for user interfaces and API documentation. */
export function allowedEvents(current: LedgerStatus): LedgerEventType[] {
  const probes: LedgerEvent[] = [
    { type: 'authorise-request' },
    { type: 'return-for-edit' },
    { type: 'authorise' },
    { type: 'queue' },
    { type: 'deliver' },
    { type: 'open' },
    { type: 'file' },
    { type: 'reject', reason: 'incomplete' },
    { type: 're-route' },
    { type: 'mark-duplicate' },
    { type: 'correct' },
    { type: 'supersede' },
    { type: 'withdraw' },
  ];
  return probes
    .filter((event) => {
      const result = transition(current, event);
      return result.ok && result.changed;
    })
    .map((event) => event.type);
}
