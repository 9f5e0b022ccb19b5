import type { Parameters } from 'fhir/r4.js';
import {
  OPEN_REQUEST_STATUSES,
  REQUEST_CATEGORY_CODES,
  REQUEST_STATUSES,
  evaluateRequestAlarms,
  mostPressingFirst,
  fhirError,
  isValidFhirId,
  type RequestAlarm,
  type RequestCategory,
  type RequestParty,
  type RequestSnapshot,
  type RequestStatus,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import { bool, code, group, int, parameters, ref, str } from '../exchange/parameters.js';
import type { SqlExecutor } from '../store/database.js';
import { isOperations, maySee, type RequestContext } from './context.js';
import {
  countRequests,
  listRequests,
  openRequests,
  requestByTask,
  requestEvents,
  type RequestListQuery,
  type RequestRow,
} from './ledger-store.js';
import { alarmFields, requestParts, sideOf } from './present.js';

/**
 * The read side of requests: the owner's worklist (what it has been asked to do, oldest first), the
 * requester's tracker (what it asked of others and what became of it, newest first) and the alarms
 * due now. Each entry carries its flag, its events (who, when, why) and its alarms.
 */

export interface ViewResult {
  body: Parameters;
  patientIds: string[];
}

function badParameter(operation: string, name: string, expected: string) {
  return fhirError('invalid-search-parameter', `${operation} parameter '${name}' must be ${expected}.`, [
    name,
  ]);
}

function listOf<T extends string>(
  operation: string,
  name: string,
  value: string,
  allowed: readonly T[],
): T[] {
  const values = value.split(',');
  if (!values.every((item) => (allowed as readonly string[]).includes(item))) {
    throw badParameter(operation, name, `one or more of ${allowed.join(', ')}`);
  }
  return values as T[];
}

/** A reference parameter's id, given as `Type/id` or `id`: 400 naming the parameter unless FHIR allows it. */
function idOf(operation: string, name: string, value: string, type: string): string {
  const id = value.startsWith(`${type}/`) ? value.slice(type.length + 1) : value;
  if (!isValidFhirId(id)) throw badParameter(operation, name, `a ${type} id (${type}/id or id)`);
  return id;
}

/** Reads a worklist's or tracker's URL parameters; an unknown parameter or value is a 400, never ignored. */
export function listQuery(
  access: AccessContext,
  side: RequestParty,
  query: Array<[string, string]>,
): RequestListQuery {
  const operation = side === 'owner' ? '$request-worklist' : '$request-tracker';
  const result: RequestListQuery = {
    side,
    count: 50,
    ...(side === 'owner' ? { statuses: OPEN_REQUEST_STATUSES } : {}),
  };
  for (const [name, value] of query) {
    switch (name) {
      case 'status':
        result.statuses = listOf<RequestStatus>(operation, name, value, REQUEST_STATUSES);
        break;
      case 'category':
        result.categories = listOf<RequestCategory>(operation, name, value, REQUEST_CATEGORY_CODES);
        break;
      case 'flagged':
        if (value !== 'true' && value !== 'false') throw badParameter(operation, name, 'true or false');
        result.flagged = value === 'true';
        break;
      case 'acknowledged':
        if (value !== 'true' && value !== 'false') throw badParameter(operation, name, 'true or false');
        result.declineAcknowledged = value === 'true';
        break;
      case '_total':
        if (value !== 'none' && value !== 'estimate' && value !== 'accurate') {
          throw badParameter(operation, name, 'none, estimate or accurate');
        }
        // An estimate would cost the same count, so both are answered exactly (up to the cap).
        result.total = value !== 'none';
        break;
      case 'patient':
        result.patientId = idOf(operation, name, value, 'Patient');
        break;
      case '_count':
        if (!/^\d{1,4}$/.test(value) || Number(value) < 1)
          throw badParameter(operation, name, 'a whole number from 1');
        result.count = Math.min(Number(value), 500);
        break;
      case 'cursor':
        if (!/^\d{1,18}$/.test(value)) throw badParameter(operation, name, 'the cursor of a previous page');
        result.cursor = Number(value);
        break;
      case 'organization':
        if (!isOperations(access) && access.principal.patientAccess !== 'all') {
          throw fhirError('forbidden', 'Only operations may read another organisation’s requests.');
        }
        result.organizationId = idOf(operation, name, value, 'Organization');
        break;
      default:
        throw fhirError('invalid-search-parameter', `${operation} takes no parameter '${name}'.`, [name]);
    }
  }
  result.organizationId ??= staffOrganisation(access);
  return result;
}

/**
 * Requests are between organisations: staff see their own organisation's; operations (and trusted
 * integrations) see every organisation's unless they name one.
 */
function staffOrganisation(access: AccessContext): string | undefined {
  const { principal } = access;
  if (principal.kind === 'patient') throw fhirError('forbidden', 'Requests are between organisations.');
  if (isOperations(access) || principal.patientAccess === 'all') return undefined;
  if (principal.organizationId === undefined) throw fhirError('forbidden', 'You act for no organisation.');
  return principal.organizationId;
}

export function snapshotOf(row: RequestRow): RequestSnapshot {
  return {
    requestId: row.taskId,
    category: row.category,
    status: row.status,
    priority: row.priority,
    createdAt: row.createdAt,
    ...(row.dueAt === null ? {} : { dueAt: row.dueAt }),
    ...(row.declinedAt === null ? {} : { declinedAt: row.declinedAt }),
    declineAcknowledged: row.declineAcknowledgedAt !== null,
  };
}

/** `$request-worklist` and `$request-tracker`: one page, with each request's events and alarms. */
export async function requestList(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  query: RequestListQuery,
): Promise<ViewResult> {
  const rows = await listRequests(tx, query);
  const total = query.total === true ? await countRequests(tx, query) : undefined;
  const page = rows.slice(0, query.count);
  const next = rows.length > query.count ? page[page.length - 1]?.id : undefined;
  const events = await requestEvents(
    tx,
    page.map((row) => row.id),
  );
  const now = ctx.clock.now();
  const body = parameters([
    int('count', page.length),
    total === undefined ? undefined : int('total', total.total),
    total === undefined ? undefined : bool('totalCapped', total.capped),
    str('next', next),
    ...page.map((row) =>
      group(
        'entry',
        requestParts(ctx.options, {
          row,
          events,
          alarms: evaluateRequestAlarms([snapshotOf(row)], now, ctx.options.alarms),
          ...sideField(sideOf(access, row)),
        }),
      ),
    ),
  ]);
  return { body, patientIds: [...new Set(page.map((row) => row.patientId))] };
}

const sideField = (side: RequestParty | undefined) => (side === undefined ? {} : { side });

/** `$request`'s one parameter: `request`, the Task id (as `id` or `Task/id`), exactly once. */
export function requestIdFrom(query: ReadonlyArray<[string, string]>): string {
  for (const [name] of query) {
    if (name !== 'request') {
      throw fhirError('invalid-search-parameter', `$request takes no parameter '${name}'.`, [name]);
    }
  }
  if (query.length === 0) {
    throw fhirError('missing-required-element', "$request needs the parameter 'request' (a Task id).", [
      'request',
    ]);
  }
  if (query.length > 1) throw badParameter('$request', 'request', 'given once');
  return idOf('$request', 'request', query[0]?.[1] ?? '', 'Task');
}

/**
 * `$request`: one request as the worklist and tracker show it, with its whole history and the actions
 * the caller's side may take. Only its two organisations and operations see it; to anyone else it
 * does not exist (404, as for an unknown id).
 */
export async function oneRequest(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  taskId: string,
): Promise<ViewResult> {
  if (access.principal.kind === 'patient')
    throw fhirError('forbidden', 'Requests are between organisations.');
  const row = await requestByTask(tx, taskId);
  if (!row || !maySee(access, row)) {
    throw fhirError('request-not-found', `No request ${taskId} is visible to you.`, ['request']);
  }
  const side = sideOf(access, row);
  const body = parameters([
    code('side', side),
    group(
      'request',
      requestParts(ctx.options, {
        row,
        events: await requestEvents(tx, [row.id]),
        alarms: evaluateRequestAlarms([snapshotOf(row)], ctx.clock.now(), ctx.options.alarms),
        ...sideField(side),
      }),
    ),
  ]);
  return { body, patientIds: [row.patientId] };
}

/**
 * `$request-alarms`: the alarms due now on requests the caller's organisation owns or made; each says
 * who must act and whether that is the caller. Operations (and trusted integrations) see every one.
 */
export async function requestAlarms(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
): Promise<ViewResult> {
  const everyone = isOperations(access) || access.principal.patientAccess === 'all';
  const organizationId = everyone ? undefined : staffOrganisation(access);
  const rows = await openRequests(tx, organizationId);
  const now = ctx.clock.now();
  const raised: Array<{ alarm: RequestAlarm; row: RequestRow }> = rows.flatMap((row) =>
    evaluateRequestAlarms([snapshotOf(row)], now, ctx.options.alarms).map((alarm) => ({ alarm, row })),
  );
  raised.sort((a, b) => mostPressingFirst(a.alarm, b.alarm));
  const body = parameters([
    int('count', raised.length),
    ...raised.map(({ alarm, row }) => {
      const side = sideOf(access, row);
      return group('alarm', [
        ...alarmFields(alarm, side),
        str('request', row.taskId),
        code('status', row.status),
        code('category', row.category),
        ref('patient', `Patient/${row.patientId}`),
        ref('requester', `Organization/${row.requesterOrgId}`),
        ref('owner', `Organization/${row.ownerOrgId}`),
      ]);
    }),
  ]);
  return { body, patientIds: [...new Set(raised.map(({ row }) => row.patientId))] };
}
