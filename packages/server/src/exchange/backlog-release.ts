import { createHash, randomUUID } from 'node:crypto';
import {
  fhirError,
  planBacklogRelease,
  type BacklogItem,
  type BacklogPlan,
  type DelayedDocument,
  type DocumentKind,
} from '@carebridge/domain';
import type { AuditEntry } from '../audit/audit-entry.js';
import { auditEventInput, insertAuditEvents } from '../audit/audit-row.js';
import type { Database, SqlExecutor } from '../store/database.js';
import type { ExchangeContext } from './context.js';
import type { Actor } from './ledger-store.js';
import { processBatch, type BatchCounts } from './backlog-batch.js';

/**
 * Backlog release: delivering documents that were held (a sender's outbox found after an outage,
 * ingested with `hold-for-release`) in one operation that a practice can cope with. Delivery happens
 * per patient, oldest letter first, each letter flagged "delayed: N days late"; a letter whose
 * content the recipient already has is recorded as a duplicate on its ledger row instead of being
 * sent; each receiving organisation gets a triage summary with medication changes and actions first.
 *
 * Crash safety: planning writes the whole to-do list (backlog_release_item) in one transaction; each
 * batch then moves its rows and marks its items done in one transaction. A process killed at any
 * point leaves every row either untouched (its item still pending) or moved with its item done, so
 * running the same release again finishes the rest and does nothing twice.
 */

export interface BacklogSelection {
  /** Only documents from this sender (ODS code). */
  senderOds?: string;
  /** Only documents whose discharge or attendance is at or after this instant. */
  since?: Date;
  /** ... and before this one. */
  until?: Date;
  /** Only these documents (Bundle.identifier values). */
  documentIds?: string[];
}

export interface ReleaseOptions {
  dryRun?: boolean;
  /** Rows per committed transaction. */
  batchSize?: number;
  /** Stop after this many batches (the rest waits for the next call); all when absent. */
  maxBatches?: number;
  onProgress?: (progress: ReleaseProgress) => void;
  /** Stops between batches (the server shutting down); the release stays running, to be resumed. */
  signal?: AbortSignal;
}

/** Who releases, for the ledger's events and the audit trail. */
export interface Releaser {
  actor: Actor;
  principal: NonNullable<AuditEntry['principal']>;
  requestId: string;
  source: AuditEntry['source'];
}

export interface PracticeSummary {
  practiceOds: string;
  organizationId: string | null;
  total: number;
  patients: number;
  withMedicationChanges: number;
  withActions: number;
  mostDaysLate: number;
  duplicates: number;
}

export interface ReleaseProgress {
  releaseId: string | null;
  status: 'dry-run' | 'running' | 'complete';
  total: number;
  toDeliver: number;
  duplicates: number;
  processed: number;
  delivered: number;
  queued: number;
  duplicatesRecorded: number;
  skipped: number;
  practices: PracticeSummary[];
  /** Patients whose letters this call moved (for the audit entry of the call). */
  patientIds: string[];
  /** When it was planned, when its last batch committed, when it finished (absent for a dry run). */
  startedAt?: Date;
  lastBatchAt?: Date;
  completedAt?: Date;
  /** Why a release running in the background last stopped, until a batch commits again. */
  lastError?: string;
  lastErrorAt?: Date;
}

export const DEFAULT_BATCH_SIZE = 500;
const PLAN_LOCK_KEY = 7_206_144_004;
const ITEM_INSERT_CHUNK = 2_000;

export interface BacklogDeps {
  ctx: ExchangeContext;
  db: Database;
  releaser: Releaser;
}

/**
 * Plans (or resumes) and runs a release. The same selection while a release of it is unfinished
 * resumes that release; `releaseId` resumes one by id.
 */
export async function releaseBacklog(
  deps: BacklogDeps,
  target: { selection: BacklogSelection } | { releaseId: string },
  options: ReleaseOptions = {},
): Promise<ReleaseProgress> {
  if ('selection' in target && options.dryRun === true) return dryRun(deps, target.selection);
  const releaseId =
    'releaseId' in target
      ? await existingRelease(deps.db, target.releaseId)
      : await plan(deps, target.selection);
  return runRelease(deps, releaseId, options);
}

async function existingRelease(db: SqlExecutor, releaseId: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    'select id::text as id from backlog_release where id = $1',
    [checkedReleaseId(releaseId)],
  );
  if (!rows[0]) throw fhirError('release-not-found', `No backlog release ${releaseId} exists.`);
  return rows[0].id;
}

export function checkedReleaseId(value: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw fhirError('invalid-value', `'${value}' is not a backlog release id.`, ['release']);
  }
  return value.toLowerCase();
}

/** A canonical form of the selection, so "the same release again" is recognised by the database. */
export function selectionKey(selection: BacklogSelection): string {
  const canonical = JSON.stringify({
    sender: selection.senderOds ?? null,
    since: selection.since?.toISOString() ?? null,
    until: selection.until?.toISOString() ?? null,
    documents: selection.documentIds ? [...new Set(selection.documentIds)].sort() : null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

interface Candidate {
  rowId: string;
  recipientKey: string;
  recipientOds: string | null;
  recipientOrgId: string | null;
  documentId: string;
  kind: DocumentKind;
  eventAt: Date;
  nhsNumber: string;
  patientId: string | null;
  contentHash: string;
  hasMedicationChanges: boolean;
  hasActions: boolean;
}

/** Rows of held documents in the selection that no release has taken yet. */
async function candidates(db: SqlExecutor, selection: BacklogSelection): Promise<Candidate[]> {
  const { rows } = await db.query<Candidate>(
    `select d.id::text as "rowId", d.recipient_key as "recipientKey", d.recipient_ods as "recipientOds",
       d.recipient_org_id as "recipientOrgId", e.document_id as "documentId", e.kind, e.event_at as "eventAt",
       e.nhs_number as "nhsNumber", e.patient_id as "patientId", e.content_hash as "contentHash",
       e.has_medication_changes as "hasMedicationChanges", e.has_actions as "hasActions"
     from exchange_document e join delivery_row d on d.document_row = e.id
     where e.held_for_release_at is not null and e.release_id is null and d.state = 'final'
       and ($1::text is null or e.sender_ods = $1)
       and ($2::timestamptz is null or e.event_at >= $2::timestamptz)
       and ($3::timestamptz is null or e.event_at < $3::timestamptz)
       and ($4::text[] is null or e.document_id = any($4::text[]))
       and not exists (select 1 from backlog_release_item i where i.row_id = d.id)
     order by e.event_at, e.document_id, d.id`,
    [
      selection.senderOds ?? null,
      selection.since?.toISOString() ?? null,
      selection.until?.toISOString() ?? null,
      selection.documentIds ?? null,
    ],
  );
  return rows.map((row) => ({ ...row, eventAt: new Date(row.eventAt) }));
}

/** Recipient → content hashes it already received, with the row that delivered each. */
async function alreadyDelivered(db: SqlExecutor, hashes: readonly string[]): Promise<Map<string, string>> {
  const delivered = new Map<string, string>();
  if (hashes.length === 0) return delivered;
  const { rows } = await db.query<{ recipientKey: string; contentHash: string; rowId: string }>(
    `select d.recipient_key as "recipientKey", e.content_hash as "contentHash", min(d.id)::text as "rowId"
     from unnest($1::text[]) as h(hash)
     join exchange_document e on e.content_hash = h.hash
     join delivery_row d on d.document_row = e.id
     where d.delivered_at is not null
     group by d.recipient_key, e.content_hash`,
    [[...new Set(hashes)]],
  );
  for (const row of rows) delivered.set(deliveredKey(row.recipientKey, row.contentHash), row.rowId);
  return delivered;
}

const deliveredKey = (recipient: string, hash: string) => `${recipient}\u0000${hash}`;
const itemKey = (documentId: string, recipient: string) => `${documentId}\u0000${recipient}`;

/** The triage "practice" of a row: its recipient organisation, or the patient's own copies. */
const practiceOf = (candidate: Candidate): string => candidate.recipientOds ?? 'patient-copies';

interface Planned {
  candidates: Candidate[];
  plan: BacklogPlan;
  deliveredRows: Map<string, string>;
}

async function planFor(deps: BacklogDeps, db: SqlExecutor, selection: BacklogSelection): Promise<Planned> {
  const found = await candidates(db, selection);
  const deliveredRows = await alreadyDelivered(
    db,
    found.map((candidate) => candidate.contentHash),
  );
  const delivered = new Map<string, Set<string>>();
  for (const key of deliveredRows.keys()) {
    const [recipient = '', hash = ''] = key.split('\u0000');
    const set = delivered.get(recipient) ?? new Set<string>();
    set.add(hash);
    delivered.set(recipient, set);
  }
  const documents: DelayedDocument[] = found.map((candidate) => ({
    documentId: candidate.documentId,
    kind: candidate.kind,
    eventAt: candidate.eventAt,
    patientNhsNumber: candidate.nhsNumber,
    practiceOds: practiceOf(candidate),
    recipient: candidate.recipientKey,
    contentHash: candidate.contentHash,
    hasMedicationChanges: candidate.hasMedicationChanges,
    hasActions: candidate.hasActions,
  }));
  const { alarms } = deps.ctx.options;
  const plan = planBacklogRelease(documents, delivered, deps.ctx.clock.now(), {
    delivery: alarms.delivery,
    bankHolidays: alarms.bankHolidays,
  });
  return { candidates: found, plan, deliveredRows };
}

async function dryRun(deps: BacklogDeps, selection: BacklogSelection): Promise<ReleaseProgress> {
  const planned = await planFor(deps, deps.db, selection);
  const items = planItems(planned);
  const duplicates = items.filter((item) => item.action === 'duplicate').length;
  return {
    releaseId: null,
    status: 'dry-run',
    total: items.length,
    toDeliver: items.length - duplicates,
    duplicates,
    processed: 0,
    delivered: 0,
    queued: 0,
    duplicatesRecorded: 0,
    skipped: 0,
    practices: practiceSummaries(planned, items),
    patientIds: [],
  };
}

/** One row of the to-do list, in delivery order. */
export interface PlannedItem {
  seq: number;
  candidate: Candidate;
  priority: string;
  triageRank: number;
  daysLate: number;
  lateness: string;
  action: 'deliver' | 'duplicate';
  duplicateOfRow: string | null;
}

/**
 * The plan as rows: each patient's letters oldest first (patients with the oldest letter first), a
 * letter folded into an identical one just after it, letters the recipient already has at the end.
 */
function planItems(planned: Planned): PlannedItem[] {
  const byKey = new Map(planned.candidates.map((c) => [itemKey(c.documentId, c.recipientKey), c]));
  const rank = new Map<string, number>();
  for (const practice of planned.plan.practices) {
    practice.items.forEach((item, index) => rank.set(itemKey(item.documentId, item.recipient), index));
  }
  const items: PlannedItem[] = [];
  const push = (
    candidate: Candidate | undefined,
    fields: Omit<PlannedItem, 'seq' | 'candidate' | 'triageRank'>,
  ) => {
    if (!candidate) return;
    const triageRank = rank.get(itemKey(candidate.documentId, candidate.recipientKey)) ?? 1_000_000_000;
    items.push({ seq: items.length + 1, candidate, triageRank, ...fields });
  };
  for (const patient of planned.plan.patients) {
    for (const item of patient.items) {
      const original = byKey.get(itemKey(item.documentId, item.recipient));
      push(original, deliverFields(item));
      for (const duplicate of item.duplicates) {
        push(byKey.get(itemKey(duplicate, item.recipient)), {
          ...duplicateFields(item),
          duplicateOfRow: original?.rowId ?? null,
        });
      }
    }
  }
  for (const had of planned.plan.alreadyDelivered) {
    const candidate = byKey.get(itemKey(had.documentId, had.recipient));
    const existing = planned.deliveredRows.get(deliveredKey(had.recipient, had.contentHash)) ?? null;
    push(candidate, {
      priority: 'duplicate',
      daysLate: 0,
      lateness: 'not sent: already delivered',
      action: 'duplicate',
      duplicateOfRow: existing,
    });
  }
  return items;
}

function deliverFields(item: BacklogItem): Omit<PlannedItem, 'seq' | 'candidate' | 'triageRank'> {
  return {
    priority: item.priority,
    daysLate: item.daysLate,
    lateness: item.lateness,
    action: 'deliver',
    duplicateOfRow: null,
  };
}

function duplicateFields(item: BacklogItem): Omit<PlannedItem, 'seq' | 'candidate' | 'triageRank'> {
  return {
    ...deliverFields(item),
    priority: 'duplicate',
    lateness: 'not sent: duplicate',
    action: 'duplicate',
  };
}

function practiceSummaries(planned: Planned, items: readonly PlannedItem[]): PracticeSummary[] {
  const organisations = new Map(planned.candidates.map((c) => [practiceOf(c), c.recipientOrgId]));
  const duplicates = new Map<string, number>();
  for (const item of items) {
    if (item.action !== 'duplicate') continue;
    const practice = practiceOf(item.candidate);
    duplicates.set(practice, (duplicates.get(practice) ?? 0) + 1);
  }
  const summaries: PracticeSummary[] = planned.plan.practices.map((practice) => ({
    practiceOds: practice.practiceOds,
    organizationId: organisations.get(practice.practiceOds) ?? null,
    total: practice.total,
    patients: practice.patients,
    withMedicationChanges: practice.withMedicationChanges,
    withActions: practice.withActions,
    mostDaysLate: practice.mostDaysLate,
    duplicates: duplicates.get(practice.practiceOds) ?? 0,
  }));
  // A practice whose whole backlog it already had still hears that nothing new is coming.
  for (const [practiceOds, count] of duplicates) {
    if (summaries.some((summary) => summary.practiceOds === practiceOds)) continue;
    summaries.push({
      practiceOds,
      organizationId: organisations.get(practiceOds) ?? null,
      total: 0,
      patients: 0,
      withMedicationChanges: 0,
      withActions: 0,
      mostDaysLate: 0,
      duplicates: count,
    });
  }
  return summaries;
}

/**
 * Plans a release in one transaction, serialised with every other planning by an advisory lock: a
 * running release of the same selection is resumed rather than planned twice, and rows already in
 * a release are never taken again (backlog_release_item.row_id is unique as well).
 */
async function plan(deps: BacklogDeps, selection: BacklogSelection): Promise<string> {
  const key = selectionKey(selection);
  // A backlog is a bulk load the planner may not have seen yet (PGlite has no autovacuum;
  // PostgreSQL's may be off or behind): without fresh statistics, finding 32,619 held letters took
  // seconds instead of a fifth of one.
  await deps.db.exec(ANALYZE_LEDGER);
  const planned = await deps.db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [PLAN_LOCK_KEY]);
    const { rows } = await tx.query<{ id: string }>(
      `select id::text as id from backlog_release where selection_key = $1 and status = 'running'`,
      [key],
    );
    if (rows[0]) return { releaseId: rows[0].id, items: 0 };
    const planned = await planFor(deps, tx, selection);
    const items = planItems(planned);
    const releaseId = randomUUID();
    await insertRelease(deps, tx, { releaseId, selection, key, items, planned });
    await insertItems(tx, releaseId, items);
    await tx.query(
      `update exchange_document set release_id = $1::uuid
        where document_id = any($2::text[]) and release_id is null`,
      [releaseId, [...new Set(items.map((item) => item.candidate.documentId))]],
    );
    return { releaseId, items: items.length };
  });
  // The same for the to-do list the batches will work through.
  if (planned.items >= ANALYZE_FROM) await deps.db.exec('analyze backlog_release_item');
  return planned.releaseId;
}

const ANALYZE_FROM = 1_000;
const ANALYZE_LEDGER = 'analyze exchange_document, delivery_row';

async function insertRelease(
  deps: BacklogDeps,
  tx: SqlExecutor,
  release: {
    releaseId: string;
    selection: BacklogSelection;
    key: string;
    items: PlannedItem[];
    planned: Planned;
  },
): Promise<void> {
  const { actor } = deps.releaser;
  const duplicates = release.items.filter((item) => item.action === 'duplicate').length;
  const now = deps.ctx.clock.now().toISOString();
  await tx.query(
    `insert into backlog_release (id, selection, selection_key, status, requested_by, requested_role,
       requested_organization_id, total, to_deliver, duplicates, practices, created_at, updated_at)
     values ($1, $2::jsonb, $3, 'running', $4, $5, $6, $7, $8, $9, $10::jsonb, $11::timestamptz, $11::timestamptz)`,
    [
      release.releaseId,
      JSON.stringify(release.selection),
      release.key,
      actor.subject,
      actor.role,
      actor.organizationId ?? null,
      release.items.length,
      release.items.length - duplicates,
      duplicates,
      JSON.stringify(practiceSummaries(release.planned, release.items)),
      now,
    ],
  );
}

async function insertItems(tx: SqlExecutor, releaseId: string, items: readonly PlannedItem[]): Promise<void> {
  for (let start = 0; start < items.length; start += ITEM_INSERT_CHUNK) {
    const chunk = items.slice(start, start + ITEM_INSERT_CHUNK);
    const column = <T>(pick: (item: PlannedItem) => T): T[] => chunk.map(pick);
    await tx.query(
      `insert into backlog_release_item (release_id, seq, row_id, document_id, recipient_key, practice_ods,
         patient_nhs_number, patient_id, priority, triage_rank, days_late, lateness, action, duplicate_of_row)
       select $1::uuid, t.* from unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::text[], $10::int[], $11::int[], $12::text[], $13::text[], $14::bigint[]) as t`,
      [
        releaseId,
        column((item) => item.seq),
        column((item) => item.candidate.rowId),
        column((item) => item.candidate.documentId),
        column((item) => item.candidate.recipientKey),
        column((item) => practiceOf(item.candidate)),
        column((item) => item.candidate.nhsNumber),
        column((item) => item.candidate.patientId),
        column((item) => item.priority),
        column((item) => item.triageRank),
        column((item) => item.daysLate),
        column((item) => item.lateness),
        column((item) => item.action),
        column((item) => item.duplicateOfRow),
      ],
    );
  }
}

/** Runs the pending batches of a release, each in its own committed transaction. */
async function runRelease(
  deps: BacklogDeps,
  releaseId: string,
  options: ReleaseOptions,
): Promise<ReleaseProgress> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const patientIds = new Set<string>();
  let progress = await releaseProgress(deps.db, releaseId);
  options.onProgress?.(progress);
  for (let batches = 0; options.maxBatches === undefined || batches < options.maxBatches; batches++) {
    if (options.signal?.aborted === true) break;
    const counts = await deps.db.transaction((tx) => runBatch(deps, tx, releaseId, batchSize));
    if (counts === undefined) break;
    for (const id of counts.patientIds) patientIds.add(id);
    progress = await releaseProgress(deps.db, releaseId);
    options.onProgress?.(progress);
  }
  await completeIfDone(deps, releaseId);
  progress = await releaseProgress(deps.db, releaseId);
  return { ...progress, patientIds: [...patientIds] };
}

/** One batch: its rows moved, its items done, its counters and its audit entry, or undefined when none is left. */
async function runBatch(
  deps: BacklogDeps,
  tx: SqlExecutor,
  releaseId: string,
  batchSize: number,
): Promise<BatchCounts | undefined> {
  const counts = await processBatch(deps.ctx, tx, { releaseId, batchSize, actor: deps.releaser.actor });
  if (counts === undefined) return undefined;
  await tx.query(
    `update backlog_release set processed = processed + $2, delivered = delivered + $3, queued = queued + $4,
       duplicates_recorded = duplicates_recorded + $5, skipped = skipped + $6, updated_at = $7::timestamptz,
       last_error = null, last_error_at = null
     where id = $1`,
    [
      releaseId,
      counts.processed,
      counts.delivered,
      counts.queued,
      counts.duplicates,
      counts.skipped,
      deps.ctx.clock.now().toISOString(),
    ],
  );
  await auditBatch(deps, tx, counts.patientIds);
  return counts;
}

/**
 * Each batch is audited in its own transaction: the release spans many commits, so an entry made
 * only at the end of the call would be missing for the batches before a crash.
 */
async function auditBatch(deps: BacklogDeps, tx: SqlExecutor, patientIds: readonly string[]): Promise<void> {
  const { releaser } = deps;
  const entry: AuditEntry = {
    requestId: releaser.requestId,
    recordedAt: deps.ctx.clock.now(),
    principal: releaser.principal,
    action: 'E',
    interaction: '$release-backlog',
    patientIds,
    outcome: 'success',
    httpStatus: 200,
    purposeOfUse: 'TREAT',
    breakGlass: false,
    source: releaser.source,
  };
  await insertAuditEvents(tx, [auditEventInput(entry)]);
}

async function completeIfDone(deps: BacklogDeps, releaseId: string): Promise<void> {
  const now = deps.ctx.clock.now().toISOString();
  await deps.db.query(
    `update backlog_release set status = 'complete', completed_at = $2::timestamptz, updated_at = $2::timestamptz
      where id = $1 and status = 'running'
        and not exists (select 1 from backlog_release_item i where i.release_id = $1 and i.outcome is null)`,
    [releaseId, now],
  );
}

interface ReleaseRow {
  id: string;
  status: 'running' | 'complete';
  total: number;
  toDeliver: number;
  duplicates: number;
  processed: number;
  delivered: number;
  queued: number;
  duplicatesRecorded: number;
  skipped: number;
  practices: PracticeSummary[] | string;
  requestedOrganizationId: string | null;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
}

const RELEASE_COLUMNS = `id::text as id, status, total, to_deliver as "toDeliver", duplicates, processed, delivered,
  queued, duplicates_recorded as "duplicatesRecorded", skipped, practices,
  requested_organization_id as "requestedOrganizationId", created_at as "createdAt", updated_at as "updatedAt",
  completed_at as "completedAt", last_error as "lastError", last_error_at as "lastErrorAt"`;

export async function releaseRow(db: SqlExecutor, releaseId: string): Promise<ReleaseRow | undefined> {
  const { rows } = await db.query<ReleaseRow>(
    `select ${RELEASE_COLUMNS} from backlog_release where id = $1`,
    [releaseId],
  );
  return rows[0];
}

/**
 * The release operations should see first: one still running, else the one planned last. A start
 * that found nothing left to release (a second click after the first finished) plans an empty
 * release; it never hides the one that did the work.
 */
export async function latestReleaseId(db: SqlExecutor): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `select id::text as id from backlog_release
      order by (status = 'running') desc, (total > 0) desc, created_at desc, id limit 1`,
  );
  return rows[0]?.id;
}

/** Held letters (ledger rows) that wait for a release no release has taken yet. */
export async function awaitingRelease(db: SqlExecutor): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `select count(*)::int as count
       from exchange_document e join delivery_row d on d.document_row = e.id
      where e.held_for_release_at is not null and e.release_id is null and d.state = 'final'`,
  );
  return rows[0]?.count ?? 0;
}

/** Why a release running in the background stopped: kept on the release until a batch commits again. */
export async function recordReleaseError(
  db: SqlExecutor,
  releaseId: string,
  error: unknown,
  at: Date,
): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  await db.query(
    `update backlog_release set last_error = $2, last_error_at = $3::timestamptz where id = $1`,
    [releaseId, message.slice(0, 500), at.toISOString()],
  );
}

export async function releaseProgress(db: SqlExecutor, releaseId: string): Promise<ReleaseProgress> {
  const row = await releaseRow(db, releaseId);
  if (!row) throw fhirError('release-not-found', `No backlog release ${releaseId} exists.`);
  return {
    releaseId: row.id,
    status: row.status,
    total: row.total,
    toDeliver: row.toDeliver,
    duplicates: row.duplicates,
    processed: row.processed,
    delivered: row.delivered,
    queued: row.queued,
    duplicatesRecorded: row.duplicatesRecorded,
    skipped: row.skipped,
    practices:
      typeof row.practices === 'string' ? (JSON.parse(row.practices) as PracticeSummary[]) : row.practices,
    patientIds: [],
    startedAt: new Date(row.createdAt),
    // A release planned with nothing done yet has had no batch.
    ...(row.processed === 0 ? {} : { lastBatchAt: new Date(row.updatedAt) }),
    ...(row.completedAt === null ? {} : { completedAt: new Date(row.completedAt) }),
    ...(row.lastError === null ? {} : { lastError: row.lastError }),
    ...(row.lastErrorAt === null ? {} : { lastErrorAt: new Date(row.lastErrorAt) }),
  };
}
