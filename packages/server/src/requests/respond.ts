import type { Task } from 'fhir/r4.js';
import {
  REQUEST_CATEGORIES,
  REQUEST_EVENT_PARTY,
  fhirError,
  type RequestEvent,
  type RequestEventType,
  type RequestParty,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { ParameterReader } from '../exchange/parameters.js';
import type { SqlExecutor } from '../store/database.js';
import { actorOf, actsAs, maySee, requireRole, type RequestContext } from './context.js';
import { at, codeFrom } from './inputs.js';
import { applyRequestEvent, requestByTask, type RequestRow } from './ledger-store.js';
import { ruleSummary } from './present.js';
import { sentence, storeNotification, updateTask } from './task.js';

/**
 * The two sides acting on a request. The owner receives, accepts or declines it (`$respond-to-request`)
 * and then starts and completes it; the requester cancels it or takes back a decline
 * (`$update-request`). A decline or cancellation tells the other side at once with a Communication, as
 * well as in the ledger event its tracker or worklist shows.
 */

export interface ActionResult {
  row: RequestRow;
  changed: boolean;
  task?: Task;
  communication?: string;
}

/** The request named by the `request` parameter, if the caller may see it (404 alike when absent). */
export async function visibleRequest(
  tx: SqlExecutor,
  access: AccessContext,
  taskId: string,
): Promise<RequestRow> {
  const row = await requestByTask(tx, taskId);
  if (!row || !maySee(access, row)) {
    throw fhirError('request-not-found', `No request ${taskId} is visible to you.`, at('request'));
  }
  return row;
}

function requireParty(access: AccessContext, row: RequestRow, party: RequestParty): void {
  if (!actsAs(access, row, party)) {
    throw fhirError(
      'forbidden',
      party === 'owner'
        ? `Only ${row.ownerName}, which owns this request, can do this.`
        : `Only ${row.requesterName}, which made this request, can do this.`,
    );
  }
}

/** A decline: with the caller's reason, or citing the rule that placed the request on its requester. */
function declineEvent(ctx: RequestContext, row: RequestRow, reader: ParameterReader): RequestEvent {
  const reason = reader.string('reason');
  if (reader.boolean('cite-rule') !== true) return { type: 'decline', reason: reason ?? '' };
  if (!row.flagged || row.ruleId === null || row.ruleClause === null) {
    throw fhirError(
      'request-rule-not-applicable',
      'This request was not assessed as the requester’s own work, so there is no rule to cite; give a reason instead.',
      at('cite-rule'),
    );
  }
  return {
    type: 'decline',
    reason: reason ?? ruleSummary(ctx.options, row) ?? row.ruleClause,
    clause: row.ruleClause,
    ruleId: row.ruleId,
  };
}

const OWNER_ACTIONS = ['receive', 'accept', 'decline'] as const;
const UPDATE_ACTIONS = ['start', 'complete', 'cancel', 'acknowledge-decline'] as const;

/** `$respond-to-request`: the owner receives, accepts or declines. */
export async function respondToRequest(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
): Promise<ActionResult> {
  requireRole(access, 'owner');
  const row = await visibleRequest(tx, access, reader.requiredString('request'));
  requireParty(access, row, 'owner');
  const action = requiredAction(reader, OWNER_ACTIONS);
  const event: RequestEvent = action === 'decline' ? declineEvent(ctx, row, reader) : { type: action };
  return act(ctx, tx, access, row, event, reader.string('note'));
}

/** `$update-request`: the owner starts or completes; the requester cancels or takes back a decline. */
export async function updateRequest(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
): Promise<ActionResult> {
  const action = requiredAction(reader, UPDATE_ACTIONS);
  const party = REQUEST_EVENT_PARTY[action];
  requireRole(access, party === 'owner' ? 'owner' : 'requester');
  const row = await visibleRequest(tx, access, reader.requiredString('request'));
  requireParty(access, row, party);
  const event: RequestEvent =
    action === 'cancel' ? { type: 'cancel', reason: reader.string('reason') ?? '' } : { type: action };
  return act(ctx, tx, access, row, event, reader.string('note'));
}

function requiredAction<T extends RequestEventType>(reader: ParameterReader, allowed: readonly T[]): T {
  const action = codeFrom(reader, 'action', allowed);
  if (action === undefined) {
    throw fhirError(
      'missing-required-element',
      `The parameter 'action' is required (${allowed.join(', ')}).`,
      at('action'),
    );
  }
  return action;
}

async function act(
  ctx: RequestContext,
  tx: SqlExecutor,
  access: AccessContext,
  row: RequestRow,
  event: RequestEvent,
  note: string | undefined,
): Promise<ActionResult> {
  const now = ctx.clock.now();
  const party = REQUEST_EVENT_PARTY[event.type];
  const applied = await applyRequestEvent(tx, row.id, event, party, now, actorOf(access));
  if (!applied.changed) return { row: applied.row, changed: false };
  const task = await updateTask(ctx.store, tx, applied.row, now, note);
  const communication = await tellTheOtherSide(ctx, tx, applied.row, event, now);
  return { row: applied.row, changed: true, task, ...(communication === undefined ? {} : { communication }) };
}

/** A decline goes straight back to the requester, a cancellation to the owner: the work changes hands. */
async function tellTheOtherSide(
  ctx: RequestContext,
  tx: SqlExecutor,
  row: RequestRow,
  event: RequestEvent,
  now: Date,
): Promise<string | undefined> {
  const what = REQUEST_CATEGORIES[row.category].display.toLowerCase();
  const owner = { id: row.ownerOrgId, name: row.ownerName };
  const requester = { id: row.requesterOrgId, name: row.requesterName };
  const common = { patientId: row.patientId, about: `Task/${row.taskId}`, at: now };
  if (event.type === 'decline') {
    return storeNotification(ctx.store, tx, {
      ...common,
      from: owner,
      to: requester,
      text: `${row.ownerName} declined your request to ${what}: ${sentence(event.reason)} The work remains with ${row.requesterName}.`,
      clause: event.clause ?? null,
    });
  }
  if (event.type === 'cancel') {
    return storeNotification(ctx.store, tx, {
      ...common,
      from: requester,
      to: owner,
      text: `${row.requesterName} cancelled its request to ${what}: ${sentence(event.reason)} No further action is needed.`,
    });
  }
  return undefined;
}
