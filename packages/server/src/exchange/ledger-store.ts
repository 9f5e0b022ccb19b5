import {
  fhirError,
  transition,
  type DocumentKind,
  type LedgerEvent,
  type LedgerState,
  type RejectionReason,
} from '@carebridge/domain';
import type { SqlExecutor } from '../store/database.js';

/**
 * SQL for the exchange tables (0006_exchange.sql). Every ledger transition goes through
 * {@link applyEvent}: the domain's `transition` decides, the database settles races with a
 * compare-and-set on the previous state, and the change is written with its event row in the
 * caller's transaction, so a state never changes without its timestamp and its "who".
 */

export type DocumentStatus =
  'awaiting-authorisation' | 'final' | 'held' | 'returned' | 'superseded' | 'withdrawn';
export type RecipientKind = 'practice' | 'copy' | 'patient';
export type Transport = 'local' | 'outbox';

export interface ExchangeDocumentRow {
  rowId: string;
  documentId: string;
  setId: string;
  version: number;
  kind: DocumentKind;
  title: string;
  status: DocumentStatus;
  holdReason: string | null;
  holdDetail: string | null;
  patientId: string | null;
  nhsNumber: string;
  senderOrgId: string | null;
  senderOds: string;
  contentHash: string;
  eventAt: Date;
  replaces: string | null;
  bundleId: string;
  documentReferenceId: string;
  codedEntries: CodedEntries;
  hasMedicationChanges: boolean;
  hasActions: boolean;
  createdAt: Date;
  authorisedAt: Date | null;
  /** When it was held for review (status held), and how the review ended. */
  heldAt: Date | null;
  resolution: 'released' | 'returned' | null;
  resolutionDetail: string | null;
  /** Ingested on purpose without delivery (a backlog), and the release that delivered it. */
  heldForReleaseAt: Date | null;
  releaseId: string | null;
  /** The copies asked for at submission, kept so a held document is routed fully when released. */
  routingRequest: RoutingRequest | null;
}

export interface RoutingRequest {
  copies: Array<{ organizationId?: string; ods?: string }>;
  copyToPatient: boolean;
}

/** The coded content filing can import, as extracted at submit time. */
export interface CodedEntries {
  conditions: CodedEntry[];
  allergies: CodedEntry[];
  medications: CodedEntry[];
  actions: CodedEntry[];
}

export interface CodedEntry {
  concept: { system: string; code: string; display?: string };
  text?: string;
  section: string;
  clinicalStatus?: string;
  criticality?: string;
  change?: string;
  changeReason?: string;
  description?: string;
}

export interface DeliveryRow {
  id: string;
  documentRow: string;
  documentId: string;
  recipientKind: RecipientKind;
  recipientOrgId: string | null;
  recipientOds: string | null;
  recipientPatientId: string | null;
  transport: Transport;
  state: LedgerState;
  createdAt: Date;
  authorisedAt: Date | null;
  queuedAt: Date | null;
  deliveredAt: Date | null;
  openedAt: Date | null;
  filedAt: Date | null;
  rejectedAt: Date | null;
  supersededAt: Date | null;
  withdrawnAt: Date | null;
  rejectionReason: RejectionReason | null;
  rejectionDetail: string | null;
  outboxMessageId: string | null;
  delayedDays: number;
  /** "delayed: 3 days late", as the backlog release that delivered it labelled it. */
  lateness: string | null;
  releaseId: string | null;
  /** For a duplicate: the row that already delivered the same content to this recipient. */
  duplicateOf: string | null;
  reroutedTo: string | null;
  reroutedFrom: string | null;
}

/** Who moved a row, for the event table. */
export interface Actor {
  subject: string;
  role: string;
  organizationId?: string;
}

export interface NewDocument {
  documentId: string;
  setId: string;
  version: number;
  kind: DocumentKind;
  title: string;
  status: DocumentStatus;
  holdReason?: string;
  holdDetail?: string;
  patientId?: string;
  nhsNumber: string;
  senderOrgId?: string;
  senderOds: string;
  contentHash: string;
  eventAt: Date;
  replaces?: string;
  bundleId: string;
  documentReferenceId: string;
  assurance: unknown;
  codedEntries: CodedEntries;
  hasMedicationChanges: boolean;
  hasActions: boolean;
  submittedBy: string;
  at: Date;
  heldForRelease?: boolean;
  routingRequest?: RoutingRequest;
}

const DOCUMENT_COLUMNS = `id::text as "rowId", document_id as "documentId", set_id as "setId", version, kind, title,
  status, hold_reason as "holdReason", hold_detail as "holdDetail", patient_id as "patientId",
  nhs_number as "nhsNumber", sender_org_id as "senderOrgId", sender_ods as "senderOds",
  content_hash as "contentHash", event_at as "eventAt", replaces, bundle_id as "bundleId",
  document_reference_id as "documentReferenceId", coded_entries as "codedEntries",
  has_medication_changes as "hasMedicationChanges", has_actions as "hasActions",
  created_at as "createdAt", authorised_at as "authorisedAt", held_at as "heldAt", resolution,
  resolution_detail as "resolutionDetail", held_for_release_at as "heldForReleaseAt",
  release_id::text as "releaseId", routing_request as "routingRequest"`;

/** Columns of delivery_row as a DeliveryRow; `alias` qualifies them in joins. */
export function deliveryColumns(alias = 'd'): string {
  return `${alias}.id::text as id, ${alias}.document_row::text as "documentRow", ${alias}.document_id as "documentId",
  ${alias}.recipient_kind as "recipientKind", ${alias}.recipient_org_id as "recipientOrgId",
  ${alias}.recipient_ods as "recipientOds", ${alias}.recipient_patient_id as "recipientPatientId",
  ${alias}.transport, ${alias}.state, ${alias}.created_at as "createdAt", ${alias}.authorised_at as "authorisedAt",
  ${alias}.queued_at as "queuedAt", ${alias}.delivered_at as "deliveredAt", ${alias}.opened_at as "openedAt",
  ${alias}.filed_at as "filedAt", ${alias}.rejected_at as "rejectedAt", ${alias}.superseded_at as "supersededAt",
  ${alias}.withdrawn_at as "withdrawnAt", ${alias}.rejection_reason as "rejectionReason",
  ${alias}.rejection_detail as "rejectionDetail", ${alias}.outbox_message_id::text as "outboxMessageId",
  ${alias}.delayed_days as "delayedDays", ${alias}.lateness, ${alias}.release_id::text as "releaseId",
  ${alias}.duplicate_of::text as "duplicateOf", ${alias}.rerouted_to::text as "reroutedTo",
  ${alias}.rerouted_from::text as "reroutedFrom"`;
}

/** Drivers differ (pg parses timestamptz and jsonb; PGlite too, but be certain): normalise. */
export function normaliseDocument(row: ExchangeDocumentRow): ExchangeDocumentRow {
  const date = (value: Date | null) => (value === null ? null : new Date(value));
  return {
    ...row,
    eventAt: new Date(row.eventAt),
    createdAt: new Date(row.createdAt),
    authorisedAt: date(row.authorisedAt),
    heldAt: date(row.heldAt),
    heldForReleaseAt: date(row.heldForReleaseAt),
    codedEntries: parsedJson(row.codedEntries),
    routingRequest: row.routingRequest === null ? null : parsedJson(row.routingRequest),
  };
}

function parsedJson<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

const DATE_FIELDS = [
  'createdAt',
  'authorisedAt',
  'queuedAt',
  'deliveredAt',
  'openedAt',
  'filedAt',
  'rejectedAt',
  'supersededAt',
  'withdrawnAt',
] as const;

export function normaliseDelivery(row: DeliveryRow): DeliveryRow {
  const copy = { ...row };
  for (const field of DATE_FIELDS) {
    const value = copy[field];
    if (value !== null) (copy as Record<string, unknown>)[field] = new Date(value);
  }
  return copy;
}

/** The first ledger rows of a new document: its recipients, in their first state, with who routed them. */
export interface FirstRows {
  recipients: readonly NewDeliveryRow[];
  state: LedgerState;
  actor: Actor;
}

/**
 * Claims the document id: inserts the document row, with its first ledger rows and their "routed"
 * events, in one statement, and returns them; or returns undefined when the id is already taken
 * (also by a concurrent submission, which this waits for). The unique index decides. One statement,
 * because a backlog of tens of thousands of letters pays for every round trip.
 */
export async function insertDocument(
  tx: SqlExecutor,
  doc: NewDocument,
  first: FirstRows,
): Promise<{ document: ExchangeDocumentRow; rows: DeliveryRow[] } | undefined> {
  const at = doc.at.toISOString();
  const column = <T>(pick: (row: NewDeliveryRow) => T): T[] => first.recipients.map(pick);
  const { rows } = await tx.query<{ document: ExchangeDocumentRow | null; rows: DeliveryRow[] | string }>(
    `with doc as (
       insert into exchange_document (document_id, set_id, version, kind, title, status, hold_reason, hold_detail,
         patient_id, nhs_number, sender_org_id, sender_ods, content_hash, event_at, replaces, bundle_id,
         document_reference_id, assurance, coded_entries, has_medication_changes, has_actions, submitted_by,
         created_at, authorised_at, updated_at, held_at, held_for_release_at, routing_request)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::timestamptz, $15, $16, $17, $18::jsonb,
         $19::jsonb, $20, $21, $22, $23::timestamptz, $24::timestamptz, $23::timestamptz,
         case when $6 = 'held' then $23::timestamptz end, $25::timestamptz, $26::jsonb)
       on conflict (document_id) do nothing
       returning *
     ), dr as (
       insert into delivery_row (document_row, document_id, recipient_kind, recipient_key, recipient_org_id,
         recipient_ods, recipient_patient_id, transport, state, created_at, authorised_at, updated_at)
       select doc.id, doc.document_id, r.kind, r.key, r.org_id, r.ods, r.patient_id, r.transport, $27,
         $23::timestamptz, case when $27 = 'final' then $23::timestamptz end, $23::timestamptz
       from doc cross join unnest($28::text[], $29::text[], $30::text[], $31::text[], $32::text[], $33::text[])
         with ordinality as r(kind, key, org_id, ods, patient_id, transport, ord)
       order by r.ord
       returning *
     ), ev as (
       insert into delivery_event (row_id, from_state, to_state, at, subject, role, organization_id, reason)
       select dr.id, null, dr.state, $23::timestamptz, $34, $35, $36, 'routed' from dr order by dr.id
     )
     select (select to_jsonb(x) from (select ${DOCUMENT_COLUMNS} from doc) x) as document,
       (select coalesce(jsonb_agg(to_jsonb(y) order by y.id::bigint), '[]'::jsonb)
          from (select ${deliveryColumns('dr')} from dr) y) as rows`,
    [
      doc.documentId,
      doc.setId,
      doc.version,
      doc.kind,
      doc.title,
      doc.status,
      doc.holdReason ?? null,
      doc.holdDetail ?? null,
      doc.patientId ?? null,
      doc.nhsNumber,
      doc.senderOrgId ?? null,
      doc.senderOds,
      doc.contentHash,
      doc.eventAt.toISOString(),
      doc.replaces ?? null,
      doc.bundleId,
      doc.documentReferenceId,
      JSON.stringify(doc.assurance),
      JSON.stringify(doc.codedEntries),
      doc.hasMedicationChanges,
      doc.hasActions,
      doc.submittedBy,
      at,
      doc.status === 'final' ? at : null,
      doc.heldForRelease === true ? at : null,
      doc.routingRequest === undefined ? null : JSON.stringify(doc.routingRequest),
      first.state,
      column((row) => row.recipientKind),
      column((row) => recipientKey(row)),
      column((row) => row.recipientOrgId ?? null),
      column((row) => row.recipientOds ?? null),
      column((row) => row.recipientPatientId ?? null),
      column((row) => row.transport),
      first.actor.subject,
      first.actor.role,
      first.actor.organizationId ?? null,
    ],
  );
  const result = rows[0];
  if (!result?.document) return undefined;
  const inserted = typeof result.rows === 'string' ? (JSON.parse(result.rows) as DeliveryRow[]) : result.rows;
  return { document: normaliseDocument(result.document), rows: inserted.map(normaliseDelivery) };
}

export async function findDocument(
  db: SqlExecutor,
  documentId: string,
): Promise<ExchangeDocumentRow | undefined> {
  const { rows } = await db.query<ExchangeDocumentRow>(
    `select ${DOCUMENT_COLUMNS} from exchange_document where document_id = $1`,
    [documentId],
  );
  return rows[0] ? normaliseDocument(rows[0]) : undefined;
}

/** Every other version of a document set from the same sender (for entered-in-error). */
export async function documentsInSet(
  db: SqlExecutor,
  senderOds: string,
  setId: string,
): Promise<ExchangeDocumentRow[]> {
  const { rows } = await db.query<ExchangeDocumentRow>(
    `select ${DOCUMENT_COLUMNS} from exchange_document where sender_ods = $1 and set_id = $2 order by id`,
    [senderOds, setId],
  );
  return rows.map(normaliseDocument);
}

/** Compare-and-set on the document's status. */
export async function setDocumentStatus(
  tx: SqlExecutor,
  rowId: string,
  from: DocumentStatus,
  to: DocumentStatus,
  at: Date,
  authorisedBy?: string,
): Promise<boolean> {
  const result = await tx.query(
    `update exchange_document set status = $3, updated_at = $4::timestamptz,
       authorised_at = case when $3 = 'final' then $4::timestamptz else authorised_at end,
       authorised_by = coalesce($5, authorised_by)
     where id = $1 and status = $2`,
    [rowId, from, to, at.toISOString(), authorisedBy ?? null],
  );
  return result.rowCount === 1;
}

export interface NewDeliveryRow {
  recipientKind: RecipientKind;
  recipientOrgId?: string;
  recipientOds?: string;
  recipientPatientId?: string;
  transport: Transport;
  /** The rejected row this one re-routes. */
  reroutedFrom?: string;
}

export function recipientKey(row: NewDeliveryRow): string {
  return row.recipientPatientId !== undefined
    ? `patient:${row.recipientPatientId}`
    : `org:${row.recipientOrgId ?? row.recipientOds ?? ''}`;
}

/**
 * A new ledger row in its first state, with the event that created it, in one statement (a backlog
 * of thousands of letters is routed one round trip per recipient, not two).
 */
export async function insertDeliveryRow(
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
  recipient: NewDeliveryRow,
  state: LedgerState,
  at: Date,
  actor: Actor,
  reason = 'routed',
): Promise<DeliveryRow> {
  const { rows } = await tx.query<DeliveryRow>(
    `with d as (
       insert into delivery_row (document_row, document_id, recipient_kind, recipient_key, recipient_org_id,
         recipient_ods, recipient_patient_id, transport, state, created_at, authorised_at, updated_at,
         rerouted_from)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz,
         case when $9 = 'final' then $10::timestamptz end, $10::timestamptz, $15::bigint)
       returning *
     ), e as (
       insert into delivery_event (row_id, from_state, to_state, at, subject, role, organization_id, reason)
       select d.id, null, d.state, $10::timestamptz, $11, $12, $13, $14 from d
     )
     select ${deliveryColumns('d')} from d`,
    [
      document.rowId,
      document.documentId,
      recipient.recipientKind,
      recipientKey(recipient),
      recipient.recipientOrgId ?? null,
      recipient.recipientOds ?? null,
      recipient.recipientPatientId ?? null,
      recipient.transport,
      state,
      at.toISOString(),
      actor.subject,
      actor.role,
      actor.organizationId ?? null,
      reason,
      recipient.reroutedFrom ?? null,
    ],
  );
  return normaliseDelivery(rows[0] as DeliveryRow);
}

export async function deliveryRowsOf(db: SqlExecutor, documentRow: string): Promise<DeliveryRow[]> {
  const { rows } = await db.query<DeliveryRow>(
    `select ${deliveryColumns('d')} from delivery_row d where d.document_row = $1 order by d.id`,
    [documentRow],
  );
  return rows.map(normaliseDelivery);
}

export async function deliveryRow(db: SqlExecutor, id: string): Promise<DeliveryRow | undefined> {
  const { rows } = await db.query<DeliveryRow>(
    `select ${deliveryColumns('d')} from delivery_row d where d.id = $1`,
    [id],
  );
  return rows[0] ? normaliseDelivery(rows[0]) : undefined;
}

/** The timestamp column each state records when a row enters it. */
const STATE_TIMESTAMP: Partial<Record<LedgerState, string>> = {
  final: 'authorised_at',
  queued: 'queued_at',
  delivered: 'delivered_at',
  opened: 'opened_at',
  filed: 'filed_at',
  rejected: 'rejected_at',
  superseded: 'superseded_at',
  withdrawn: 'withdrawn_at',
};

/** Later progress implies the earlier steps happened: a "filed" straight from queued also delivered it. */
const IMPLIED_TIMESTAMPS: Partial<Record<LedgerState, string[]>> = {
  opened: ['delivered_at'],
  filed: ['delivered_at', 'opened_at'],
};

export interface EventOptions {
  reason?: string;
  outboxMessageId?: string;
  delayedDays?: number;
  lateness?: string;
  releaseId?: string;
  duplicateOf?: string;
  reroutedTo?: string;
}

/**
 * Applies one event to a ledger row. The domain decides the next state; the update only applies if
 * the row is still in the state that decision was made from (compare-and-set), re-reading and
 * deciding again if another transaction moved it first. A refused transition is a 409.
 */
export async function applyEvent(
  tx: SqlExecutor,
  rowId: string,
  event: LedgerEvent,
  at: Date,
  actor: Actor,
  options: EventOptions = {},
): Promise<DeliveryRow> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await deliveryRow(tx, rowId);
    if (!current) throw fhirError('document-not-found', `Ledger row ${rowId} does not exist.`);
    const status =
      current.rejectionReason === null
        ? { state: current.state }
        : {
            state: current.state,
            rejection: {
              reason: current.rejectionReason,
              ...(current.rejectionDetail === null ? {} : { detail: current.rejectionDetail }),
            },
          };
    const result = transition(status, event);
    if (!result.ok) throw fhirError('ledger-transition-refused', result.message);
    if (!result.changed) return current;
    const moved = await compareAndSet(tx, current, result.status.state, at, event, options);
    if (moved) {
      await insertEvent(tx, rowId, current.state, moved.state, at, actor, options.reason ?? event.type);
      return moved;
    }
  }
  throw fhirError('service-unavailable', `Ledger row ${rowId} is changing too often; try again.`);
}

async function compareAndSet(
  tx: SqlExecutor,
  current: DeliveryRow,
  to: LedgerState,
  at: Date,
  event: LedgerEvent,
  options: EventOptions,
): Promise<DeliveryRow | undefined> {
  const columns = [STATE_TIMESTAMP[to], ...(IMPLIED_TIMESTAMPS[to] ?? [])].filter(
    (column): column is string => column !== undefined,
  );
  const stamps = columns.map((column) => `, ${column} = coalesce(${column}, $4::timestamptz)`).join('');
  const rejection = event.type === 'reject' ? [event.reason, event.detail ?? null] : [null, null];
  const { rows } = await tx.query<DeliveryRow>(
    `update delivery_row as d set state = $3, updated_at = $4::timestamptz${stamps},
       rejection_reason = case when $3 = 'rejected' then $5 else d.rejection_reason end,
       rejection_detail = case when $3 = 'rejected' then $6 else d.rejection_detail end,
       outbox_message_id = coalesce($7::uuid, d.outbox_message_id),
       delayed_days = greatest(d.delayed_days, $8),
       lateness = coalesce($9, d.lateness),
       release_id = coalesce($10::uuid, d.release_id),
       duplicate_of = coalesce($11::bigint, d.duplicate_of),
       rerouted_to = coalesce($12::bigint, d.rerouted_to)
     where d.id = $1 and d.state = $2
     returning ${deliveryColumns('d')}`,
    [
      current.id,
      current.state,
      to,
      at.toISOString(),
      ...rejection,
      options.outboxMessageId ?? null,
      options.delayedDays ?? 0,
      options.lateness ?? null,
      options.releaseId ?? null,
      options.duplicateOf ?? null,
      options.reroutedTo ?? null,
    ],
  );
  return rows[0] ? normaliseDelivery(rows[0]) : undefined;
}

async function insertEvent(
  tx: SqlExecutor,
  rowId: string,
  from: LedgerState | null,
  to: LedgerState,
  at: Date,
  actor: Actor,
  reason: string,
): Promise<void> {
  await tx.query(
    `insert into delivery_event (row_id, from_state, to_state, at, subject, role, organization_id, reason)
     values ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8)`,
    [rowId, from, to, at.toISOString(), actor.subject, actor.role, actor.organizationId ?? null, reason],
  );
}

export interface DeliveryEventRow {
  rowId: string;
  from: LedgerState | null;
  to: LedgerState;
  at: Date;
  subject: string;
  role: string;
  organizationId: string | null;
  reason: string | null;
}

export async function eventsOf(db: SqlExecutor, rowIds: readonly string[]): Promise<DeliveryEventRow[]> {
  if (rowIds.length === 0) return [];
  const { rows } = await db.query<DeliveryEventRow>(
    `select row_id::text as "rowId", from_state as "from", to_state as "to", at, subject, role,
       organization_id as "organizationId", reason
     from delivery_event where row_id = any($1::bigint[]) order by id`,
    [rowIds.map(Number)],
  );
  return rows.map((row) => ({ ...row, at: new Date(row.at) }));
}

export async function recordFiledResources(
  tx: SqlExecutor,
  rowId: string,
  references: readonly string[],
): Promise<void> {
  await tx.query('update delivery_row set filed_resources = $2::jsonb where id = $1', [
    rowId,
    JSON.stringify(references),
  ]);
}
