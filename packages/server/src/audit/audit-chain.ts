import { hash } from 'node:crypto';
import type { Database, SqlExecutor } from '../store/database.js';

/**
 * The hash chain over the audit trail.
 *
 * Rows are inserted concurrently, by several processes, some inside callers' transactions that
 * commit out of id order. The chain follows id order, but a sealer only ever seals up to a *safe
 * frontier*: the newest id it has seen, once every write transaction that was open when it saw it
 * has ended. Ids are drawn in order and every inserting transaction is visible as open before it
 * draws one (the BEFORE STATEMENT trigger), so below the frontier no row can still appear: each row
 * is sealed exactly once, however late its transaction commits. One sealer at a time (a
 * transaction-scoped advisory lock, across processes) appends one link per batch, in a single SQL
 * statement that never reads a row's content back: sealing costs a few microseconds a row.
 *
 * Content hash of a row = SHA-256 of the JSON array `[version, request_id, recorded_at, …]` below
 * (the timestamp in UTC to the microsecond), computed by the writer. JSON.stringify of strings,
 * integers, booleans and null is also their RFC 8785 canonical form, so an auditor can recompute
 * it without this code.
 *
 * Link hash = SHA-256 of `prev_hash|carebridge-audit-seal-v1|seq|id,id,…|hash hash …` (the content
 * hashes concatenated without separators), as UTF-8, where prev_hash is the previous link's hash
 * (64 zeros for link 1).
 */
export const GENESIS_HASH = '0'.repeat(64);
const CONTENT_FORM_VERSION = 'carebridge-audit-v1';
const SEAL_FORM_VERSION = 'carebridge-audit-seal-v1';

/** Any constant shared by every Carebridge process (the migration lock uses …001). */
const SEALER_LOCK_KEY = 7_206_144_002;

/** An audit row's content in the exact form that is hashed (the columns of `audit_event`). */
export interface AuditContent {
  request_id: string;
  /** UTC, microseconds: `2026-03-01T10:00:00.123000Z`. */
  recorded_at: string;
  subject: string | null;
  display_name: string | null;
  role: string | null;
  organization_id: string | null;
  ods_code: string | null;
  client_id: string | null;
  principal_kind: string | null;
  practitioner_role_id: string | null;
  principal_patient_id: string | null;
  action: string;
  interaction: string;
  resource_type: string | null;
  resource_id: string | null;
  patient_ids: string[];
  query: string | null;
  outcome: string;
  http_status: number;
  purpose_of_use: string;
  break_glass: boolean;
  break_glass_session_id: string | null;
  source: string;
  remote_address: string | null;
}

/**
 * The columns of `audit_event e` as an `AuditContent`. The timestamp is rendered by the database,
 * so that no driver's Date conversion can hide a change below the millisecond.
 */
export const AUDIT_CONTENT_COLUMNS = `e.request_id,
  to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as recorded_at,
  e.subject, e.display_name, e.role, e.organization_id, e.ods_code, e.client_id, e.principal_kind,
  e.practitioner_role_id, e.principal_patient_id, e.action, e.interaction, e.resource_type,
  e.resource_id, e.patient_ids, e.query, e.outcome, e.http_status, e.purpose_of_use, e.break_glass,
  e.break_glass_session_id, e.source, e.remote_address`;

/** How a JavaScript Date (whole milliseconds) appears in `AuditContent.recorded_at`. */
export function contentTimestamp(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

export function auditContentHash(content: AuditContent): string {
  const form = JSON.stringify([
    CONTENT_FORM_VERSION,
    content.request_id,
    content.recorded_at,
    content.subject,
    content.display_name,
    content.role,
    content.organization_id,
    content.ods_code,
    content.client_id,
    content.principal_kind,
    content.practitioner_role_id,
    content.principal_patient_id,
    content.action,
    content.interaction,
    content.resource_type,
    content.resource_id,
    content.patient_ids,
    content.query,
    content.outcome,
    content.http_status,
    content.purpose_of_use,
    content.break_glass,
    content.break_glass_session_id,
    content.source,
    content.remote_address,
  ]);
  return sha256Hex(form);
}

/** The link hash, exactly as the sealer's SQL computes it. */
export function linkHash(
  prevHash: string,
  seq: number,
  auditIds: readonly number[],
  contentHashes: string,
): string {
  return sha256Hex(`${prevHash}|${SEAL_FORM_VERSION}|${seq}|${auditIds.join(',')}|${contentHashes}`);
}

/** One-shot `crypto.hash` (Node 20.12+): a third of the cost of a createHash object per row. */
function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export async function readChainHead(db: SqlExecutor): Promise<ChainHead | undefined> {
  const { rows } = await db.query<ChainHead>('select seq, hash from audit_chain order by seq desc limit 1');
  return rows[0];
}

/**
 * Where sealing may safely go: rows up to `throughId`, once every transaction in `openWriters`
 * (transaction ids, as text) has ended. Observed in one statement, so both come from one snapshot.
 */
export interface SealFrontier {
  throughId: number;
  openWriters: string[];
}

export async function observeSealFrontier(db: SqlExecutor): Promise<SealFrontier> {
  const { rows } = await db.query<SealFrontier>(
    `select coalesce(max(id), 0) as "throughId",
            to_json(array(select pg_snapshot_xip(pg_current_snapshot())::text)) as "openWriters"
       from audit_event`,
  );
  return rows[0] ?? { throughId: 0, openWriters: [] };
}

/** The transactions among `writers` that are still open. */
export async function stillOpen(db: SqlExecutor, writers: readonly string[]): Promise<string[]> {
  if (writers.length === 0) return [];
  const { rows } = await db.query<{ open: string[] }>(
    `select to_json(array(
       select x from jsonb_array_elements_text($1::jsonb) as x where pg_xact_status(x::xid8) = 'in progress'
     )) as open`,
    [JSON.stringify(writers)],
  );
  return rows[0]?.open ?? [];
}

/**
 * One statement: the next (at most $2) rows after the head link's last id, up to $1, sealed by a
 * new link. Rows whose transactions rolled back left gaps in the ids; the link lists the ids it
 * seals, so a gap is never mistaken for a deleted row.
 */
const SEAL_SQL = `
  with head as (
    select seq, hash, audit_ids[cardinality(audit_ids)] as last_id
      from audit_chain order by seq desc limit 1
  ),
  batch as (
    select e.id, e.content_hash from audit_event e
     where e.id > coalesce((select last_id from head), 0) and e.id <= $1
     order by e.id limit $2
  ),
  link as (
    select coalesce((select seq from head), 0) + 1 as seq,
           coalesce((select hash from head), '${GENESIS_HASH}') as prev_hash,
           array_agg(id order by id) as audit_ids,
           string_agg(content_hash, '' order by id) as content_hashes
      from batch
    having count(*) > 0
  ),
  sealed as (
    insert into audit_chain (seq, audit_ids, content_hashes, prev_hash, hash)
    select seq, audit_ids, content_hashes, prev_hash,
           encode(sha256(convert_to(
             prev_hash || '|${SEAL_FORM_VERSION}|' || seq || '|' || array_to_string(audit_ids, ',') || '|' || content_hashes,
             'UTF8')), 'hex')
      from link
    returning cardinality(audit_ids) as sealed_rows
  )
  select coalesce((select sealed_rows from sealed), 0) as sealed`;

/**
 * Seals every row up to `throughId` that is not sealed yet, `batchSize` rows to a link and a
 * transaction; `complete` once nothing up to `throughId` is left unsealed. The caller must have made
 * sure that the frontier is safe (its open writers have ended). Stops early, returning what it sealed so far, when another
 * process holds the sealer lock; a later round, here or there, seals the rest.
 */
export async function sealThrough(
  db: Database,
  throughId: number,
  batchSize: number,
): Promise<{ sealed: number; complete: boolean }> {
  let sealed = 0;
  for (;;) {
    const batch = await db.transaction((tx) => sealBatchWithin(tx, throughId, batchSize));
    if (batch === undefined) return { sealed, complete: false };
    sealed += batch;
    if (batch < batchSize) return { sealed, complete: true };
  }
}

/** One link, in a transaction the caller holds; undefined when another process is sealing. */
export async function sealBatchWithin(
  tx: SqlExecutor,
  throughId: number,
  batchSize: number,
): Promise<number | undefined> {
  const { rows: lock } = await tx.query<{ locked: boolean }>(
    'select pg_try_advisory_xact_lock($1) as locked',
    [SEALER_LOCK_KEY],
  );
  if (lock[0]?.locked !== true) return undefined;
  // A new statement after taking the lock, so it sees every link the previous holder committed.
  const { rows } = await tx.query<{ sealed: number }>(SEAL_SQL, [throughId, batchSize]);
  return rows[0]?.sealed ?? 0;
}
