import type { Bundle, Patient, Reference } from 'fhir/r4.js';
import { fhirError } from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { SqlExecutor } from '../store/database.js';
import { organisationByOdsCode } from '../store/directory.js';
import type { Destination } from '../transport/index.js';
import {
  actorOf,
  actsForSender,
  delayedDays,
  isOperationsOrAdmin,
  requireRole,
  type ExchangeContext,
} from './context.js';
import {
  applyEvent,
  deliveryRowsOf,
  findDocument,
  insertDeliveryRow,
  type Actor,
  type DeliveryRow,
  type ExchangeDocumentRow,
} from './ledger-store.js';
import type { ParameterReader } from './parameters.js';
import { resolveOrganisation, type ResolvedOrganisation } from './routing.js';
import { sendRow } from './submission.js';

/**
 * `$reroute-document`: a recipient rejected a document as "not our patient" or "no longer
 * registered"; the sender (or operations) sends it to the right recipient. By default that is the
 * practice on our Patient record now (the patient has moved), else the holding practice; `to` names
 * another. The domain refuses to re-route a document rejected for its content or patient: that one
 * must be corrected and re-sent.
 */

export interface RerouteResult {
  document: ExchangeDocumentRow;
  rows: DeliveryRow[];
}

export async function rerouteDocument(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  reader: ParameterReader,
): Promise<RerouteResult> {
  const documentId = reader.requiredString('document');
  const document = await findDocument(tx, documentId);
  if (!isOperationsOrAdmin(access)) requireRole(access, 'sender');
  if (!document || !(isOperationsOrAdmin(access) || actsForSender(access, document))) {
    throw fhirError(
      'document-not-found',
      `Document ${documentId} is not one of your organisation's documents.`,
    );
  }
  const rows = await deliveryRowsOf(tx, document.rowId);
  const rejected = chooseRow(rows, reader.string('row'));
  const target = await targetOrganisation(ctx, tx, document, reader);
  const actor = actorOf(access);
  const bundle = await storedBundle(ctx, tx, document);
  const sent =
    target.id === rejected.recipientOrgId
      ? await requeue(ctx, tx, { document, row: rejected, bundle, actor })
      : await redirect(ctx, tx, { document, row: rejected, bundle, actor }, target, rows);
  return { document, rows: sent };
}

/** The rejected row to re-route: the one named, or the only rejected one. */
function chooseRow(rows: readonly DeliveryRow[], rowId: string | undefined): DeliveryRow {
  const rejected = rows.filter((row) => row.state === 'rejected' && row.recipientKind !== 'patient');
  const chosen = rowId === undefined ? rejected : rejected.filter((row) => row.id === rowId);
  if (chosen.length === 1 && chosen[0]) return chosen[0];
  throw fhirError(
    'ledger-transition-refused',
    chosen.length === 0
      ? 'The document has no rejected row to re-route (name it with row= if there are several).'
      : "The document has several rejected rows: name the one to re-route with 'row'.",
    ["Parameters.parameter('row')"],
  );
}

async function targetOrganisation(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
  reader: ParameterReader,
): Promise<ResolvedOrganisation> {
  const named = reader.all('to')[0];
  const id = named
    ? await namedOrganisation(tx, named.valueReference, named.valueIdentifier?.value ?? named.valueString)
    : await currentPractice(ctx, tx, document);
  const organisation = id === undefined ? undefined : await resolveOrganisation(tx, id);
  if (!organisation) {
    throw fhirError('document-not-found', 'The new recipient is not a known organisation.', [
      "Parameters.parameter('to')",
    ]);
  }
  return organisation;
}

async function namedOrganisation(
  tx: SqlExecutor,
  reference: Reference | undefined,
  ods: string | undefined,
): Promise<string | undefined> {
  const id = /^Organization\/(.+)$/.exec(reference?.reference ?? '')?.[1];
  if (id !== undefined) return id;
  return ods === undefined ? undefined : (await organisationByOdsCode(tx, ods))?.organizationId;
}

/** Where the patient is registered now (the rejection said they moved), or the holding practice. */
async function currentPractice(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
): Promise<string | undefined> {
  if (document.patientId !== null) {
    const { rows } = await tx.query<{ content: string }>(
      `select content from resource where resource_type = 'Patient' and id = $1 and not deleted`,
      [document.patientId],
    );
    const patient = rows[0] ? (JSON.parse(rows[0].content) as Patient) : undefined;
    const practice = /^Organization\/(.+)$/.exec(patient?.generalPractitioner?.[0]?.reference ?? '')?.[1];
    if (practice !== undefined) return practice;
  }
  return (await organisationByOdsCode(tx, ctx.options.holdingPracticeOds))?.organizationId;
}

async function storedBundle(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  document: ExchangeDocumentRow,
): Promise<Bundle> {
  const stored = await ctx.store.read(tx, 'Bundle', document.bundleId);
  if (!stored) throw fhirError('internal-error', `The stored Bundle of ${document.documentId} is missing.`);
  return JSON.parse(stored.content) as Bundle;
}

interface RerouteTarget {
  document: ExchangeDocumentRow;
  row: DeliveryRow;
  bundle: Bundle;
  actor: Actor;
}

/** The same recipient after all (its registration was confirmed): the row is queued and sent again. */
async function requeue(ctx: ExchangeContext, tx: SqlExecutor, target: RerouteTarget): Promise<DeliveryRow[]> {
  const now = ctx.clock.now();
  const queued = await applyEvent(tx, target.row.id, { type: 're-route' }, now, target.actor, {
    reason: 're-route: same recipient',
  });
  const sent = await sendRow(
    ctx,
    tx,
    { ...target, row: queued, destinations: new Map(), resend: `re-route:${now.getTime()}` },
    { delayedDays: delayedDays(target.document, now, ctx.options.alarms) },
  );
  return [sent];
}

/** Another recipient: a new row carries the document there; the rejected row ends as re-routed. */
async function redirect(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  target: RerouteTarget,
  organisation: ResolvedOrganisation,
  rows: readonly DeliveryRow[],
): Promise<DeliveryRow[]> {
  if (rows.some((row) => row.recipientOrgId === organisation.id && row.recipientKind !== 'patient')) {
    throw fhirError(
      'ledger-transition-refused',
      `${organisation.ods ?? organisation.id} already has its own row for this document.`,
      ["Parameters.parameter('to')"],
    );
  }
  const now = ctx.clock.now();
  const created = await insertDeliveryRow(
    tx,
    target.document,
    {
      recipientKind: target.row.recipientKind,
      recipientOrgId: organisation.id,
      ...(organisation.ods === undefined ? {} : { recipientOds: organisation.ods }),
      transport: organisation.destination ? 'outbox' : 'local',
      reroutedFrom: target.row.id,
    },
    'final',
    now,
    target.actor,
    `re-routed from row ${target.row.id}`,
  );
  const closed = await applyEvent(
    tx,
    target.row.id,
    { type: 're-route', elsewhere: true },
    now,
    target.actor,
    {
      reroutedTo: created.id,
      reason: `re-route: to ${organisation.ods ?? organisation.id} (row ${created.id})`,
    },
  );
  const destinations = new Map<string, Destination | undefined>();
  if (organisation.destination) destinations.set(organisation.id, organisation.destination);
  const sent = await sendRow(
    ctx,
    tx,
    { ...target, row: created, destinations },
    { delayedDays: delayedDays(target.document, now, ctx.options.alarms) },
  );
  return [closed, sent];
}
