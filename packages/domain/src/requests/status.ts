/**
 * The life of a request between organisations: requested → received → accepted or declined →
 * in progress → completed, or cancelled by its requester. Work is never transferred silently: the
 * owner must accept it before it is theirs, a decline hands it straight back with a reason, and only
 * the requester can withdraw what it asked for.
 *
 * Repeats are harmless (a second "receive" changes nothing), because requests arrive from letters
 * and integrations that retry. Only a change that would be wrong is refused.
 */

export const REQUEST_STATUSES = [
  'requested',
  'received',
  'accepted',
  'declined',
  'in-progress',
  'completed',
  'cancelled',
] as const;

export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export function isRequestStatus(value: unknown): value is RequestStatus {
  return typeof value === 'string' && (REQUEST_STATUSES as readonly string[]).includes(value);
}

export const REQUEST_STATUS_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/request-status';

/**
 * FHIR Task.status for each status; Task.businessStatus carries Carebridge's own code, so "declined"
 * (FHIR's `rejected`) reads as the practice's decision rather than a technical failure.
 */
export const REQUEST_STATUS_FHIR: Readonly<Record<RequestStatus, { taskStatus: string; display: string }>> = {
  requested: { taskStatus: 'requested', display: 'Requested' },
  received: { taskStatus: 'received', display: 'Received by the owner' },
  accepted: { taskStatus: 'accepted', display: 'Accepted by the owner' },
  declined: { taskStatus: 'rejected', display: 'Declined by the owner' },
  'in-progress': { taskStatus: 'in-progress', display: 'In progress' },
  completed: { taskStatus: 'completed', display: 'Completed' },
  cancelled: { taskStatus: 'cancelled', display: 'Cancelled by the requester' },
};

export const TERMINAL_REQUEST_STATUSES: readonly RequestStatus[] = ['declined', 'completed', 'cancelled'];

export function isTerminalRequestStatus(status: RequestStatus): boolean {
  return TERMINAL_REQUEST_STATUSES.includes(status);
}

/** Statuses in which the request is still work someone holds: what a worklist shows unless filtered. */
export const OPEN_REQUEST_STATUSES: readonly RequestStatus[] = REQUEST_STATUSES.filter(
  (status) => !isTerminalRequestStatus(status),
);

/** Statuses in which the owner has not yet answered. */
export const UNANSWERED_REQUEST_STATUSES: readonly RequestStatus[] = ['requested', 'received'];

/** The two organisations of a request. Operations watch, but never act for either. */
export type RequestParty = 'owner' | 'requester';

export type RequestEvent =
  | { type: 'receive' }
  | { type: 'accept' }
  | { type: 'decline'; reason: string; clause?: string; ruleId?: string }
  | { type: 'start' }
  | { type: 'complete' }
  | { type: 'cancel'; reason: string }
  /** The requester has seen a decline and taken the work back; the status stays declined. */
  | { type: 'acknowledge-decline' };

export type RequestEventType = RequestEvent['type'];

/** Which party each event belongs to. */
export const REQUEST_EVENT_PARTY: Readonly<Record<RequestEventType, RequestParty>> = {
  receive: 'owner',
  accept: 'owner',
  decline: 'owner',
  start: 'owner',
  complete: 'owner',
  cancel: 'requester',
  'acknowledge-decline': 'requester',
};

/** A request's position: its status, and for a declined one whether the requester has taken it back. */
export interface RequestState {
  status: RequestStatus;
  declineAcknowledged?: boolean;
}

export type RequestRefusalCode = 'terminal-state' | 'not-allowed' | 'wrong-party' | 'reason-required';

export type RequestTransitionResult =
  /** `changed`: there is something to record (a new status, or an acknowledgement). */
  | { ok: true; state: RequestState; changed: boolean }
  | { ok: false; code: RequestRefusalCode; message: string };

/** How far a request has got with its owner; later steps imply the earlier ones. */
const PROGRESS: Partial<Record<RequestStatus, number>> = {
  requested: 0,
  received: 1,
  accepted: 2,
  'in-progress': 3,
  completed: 4,
};

const move = (status: RequestStatus): RequestTransitionResult => ({
  ok: true,
  state: { status },
  changed: true,
});
const same = (state: RequestState): RequestTransitionResult => ({ ok: true, state, changed: false });
const refuse = (code: RequestRefusalCode, message: string): RequestTransitionResult => ({
  ok: false,
  code,
  message,
});

/** Moves forward to `target` unless the request is already there or further on. */
function forward(state: RequestState, target: RequestStatus, allowedFrom: readonly RequestStatus[]) {
  const now = PROGRESS[state.status] ?? -1;
  if (now >= (PROGRESS[target] ?? 0)) return same(state);
  return allowedFrom.includes(state.status)
    ? move(target)
    : refuse('not-allowed', `A ${state.status} request cannot become ${target}.`);
}

/**
 * The next state after an event by a party, or a refusal saying why not. Pure: the caller stores the
 * result with a compare-and-set on the previous status, with who, when and why.
 */
export function requestTransition(
  current: RequestState,
  event: RequestEvent,
  party: RequestParty,
): RequestTransitionResult {
  const expected = REQUEST_EVENT_PARTY[event.type];
  if (party !== expected) {
    return refuse(
      'wrong-party',
      expected === 'owner'
        ? 'Only the organisation that owns the request can do this.'
        : 'Only the organisation that made the request can do this.',
    );
  }
  const { status } = current;
  if (event.type === 'acknowledge-decline') {
    if (status !== 'declined') return refuse('not-allowed', 'Only a declined request can be acknowledged.');
    return current.declineAcknowledged
      ? same(current)
      : { ok: true, state: { status, declineAcknowledged: true }, changed: true };
  }
  if (isTerminalRequestStatus(status)) {
    const repeat =
      (status === 'declined' && event.type === 'decline') ||
      (status === 'cancelled' && event.type === 'cancel') ||
      (status === 'completed' && event.type === 'complete');
    return repeat ? same(current) : refuse('terminal-state', `The request is ${status}; it cannot change.`);
  }
  switch (event.type) {
    case 'receive':
      return forward(current, 'received', ['requested']);
    case 'accept':
      return forward(current, 'accepted', ['requested', 'received']);
    case 'start':
      return forward(current, 'in-progress', ['accepted']);
    case 'complete':
      return forward(current, 'completed', ['accepted', 'in-progress']);
    case 'decline':
      if (event.reason.trim() === '') return refuse('reason-required', 'A decline must say why.');
      return (PROGRESS[status] ?? 0) <= 1
        ? move('declined')
        : refuse('not-allowed', `An ${status} request has been taken on; it can no longer be declined.`);
    case 'cancel':
      return event.reason.trim() === ''
        ? refuse('reason-required', 'A cancellation must say why.')
        : move('cancelled');
  }
}

/** The events a party may apply with a change now: for user interfaces and API documentation. */
export function allowedRequestEvents(current: RequestState, party: RequestParty): RequestEventType[] {
  const probes: RequestEvent[] = [
    { type: 'receive' },
    { type: 'accept' },
    { type: 'decline', reason: 'probe' },
    { type: 'start' },
    { type: 'complete' },
    { type: 'cancel', reason: 'probe' },
    { type: 'acknowledge-decline' },
  ];
  return probes
    .filter((event) => {
      const result = requestTransition(current, event, party);
      return result.ok && result.changed;
    })
    .map((event) => event.type);
}
