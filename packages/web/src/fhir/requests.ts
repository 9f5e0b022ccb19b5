import type { Parameters, ParametersParameter } from 'fhir/r4';
import { fhir, fetchText, type Query } from './client';
import {
  emptyFigures,
  type CareContext,
  type RequestCategory,
  type RequestCircumstance,
  type RequestEventType,
  type RequestStatus,
  type WorkloadFigures,
} from '../domain';
import { flag, groups, integer, optional, parameters, partsOf, text, type Parts } from './parameters';

/**
 * The request operations (issue 6: owned requests between organisations), with their Parameters
 * answers read into plain objects. The server decides who may do what; `allowedActions` says what
 * the caller's side may do now, so screens offer exactly that.
 */

export type RequestAction = RequestEventType;

/** Whether the contract places the work on the requester, and the clause that says so. */
export interface Responsibility {
  responsible: string;
  placesOnRequester: boolean;
  rule?: string;
  /** As cited: "NHS Standard Contract SC11.11". */
  clause?: string;
  explanation: string;
}

export interface RequestEvent {
  from?: string;
  to: string;
  event: string;
  at: string;
  who: string;
  role?: string;
  reason?: string;
  clause?: string;
}

export interface RequestAlarm {
  code: string;
  severity: string;
  party: string;
  mustAct: boolean;
  due?: string;
  message: string;
}

export interface RequestSummary {
  id: string;
  status: RequestStatus;
  category: string;
  categoryDisplay: string;
  priority: string;
  patient?: string;
  requester?: string;
  requesterName: string;
  requestingPerson: string;
  owner?: string;
  ownerName: string;
  specialty: string;
  reason: string;
  circumstances: string[];
  careContext?: string;
  due?: string;
  flagged: boolean;
  responsibility: Responsibility;
  declineReason?: string;
  declineClause?: string;
  cancelReason?: string;
  estimatedMinutes: number;
  created: string;
  /** When the owner first opened it (or answered it, which implies receipt). */
  received?: string;
  declined?: string;
  declineAcknowledged?: string;
  allowedActions: RequestAction[];
  alarms: RequestAlarm[];
  events: RequestEvent[];
}

const all = (parts: Parts, name: string): string[] =>
  parts.filter((part) => part.name === name).flatMap((part) => part.valueCode ?? part.valueString ?? []);

function readResponsibility(parts: Parts): Responsibility {
  return {
    responsible: text(parts, 'responsible') ?? 'owner',
    placesOnRequester: flag(parts, 'placesOnRequester'),
    explanation: text(parts, 'explanation') ?? '',
    ...optional('rule', text(parts, 'rule')),
    ...optional('clause', text(parts, 'clause')),
  };
}

function readEvent(parts: Parts): RequestEvent {
  return {
    to: text(parts, 'to') ?? '',
    event: text(parts, 'event') ?? '',
    at: text(parts, 'at') ?? '',
    who: text(parts, 'who') ?? '',
    ...optional('from', text(parts, 'from')),
    ...optional('role', text(parts, 'role')),
    ...optional('reason', text(parts, 'reason')),
    ...optional('clause', text(parts, 'clause')),
  };
}

function readAlarm(parts: Parts): RequestAlarm {
  return {
    code: text(parts, 'code') ?? '',
    severity: text(parts, 'severity') ?? '',
    party: text(parts, 'party') ?? '',
    mustAct: flag(parts, 'mustAct'),
    message: text(parts, 'message') ?? '',
    ...optional('due', text(parts, 'due')),
  };
}

/** One request as the operations present it (an `entry` of a list, or the `request` of an action). */
export function readRequest(parts: Parts): RequestSummary {
  return {
    id: text(parts, 'request') ?? '',
    status: (text(parts, 'status') ?? 'requested') as RequestStatus,
    category: text(parts, 'category') ?? '',
    categoryDisplay: text(parts, 'categoryDisplay') ?? text(parts, 'category') ?? '',
    priority: text(parts, 'priority') ?? 'routine',
    requesterName: text(parts, 'requesterName') ?? '',
    requestingPerson: text(parts, 'requestingPerson') ?? '',
    ownerName: text(parts, 'ownerName') ?? '',
    specialty: text(parts, 'specialty') ?? '',
    reason: text(parts, 'reason') ?? '',
    circumstances: all(parts, 'circumstance'),
    flagged: flag(parts, 'flagged'),
    responsibility: readResponsibility(groups(parts, 'responsibility')[0] ?? []),
    estimatedMinutes: integer(parts, 'estimatedMinutes') ?? 0,
    created: text(parts, 'created') ?? '',
    allowedActions: all(parts, 'allowedAction') as RequestAction[],
    alarms: groups(parts, 'alarm').map(readAlarm),
    events: groups(parts, 'event').map(readEvent),
    ...optional('patient', text(parts, 'patient')),
    ...optional('requester', text(parts, 'requester')),
    ...optional('owner', text(parts, 'owner')),
    ...optional('careContext', text(parts, 'careContext')),
    ...optional('due', text(parts, 'due')),
    ...optional('declineReason', text(parts, 'declineReason')),
    ...optional('declineClause', text(parts, 'declineClause')),
    ...optional('cancelReason', text(parts, 'cancelReason')),
    ...optional('received', text(parts, 'received')),
    ...optional('declined', text(parts, 'declined')),
    ...optional('declineAcknowledged', text(parts, 'declineAcknowledged')),
  };
}

export interface RequestListPage {
  entries: RequestSummary[];
  /** The keyset cursor of the next page, when there is one. */
  next?: string;
  /**
   * How many requests match across every page, when asked for (`total: true`), counted by the server
   * up to a cap (10,000), as `$inbox` counts its letters.
   */
  total?: number;
  /** True when more matched than `total` says (it is then the cap). */
  totalCapped: boolean;
}

export function readRequestList(answer: Parameters): RequestListPage {
  const parts = partsOf(answer);
  const total = integer(parts, 'total');
  return {
    entries: groups(parts, 'entry').map(readRequest),
    ...optional('next', text(parts, 'next')),
    ...(total === undefined ? {} : { total }),
    totalCapped: flag(parts, 'totalCapped'),
  };
}

/** `$request`: one request, and the caller's side of it (none for operations). */
export interface OneRequest {
  side?: 'owner' | 'requester';
  request: RequestSummary;
}

export function readOneRequest(answer: Parameters): OneRequest {
  const parts = partsOf(answer);
  const side = text(parts, 'side');
  return {
    request: readRequest(groups(parts, 'request')[0] ?? []),
    ...(side === 'owner' || side === 'requester' ? { side } : {}),
  };
}

/** What an action answered: the outcome code (a status, or `unchanged`) and the request after it. */
export interface ActionOutcome {
  outcome: string;
  request: RequestSummary;
  /** The Communication that told the other side (a decline or a cancellation). */
  communication?: string;
}

export function readActionOutcome(answer: Parameters): ActionOutcome {
  const parts = partsOf(answer);
  return {
    outcome: text(parts, 'outcome') ?? '',
    request: readRequest(groups(parts, 'request')[0] ?? []),
    ...optional('communication', text(parts, 'communication')),
  };
}

/** `$create-request`: `created`, or `created-flagged` when the rules place the work on the requester. */
export interface CreateOutcome {
  flagged: boolean;
  responsibility: Responsibility;
  request: RequestSummary;
}

export function readCreateOutcome(answer: Parameters): CreateOutcome {
  const parts = partsOf(answer);
  return {
    flagged: text(parts, 'outcome') === 'created-flagged',
    responsibility: readResponsibility(groups(parts, 'responsibility')[0] ?? []),
    request: readRequest(groups(parts, 'request')[0] ?? []),
  };
}

export interface RequestAlarmEntry extends RequestAlarm {
  request: string;
  status: string;
  category: string;
  patient?: string;
}

export function readRequestAlarms(answer: Parameters): RequestAlarmEntry[] {
  return groups(partsOf(answer), 'alarm').map((parts) => ({
    ...readAlarm(parts),
    request: text(parts, 'request') ?? '',
    status: text(parts, 'status') ?? '',
    category: text(parts, 'category') ?? '',
    ...optional('patient', text(parts, 'patient')),
  }));
}

export type { WorkloadFigures };

/** The ledger's figures as the server sends them, by the domain's names; one it left out counts 0. */
function readFigures(parts: Parts): WorkloadFigures {
  const figures = emptyFigures();
  for (const name of Object.keys(figures) as Array<keyof WorkloadFigures>) {
    figures[name] = integer(parts, name) ?? 0;
  }
  return figures;
}

export interface WorkloadGroup extends WorkloadFigures {
  requester: string;
  requesterName: string;
  requesterOds?: string;
  specialty: string;
  category: string;
  categoryDisplay: string;
}

export interface WorkloadLedger {
  period: 'week' | 'month';
  from: string;
  to: string;
  totals: WorkloadFigures;
  groups: WorkloadGroup[];
  trend: Array<WorkloadFigures & { period: string }>;
}

export function readWorkloadLedger(answer: Parameters): WorkloadLedger {
  const parts = partsOf(answer);
  return {
    period: text(parts, 'period') === 'week' ? 'week' : 'month',
    from: text(parts, 'from') ?? '',
    to: text(parts, 'to') ?? '',
    totals: readFigures(groups(parts, 'totals')[0] ?? []),
    groups: groups(parts, 'group').map((group) => ({
      ...readFigures(group),
      requester: text(group, 'requester') ?? '',
      requesterName: text(group, 'requesterName') ?? '',
      specialty: text(group, 'specialty') ?? '',
      category: text(group, 'category') ?? '',
      categoryDisplay: text(group, 'categoryDisplay') ?? text(group, 'category') ?? '',
      ...optional('requesterOds', text(group, 'requesterOds')),
    })),
    trend: groups(parts, 'trend').map((point) => ({
      ...readFigures(point),
      period: text(point, 'period') ?? '',
    })),
  };
}

export interface NewRequest {
  patient: string;
  owner: string;
  category: RequestCategory;
  reason: string;
  priority: 'routine' | 'urgent';
  circumstances: readonly RequestCircumstance[];
  careContext?: CareContext;
  specialty?: string;
  /** YYYY-MM-DD. */
  due?: string;
}

/** The `$create-request` Parameters for a new request. */
export function createParameters(request: NewRequest): Parameters {
  const list: ParametersParameter[] = [
    { name: 'patient', valueReference: { reference: request.patient } },
    { name: 'owner', valueReference: { reference: request.owner } },
    { name: 'category', valueCode: request.category },
    { name: 'reason', valueString: request.reason },
    { name: 'priority', valueCode: request.priority },
    ...request.circumstances.map((code) => ({ name: 'circumstance', valueCode: code })),
  ];
  if (request.careContext !== undefined) list.push({ name: 'care-context', valueCode: request.careContext });
  if (request.specialty !== undefined) list.push({ name: 'specialty', valueString: request.specialty });
  if (request.due !== undefined) list.push({ name: 'due', valueDate: request.due });
  return parameters(list);
}

/** A decline: citing the rule that flagged the request, or with the owner's own reason. */
export type Decline = { citeRule: true; note?: string } | { citeRule: false; reason: string };

/**
 * The `$respond-to-request` or `$update-request` Parameters for an action. A decline citing the rule
 * sends the owner's note (if any) as its reason, so the requester reads it with the clause.
 */
export function actionParameters(
  requestId: string,
  action: RequestAction,
  detail: { decline?: Decline; reason?: string } = {},
): Parameters {
  const list: ParametersParameter[] = [
    { name: 'request', valueString: requestId },
    { name: 'action', valueCode: action },
  ];
  const { decline } = detail;
  if (action === 'decline' && decline !== undefined) {
    if (decline.citeRule) {
      list.push({ name: 'cite-rule', valueBoolean: true });
      if (decline.note !== undefined) list.push({ name: 'reason', valueString: decline.note });
    } else {
      list.push({ name: 'reason', valueString: decline.reason });
    }
  } else if (detail.reason !== undefined) {
    list.push({ name: 'reason', valueString: detail.reason });
  }
  return parameters(list);
}

/** Which operation each action belongs to: the owner's answer, or a later update. */
const RESPONSES: ReadonlySet<RequestAction> = new Set(['receive', 'accept', 'decline']);

export interface ListQuery {
  statuses?: readonly RequestStatus[];
  /** Only declined requests, whose decline the requester has (true) or has not (false) taken back. */
  acknowledged?: boolean;
  /** Ask the server to count every match, not just this page. */
  total?: boolean;
  patient?: string;
  cursor?: string;
  count?: number;
}

export function listQuery(query: ListQuery): Query {
  return {
    status: query.statuses && query.statuses.length > 0 ? query.statuses.join(',') : undefined,
    acknowledged: query.acknowledged,
    _total: query.total === true ? 'accurate' : undefined,
    patient: query.patient,
    cursor: query.cursor,
    _count: query.count,
  };
}

/** The ledger's range and sending organisation; the server defaults to 12 periods up to today. */
// A type, not an interface, so that it is a Query as it stands.
export type LedgerQuery = {
  period: 'week' | 'month';
  /** YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
  /** The sending organisation, `Organization/id`. */
  requester?: string;
};

export const requests = {
  async worklist(query: ListQuery): Promise<RequestListPage> {
    return readRequestList(await fhir.operation('$request-worklist', listQuery(query)));
  },
  async tracker(query: ListQuery): Promise<RequestListPage> {
    return readRequestList(await fhir.operation('$request-tracker', listQuery(query)));
  },
  /** One request with its whole history; a FhirError 404 when it is unknown or not the caller's. */
  async request(taskId: string): Promise<OneRequest> {
    return readOneRequest(await fhir.operation('$request', { request: taskId }));
  },
  async alarms(): Promise<RequestAlarmEntry[]> {
    return readRequestAlarms(await fhir.operation('$request-alarms'));
  },
  async create(request: NewRequest): Promise<CreateOutcome> {
    return readCreateOutcome(await fhir.post('$create-request', createParameters(request)));
  },
  async act(
    requestId: string,
    action: RequestAction,
    detail: { decline?: Decline; reason?: string } = {},
  ): Promise<ActionOutcome> {
    const operation = RESPONSES.has(action) ? '$respond-to-request' : '$update-request';
    return readActionOutcome(await fhir.post(operation, actionParameters(requestId, action, detail)));
  },
  async ledger(query: LedgerQuery): Promise<WorkloadLedger> {
    return readWorkloadLedger(await fhir.operation('$workload-ledger', query));
  },
  /** The ledger as CSV, for commissioners and LMCs, with the file name the server suggests. */
  async ledgerCsv(query: LedgerQuery): Promise<{ csv: string; fileName: string }> {
    const { body, fileName } = await fetchText('$workload-ledger-csv', query, 'text/csv');
    return { csv: body, fileName: fileName ?? 'workload-ledger.csv' };
  },
};
