import type { Bundle, DocumentReference, Parameters, Patient } from 'fhir/r4.js';
import {
  NHS_NUMBER_SYSTEM,
  extractDocumentFacts,
  fhirError,
  type HeldDocumentSnapshot,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { SqlExecutor } from '../store/database.js';
import { actorOf, isOperationsOrAdmin, requireOperations, type ExchangeContext } from './context.js';
import { findDocument, type DocumentStatus, type ExchangeDocumentRow } from './ledger-store.js';
import {
  code,
  group,
  instant,
  int,
  parameters,
  ref,
  str,
  type ParameterReader,
  type Part,
} from './parameters.js';
import { matchPatient, patientAtEvent } from './routing.js';
import { routeAndSend, type SubmissionResult } from './submission.js';

/**
 * The review queue: documents held at submission because the patient could not be matched with
 * certainty (unknown, ambiguous, or demographics that differ from ours) or no recipient could be
 * found. Nothing held reaches anyone until a person decides: release it to the confirmed patient's
 * recipients, or return it to the sender for correction. `held-for-review` alarms after 1 working day.
 */

const HELD_COLUMNS = `document_id as "documentId", title, kind, hold_reason as "holdReason", hold_detail as "holdDetail",
  held_at as "heldAt", nhs_number as "nhsNumber", sender_ods as "senderOds", sender_org_id as "senderOrgId",
  event_at as "eventAt"`;

interface HeldRow {
  documentId: string;
  title: string;
  kind: HeldDocumentSnapshot['kind'];
  holdReason: string | null;
  holdDetail: string | null;
  heldAt: Date | null;
  nhsNumber: string;
  senderOds: string;
  senderOrgId: string | null;
  eventAt: Date;
}

interface HeldQuery {
  reason?: string;
  count: number;
  /** Staff see their own organisation's held documents; operations see every one. */
  senderOrgId?: string;
}

export function heldQuery(access: AccessContext, query: Array<[string, string]>): HeldQuery {
  const result: HeldQuery = { count: 100 };
  for (const [name, value] of query) {
    if (name === 'reason') result.reason = value;
    else if (name === '_count') {
      if (!/^\d{1,4}$/.test(value) || Number(value) < 1)
        throw fhirError('invalid-search-parameter', "'_count' must be a whole number from 1.", [name]);
      result.count = Math.min(Number(value), 1000);
    } else
      throw fhirError('invalid-search-parameter', `$held-documents takes no parameter '${name}'.`, [name]);
  }
  if (isOperationsOrAdmin(access) || access.principal.patientAccess === 'all') return result;
  const orgId = access.principal.organizationId;
  if (orgId === undefined || access.principal.kind === 'patient')
    throw fhirError('forbidden', 'The review queue is for operations and for the sending organisation.');
  return { ...result, senderOrgId: orgId };
}

/** `$held-documents`: the review queue, oldest hold first. */
export async function heldDocuments(
  tx: SqlExecutor,
  query: HeldQuery,
): Promise<{ body: Parameters; patientIds: string[] }> {
  const rows = await heldRows(tx, query);
  const body = parameters([
    int('count', rows.length),
    ...rows.map((row) =>
      group('held', [
        str('document', row.documentId),
        str('title', row.title),
        code('kind', row.kind),
        code('reason', row.holdReason),
        str('detail', row.holdDetail),
        instant('heldAt', row.heldAt === null ? null : new Date(row.heldAt)),
        instant('eventAt', new Date(row.eventAt)),
        str('nhsNumber', row.nhsNumber),
        str('senderOds', row.senderOds),
        ref('sender', row.senderOrgId === null ? null : `Organization/${row.senderOrgId}`),
      ]),
    ),
  ]);
  // A held document belongs to no patient record yet; its NHS number is in the entry itself.
  return { body, patientIds: [] };
}

async function heldRows(tx: SqlExecutor, query: HeldQuery): Promise<HeldRow[]> {
  const { rows } = await tx.query<HeldRow>(
    `select ${HELD_COLUMNS} from exchange_document
      where status = 'held' and ($1::text is null or hold_reason = $1) and ($2::text is null or sender_org_id = $2)
      order by held_at, id limit $3`,
    [query.reason ?? null, query.senderOrgId ?? null, query.count],
  );
  return rows;
}

/** Held documents as the alarms see them (the caller's own, or all for operations). */
export async function heldSnapshots(
  tx: SqlExecutor,
  senderOrgId: string | undefined,
  limit: number,
): Promise<HeldDocumentSnapshot[]> {
  const rows = await heldRows(tx, { count: limit, ...(senderOrgId === undefined ? {} : { senderOrgId }) });
  return rows.map((row) => ({
    documentId: row.documentId,
    kind: row.kind,
    heldAt: new Date(row.heldAt ?? row.eventAt),
    reason: row.holdReason ?? 'held',
  }));
}

/**
 * `$resolve-held-document`: `action=release` (with `patient`, the record the reviewer confirmed,
 * whose NHS number must be the document's) routes and delivers it; `action=return` sends it back to
 * the sender with `detail`, who must correct and re-send it.
 */
export async function resolveHeldDocument(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
): Promise<SubmissionResult & { outcome: 'accepted' | 'held' | 'duplicate' | 'withdrawn' }> {
  requireOperations(access, 'resolve held documents');
  const documentId = reader.requiredString('document');
  const document = await findDocument(tx, documentId);
  if (!document) throw fhirError('document-not-found', `No document ${documentId} exists.`);
  if (document.status !== 'held') {
    throw fhirError(
      'ledger-transition-refused',
      `Document ${documentId} is ${document.status}, not held for review.`,
    );
  }
  const action = reader.code('action');
  if (action === 'return') return returnToSender(ctx, tx, access, document, reader.string('detail'));
  if (action === 'release') return releaseHeld(ctx, tx, access, document, reader);
  throw fhirError('invalid-code', "The parameter 'action' must be release or return.", [
    "Parameters.parameter('action')",
  ]);
}

async function returnToSender(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  document: ExchangeDocumentRow,
  detail: string | undefined,
): Promise<SubmissionResult & { outcome: 'held' }> {
  if (detail === undefined) {
    throw fhirError(
      'missing-required-element',
      "Say why in 'detail': the sender must know what to correct.",
      ["Parameters.parameter('detail')"],
    );
  }
  const updated = await resolve(ctx, tx, access, document, {
    status: 'returned',
    resolution: 'returned',
    detail,
  });
  return { outcome: 'held', document: updated, rows: [] };
}

async function releaseHeld(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  document: ExchangeDocumentRow,
  reader: ParameterReader,
): Promise<SubmissionResult & { outcome: 'accepted' | 'held' | 'duplicate' | 'withdrawn' }> {
  const stored = await ctx.store.read(tx, 'Bundle', document.bundleId);
  if (!stored) throw fhirError('internal-error', `The stored Bundle of ${document.documentId} is missing.`);
  const bundle = JSON.parse(stored.content) as Bundle;
  const facts = extractDocumentFacts(bundle);
  const confirmed = await confirmedPatient(tx, document, reader, facts);
  const status: DocumentStatus = facts.status === 'preliminary' ? 'awaiting-authorisation' : 'final';
  const updated = await resolve(ctx, tx, access, document, {
    status,
    resolution: 'released',
    detail: reader.string('detail') ?? null,
    patientId: confirmed.id,
  });
  await setDocumentReferenceSubject(ctx, tx, updated, confirmed.id);
  const atEvent = await patientAtEvent(tx, confirmed.id, updated.eventAt, confirmed.patient);
  const result = await routeAndSend(
    ctx,
    tx,
    updated,
    { bundle, patient: atEvent, patientId: confirmed.id },
    {
      request: updated.routingRequest ?? { copies: [], copyToPatient: false },
      actor: actorOf(access),
      send: updated.heldForReleaseAt === null,
    },
  );
  if (result.outcome === 'rejected' || result.outcome === 'conflict')
    throw fhirError('internal-error', 'Routing a released document cannot fail assurance.');
  return result;
}

/**
 * The patient the reviewer confirmed: named explicitly, or (when the demographics now match, e.g.
 * after our record was corrected) found again by the usual match. Never a patient with another NHS
 * number: a document for someone else must go back to its sender.
 */
async function confirmedPatient(
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
  reader: ParameterReader,
  facts: ReturnType<typeof extractDocumentFacts>,
): Promise<{ id: string; patient: Patient }> {
  const named = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(
    reader.all('patient')[0]?.valueReference?.reference ?? '',
  )?.[1];
  if (named === undefined) {
    const match = await matchPatient(tx, facts);
    if (match.outcome === 'matched') return { id: match.patientId, patient: match.patient };
    throw fhirError(
      'ledger-transition-refused',
      `The patient still cannot be matched (${match.detail}); name the Patient you confirmed in 'patient'.`,
      ["Parameters.parameter('patient')"],
    );
  }
  const row = await readPatient(tx, named);
  const nhs = row?.identifier?.find((identifier) => identifier.system === NHS_NUMBER_SYSTEM)?.value;
  if (!row || nhs !== document.nhsNumber) {
    throw fhirError(
      'held-patient-mismatch',
      `Patient/${named} does not have the document's NHS number; return the document to its sender instead.`,
      ["Parameters.parameter('patient')"],
    );
  }
  return { id: named, patient: row };
}

async function readPatient(tx: SqlExecutor, id: string): Promise<Patient | undefined> {
  const { rows } = await tx.query<{ content: string }>(
    `select content from resource where resource_type = 'Patient' and id = $1 and not deleted`,
    [id],
  );
  return rows[0] ? (JSON.parse(rows[0].content) as Patient) : undefined;
}

async function resolve(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  document: ExchangeDocumentRow,
  change: {
    status: DocumentStatus;
    resolution: 'released' | 'returned';
    detail: string | null;
    patientId?: string;
  },
): Promise<ExchangeDocumentRow> {
  const now = ctx.clock.now().toISOString();
  const { rows } = await tx.query<ExchangeDocumentRow>(
    `update exchange_document set status = $2, resolution = $3, resolution_detail = $4, resolved_at = $5::timestamptz,
       resolved_by = $6, patient_id = coalesce($7, patient_id), updated_at = $5::timestamptz,
       authorised_at = case when $2 = 'final' then coalesce(authorised_at, $5::timestamptz) else authorised_at end
     where id = $1 and status = 'held'
     returning id::text as "rowId"`,
    [
      document.rowId,
      change.status,
      change.resolution,
      change.detail,
      now,
      access.principal.subject,
      change.patientId ?? null,
    ],
  );
  if (!rows[0])
    throw fhirError(
      'ledger-transition-refused',
      `Document ${document.documentId} changed while it was being reviewed.`,
    );
  const updated = await findDocument(tx, document.documentId);
  if (!updated) throw fhirError('internal-error', `Document ${document.documentId} vanished.`);
  return updated;
}

async function setDocumentReferenceSubject(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
  patientId: string,
): Promise<void> {
  const row = await ctx.store.read(tx, 'DocumentReference', document.documentReferenceId);
  if (!row || row.deleted) return;
  const current = JSON.parse(row.content) as DocumentReference;
  await ctx.store.put(tx, { ...current, subject: { reference: `Patient/${patientId}` } } as never);
}

/** Parts describing a document's review outcome, for the operation's answer. */
export function reviewParts(document: ExchangeDocumentRow): Part[] {
  return [code('resolution', document.resolution), str('resolutionDetail', document.resolutionDetail)];
}
