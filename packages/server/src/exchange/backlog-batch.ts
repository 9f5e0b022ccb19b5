import type { Bundle } from 'fhir/r4.js';
import { fhirError, transition, type LedgerEvent, type LedgerState } from '@carebridge/domain';
import type { SqlExecutor } from '../store/database.js';
import type { Destination } from '../transport/index.js';
import type { ExchangeContext } from './context.js';
import {
  applyEvent,
  deliveryRow,
  findDocument,
  type Actor,
  type DeliveryRow,
  type EventOptions,
} from './ledger-store.js';
import { sendRow, supersede } from './submission.js';

/**
 * One batch of a backlog release, in the caller's transaction. The common case (a local recipient,
 * a document that replaces nothing) is decided row by row by the domain's state machine and written
 * for the whole batch at once: one compare-and-set update of the rows (still `final`) with their
 * events, one update of the items. Anything else (an external recipient reached through the outbox,
 * a replacement that supersedes an earlier version, a row another transaction moved first) goes
 * through the same per-row path as an ordinary submission.
 */

export interface BatchCounts {
  processed: number;
  delivered: number;
  queued: number;
  duplicates: number;
  skipped: number;
  patientIds: string[];
}

interface BatchItem {
  seq: number;
  rowId: string;
  action: 'deliver' | 'duplicate';
  duplicateOfRow: string | null;
  daysLate: number;
  lateness: string;
  patientId: string | null;
  state: LedgerState;
  transport: 'local' | 'outbox';
  recipientKey: string;
  documentId: string;
  replaces: string | null;
  contentHash: string;
}

/** What happens to one item: the state its row ends in, and how. */
interface Decision {
  item: BatchItem;
  to: LedgerState;
  duplicateOf: string | null;
  outcome: string;
}

export async function processBatch(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  batch: { releaseId: string; batchSize: number; actor: Actor },
): Promise<BatchCounts | undefined> {
  // Release batches are serialised against each other (not against ordinary submissions), so two
  // releases can never both deliver the same content to one recipient.
  await tx.query('select pg_advisory_xact_lock($1)', [BATCH_LOCK_KEY]);
  // Each statement touches one batch through index probes; PostgreSQL's JIT, triggered by cost
  // estimates that grow with the tables, spent seconds compiling what runs in milliseconds.
  await tx.query('set local jit = off');
  const items = await pendingItems(tx, batch.releaseId, batch.batchSize);
  if (items.length === 0) return undefined;
  const delivered = await contentAlreadyDelivered(tx, items);
  const fast: Decision[] = [];
  const slow: BatchItem[] = [];
  const settled: Decision[] = [];
  for (const item of items) {
    const decision = decide(item, delivered.get(item.rowId));
    if (decision === undefined) slow.push(item);
    else if (decision.to === item.state) settled.push(decision);
    else fast.push(decision);
  }
  const now = ctx.clock.now();
  const moved = await writeFast(tx, fast, now, batch);
  for (const decision of fast) {
    if (!moved.has(decision.item.rowId)) slow.push(decision.item);
  }
  const done = [...fast.filter((d) => moved.has(d.item.rowId)), ...settled];
  for (const item of slow) done.push(await processSlowly(ctx, tx, item, delivered.get(item.rowId), batch));
  await markItemsDone(tx, batch.releaseId, done, now);
  return countsOf(done);
}

const BATCH_LOCK_KEY = 7_206_144_005;

async function pendingItems(tx: SqlExecutor, releaseId: string, limit: number): Promise<BatchItem[]> {
  const { rows } = await tx.query<BatchItem>(
    `select i.seq, i.row_id::text as "rowId", i.action, i.duplicate_of_row::text as "duplicateOfRow",
       i.days_late as "daysLate", i.lateness, i.patient_id as "patientId", d.state, d.transport,
       d.recipient_key as "recipientKey", e.document_id as "documentId", e.replaces,
       e.content_hash as "contentHash"
     from backlog_release_item i
     join delivery_row d on d.id = i.row_id
     join exchange_document e on e.id = d.document_row
     where i.release_id = $1 and i.outcome is null
     order by i.seq
     limit $2
     for update of i skip locked`,
    [releaseId, limit],
  );
  return rows;
}

/**
 * Rows whose recipient already has a delivered document with the same content (checked again at
 * delivery, not only when the release was planned: the sender may have re-sent a letter meanwhile).
 */
async function contentAlreadyDelivered(
  tx: SqlExecutor,
  items: readonly BatchItem[],
): Promise<Map<string, string>> {
  const deliverable = items.filter((item) => item.action === 'deliver');
  if (deliverable.length === 0) return new Map();
  const { rows } = await tx.query<{ rowId: string; existing: string }>(
    // One index probe per row (content hash, then the document's row for this recipient), written as
    // a lateral subquery so the plan stays that way however many rows the ledger already holds.
    `select b.row_id::text as "rowId", x.existing
     from unnest($1::bigint[], $2::text[], $3::text[]) as b(row_id, recipient_key, content_hash)
     cross join lateral (
       select d2.id::text as existing
       from exchange_document e2 join delivery_row d2 on d2.document_row = e2.id and d2.recipient_key = b.recipient_key
       where e2.content_hash = b.content_hash and d2.delivered_at is not null and d2.id <> b.row_id
       limit 1
     ) as x`,
    [
      deliverable.map((item) => item.rowId),
      deliverable.map((item) => item.recipientKey),
      deliverable.map((item) => item.contentHash),
    ],
  );
  return new Map(rows.map((row) => [row.rowId, row.existing]));
}

/**
 * The domain decides each row's move. undefined: not for the batched path. A row that is no longer
 * `final` (withdrawn, superseded by a later version meanwhile) is settled as it is.
 */
function decide(item: BatchItem, alreadyDeliveredRow: string | undefined): Decision | undefined {
  if (item.state !== 'final')
    return { item, to: item.state, duplicateOf: null, outcome: `skipped:${item.state}` };
  const duplicateOf = item.action === 'duplicate' ? item.duplicateOfRow : (alreadyDeliveredRow ?? null);
  if (item.action === 'duplicate' || alreadyDeliveredRow !== undefined) {
    const to = finalState(item.state, [{ type: 'mark-duplicate' }]);
    return { item, to, duplicateOf, outcome: 'duplicate' };
  }
  if (item.transport !== 'local' || item.replaces !== null) return undefined;
  const to = finalState(item.state, [{ type: 'queue' }, { type: 'deliver' }]);
  return { item, to, duplicateOf: null, outcome: 'delivered' };
}

function finalState(from: LedgerState, events: readonly LedgerEvent[]): LedgerState {
  let status = { state: from };
  for (const event of events) {
    const result = transition(status, event);
    if (!result.ok) throw fhirError('ledger-transition-refused', result.message);
    status = result.status;
  }
  return status.state;
}

/**
 * The batched write: rows still `final` move (compare-and-set), with their events, in one statement.
 * Returns the ids of the rows that moved; any other row was moved by someone else meanwhile.
 */
async function writeFast(
  tx: SqlExecutor,
  decisions: readonly Decision[],
  now: Date,
  batch: { releaseId: string; actor: Actor },
): Promise<Set<string>> {
  if (decisions.length === 0) return new Set();
  const at = now.toISOString();
  const { actor } = batch;
  const { rows } = await tx.query<{ id: string }>(
    `with v as (
       select * from unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::bigint[])
         as v(id, to_state, days, lateness, duplicate_of)
     ), u as (
       update delivery_row d set state = v.to_state, updated_at = $6::timestamptz,
         queued_at = case when v.to_state = 'delivered' then coalesce(d.queued_at, $6::timestamptz) else d.queued_at end,
         delivered_at = case when v.to_state = 'delivered' then coalesce(d.delivered_at, $6::timestamptz) else d.delivered_at end,
         delayed_days = greatest(d.delayed_days, v.days), lateness = v.lateness, release_id = $7::uuid,
         duplicate_of = v.duplicate_of
       from v where d.id = v.id and d.state = 'final'
       returning d.id, d.state, d.duplicate_of
     ), steps as (
       select u.id, s.ord, s.from_state, s.to_state, s.reason
       from u cross join lateral (values
         (1, 'final', 'queued', 'queue:release ' || $7),
         (2, 'queued', 'delivered', 'deliver:inbox (backlog release ' || $7 || ')')
       ) as s(ord, from_state, to_state, reason)
       where u.state = 'delivered'
       union all
       select u.id, 1, 'final', 'duplicate',
         'duplicate: the recipient already has this content (row ' || u.duplicate_of || ')'
       from u where u.state = 'duplicate'
     ), e as (
       insert into delivery_event (row_id, from_state, to_state, at, subject, role, organization_id, reason)
       select id, from_state, to_state, $6::timestamptz, $8, $9, $10, reason from steps order by id, ord
     )
     select id::text as id from u`,
    [
      decisions.map((d) => d.item.rowId),
      decisions.map((d) => d.to),
      decisions.map((d) => d.item.daysLate),
      decisions.map((d) => d.item.lateness),
      decisions.map((d) => d.duplicateOf),
      at,
      batch.releaseId,
      actor.subject,
      actor.role,
      actor.organizationId ?? null,
    ],
  );
  return new Set(rows.map((row) => row.id));
}

/** The per-row path: the same transitions an ordinary submission makes, one row at a time. */
async function processSlowly(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  item: BatchItem,
  alreadyDeliveredRow: string | undefined,
  batch: { releaseId: string; actor: Actor },
): Promise<Decision> {
  const row = await deliveryRow(tx, item.rowId);
  if (!row || row.state !== 'final') {
    const state = row?.state ?? item.state;
    return { item, to: state, duplicateOf: null, outcome: `skipped:${state}` };
  }
  const now = ctx.clock.now();
  const options: EventOptions = {
    delayedDays: item.daysLate,
    lateness: item.lateness,
    releaseId: batch.releaseId,
    reason: `queue:release ${batch.releaseId}`,
  };
  const duplicateOf = item.action === 'duplicate' ? item.duplicateOfRow : (alreadyDeliveredRow ?? null);
  if (item.action === 'duplicate' || alreadyDeliveredRow !== undefined) {
    const moved = await applyEvent(tx, row.id, { type: 'mark-duplicate' }, now, batch.actor, {
      ...options,
      ...(duplicateOf === null ? {} : { duplicateOf }),
      reason: `duplicate: the recipient already has this content (row ${duplicateOf ?? 'unknown'})`,
    });
    return { item, to: moved.state, duplicateOf, outcome: 'duplicate' };
  }
  const sent = await sendReleasedRow(ctx, tx, row, batch.actor, options);
  return {
    item,
    to: sent.state,
    duplicateOf: null,
    outcome: sent.state === 'queued' ? 'queued' : 'delivered',
  };
}

async function sendReleasedRow(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  row: DeliveryRow,
  actor: Actor,
  options: EventOptions,
): Promise<DeliveryRow> {
  const document = await findDocument(tx, row.documentId);
  if (!document) throw fhirError('internal-error', `The document of ledger row ${row.id} is missing.`);
  const stored = await ctx.store.read(tx, 'Bundle', document.bundleId);
  if (!stored) throw fhirError('internal-error', `The stored Bundle of ${document.documentId} is missing.`);
  const destinations = new Map<string, Destination | undefined>();
  const bundle = JSON.parse(stored.content) as Bundle;
  const sent = await sendRow(ctx, tx, { document, row, bundle, actor, destinations }, options);
  if (document.replaces !== null) await supersede(ctx, tx, document, actor);
  return sent;
}

async function markItemsDone(
  tx: SqlExecutor,
  releaseId: string,
  decisions: readonly Decision[],
  now: Date,
): Promise<void> {
  await tx.query(
    `update backlog_release_item i set outcome = v.outcome, done_at = $4::timestamptz
       from unnest($2::int[], $3::text[]) as v(seq, outcome)
      where i.release_id = $1 and i.seq = v.seq`,
    [releaseId, decisions.map((d) => d.item.seq), decisions.map((d) => d.outcome), now.toISOString()],
  );
}

function countsOf(decisions: readonly Decision[]): BatchCounts {
  const count = (outcome: string) => decisions.filter((d) => d.outcome === outcome).length;
  return {
    processed: decisions.length,
    delivered: count('delivered'),
    queued: count('queued'),
    duplicates: count('duplicate'),
    skipped: decisions.filter((d) => d.outcome.startsWith('skipped:')).length,
    patientIds: [...new Set(decisions.flatMap((d) => (d.item.patientId === null ? [] : [d.item.patientId])))],
  };
}
