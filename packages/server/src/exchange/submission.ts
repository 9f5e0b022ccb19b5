import { randomUUID } from 'node:crypto';
import type { Bundle, Composition, DocumentReference, Patient, FhirResource as R4Resource } from 'fhir/r4.js';
import {
  ODS_ORGANIZATION_CODE_SYSTEM,
  assuranceIssues,
  assureDocument,
  extractDocumentFacts,
  fhirError,
  isJsonObject,
  isTerminalLedgerState,
  type DocumentFacts,
  type FhirError,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { SqlExecutor } from '../store/database.js';
import type { Destination, JsonValue } from '../transport/index.js';
import {
  CORRELATION_PREFIX,
  actorOf,
  actsForSender,
  delayedDays,
  messageIdFor,
  requireRole,
  type ExchangeContext,
} from './context.js';
import {
  applyEvent,
  deliveryRowsOf,
  documentsInSet,
  findDocument,
  insertDeliveryRow,
  insertDocument,
  setDocumentStatus,
  type Actor,
  type CodedEntries,
  type DeliveryRow,
  type DocumentStatus,
  type EventOptions,
  type ExchangeDocumentRow,
  type RoutingRequest,
} from './ledger-store.js';
import { parametersOf, type ParameterReader } from './parameters.js';
import {
  matchPatient,
  organisationIdByOds,
  planRecipients,
  resolveOrganisation,
  type CopyRequest,
  type PatientMatch,
  type PlannedRecipient,
} from './routing.js';

/**
 * What a submission came to: the caller answers each differently (201, 200 duplicate, 409, 422).
 * A conflict is an outcome rather than a thrown error so that the assurance report's record of it
 * commits with the answer.
 */
export type SubmissionResult =
  | { outcome: 'rejected'; issues: ReturnType<typeof assuranceIssues> }
  | { outcome: 'conflict'; error: FhirError }
  | {
      outcome: 'accepted' | 'duplicate' | 'held' | 'withdrawn';
      document: ExchangeDocumentRow;
      rows: DeliveryRow[];
    };

interface SubmitInput {
  bundle: unknown;
  copies: CopyRequest[];
  copyToPatient: boolean;
  /** Ingest without delivering: a backlog a sender found after an outage, for a backlog release. */
  holdForRelease: boolean;
}

/**
 * The body is the document Bundle itself, or Parameters with `document`, `copy-to`,
 * `copy-to-patient` and `hold-for-release`.
 */
export function submitInput(body: unknown): SubmitInput {
  if (isJsonObject(body) && body.resourceType === 'Bundle')
    return { bundle: body, copies: [], copyToPatient: false, holdForRelease: false };
  const reader = parametersOf(body);
  const bundle = reader.resource('document');
  if (bundle === undefined) {
    throw fhirError('missing-required-element', "The parameter 'document' (a document Bundle) is required.", [
      "Parameters.parameter('document')",
    ]);
  }
  return {
    bundle,
    copies: copyRequests(reader),
    copyToPatient: reader.boolean('copy-to-patient') === true,
    holdForRelease: reader.boolean('hold-for-release') === true,
  };
}

function copyRequests(reader: ParameterReader): CopyRequest[] {
  return reader.all('copy-to').flatMap((parameter): CopyRequest[] => {
    const id = /^Organization\/(.+)$/.exec(parameter.valueReference?.reference ?? '')?.[1];
    if (id !== undefined) return [{ organizationId: id }];
    const ods = parameter.valueIdentifier?.value ?? parameter.valueString;
    return ods === undefined ? [] : [{ ods }];
  });
}

/**
 * `$submit-document`: assure, recognise duplicates, match the patient, store the document and its
 * DocumentReference, route it and (when final) deliver it, all in the caller's transaction. With
 * `holdForRelease` a final document is routed but not sent: its rows wait in `final` (alarmed like
 * any undelivered letter) until a backlog release delivers them.
 */
export async function submitDocument(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  input: SubmitInput,
): Promise<SubmissionResult> {
  requireRole(access, 'sender');
  const assurance = assureDocument(input.bundle);
  if (assurance.outcome === 'rejected') {
    const issues = assuranceIssues(assurance);
    await recordAssuranceEvent(ctx, tx, access, {
      senderOds: lenientSenderOds(input.bundle) ?? access.principal.odsCode ?? 'unknown',
      outcome: 'rejected',
      reasons: [...new Set(assurance.problems.filter(isError).map((problem) => problem.reason))],
    });
    return { outcome: 'rejected', issues };
  }
  const bundle = input.bundle as Bundle;
  const facts = extractDocumentFacts(bundle);
  const senderOrgId = await organisationIdByOds(tx, facts.custodianOds);
  if (!actsForSender(access, { senderOrgId: senderOrgId ?? null })) {
    throw fhirError(
      'forbidden',
      `The document's custodian (${facts.custodianOds}) is not your organisation; you may only send your own documents.`,
      ['Bundle.entry[0].resource.custodian'],
    );
  }
  const holdForRelease = input.holdForRelease && facts.status !== 'entered-in-error';
  if (holdForRelease && facts.status === 'preliminary') {
    throw fhirError(
      'invalid-value',
      'Only an issued (final or amended) document can be held for a backlog release; authorise it first.',
      ["Parameters.parameter('hold-for-release')"],
    );
  }
  const now = ctx.clock.now();
  const match = await matchPatient(tx, facts);
  const routingRequest = { copies: input.copies, copyToPatient: input.copyToPatient };
  const routed = await routeNewDocument(ctx, tx, facts, match, routingRequest);
  const actor = actorOf(access);
  const inserted = await insertDocument(
    tx,
    {
      documentId: facts.documentId,
      setId: facts.setId,
      version: facts.version,
      kind: facts.kind,
      title: facts.title,
      status: routed.status,
      ...(routed.hold === undefined
        ? {}
        : { holdReason: routed.hold.reason, holdDetail: routed.hold.detail }),
      ...(match.outcome === 'matched' ? { patientId: match.patientId } : {}),
      nhsNumber: facts.patient.nhsNumber,
      ...(senderOrgId === undefined ? {} : { senderOrgId }),
      senderOds: facts.custodianOds,
      contentHash: facts.contentHash,
      eventAt: facts.eventAt,
      ...(facts.replaces === undefined ? {} : { replaces: facts.replaces }),
      bundleId: randomUUID(),
      documentReferenceId: randomUUID(),
      assurance: { outcome: assurance.outcome, warnings: assurance.warnings },
      codedEntries: codedEntriesOf(facts),
      hasMedicationChanges: facts.hasMedicationChanges,
      hasActions: facts.hasActions,
      submittedBy: access.principal.subject,
      at: now,
      heldForRelease: holdForRelease,
      ...(routed.hold !== undefined || input.copies.length > 0 || input.copyToPatient
        ? { routingRequest }
        : {}),
    },
    {
      recipients: routed.recipients,
      state: routed.status === 'final' ? 'final' : 'awaiting-authorisation',
      actor,
    },
  );
  // The id is taken: an earlier submission, or a concurrent one this insert waited for.
  if (inserted === undefined) {
    const winner = await findDocument(tx, facts.documentId);
    if (!winner)
      throw fhirError('service-unavailable', 'The document is being submitted concurrently; try again.');
    return duplicateOrConflict(ctx, tx, access, winner, facts);
  }
  const { document, rows } = inserted;
  await storeDocumentResources(ctx, tx, bundle, facts, document);
  if (document.status === 'withdrawn') {
    await withdrawSet(ctx, tx, document, actor);
    return { outcome: 'withdrawn', document, rows: [] };
  }
  if (document.status === 'held') return { outcome: 'held', document, rows: [] };
  if (document.status !== 'final' || holdForRelease) return { outcome: 'accepted', document, rows };
  await release(ctx, tx, document, bundle, actor, rows);
  return { outcome: 'accepted', document, rows: await deliveryRowsOf(tx, document.rowId) };
}

interface RoutedDocument {
  status: DocumentStatus;
  hold?: { reason: string; detail: string };
  recipients: PlannedRecipient[];
}

/**
 * Who a new document goes to, decided before it is stored (so the document, its rows and their
 * events are one statement): nobody when it is withdrawn, or held because the patient or a
 * recipient is in doubt; else the registered practice at the event, the copies, the patient.
 */
async function routeNewDocument(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  facts: DocumentFacts,
  match: PatientMatch,
  request: RoutingRequest,
): Promise<RoutedDocument> {
  if (facts.status === 'entered-in-error') return { status: 'withdrawn', recipients: [] };
  if (match.outcome === 'held') return { status: 'held', hold: match, recipients: [] };
  const plan = await planRecipients(
    tx,
    match.patientAtEvent,
    match.patientId,
    request.copies,
    request.copyToPatient,
    {
      holdingPracticeOds: ctx.options.holdingPracticeOds,
    },
  );
  if (plan.outcome === 'held') return { status: 'held', hold: plan, recipients: [] };
  return {
    status: facts.status === 'preliminary' ? 'awaiting-authorisation' : 'final',
    recipients: plan.recipients,
  };
}

interface RouteTarget {
  bundle: Bundle;
  /** Our Patient record as it was at the event (routing goes to the practice responsible then). */
  patient: Patient;
  patientId: string;
}

/**
 * Routes a stored document to its recipients (rows in its first state) and, when it is final and
 * `send` is set, sends it. Held documents are released from review through here too.
 */
export async function routeAndSend(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
  target: RouteTarget,
  options: { request: RoutingRequest; actor: Actor; send: boolean },
): Promise<SubmissionResult> {
  const now = ctx.clock.now();
  const plan = await planRecipients(
    tx,
    target.patient,
    target.patientId,
    options.request.copies,
    options.request.copyToPatient,
    { holdingPracticeOds: ctx.options.holdingPracticeOds },
  );
  if (plan.outcome === 'held') {
    await holdDocument(tx, document, plan.reason, plan.detail, now, options.request);
    return {
      outcome: 'held',
      document: (await findDocument(tx, document.documentId)) as ExchangeDocumentRow,
      rows: [],
    };
  }
  const initial = document.status === 'final' ? 'final' : 'awaiting-authorisation';
  const rows: DeliveryRow[] = [];
  for (const recipient of plan.recipients)
    rows.push(await insertDeliveryRow(tx, document, recipient, initial, now, options.actor));
  if (document.status !== 'final' || !options.send) return { outcome: 'accepted', document, rows };
  await release(ctx, tx, document, target.bundle, options.actor, rows);
  return { outcome: 'accepted', document, rows: await deliveryRowsOf(tx, document.rowId) };
}

function isError(problem: { severity: string }): boolean {
  return problem.severity === 'error';
}

/**
 * The custodian's ODS code of a document that failed assurance, read without trusting its shape,
 * so a refusal is counted against the sender that made it.
 */
function lenientSenderOds(bundle: unknown): string | undefined {
  if (!isJsonObject(bundle) || !Array.isArray(bundle.entry)) return undefined;
  const entries = (bundle.entry as unknown[]).filter(isJsonObject);
  const composition = entries[0]?.resource;
  if (!isJsonObject(composition) || !isJsonObject(composition.custodian)) return undefined;
  const reference = composition.custodian.reference;
  const custodian = entries.find((entry) => entry.fullUrl === reference)?.resource;
  if (!isJsonObject(custodian) || !Array.isArray(custodian.identifier)) return undefined;
  const ods = (custodian.identifier as unknown[])
    .filter(isJsonObject)
    .find((identifier) => identifier.system === ODS_ORGANIZATION_CODE_SYSTEM)?.value;
  return typeof ods === 'string' && ods.length <= 16 ? ods : undefined;
}

async function recordAssuranceEvent(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  event: {
    senderOds: string;
    documentId?: string;
    outcome: 'rejected' | 'duplicate' | 'conflict';
    reasons: string[];
  },
): Promise<void> {
  await tx.query(
    `insert into assurance_event (at, sender_ods, document_id, outcome, reasons, submitted_by)
     values ($1::timestamptz, $2, $3, $4, $5::text[], $6)`,
    [
      ctx.clock.now().toISOString(),
      event.senderOds,
      event.documentId ?? null,
      event.outcome,
      event.reasons,
      access.principal.subject,
    ],
  );
}

async function duplicateOrConflict(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  existing: ExchangeDocumentRow,
  facts: DocumentFacts,
): Promise<SubmissionResult> {
  const conflict = existing.contentHash !== facts.contentHash;
  await recordAssuranceEvent(ctx, tx, access, {
    senderOds: facts.custodianOds,
    documentId: facts.documentId,
    outcome: conflict ? 'conflict' : 'duplicate',
    reasons: [],
  });
  if (conflict) {
    return {
      outcome: 'conflict',
      error: fhirError(
        'document-conflict',
        `Document ${facts.documentId} was already received with different content. A changed document needs a new id (and relatesTo replaces).`,
        ['Bundle.identifier'],
      ),
    };
  }
  return { outcome: 'duplicate', document: existing, rows: await deliveryRowsOf(tx, existing.rowId) };
}

async function holdDocument(
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
  reason: string,
  detail: string,
  at: Date,
  routingRequest: RoutingRequest,
): Promise<void> {
  await tx.query(
    `update exchange_document set status = 'held', hold_reason = $2, hold_detail = $3, updated_at = $4::timestamptz,
       held_at = $4::timestamptz, resolution = null, resolved_at = null, routing_request = $5::jsonb
      where id = $1`,
    [document.rowId, reason, detail, at.toISOString(), JSON.stringify(routingRequest)],
  );
}

function codedEntriesOf(facts: DocumentFacts): CodedEntries {
  return {
    conditions: facts.conditions,
    allergies: facts.allergies,
    medications: facts.medications,
    actions: facts.actions,
  };
}

/** The Bundle as sent, and a DocumentReference so the document is found by ordinary FHIR search. */
async function storeDocumentResources(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  bundle: Bundle,
  facts: DocumentFacts,
  document: ExchangeDocumentRow,
): Promise<void> {
  const composition = bundle.entry?.[0]?.resource as Composition;
  const reference: DocumentReference = {
    resourceType: 'DocumentReference',
    id: document.documentReferenceId,
    masterIdentifier: {
      ...(facts.documentIdSystem ? { system: facts.documentIdSystem } : {}),
      value: facts.documentId,
    },
    identifier: [{ system: 'https://carebridge.dev/fhir/Id/document-set', value: facts.setId }],
    status: document.status === 'withdrawn' ? 'entered-in-error' : 'current',
    docStatus: facts.status === 'preliminary' ? 'preliminary' : 'final',
    ...(composition.type ? { type: composition.type } : {}),
    ...(document.patientId ? { subject: { reference: `Patient/${document.patientId}` } } : {}),
    date: new Date(facts.documentDate).toISOString(),
    ...(document.senderOrgId
      ? {
          author: [{ reference: `Organization/${document.senderOrgId}` }],
          custodian: { reference: `Organization/${document.senderOrgId}` },
        }
      : {}),
    description: facts.title,
    content: [
      {
        attachment: {
          contentType: 'application/fhir+json',
          url: `Bundle/${document.bundleId}`,
          title: facts.title,
        },
      },
    ],
  };
  // One statement for both: a backlog of tens of thousands of letters pays for every round trip.
  await ctx.store.createAllWithIds(tx, [
    { ...(bundle as R4Resource), id: document.bundleId } as never,
    reference as never,
  ]);
}

/**
 * Sends a final document: local recipients get it in their inbox now (queued → delivered in this
 * transaction); external ones through the outbox (queued; the outbox's delivery hook marks them
 * delivered). The version it replaces is superseded for every recipient in the same transaction.
 */
export async function release(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
  bundle: Bundle,
  actor: Actor,
  knownRows?: readonly DeliveryRow[],
): Promise<void> {
  const late = delayedDays(document, ctx.clock.now(), ctx.options.alarms);
  const destinations = new Map<string, Destination | undefined>();
  for (const row of knownRows ?? (await deliveryRowsOf(tx, document.rowId))) {
    if (row.state !== 'final') continue;
    await sendRow(ctx, tx, { document, row, bundle, actor, destinations }, { delayedDays: late });
  }
  if (document.replaces !== null) await supersede(ctx, tx, document, actor);
}

export interface SendTarget {
  document: ExchangeDocumentRow;
  row: DeliveryRow;
  bundle: Bundle;
  actor: Actor;
  /** Organisation id → its outbox destination, resolved once per call. */
  destinations: Map<string, Destination | undefined>;
  /**
   * Distinguishes a deliberate second sending of the same row (re-queued after a rejection) from a
   * retry: a retry must reuse the message id so the receiver de-duplicates it; a re-send must not.
   */
  resend?: string;
}

/**
 * Sends one final (or re-routed, queued) row: a local recipient's inbox now, in this transaction,
 * or the outbox with a stable message id for an external one. Returns the row as it ends.
 */
export async function sendRow(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  target: SendTarget,
  options: EventOptions = {},
): Promise<DeliveryRow> {
  const { document, row, actor } = target;
  const now = ctx.clock.now();
  if (row.transport === 'local') {
    await applyEvent(tx, row.id, { type: 'queue' }, now, actor, {
      ...options,
      reason: options.reason ?? 'queue',
    });
    return applyEvent(tx, row.id, { type: 'deliver' }, now, actor, { ...options, reason: 'deliver:inbox' });
  }
  const key = row.recipientOrgId ?? '';
  if (!target.destinations.has(key)) target.destinations.set(key, await destinationFor(tx, key));
  const destination = target.destinations.get(key);
  if (!destination)
    throw fhirError('service-unavailable', 'The recipient endpoint changed while routing; try again.');
  const messageId = messageIdFor(
    target.resend === undefined ? row.id : `${row.id}:${target.resend}`,
    document.documentId,
  );
  await ctx.outbox.enqueue(tx, {
    messageId,
    destination,
    correlationId: `${CORRELATION_PREFIX}${row.id}`,
    payload: target.bundle as unknown as JsonValue,
  });
  return applyEvent(tx, row.id, { type: 'queue' }, now, actor, { ...options, outboxMessageId: messageId });
}

async function destinationFor(tx: SqlExecutor, organizationId: string) {
  return (await resolveOrganisation(tx, organizationId))?.destination;
}

/** Every recipient of the replaced version stops acting on it: superseded (or corrected, if rejected). */
export async function supersede(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
  actor: Actor,
): Promise<void> {
  const earlier = document.replaces === null ? undefined : await findDocument(tx, document.replaces);
  if (!earlier || earlier.senderOds !== document.senderOds || earlier.rowId === document.rowId) return;
  const now = ctx.clock.now();
  const reason = `replaced by ${document.documentId}`;
  for (const row of await deliveryRowsOf(tx, earlier.rowId)) {
    if (isTerminalLedgerState(row.state)) continue;
    const event =
      row.state === 'rejected'
        ? ({ type: 'correct' } as const)
        : row.state === 'draft' || row.state === 'awaiting-authorisation'
          ? ({ type: 'withdraw' } as const)
          : ({ type: 'supersede' } as const);
    await applyEvent(tx, row.id, event, now, actor, { reason });
  }
  if (earlier.status !== 'superseded' && earlier.status !== 'withdrawn' && earlier.status !== 'returned') {
    await setDocumentStatus(tx, earlier.rowId, earlier.status, 'superseded', now);
    await markDocumentReference(ctx, tx, earlier, 'superseded');
  }
}

/** Entered in error: every version of the set (and the one it names) is withdrawn from every recipient. */
async function withdrawSet(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  notice: ExchangeDocumentRow,
  actor: Actor,
): Promise<void> {
  const now = ctx.clock.now();
  const targets = await documentsInSet(tx, notice.senderOds, notice.setId);
  const named = notice.replaces === null ? undefined : await findDocument(tx, notice.replaces);
  if (named && named.senderOds === notice.senderOds) targets.push(named);
  for (const target of targets) {
    if (target.rowId === notice.rowId || target.status === 'withdrawn') continue;
    for (const row of await deliveryRowsOf(tx, target.rowId)) {
      if (isTerminalLedgerState(row.state)) continue;
      await applyEvent(tx, row.id, { type: 'withdraw' }, now, actor, {
        reason: `entered in error (${notice.documentId})`,
      });
    }
    await setDocumentStatus(tx, target.rowId, target.status, 'withdrawn', now);
    await markDocumentReference(ctx, tx, target, 'entered-in-error');
  }
}

async function markDocumentReference(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
  status: DocumentReference['status'],
): Promise<void> {
  const row = await ctx.store.read(tx, 'DocumentReference', document.documentReferenceId);
  if (!row || row.deleted) return;
  const current = JSON.parse(row.content) as DocumentReference;
  await ctx.store.put(tx, { ...current, status } as never);
}

/** `$authorise-document`: a responsible clinician releases a document awaiting authorisation. */
export async function authoriseDocument(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  documentId: string,
): Promise<{ document: ExchangeDocumentRow; rows: DeliveryRow[] }> {
  requireRole(access, 'authoriser');
  const document = await findDocument(tx, documentId);
  if (!document || !actsForSender(access, document)) {
    throw fhirError(
      'document-not-found',
      `Document ${documentId} is not one of your organisation's documents.`,
    );
  }
  if (document.status === 'final') return { document, rows: await deliveryRowsOf(tx, document.rowId) };
  if (document.status !== 'awaiting-authorisation') {
    throw fhirError(
      'ledger-transition-refused',
      `Document ${documentId} is ${document.status}; it cannot be authorised.`,
    );
  }
  const now = ctx.clock.now();
  const actor = actorOf(access);
  if (
    !(await setDocumentStatus(
      tx,
      document.rowId,
      'awaiting-authorisation',
      'final',
      now,
      access.principal.subject,
    ))
  ) {
    throw fhirError(
      'ledger-transition-refused',
      `Document ${documentId} changed while it was being authorised.`,
    );
  }
  for (const row of await deliveryRowsOf(tx, document.rowId)) {
    await applyEvent(tx, row.id, { type: 'authorise' }, now, actor);
  }
  await markDocStatusFinal(ctx, tx, document);
  const bundle = await ctx.store.read(tx, 'Bundle', document.bundleId);
  if (!bundle) throw fhirError('internal-error', `The stored Bundle of ${documentId} is missing.`);
  const authorised = (await findDocument(tx, documentId)) as ExchangeDocumentRow;
  await release(ctx, tx, authorised, JSON.parse(bundle.content) as Bundle, actor);
  return { document: authorised, rows: await deliveryRowsOf(tx, document.rowId) };
}

async function markDocStatusFinal(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
): Promise<void> {
  const row = await ctx.store.read(tx, 'DocumentReference', document.documentReferenceId);
  if (!row || row.deleted) return;
  const current = JSON.parse(row.content) as DocumentReference;
  await ctx.store.put(tx, { ...current, docStatus: 'final' } as never);
}
