import {
  OPEN_REQUEST_STATUSES,
  fhirError,
  requestTransition,
  type CareContext,
  type CareSetting,
  type RequestCategory,
  type RequestCircumstance,
  type RequestEvent,
  type RequestParty,
  type RequestPriority,
  type RequestState,
  type RequestStatus,
  type Responsibility,
} from '@carebridge/domain';
import { cappedCount, type CappedTotal } from '../store/capped-count.js';
import type { SqlExecutor } from '../store/database.js';
import type { Actor } from './context.js';

/**
 * SQL for the request tables (0007_requests.sql). Every transition goes through
 * {@link applyRequestEvent}: the domain's `requestTransition` decides, the database settles races with
 * a compare-and-set on the previous status, and the event row (who, when, why) is written in the
 * caller's transaction, so a status never changes without its record.
 */

export type RequestSource = 'api' | 'letter' | 'onward-referral';
export type CategorySourceColumn = 'requester' | 'snomed' | 'text' | 'default';

export interface RequestRow {
  id: string;
  taskId: string;
  source: RequestSource;
  patientId: string;
  requesterOrgId: string;
  requesterOds: string | null;
  requesterName: string;
  requesterSetting: CareSetting;
  requesterSubject: string;
  requesterDisplay: string | null;
  ownerOrgId: string;
  ownerOds: string | null;
  ownerName: string;
  ownerSetting: CareSetting;
  commissioner: string | null;
  specialty: string;
  category: RequestCategory;
  categorySource: CategorySourceColumn;
  circumstances: RequestCircumstance[];
  careContext: CareContext | null;
  priority: RequestPriority;
  status: RequestStatus;
  reason: string;
  dueAt: Date | null;
  focus: string | null;
  responsibility: Responsibility;
  flagged: boolean;
  ruleId: string | null;
  ruleClause: string | null;
  declineReason: string | null;
  declineRuleId: string | null;
  declineClause: string | null;
  cancelReason: string | null;
  estimatedMinutes: number;
  createdAt: Date;
  receivedAt: Date | null;
  acceptedAt: Date | null;
  declinedAt: Date | null;
  startedAt: Date | null;
  completedAt: Date | null;
  cancelledAt: Date | null;
  declineAcknowledgedAt: Date | null;
}

/** Columns of request_ledger as a RequestRow; `alias` qualifies them. */
export function requestColumns(alias = 'q'): string {
  const column = (name: string, as: string) => `${alias}.${name} as "${as}"`;
  return [
    `${alias}.id::text as id`,
    column('task_id', 'taskId'),
    column('source', 'source'),
    column('patient_id', 'patientId'),
    column('requester_org_id', 'requesterOrgId'),
    column('requester_ods', 'requesterOds'),
    column('requester_name', 'requesterName'),
    column('requester_setting', 'requesterSetting'),
    column('requester_subject', 'requesterSubject'),
    column('requester_display', 'requesterDisplay'),
    column('owner_org_id', 'ownerOrgId'),
    column('owner_ods', 'ownerOds'),
    column('owner_name', 'ownerName'),
    column('owner_setting', 'ownerSetting'),
    column('commissioner', 'commissioner'),
    column('specialty', 'specialty'),
    column('category', 'category'),
    column('category_source', 'categorySource'),
    column('circumstances', 'circumstances'),
    column('care_context', 'careContext'),
    column('priority', 'priority'),
    column('status', 'status'),
    column('reason', 'reason'),
    column('due_at', 'dueAt'),
    column('focus', 'focus'),
    column('responsibility', 'responsibility'),
    column('flagged', 'flagged'),
    column('rule_id', 'ruleId'),
    column('rule_clause', 'ruleClause'),
    column('decline_reason', 'declineReason'),
    column('decline_rule_id', 'declineRuleId'),
    column('decline_clause', 'declineClause'),
    column('cancel_reason', 'cancelReason'),
    column('estimated_minutes', 'estimatedMinutes'),
    column('created_at', 'createdAt'),
    column('received_at', 'receivedAt'),
    column('accepted_at', 'acceptedAt'),
    column('declined_at', 'declinedAt'),
    column('started_at', 'startedAt'),
    column('completed_at', 'completedAt'),
    column('cancelled_at', 'cancelledAt'),
    column('decline_acknowledged_at', 'declineAcknowledgedAt'),
  ].join(', ');
}

const DATE_FIELDS = [
  'dueAt',
  'createdAt',
  'receivedAt',
  'acceptedAt',
  'declinedAt',
  'startedAt',
  'completedAt',
  'cancelledAt',
  'declineAcknowledgedAt',
] as const;

/** Drivers differ in how they return timestamptz and jsonb: normalise. */
export function normaliseRequest(row: RequestRow): RequestRow {
  const copy = { ...row };
  for (const field of DATE_FIELDS) {
    const value = copy[field];
    if (value !== null) (copy as Record<string, unknown>)[field] = new Date(value);
  }
  if (typeof copy.circumstances === 'string') {
    copy.circumstances = JSON.parse(copy.circumstances) as RequestCircumstance[];
  }
  return copy;
}

export interface NewRequest {
  taskId: string;
  source: RequestSource;
  sourceKey?: string;
  patientId: string;
  requester: {
    orgId: string;
    ods?: string;
    name: string;
    setting: CareSetting;
    subject: string;
    display?: string;
  };
  owner: { orgId: string; ods?: string; name: string; setting: CareSetting; commissioner?: string };
  specialty: string;
  category: RequestCategory;
  categorySource: CategorySourceColumn;
  circumstances: readonly RequestCircumstance[];
  careContext?: CareContext;
  priority: RequestPriority;
  status: 'requested' | 'received';
  reason: string;
  dueAt?: Date;
  focus?: string;
  responsibility: Responsibility;
  flagged: boolean;
  ruleId?: string;
  ruleClause?: string;
  estimatedMinutes: number;
  createdAt: Date;
  receivedAt?: Date;
}

/**
 * Inserts a request's ledger row; undefined when its source key is already taken (the same letter
 * action filed again), which the unique index decides.
 */
export async function insertRequest(tx: SqlExecutor, request: NewRequest): Promise<RequestRow | undefined> {
  const { requester, owner } = request;
  const { rows } = await tx.query<RequestRow>(
    `insert into request_ledger as q (task_id, source, source_key, patient_id, requester_org_id, requester_ods,
       requester_name, requester_setting, requester_subject, requester_display, owner_org_id, owner_ods, owner_name,
       owner_setting, commissioner, specialty, category, category_source, circumstances, care_context, priority,
       status, reason, due_at, focus, responsibility, flagged, rule_id, rule_clause, estimated_minutes,
       created_at, received_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::jsonb, $20,
       $21, $22, $23, $24::timestamptz, $25, $26, $27, $28, $29, $30, $31::timestamptz, $32::timestamptz,
       $31::timestamptz)
     on conflict (source_key) do nothing
     returning ${requestColumns('q')}`,
    [
      request.taskId,
      request.source,
      request.sourceKey ?? null,
      request.patientId,
      requester.orgId,
      requester.ods ?? null,
      requester.name,
      requester.setting,
      requester.subject,
      requester.display ?? null,
      owner.orgId,
      owner.ods ?? null,
      owner.name,
      owner.setting,
      owner.commissioner ?? null,
      request.specialty,
      request.category,
      request.categorySource,
      JSON.stringify(request.circumstances),
      request.careContext ?? null,
      request.priority,
      request.status,
      request.reason,
      request.dueAt?.toISOString() ?? null,
      request.focus ?? null,
      request.responsibility,
      request.flagged,
      request.ruleId ?? null,
      request.ruleClause ?? null,
      request.estimatedMinutes,
      request.createdAt.toISOString(),
      request.receivedAt?.toISOString() ?? null,
    ],
  );
  return rows[0] ? normaliseRequest(rows[0]) : undefined;
}

export async function requestByTask(db: SqlExecutor, taskId: string): Promise<RequestRow | undefined> {
  const { rows } = await db.query<RequestRow>(
    `select ${requestColumns('q')} from request_ledger q where q.task_id = $1`,
    [taskId],
  );
  return rows[0] ? normaliseRequest(rows[0]) : undefined;
}

async function requestById(db: SqlExecutor, id: string): Promise<RequestRow | undefined> {
  const { rows } = await db.query<RequestRow>(
    `select ${requestColumns('q')} from request_ledger q where q.id = $1`,
    [id],
  );
  return rows[0] ? normaliseRequest(rows[0]) : undefined;
}

/** The timestamp columns a status sets when a request enters it (later steps imply receipt). */
const STATUS_TIMESTAMPS: Readonly<Record<RequestStatus, readonly string[]>> = {
  requested: [],
  received: ['received_at'],
  accepted: ['accepted_at', 'received_at'],
  declined: ['declined_at', 'received_at'],
  'in-progress': ['started_at'],
  completed: ['completed_at'],
  cancelled: ['cancelled_at'],
};

export interface AppliedEvent {
  row: RequestRow;
  changed: boolean;
  from: RequestStatus;
}

const stateOf = (row: RequestRow): RequestState => ({
  status: row.status,
  ...(row.declineAcknowledgedAt === null ? {} : { declineAcknowledged: true }),
});

/** A refused transition as the API reports it: the wrong side is 403, a missing reason 400, else 409. */
function refusal(code: string, message: string) {
  if (code === 'wrong-party') return fhirError('forbidden', message);
  if (code === 'reason-required') {
    return fhirError('missing-required-element', message, ["Parameters.parameter('reason')"]);
  }
  return fhirError('request-transition-refused', message);
}

/**
 * Applies one event to a request as a party. The domain decides; the update applies only if the row
 * is still in the status that decision was made from, re-deciding if another transaction moved it.
 */
export async function applyRequestEvent(
  tx: SqlExecutor,
  requestId: string,
  event: RequestEvent,
  party: RequestParty,
  at: Date,
  actor: Actor,
): Promise<AppliedEvent> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await requestById(tx, requestId);
    if (!current) throw fhirError('request-not-found', `Request ${requestId} does not exist.`);
    const result = requestTransition(stateOf(current), event, party);
    if (!result.ok) throw refusal(result.code, result.message);
    if (!result.changed) return { row: current, changed: false, from: current.status };
    const moved = await compareAndSet(tx, current, result.state.status, event, at);
    if (moved) {
      const transition = { from: current.status, to: moved.status, event: event.type };
      await insertRequestEvent(tx, current.id, transition, at, actor, whyOf(event));
      return { row: moved, changed: true, from: current.status };
    }
  }
  throw fhirError('service-unavailable', `Request ${requestId} is changing too often; try again.`);
}

async function compareAndSet(
  tx: SqlExecutor,
  current: RequestRow,
  to: RequestStatus,
  event: RequestEvent,
  at: Date,
): Promise<RequestRow | undefined> {
  const stamps = STATUS_TIMESTAMPS[to]
    .map((column) => `, ${column} = coalesce(q.${column}, $4::timestamptz)`)
    .join('');
  const acknowledged = event.type === 'acknowledge-decline';
  const { rows } = await tx.query<RequestRow>(
    `update request_ledger as q set status = $3, updated_at = $4::timestamptz${acknowledged ? '' : stamps},
       decline_reason = coalesce($5, q.decline_reason),
       decline_rule_id = coalesce($6, q.decline_rule_id),
       decline_clause = coalesce($7, q.decline_clause),
       cancel_reason = coalesce($8, q.cancel_reason),
       decline_acknowledged_at = case when $9 then $4::timestamptz else q.decline_acknowledged_at end
     where q.id = $1 and q.status = $2 and (not $9 or q.decline_acknowledged_at is null)
     returning ${requestColumns('q')}`,
    [
      current.id,
      current.status,
      to,
      at.toISOString(),
      event.type === 'decline' ? event.reason : null,
      event.type === 'decline' ? (event.ruleId ?? null) : null,
      event.type === 'decline' ? (event.clause ?? null) : null,
      event.type === 'cancel' ? event.reason : null,
      acknowledged,
    ],
  );
  return rows[0] ? normaliseRequest(rows[0]) : undefined;
}

/** Why an event happened, as recorded: the decline or cancellation reason, and a decline's clause. */
export interface EventWhy {
  reason?: string;
  clause?: string;
}

function whyOf(event: RequestEvent): EventWhy {
  if (event.type === 'decline') {
    return { reason: event.reason, ...(event.clause === undefined ? {} : { clause: event.clause }) };
  }
  return event.type === 'cancel' ? { reason: event.reason } : {};
}

export async function insertRequestEvent(
  tx: SqlExecutor,
  requestId: string,
  transition: { from: RequestStatus | null; to: RequestStatus; event: string },
  at: Date,
  actor: Actor,
  why: EventWhy = {},
): Promise<void> {
  await tx.query(
    `insert into request_event (request_id, from_status, to_status, event, at, subject, role, organization_id,
       display, reason, clause)
     values ($1, $2, $3, $4, $5::timestamptz, $6, $7, $8, $9, $10, $11)`,
    [
      requestId,
      transition.from,
      transition.to,
      transition.event,
      at.toISOString(),
      actor.subject,
      actor.role,
      actor.organizationId ?? null,
      actor.display ?? null,
      why.reason ?? null,
      why.clause ?? null,
    ],
  );
}

export interface RequestEventRow {
  requestId: string;
  from: RequestStatus | null;
  to: RequestStatus;
  event: string;
  at: Date;
  subject: string;
  role: string;
  organizationId: string | null;
  display: string | null;
  reason: string | null;
  clause: string | null;
}

export async function requestEvents(
  db: SqlExecutor,
  requestIds: readonly string[],
): Promise<RequestEventRow[]> {
  if (requestIds.length === 0) return [];
  const { rows } = await db.query<RequestEventRow>(
    `select request_id::text as "requestId", from_status as "from", to_status as "to", event, at, subject, role,
       organization_id as "organizationId", display, reason, clause
     from request_event where request_id = any($1::bigint[]) order by id`,
    [requestIds.map(Number)],
  );
  return rows.map((row) => ({ ...row, at: new Date(row.at) }));
}

export interface RequestListQuery {
  /** 'owner': the worklist; 'requester': the tracker. */
  side: RequestParty;
  /** The organisation whose side it is; undefined for every organisation (operations). */
  organizationId?: string;
  statuses?: readonly RequestStatus[];
  categories?: readonly RequestCategory[];
  flagged?: boolean;
  /** Declined requests whose decline the requester has (true) or has not (false) taken back. */
  declineAcknowledged?: boolean;
  patientId?: string;
  count: number;
  cursor?: number;
  /** Whether to count every match as well as reading a page. */
  total?: boolean;
}

/** The SQL conditions of a worklist or tracker filter (every page's, so not the cursor), and their values. */
function listConditions(query: RequestListQuery) {
  const params: unknown[] = [];
  const add = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  const column = query.side === 'owner' ? 'owner_org_id' : 'requester_org_id';
  if (query.organizationId !== undefined) where.push(`q.${column} = ${add(query.organizationId)}`);
  if (query.statuses) where.push(`q.status = any(${add(query.statuses)}::text[])`);
  if (query.categories) where.push(`q.category = any(${add(query.categories)}::text[])`);
  if (query.flagged !== undefined) where.push(`q.flagged = ${add(query.flagged)}`);
  if (query.declineAcknowledged !== undefined) {
    where.push(
      `q.status = 'declined' and q.decline_acknowledged_at is ${query.declineAcknowledged ? 'not ' : ''}null`,
    );
  }
  if (query.patientId !== undefined) where.push(`q.patient_id = ${add(query.patientId)}`);
  return { where, params, add };
}

const whereClause = (where: readonly string[]) => (where.length > 0 ? `where ${where.join(' and ')}` : '');

/** A worklist (oldest first, first come first served) or a tracker (newest first), keyset-paged on id. */
export async function listRequests(db: SqlExecutor, query: RequestListQuery): Promise<RequestRow[]> {
  const { where, params, add } = listConditions(query);
  const ascending = query.side === 'owner';
  if (query.cursor !== undefined) where.push(`q.id ${ascending ? '>' : '<'} ${add(query.cursor)}`);
  const { rows } = await db.query<RequestRow>(
    `select ${requestColumns('q')} from request_ledger q ${whereClause(where)}
     order by q.id ${ascending ? 'asc' : 'desc'} limit ${add(query.count + 1)}`,
    params,
  );
  return rows.map(normaliseRequest);
}

/** How many requests match a worklist or tracker filter, across every page, up to the lists' cap. */
export async function countRequests(db: SqlExecutor, query: RequestListQuery): Promise<CappedTotal> {
  const { where, params } = listConditions(query);
  return cappedCount(db, `request_ledger q ${whereClause(where)}`, params);
}

/** At most this many open requests are evaluated per alarm look; the rest wait for the next. */
const ALARM_ROW_LIMIT = 5000;

/** Requests that can still raise an alarm, of one organisation's either side (or all). */
export async function openRequests(
  db: SqlExecutor,
  organizationId: string | undefined,
): Promise<RequestRow[]> {
  const { rows } = await db.query<RequestRow>(
    `select ${requestColumns('q')} from request_ledger q
     where (q.status = any($2::text[])
            or (q.status = 'declined' and q.decline_acknowledged_at is null))
       and ($1::text is null or q.owner_org_id = $1 or q.requester_org_id = $1)
     order by q.id limit ${ALARM_ROW_LIMIT}`,
    [organizationId ?? null, OPEN_REQUEST_STATUSES],
  );
  return rows.map(normaliseRequest);
}

export interface WorkloadQuery {
  /** Requests either side of which is this organisation; undefined for all. */
  organizationId?: string;
  requesterOrgId?: string;
  ownerOrgId?: string;
  from: Date;
  /** Exclusive. */
  to: Date;
}

/** The most rows one ledger reads; a larger range answers 422 rather than a partial picture. */
export const WORKLOAD_ROW_LIMIT = 200_000;

/** The ledger rows a workload report aggregates (the aggregation is the domain's, in London time). */
export async function workloadRows(db: SqlExecutor, query: WorkloadQuery): Promise<RequestRow[]> {
  const { rows } = await db.query<RequestRow>(
    `select ${requestColumns('q')} from request_ledger q
     where q.created_at >= $1::timestamptz and q.created_at < $2::timestamptz
       and ($3::text is null or q.owner_org_id = $3 or q.requester_org_id = $3)
       and ($4::text is null or q.requester_org_id = $4)
       and ($5::text is null or q.owner_org_id = $5)
     order by q.id limit ${WORKLOAD_ROW_LIMIT + 1}`,
    [
      query.from.toISOString(),
      query.to.toISOString(),
      query.organizationId ?? null,
      query.requesterOrgId ?? null,
      query.ownerOrgId ?? null,
    ],
  );
  return rows.map(normaliseRequest);
}
