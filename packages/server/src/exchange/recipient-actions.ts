import type { Coding, FhirResource as R4Resource, ParametersParameter, Reference } from 'fhir/r4.js';
import {
  FhirError,
  REJECTION_REASONS,
  TERMINOLOGY_VALUE_SETS,
  fhirError,
  type Problem,
  type RejectionReason,
  type TerminologyKind,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import { requestsFromLetterActions } from '../requests/letter-actions.js';
import type { SqlExecutor } from '../store/database.js';
import { findConcept, hasRelease } from '../terminology/terminology-store.js';
import { actorOf, ownPatientIds, requireRole, type ExchangeContext } from './context.js';
import {
  applyEvent,
  deliveryRowsOf,
  findDocument,
  recordFiledResources,
  type CodedEntries,
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
  amended: Amendment[];
}

interface Amendment {
  /** Which `amend` parameter asked for it, to name in a refusal. */
  index: number;
  entry: CodedEntry;
  kind: TerminologyKind;
  replacement: Coding & { system: string; code: string };
}

const AMEND_PATH = "Parameters.parameter('amend')";
const DECLINE_PATH = "Parameters.parameter('decline')";

/** The coded entries a recipient may amend, and the picker (kind) each is amended with. */
const AMENDABLE_ENTRIES: ReadonlyArray<[keyof CodedEntries, TerminologyKind]> = [
  ['conditions', 'diagnosis'],
  ['allergies', 'allergy'],
  ['medications', 'medicine'],
];

/**
 * Reads the declines and amendments. An amendment that is incomplete, names no coded entry of this
 * document, is coded in another system than its kind's, or contradicts another choice for the same
 * entry (declined too, or amended twice) is refused rather than resolved quietly: the GP would
 * otherwise file something other than what they believe they chose.
 */
function filingChoices(parameters: ParameterReader, codedEntries: CodedEntries): FilingChoices {
  const problems: Problem[] = [];
  const amended: Amendment[] = [];
  parameters.all('amend').forEach((parameter, index) => {
    const read = amendmentOf(parameter, index, codedEntries);
    if ('entry' in read) amended.push(read);
    else problems.push(read);
  });
  const declines = parameters.all('decline');
  declines.forEach((decline, index) => {
    const problem = unmatchedDecline(decline, index, codedEntries);
    if (problem !== undefined) problems.push(problem);
  });
  for (const amendment of amended) {
    const path = `${AMEND_PATH}[${amendment.index}]`;
    const { system, code } = amendment.entry.concept;
    const earlier = amended.find((other) => other.entry === amendment.entry && other.index < amendment.index);
    if (earlier !== undefined) {
      problems.push({
        code: 'invalid-value',
        diagnostics: `The entry ${system}|${code} is amended twice (also by ${AMEND_PATH}[${earlier.index}]); amend it once.`,
        expression: [path],
      });
    }
    const declinedAt = declines.findIndex(
      (decline) =>
        decline.valueCoding !== undefined && sameCode(decline.valueCoding, amendment.entry.concept),
    );
    if (declinedAt >= 0) {
      problems.push({
        code: 'invalid-value',
        diagnostics: `The entry ${system}|${code} is both declined and amended; choose one.`,
        expression: [path, `${DECLINE_PATH}[${declinedAt}]`],
      });
    }
  }
  if (problems.length > 0) throw new FhirError(problems);
  return { declined: parameters.codings('decline'), amended };
}

/**
 * A decline must name a coded entry of this document (a diagnosis, allergy, medicine or action):
 * one that names nothing would be dropped without a word, and the GP would believe it declined.
 */
function unmatchedDecline(
  decline: ParametersParameter,
  index: number,
  codedEntries: CodedEntries,
): Problem | undefined {
  const coding = decline.valueCoding;
  const entries = [
    ...codedEntries.conditions,
    ...codedEntries.allergies,
    ...codedEntries.medications,
    ...codedEntries.actions,
  ];
  if (coding?.code !== undefined && entries.some((entry) => sameCode(coding, entry.concept)))
    return undefined;
  return {
    code: 'invalid-value',
    diagnostics:
      coding?.code === undefined
        ? 'decline needs a valueCoding naming the coded entry not to import.'
        : `The document has no coded entry ${coding.system ?? ''}|${coding.code} to decline.`,
    expression: [`${DECLINE_PATH}[${index}]`],
  };
}

function amendmentOf(
  parameter: ParametersParameter,
  index: number,
  codedEntries: CodedEntries,
): Amendment | Problem {
  const path = `${AMEND_PATH}[${index}]`;
  const original = parameter.part?.find((part) => part.name === 'code')?.valueCoding;
  const replacement = parameter.part?.find((part) => part.name === 'replacement')?.valueCoding;
  if (!original?.code || !replacement?.code || !replacement.system) {
    return {
      code: 'invalid-value',
      diagnostics: 'amend needs a part code (the entry) and a part replacement with system and code.',
      expression: [path],
    };
  }
  const found = AMENDABLE_ENTRIES.flatMap(([list, kind]) =>
    codedEntries[list].flatMap((entry) => (sameCode(original, entry.concept) ? [{ entry, kind }] : [])),
  )[0];
  if (found === undefined) {
    const isAction = codedEntries.actions.some((entry) => sameCode(original, entry.concept));
    return {
      code: 'invalid-value',
      diagnostics: isAction
        ? `${original.system ?? ''}|${original.code} is an action: an action is filed as sent or declined, not amended.`
        : `The document has no coded entry ${original.system ?? ''}|${original.code} to amend.`,
      expression: [`${path}.part('code')`],
    };
  }
  const { system } = TERMINOLOGY_VALUE_SETS[found.kind];
  if (replacement.system !== system) {
    return {
      code: 'invalid-code',
      diagnostics: `A ${found.kind} is coded in ${system}, not ${replacement.system}.`,
      expression: [`${path}.part('replacement')`],
    };
  }
  return { index, ...found, replacement: { ...replacement, system, code: replacement.code } };
}

const sameCode = (a: Coding, b: { system: string; code: string }): boolean =>
  a.code === b.code && (a.system === undefined || a.system === b.system);

/**
 * When a release of the replacement's system is loaded, the replacement must be an active concept
 * of the entry's kind in it (a retired code, or an allergy offered as a diagnosis, is refused), and
 * it is filed under the release's preferred term, whatever words the client sent. With no release
 * loaded it cannot be checked, and is filed as sent.
 */
async function withStoredTerms(tx: SqlExecutor, amended: readonly Amendment[]): Promise<Amendment[]> {
  const problems: Problem[] = [];
  const checked: Amendment[] = [];
  for (const amendment of amended) {
    const { replacement, kind } = amendment;
    if (!(await hasRelease(tx, replacement.system))) {
      checked.push(amendment);
      continue;
    }
    const concept = await findConcept(tx, replacement.system, replacement.code, kind);
    if (concept?.active === true) {
      checked.push({ ...amendment, replacement: { ...replacement, display: concept.display } });
    } else {
      problems.push({
        code: 'invalid-code',
        diagnostics: `${replacement.system}|${replacement.code} is ${concept ? 'an inactive' : 'not a'} ${kind} concept in the loaded release.`,
        expression: [`${AMEND_PATH}[${amendment.index}].part('replacement')`],
      });
    }
  }
  if (problems.length > 0) throw new FhirError(problems);
  return checked;
}

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
  const read = filingChoices(parameters, target.document.codedEntries);
  const choices = { ...read, amended: await withStoredTerms(tx, read.amended) };
  const row = await applyEvent(tx, target.row.id, { type: 'file' }, ctx.clock.now(), actorOf(access));
  if (wasFiled || target.document.patientId === null) return { ...target, row, written: [] };
  const filedBy = { ...actorOf(access), display: access.principal.displayName };
  const written = await writeCodedEntries(ctx, tx, target, choices, filedBy);
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
    const amendment = choices.amended.find((a) => a.entry === entry);
    return amendment?.replacement ?? entry.concept;
  };
  const amended = (coding: Coding, entry: CodedEntry): boolean =>
    coding.code !== entry.concept.code || coding.system !== entry.concept.system;
  // An amended entry carries the replacement's words, never the sender's text for the original.
  const codeable = (coding: Coding, entry: CodedEntry) => {
    const text = amended(coding, entry) ? coding.display : entry.text;
    return { coding: [coding], ...(text === undefined ? {} : { text }) };
  };
  const sourceOf = (coding: Coding, entry: CodedEntry): string =>
    amended(coding, entry)
      ? `${source} Amended on filing from ${entry.concept.display ?? entry.text ?? ''} (${entry.concept.system}|${entry.concept.code}).`
      : source;
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
      note: [{ text: sourceOf(coding, entry) }],
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
      note: [{ text: sourceOf(coding, entry) }],
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
          text: `${sourceOf(coding, entry)}${entry.change ? ` Change: ${entry.change}.` : ''}${entry.changeReason ? ` ${entry.changeReason}` : ''}`,
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
