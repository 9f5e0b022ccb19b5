import { isCarebridgeRole, type Principal } from '../access/principal.js';
import type { SqlExecutor } from '../store/database.js';
import { auditContentHash, contentTimestamp, type AuditContent } from './audit-chain.js';
import type { AuditEntry } from './audit-entry.js';

/**
 * The principal as the audit stores it. The `AuditEntry` contract carries only the fields every
 * caller must give; a caller that passes its whole `Principal` (the usual case) also gives who the
 * user is in FHIR terms, which `toFhirAuditEvent` turns into a PractitionerRole or Patient reference.
 */
export type AuditedPrincipal = NonNullable<AuditEntry['principal']> &
  Partial<Pick<Principal, 'kind' | 'practitionerRoleId' | 'patientId'>>;

/** An audit entry as stored: the entry, its row id, and the principal as far as it was known. */
export interface StoredAuditEntry extends Omit<AuditEntry, 'principal' | 'patientIds'> {
  id: number;
  principal?: AuditedPrincipal;
  patientIds: string[];
}

/** One `audit_event` row as JSON for `jsonb_to_recordset`: keys are the column names. */
export interface AuditEventInput extends AuditContent {
  content_hash: string;
}

/** An entry that cannot be stored as given (a programming error in the caller, never data). */
export class InvalidAuditEntryError extends TypeError {
  constructor(field: string, detail: string) {
    super(`Invalid audit entry: ${field} ${detail}`);
    this.name = 'InvalidAuditEntryError';
  }
}

const ACTIONS: ReadonlySet<string> = new Set(['C', 'R', 'U', 'D', 'E']);
const OUTCOMES: ReadonlySet<string> = new Set(['success', 'denied', 'failed']);
const SOURCES: ReadonlySet<string> = new Set(['api', 'ui']);
const PRINCIPAL_KINDS: ReadonlySet<string> = new Set(['staff', 'patient', 'system']);

/**
 * Checks an entry and converts it to its row. Every check that the database would make is made
 * here first, because entries are written in shared batches: one bad entry must fail alone, not
 * take the whole batch (and every other request waiting on it) down with it.
 */
export function auditEventInput(entry: AuditEntry): AuditEventInput {
  const recordedAt: unknown = entry.recordedAt;
  // Years 1970–9999 only: the content hash renders the timestamp as ISO 8601 with a four-digit year,
  // as the database does when the chain is verified.
  if (!(recordedAt instanceof Date) || !(recordedAt.getTime() >= 0 && recordedAt.getUTCFullYear() <= 9999)) {
    throw new InvalidAuditEntryError('recordedAt', 'must be a valid Date between 1970 and 9999');
  }
  requireMember('action', entry.action, ACTIONS);
  requireMember('outcome', entry.outcome, OUTCOMES);
  requireMember('source', entry.source, SOURCES);
  if (!Number.isInteger(entry.httpStatus) || entry.httpStatus < 100 || entry.httpStatus > 599) {
    throw new InvalidAuditEntryError('httpStatus', 'must be an HTTP status code');
  }
  if (typeof entry.breakGlass !== 'boolean')
    throw new InvalidAuditEntryError('breakGlass', 'must be a boolean');
  if (!Array.isArray(entry.patientIds)) throw new InvalidAuditEntryError('patientIds', 'must be an array');

  const principal: AuditedPrincipal | undefined = entry.principal;
  if (principal !== undefined) {
    if (!isCarebridgeRole(principal.role))
      throw new InvalidAuditEntryError('principal.role', 'is not a role');
    if (principal.kind !== undefined) requireMember('principal.kind', principal.kind, PRINCIPAL_KINDS);
  }
  const content: AuditContent = {
    request_id: storableText('requestId', entry.requestId),
    recorded_at: contentTimestamp(recordedAt),
    subject: optionalText('principal.subject', principal?.subject),
    display_name: optionalText('principal.displayName', principal?.displayName),
    role: optionalText('principal.role', principal?.role),
    organization_id: optionalText('principal.organizationId', principal?.organizationId),
    ods_code: optionalText('principal.odsCode', principal?.odsCode),
    client_id: optionalText('principal.clientId', principal?.clientId),
    principal_kind: optionalText('principal.kind', principal?.kind),
    practitioner_role_id: optionalText('principal.practitionerRoleId', principal?.practitionerRoleId),
    principal_patient_id: optionalText('principal.patientId', principal?.patientId),
    action: entry.action,
    interaction: storableText('interaction', entry.interaction),
    resource_type: optionalText('resourceType', entry.resourceType),
    resource_id: optionalText('resourceId', entry.resourceId),
    patient_ids: entry.patientIds.map((patientId) => storableText('patientIds[]', patientId)),
    query: optionalText('query', entry.query),
    outcome: entry.outcome,
    http_status: entry.httpStatus,
    purpose_of_use: storableText('purposeOfUse', entry.purposeOfUse),
    break_glass: entry.breakGlass,
    break_glass_session_id: optionalText('breakGlassSessionId', entry.breakGlassSessionId),
    source: entry.source,
    remote_address: optionalText('remoteAddress', entry.remoteAddress),
  };
  return { ...content, content_hash: auditContentHash(content) };
}

function requireMember(field: string, value: unknown, allowed: ReadonlySet<string>): void {
  if (typeof value !== 'string' || !allowed.has(value)) {
    throw new InvalidAuditEntryError(field, `must be one of ${[...allowed].join(', ')}`);
  }
}

/** Lone UTF-16 surrogates, which neither JSON-to-jsonb nor PostgreSQL text accept. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Anything that might need replacing: one quick test spares the common case two replacements. */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what must be found here
const MAYBE_UNSTORABLE = /[\u0000\uD800-\uDFFF]/;

/**
 * PostgreSQL text cannot hold U+0000 or a lone surrogate, and a hostile query string may carry
 * either. They become U+FFFD, so that the request is still audited (as nearly as text allows)
 * instead of failing its batch.
 */
function storableText(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidAuditEntryError(field, 'must be a string');
  if (!MAYBE_UNSTORABLE.test(value)) return value;
  return value.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

function optionalText(field: string, value: unknown): string | null {
  return value === undefined || value === null ? null : storableText(field, value);
}

/** Inserts entries as one multi-row statement fed by one JSON parameter (one round trip). */
const INSERT_AUDIT_EVENTS_SQL = `
  insert into audit_event (
    request_id, recorded_at, subject, display_name, role, organization_id, ods_code, client_id,
    principal_kind, practitioner_role_id, principal_patient_id, action, interaction, resource_type,
    resource_id, patient_ids, query, outcome, http_status, purpose_of_use, break_glass,
    break_glass_session_id, source, remote_address, content_hash)
  select
    x.request_id, x.recorded_at::timestamptz, x.subject, x.display_name, x.role, x.organization_id,
    x.ods_code, x.client_id, x.principal_kind, x.practitioner_role_id, x.principal_patient_id,
    x.action, x.interaction, x.resource_type, x.resource_id, x.patient_ids, x.query, x.outcome,
    x.http_status, x.purpose_of_use, x.break_glass, x.break_glass_session_id, x.source,
    x.remote_address, x.content_hash
  from jsonb_to_recordset($1::jsonb) as x(
    request_id text, recorded_at text, subject text, display_name text, role text,
    organization_id text, ods_code text, client_id text, principal_kind text,
    practitioner_role_id text, principal_patient_id text, action text, interaction text,
    resource_type text, resource_id text, patient_ids text[], query text, outcome text,
    http_status integer, purpose_of_use text, break_glass boolean, break_glass_session_id text,
    source text, remote_address text, content_hash text)`;

export async function insertAuditEvents(db: SqlExecutor, rows: readonly AuditEventInput[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(INSERT_AUDIT_EVENTS_SQL, [JSON.stringify(rows)]);
}

/** The SQL column list that yields a `StoredAuditEventRow` from `audit_event`, aliased. */
export function storedAuditColumns(alias: string): string {
  return [
    'id',
    'request_id',
    'recorded_at',
    'subject',
    'display_name',
    'role',
    'organization_id',
    'ods_code',
    'client_id',
    'principal_kind',
    'practitioner_role_id',
    'principal_patient_id',
    'action',
    'interaction',
    'resource_type',
    'resource_id',
    'patient_ids',
    'query',
    'outcome',
    'http_status',
    'purpose_of_use',
    'break_glass',
    'break_glass_session_id',
    'source',
    'remote_address',
  ]
    .map((column) => `${alias}.${column}`)
    .join(', ');
}

/** An `audit_event` row as the drivers return it. */
export interface StoredAuditEventRow extends Omit<AuditEventInput, 'recorded_at' | 'content_hash'> {
  id: number;
  recorded_at: Date;
}

export function storedAuditEntry(row: StoredAuditEventRow): StoredAuditEntry {
  const entry: StoredAuditEntry = {
    id: row.id,
    requestId: row.request_id,
    recordedAt: row.recorded_at,
    action: row.action as AuditEntry['action'],
    interaction: row.interaction,
    patientIds: row.patient_ids,
    outcome: row.outcome as AuditEntry['outcome'],
    httpStatus: row.http_status,
    purposeOfUse: row.purpose_of_use,
    breakGlass: row.break_glass,
    source: row.source as AuditEntry['source'],
  };
  if (row.subject !== null && row.role !== null && isCarebridgeRole(row.role)) {
    const principal: AuditedPrincipal = {
      subject: row.subject,
      displayName: row.display_name ?? row.subject,
      role: row.role,
      clientId: row.client_id ?? '',
    };
    if (row.organization_id !== null) principal.organizationId = row.organization_id;
    if (row.ods_code !== null) principal.odsCode = row.ods_code;
    if (row.principal_kind !== null) principal.kind = row.principal_kind as Principal['kind'];
    if (row.practitioner_role_id !== null) principal.practitionerRoleId = row.practitioner_role_id;
    if (row.principal_patient_id !== null) principal.patientId = row.principal_patient_id;
    entry.principal = principal;
  }
  if (row.resource_type !== null) entry.resourceType = row.resource_type;
  if (row.resource_id !== null) entry.resourceId = row.resource_id;
  if (row.query !== null) entry.query = row.query;
  if (row.break_glass_session_id !== null) entry.breakGlassSessionId = row.break_glass_session_id;
  if (row.remote_address !== null) entry.remoteAddress = row.remote_address;
  return entry;
}
