import { randomUUID } from 'node:crypto';
import type { Bundle, Composition, DocumentReference, FhirResource as R4Resource } from 'fhir/r4.js';
import {
  assuranceIssues,
  assureDocument,
  extractDocumentFacts,
  fhirError,
  isJsonObject,
  type DocumentFacts,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { SqlExecutor } from '../store/database.js';
import { organisationByOdsCode } from '../store/directory.js';
import type { JsonValue } from '../transport/index.js';
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
  type ExchangeDocumentRow,
} from './ledger-store.js';
import { parametersOf, type ParameterReader } from './parameters.js';
import {
  matchPatient,
  patientAtEvent,
  planRecipients,
  resolveOrganisation,
  type CopyRequest,
} from './routing.js';

/** What a submission came to: the caller answers each differently (201, 200 duplicate, 422). */
export type SubmissionResult =
  | { outcome: 'rejected'; issues: ReturnType<typeof assuranceIssues> }
  | {
      outcome: 'accepted' | 'duplicate' | 'held' | 'withdrawn';
      document: ExchangeDocumentRow;
      rows: DeliveryRow[];
    };

interface SubmitInput {
  bundle: unknown;
  copies: CopyRequest[];
  copyToPatient: boolean;
}

/** The body is the document Bundle itself, or Parameters with `document`, `copy-to` and `copy-to-patient`. */
export function submitInput(body: unknown): SubmitInput {
  if (isJsonObject(body) && body.resourceType === 'Bundle')
    return { bundle: body, copies: [], copyToPatient: false };
  const reader = parametersOf(body);
  const bundle = reader.resource('document');
  if (bundle === undefined) {
    throw fhirError('missing-required-element', "The parameter 'document' (a document Bundle) is required.", [
      "Parameters.parameter('document')",
    ]);
  }
  return { bundle, copies: copyRequests(reader), copyToPatient: reader.boolean('copy-to-patient') === true };
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
 * DocumentReference, route it and (when final) deliver it, all in the caller's transaction.
 */
export async function submitDocument(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  input: SubmitInput,
): Promise<SubmissionResult> {
  requireRole(access, 'sender');
  const assurance = assureDocument(input.bundle);
  if (assurance.outcome === 'rejected') return { outcome: 'rejected', issues: assuranceIssues(assurance) };
  const bundle = input.bundle as Bundle;
  const facts = extractDocumentFacts(bundle);
  const senderOrgId = (await organisationByOdsCode(tx, facts.custodianOds))?.organizationId;
  if (!actsForSender(access, { senderOrgId: senderOrgId ?? null })) {
    throw fhirError(
      'forbidden',
      `The document's custodian (${facts.custodianOds}) is not your organisation; you may only send your own documents.`,
      ['Bundle.entry[0].resource.custodian'],
    );
  }
  const existing = await findDocument(tx, facts.documentId);
  if (existing) return duplicateOrConflict(tx, existing, facts);

  const now = ctx.clock.now();
  const match = await matchPatient(tx, facts);
  const status: DocumentStatus =
    facts.status === 'entered-in-error'
      ? 'withdrawn'
      : match.outcome === 'held'
        ? 'held'
        : facts.status === 'preliminary'
          ? 'awaiting-authorisation'
          : 'final';
  const ids = { bundleId: randomUUID(), documentReferenceId: randomUUID() };
  const rowId = await insertDocument(tx, {
    documentId: facts.documentId,
    setId: facts.setId,
    version: facts.version,
    kind: facts.kind,
    title: facts.title,
    status,
    ...(match.outcome === 'held' ? { holdReason: match.reason, holdDetail: match.detail } : {}),
    ...(match.outcome === 'matched' ? { patientId: match.patientId } : {}),
    nhsNumber: facts.patient.nhsNumber,
    ...(senderOrgId === undefined ? {} : { senderOrgId }),
    senderOds: facts.custodianOds,
    contentHash: facts.contentHash,
    eventAt: facts.eventAt,
    ...(facts.replaces === undefined ? {} : { replaces: facts.replaces }),
    ...ids,
    assurance: { outcome: assurance.outcome, warnings: assurance.warnings },
    codedEntries: codedEntriesOf(facts),
    hasMedicationChanges: facts.hasMedicationChanges,
    hasActions: facts.hasActions,
    submittedBy: access.principal.subject,
    at: now,
  });
  // Lost the race for this document id to a concurrent submission, which has now committed.
  if (rowId === undefined) {
    const winner = await findDocument(tx, facts.documentId);
    if (!winner)
      throw fhirError('service-unavailable', 'The document is being submitted concurrently; try again.');
    return duplicateOrConflict(tx, winner, facts);
  }
  const document = (await findDocument(tx, facts.documentId)) as ExchangeDocumentRow;
  await storeDocumentResources(ctx, tx, bundle, facts, document);
  const actor = actorOf(access);
  if (status === 'withdrawn') {
    await withdrawSet(ctx, tx, document, actor);
    return { outcome: 'withdrawn', document, rows: [] };
  }
  if (match.outcome === 'held') return { outcome: 'held', document, rows: [] };

  const atEvent = await patientAtEvent(tx, match.patientId, facts.eventAt, match.patient);
  const plan = await planRecipients(tx, atEvent, match.patientId, input.copies, input.copyToPatient, {
    holdingPracticeOds: ctx.options.holdingPracticeOds,
  });
  if (plan.outcome === 'held') {
    await holdDocument(tx, document, plan.reason, plan.detail, now);
    return {
      outcome: 'held',
      document: (await findDocument(tx, facts.documentId)) as ExchangeDocumentRow,
      rows: [],
    };
  }
  const initial = status === 'final' ? 'final' : 'awaiting-authorisation';
  for (const recipient of plan.recipients)
    await insertDeliveryRow(tx, document, recipient, initial, now, actor);
  if (status === 'final') await release(ctx, tx, document, bundle, actor);
  return { outcome: 'accepted', document, rows: await deliveryRowsOf(tx, document.rowId) };
}

async function duplicateOrConflict(
  tx: SqlExecutor,
  existing: ExchangeDocumentRow,
  facts: DocumentFacts,
): Promise<SubmissionResult> {
  if (existing.contentHash !== facts.contentHash) {
    throw fhirError(
      'document-conflict',
      `Document ${facts.documentId} was already received with different content. A changed document needs a new id (and relatesTo replaces).`,
      ['Bundle.identifier'],
    );
  }
  return { outcome: 'duplicate', document: existing, rows: await deliveryRowsOf(tx, existing.rowId) };
}

async function holdDocument(
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
  reason: string,
  detail: string,
  at: Date,
): Promise<void> {
  await tx.query(
    `update exchange_document set status = 'held', hold_reason = $2, hold_detail = $3, updated_at = $4::timestamptz
      where id = $1`,
    [document.rowId, reason, detail, at.toISOString()],
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
  await ctx.store.createWithId(tx, { ...(bundle as R4Resource), id: document.bundleId } as never);
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
  await ctx.store.createWithId(tx, reference as never);
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
): Promise<void> {
  const now = ctx.clock.now();
  const late = delayedDays(document, now, ctx.options.alarms);
  const recipientsByOrg = new Map<string, Awaited<ReturnType<typeof destinationFor>>>();
  for (const row of await deliveryRowsOf(tx, document.rowId)) {
    if (row.state !== 'final') continue;
    if (row.transport === 'local') {
      await applyEvent(tx, row.id, { type: 'queue' }, now, actor);
      await applyEvent(tx, row.id, { type: 'deliver' }, now, actor, {
        delayedDays: late,
        reason: 'deliver:inbox',
      });
      continue;
    }
    const key = row.recipientOrgId ?? '';
    if (!recipientsByOrg.has(key)) recipientsByOrg.set(key, await destinationFor(tx, key));
    const destination = recipientsByOrg.get(key);
    if (!destination)
      throw fhirError('service-unavailable', 'The recipient endpoint changed while routing; try again.');
    const messageId = messageIdFor(row.id, document.documentId);
    await ctx.outbox.enqueue(tx, {
      messageId,
      destination,
      correlationId: `${CORRELATION_PREFIX}${row.id}`,
      payload: bundle as unknown as JsonValue,
    });
    await applyEvent(tx, row.id, { type: 'queue' }, now, actor, {
      outboxMessageId: messageId,
      delayedDays: late,
    });
  }
  if (document.replaces !== null) await supersede(ctx, tx, document, actor);
}

async function destinationFor(tx: SqlExecutor, organizationId: string) {
  return (await resolveOrganisation(tx, organizationId))?.destination;
}

/** Every recipient of the replaced version stops acting on it: superseded (or corrected, if rejected). */
async function supersede(
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
    if (row.state === 'superseded' || row.state === 'withdrawn') continue;
    const event =
      row.state === 'rejected'
        ? ({ type: 'correct' } as const)
        : row.state === 'draft' || row.state === 'awaiting-authorisation'
          ? ({ type: 'withdraw' } as const)
          : ({ type: 'supersede' } as const);
    await applyEvent(tx, row.id, event, now, actor, { reason });
  }
  if (earlier.status !== 'superseded' && earlier.status !== 'withdrawn') {
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
      if (row.state === 'superseded' || row.state === 'withdrawn') continue;
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
