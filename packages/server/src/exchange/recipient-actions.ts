import type { Coding, FhirResource as R4Resource, Reference } from 'fhir/r4.js';
import { REJECTION_REASONS, fhirError, type RejectionReason } from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import { requestsFromLetterActions } from '../requests/letter-actions.js';
import type { SqlExecutor } from '../store/database.js';
import { actorOf, ownPatientIds, requireRole, type ExchangeContext } from './context.js';
import {
  applyEvent,
  deliveryRowsOf,
  findDocument,
  recordFiledResources,
  type CodedEntry,
  type DeliveryRow,
  type ExchangeDocumentRow,
} from './ledger-store.js';
import type { ParameterReader } from './parameters.js';

/**
 * What a recipient does with a document it received: open it, file it into the patient's record
 * (importing its coded entries and turning its actions into work items), or reject it back to the
 * sender with a reason. A recipient acts only on its own ledger row.
 */

export interface RecipientTarget {
  document: ExchangeDocumentRow;
  row: DeliveryRow;
}

/** The caller's own row of a document: its organisation's, or (for a patient) their own copy. */
export async function ownRow(
  tx: SqlExecutor,
  access: AccessContext,
  documentId: string,
): Promise<RecipientTarget> {
  const document = await findDocument(tx, documentId);
  const patients = ownPatientIds(access);
  const orgId = access.principal.organizationId;
  const row = document
    ? (await deliveryRowsOf(tx, document.rowId)).find((candidate) =>
        patients.length > 0
          ? candidate.recipientPatientId !== null && patients.includes(candidate.recipientPatientId)
          : orgId !== undefined &&
            candidate.recipientOrgId === orgId &&
            candidate.recipientKind !== 'patient',
      )
    : undefined;
  // Not delivered yet is the same as not addressed to you: a recipient never sees a draft.
  if (!document || !row || (row.deliveredAt === null && row.rejectedAt === null)) {
    throw fhirError('document-not-found', `No document ${documentId} has been delivered to you.`);
  }
  return { document, row };
}

export async function openDocument(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  documentId: string,
): Promise<RecipientTarget> {
  if (access.principal.kind !== 'patient') requireRole(access, 'recipient');
  const target = await ownRow(tx, access, documentId);
  const row = await applyEvent(tx, target.row.id, { type: 'open' }, ctx.clock.now(), actorOf(access));
  return { ...target, row };
}

export async function rejectDocument(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  documentId: string,
  parameters: ParameterReader,
): Promise<RecipientTarget> {
  requireRole(access, 'recipient');
  const reason = parameters.code('reason');
  if (reason === undefined || !Object.hasOwn(REJECTION_REASONS, reason)) {
    throw fhirError(
      'invalid-code',
      `The parameter 'reason' must be one of ${Object.keys(REJECTION_REASONS).join(', ')}.`,
      ["Parameters.parameter('reason')"],
    );
  }
  const detail = parameters.string('detail');
  const target = await ownRow(tx, access, documentId);
  const event = {
    type: 'reject' as const,
    reason: reason as RejectionReason,
    ...(detail === undefined ? {} : { detail }),
  };
  const row = await applyEvent(tx, target.row.id, event, ctx.clock.now(), actorOf(access), {
    reason: `reject:${reason}`,
  });
  return { ...target, row };
}

/** The recipient's decisions about the coded entries: declined codes and amended ones. */
interface FilingChoices {
  declined: Coding[];
  amended: Array<{ original: Coding; replacement: Coding }>;
}

function filingChoices(parameters: ParameterReader): FilingChoices {
  const amended = parameters.all('amend').flatMap((parameter) => {
    const original = parameter.part?.find((part) => part.name === 'code')?.valueCoding;
    const replacement = parameter.part?.find((part) => part.name === 'replacement')?.valueCoding;
    return original && replacement ? [{ original, replacement }] : [];
  });
  return { declined: parameters.codings('decline'), amended };
}

const sameCode = (a: Coding, b: { system: string; code: string }): boolean =>
  a.code === b.code && (a.system === undefined || a.system === b.system);

/**
 * `$file-document`: in one transaction the row becomes filed (the sender's business acknowledgement)
 * and the accepted coded entries are written into the patient's record. Filing twice files once.
 */
export async function fileDocument(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  access: AccessContext,
  documentId: string,
  parameters: ParameterReader,
): Promise<RecipientTarget & { written: string[] }> {
  requireRole(access, 'recipient');
  const target = await ownRow(tx, access, documentId);
  const wasFiled = target.row.state === 'filed';
  const row = await applyEvent(tx, target.row.id, { type: 'file' }, ctx.clock.now(), actorOf(access));
  if (wasFiled || target.document.patientId === null) return { ...target, row, written: [] };
  const filedBy = { ...actorOf(access), display: access.principal.displayName };
  const written = await writeCodedEntries(ctx, tx, target, filingChoices(parameters), filedBy);
  await recordFiledResources(tx, row.id, written);
  return { ...target, row, written };
}

async function writeCodedEntries(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  target: RecipientTarget,
  choices: FilingChoices,
  filedBy: ReturnType<typeof actorOf> & { display: string },
): Promise<string[]> {
  const { document, row } = target;
  const patient: Reference = { reference: `Patient/${document.patientId ?? ''}` };
  const source = `Filed from "${document.title}" (document ${document.documentId}).`;
  const recordedDate = ctx.clock.now().toISOString();
  const resources: R4Resource[] = [];
  const accepted = (entry: CodedEntry): Coding | undefined => {
    if (choices.declined.some((coding) => sameCode(coding, entry.concept))) return undefined;
    const amendment = choices.amended.find((a) => sameCode(a.original, entry.concept));
    return amendment?.replacement ?? entry.concept;
  };
  const codeable = (coding: Coding, entry: CodedEntry) => ({
    coding: [coding],
    ...(entry.text === undefined ? {} : { text: entry.text }),
  });
  for (const entry of document.codedEntries.conditions) {
    const coding = accepted(entry);
    if (!coding) continue;
    resources.push({
      resourceType: 'Condition',
      subject: patient,
      code: codeable(coding, entry),
      clinicalStatus: {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
            code: entry.clinicalStatus ?? 'active',
          },
        ],
      },
      recordedDate,
      note: [{ text: source }],
    });
  }
  for (const entry of document.codedEntries.allergies) {
    const coding = accepted(entry);
    if (!coding) continue;
    resources.push({
      resourceType: 'AllergyIntolerance',
      patient,
      code: codeable(coding, entry),
      ...(isCriticality(entry.criticality) ? { criticality: entry.criticality } : {}),
      recordedDate,
      note: [{ text: source }],
    });
  }
  for (const entry of document.codedEntries.medications) {
    const coding = accepted(entry);
    if (!coding) continue;
    resources.push({
      resourceType: 'MedicationStatement',
      status: entry.change === 'stopped' ? 'stopped' : entry.change === 'on-hold' ? 'on-hold' : 'active',
      subject: patient,
      medicationCodeableConcept: codeable(coding, entry),
      dateAsserted: recordedDate,
      note: [
        {
          text: `${source}${entry.change ? ` Change: ${entry.change}.` : ''}${entry.changeReason ? ` ${entry.changeReason}` : ''}`,
        },
      ],
    });
  }
  const actions = document.codedEntries.actions.flatMap((entry) => {
    const coding = accepted(entry);
    return coding ? [{ ...entry, coding }] : [];
  });
  const written: string[] = [];
  for (const resource of resources) {
    const stored = await ctx.store.create(tx, resource as never);
    written.push(`${stored.resourceType}/${stored.id}`);
  }
  // Actions become requests the practice must accept or decline (requests/letter-actions.ts).
  const hook = { store: ctx.store, clock: ctx.clock };
  const filing = { document, rowId: row.id, recipientOrgId: row.recipientOrgId, actions, filedBy };
  written.push(...(await requestsFromLetterActions(hook, tx, filing)));
  return written;
}

function isCriticality(value: string | undefined): value is 'low' | 'high' | 'unable-to-assess' {
  return value === 'low' || value === 'high' || value === 'unable-to-assess';
}
