import type {
  Bundle,
  CodeableConcept,
  Composition,
  Encounter,
  Identifier,
  OperationOutcomeIssue,
  Organization,
  Patient,
  Period,
  Reference,
  Resource,
} from 'fhir/r4.js';
import { isJsonObject } from '../fhir/resource.js';
import { isValidNhsNumber } from '../identifiers/nhs-number.js';
import { isValidOdsCode } from '../identifiers/ods-code.js';
import { NHS_NUMBER_SYSTEM, ODS_ORGANIZATION_CODE_SYSTEM } from '../identifiers/systems.js';
import { eventInstant } from './calendar.js';
import {
  arrayOf,
  codingIn,
  codingsOf,
  entryExpression,
  indexBundle,
  resolveReference,
  sectionTargets,
  text,
  walkSections,
  type BundleIndex,
  type IndexedEntry,
} from './document-bundle.js';
import {
  CODED_ENTRY_RESOURCE_TYPE,
  DMD_SYSTEM,
  DOCUMENT_DEFINITIONS,
  SNOMED_CT_SYSTEM,
  documentKindOfType,
  sectionDefinitionFor,
  type CodedEntryCategory,
  type DocumentDefinition,
  type DocumentKind,
} from './document-definitions.js';

/**
 * Submit-time assurance of a document (the "NMAS-like" gate): a document that will not file cleanly
 * into a GP record is refused while its author is still at the keyboard, not discovered days later in
 * a practice's exception queue. Every fault is reported at once, each with a stable reason code and
 * the FHIRPath of the fault.
 */

/** Stable reason codes, with the summary a user can act on. */
export const ASSURANCE_REASONS = {
  structure: 'The Bundle is not a FHIR document of the form Carebridge exchanges.',
  'missing-element': 'An element the document needs is missing.',
  'unknown-document-kind': 'Composition.type does not name a document kind Carebridge exchanges.',
  'invalid-status': 'Composition.status must be preliminary, final, amended or entered-in-error.',
  'invalid-nhs-number': 'The patient has no NHS number, or it fails the modulus-11 check.',
  'invalid-ods-code': 'The custodian has no valid ODS organisation code.',
  'missing-event-date': 'The discharge or attendance date the delivery deadline runs from is missing.',
  'missing-section': 'A PRSB heading the document kind requires is missing.',
  'empty-section': 'A mandatory section has no text, no entries and no emptyReason.',
  'uncoded-entry': 'A clinical entry is not coded in SNOMED CT (or dm+d for medicines).',
  'wrong-entry-type': 'A section entry is not the resource type that section carries.',
  'wrong-patient-entry': 'A clinical entry is about a different patient from the document.',
  'unresolvable-reference': 'A reference does not resolve to an entry in the Bundle.',
  'missing-attachment': 'The document carries no PDF attachment.',
} as const;

export type AssuranceReason = keyof typeof ASSURANCE_REASONS;

/** The code system of assurance reasons in OperationOutcome.issue.details. */
export const ASSURANCE_REASON_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/document-assurance';

export interface AssuranceProblem {
  reason: AssuranceReason;
  /** Errors refuse the document; warnings (a missing "required" heading) are reported and accepted. */
  severity: 'error' | 'warning';
  message: string;
  /** FHIRPath of the fault, e.g. `Bundle.entry[0].resource.section[3]`. */
  expression: string;
}

export type AssuranceResult =
  | { outcome: 'accepted'; kind: DocumentKind; warnings: AssuranceProblem[] }
  | {
      outcome: 'rejected';
      kind: DocumentKind | undefined;
      problems: AssuranceProblem[];
      warnings: AssuranceProblem[];
    };

const STATUSES: ReadonlySet<string> = new Set(['preliminary', 'final', 'amended', 'entered-in-error']);
const COMPOSITION = 'Bundle.entry[0].resource';

/** Where each coded resource type names its patient. */
const PATIENT_ELEMENT: Readonly<Record<string, string>> = {
  Condition: 'subject',
  AllergyIntolerance: 'patient',
  MedicationStatement: 'subject',
  Procedure: 'subject',
  Task: 'for',
};

class Problems {
  readonly errors: AssuranceProblem[] = [];
  readonly warnings: AssuranceProblem[] = [];

  add(
    reason: AssuranceReason,
    expression: string,
    message: string,
    severity: 'error' | 'warning' = 'error',
  ): void {
    (severity === 'error' ? this.errors : this.warnings).push({ reason, severity, message, expression });
  }
}

/**
 * Checks a document Bundle before it is accepted for delivery. Input is untrusted JSON: nothing is
 * assumed about its shape. A bundle that is not a document at all stops at the first fault; otherwise
 * every fault is reported.
 */
export function assureDocument(bundle: unknown): AssuranceResult {
  const problems = new Problems();
  const rejected = (kind: DocumentKind | undefined): AssuranceResult => ({
    outcome: 'rejected',
    kind,
    problems: problems.errors,
    warnings: problems.warnings,
  });

  if (!isJsonObject(bundle) || bundle.resourceType !== 'Bundle') {
    problems.add('structure', 'Bundle', 'Expected a FHIR Bundle resource.');
    return rejected(undefined);
  }
  const document = bundle as unknown as Bundle;
  if (document.type !== 'document') {
    problems.add(
      'structure',
      'Bundle.type',
      `Bundle.type must be "document", not "${String(document.type)}".`,
    );
  }
  if (!isJsonObject(document.identifier) || text(document.identifier.value) === undefined) {
    problems.add('missing-element', 'Bundle.identifier', 'Bundle.identifier (the document id) is missing.');
  }
  const rawEntries: unknown = document.entry;
  if (!Array.isArray(rawEntries) || rawEntries.length === 0) {
    problems.add(
      'structure',
      'Bundle.entry',
      'A document Bundle must have entries, the first a Composition.',
    );
    return rejected(undefined);
  }
  rawEntries.forEach((raw: unknown, i) => {
    if (!isJsonObject(raw) || !isJsonObject(raw.resource) || typeof raw.resource.resourceType !== 'string') {
      problems.add('structure', `Bundle.entry[${i}]`, 'Each entry must hold a resource.');
    }
  });
  const index = indexBundle(document);
  const first = index.entries[0];
  if (first?.index !== 0 || first.resource.resourceType !== 'Composition') {
    problems.add(
      'structure',
      'Bundle.entry[0].resource',
      'The first entry of a document must be a Composition.',
    );
    return rejected(undefined);
  }
  const composition = first.resource as Composition;

  const kind = documentKindOfType(codingsOf(composition.type));
  if (kind === undefined) {
    problems.add(
      'unknown-document-kind',
      `${COMPOSITION}.type`,
      'Composition.type must be a discharge summary (SNOMED 373942005), outpatient letter (823681000000100) or report of clinical encounter (371531000).',
    );
  }
  if (typeof composition.status !== 'string' || !STATUSES.has(composition.status)) {
    problems.add(
      'invalid-status',
      `${COMPOSITION}.status`,
      `Composition.status "${String(composition.status)}" is not allowed.`,
    );
  }
  if (text(composition.title) === undefined) {
    problems.add('missing-element', `${COMPOSITION}.title`, 'Composition.title is missing.');
  }
  if (text(composition.date) === undefined || eventInstant(composition.date) === undefined) {
    problems.add(
      'missing-element',
      `${COMPOSITION}.date`,
      'Composition.date (when the document was written) is missing or not a full date.',
    );
  }

  const patient = checkSubject(index, composition, problems);
  checkAuthors(index, composition, problems);
  checkCustodian(index, composition, problems);
  checkReplaces(composition, problems);
  if (kind !== undefined) {
    const definition = DOCUMENT_DEFINITIONS[kind];
    checkEventDate(index, composition, definition, problems);
    checkSections(index, composition, definition, patient, problems);
    if (definition.requiresPdfAttachment && findPdfAttachment(index, composition) === undefined) {
      problems.add(
        'missing-attachment',
        `${COMPOSITION}.section`,
        'No section entry is a PDF (DocumentReference or Binary with contentType application/pdf and content).',
      );
    }
  }

  if (problems.errors.length > 0 || kind === undefined) return rejected(kind);
  return { outcome: 'accepted', kind, warnings: problems.warnings };
}

function checkSubject(
  index: BundleIndex,
  composition: Composition,
  problems: Problems,
): IndexedEntry | undefined {
  if (!isJsonObject(composition.subject)) {
    problems.add(
      'missing-element',
      `${COMPOSITION}.subject`,
      'Composition.subject (the patient) is missing.',
    );
    return undefined;
  }
  const patient = resolveReference(index, composition.subject);
  if (patient?.resource.resourceType !== 'Patient') {
    problems.add(
      'unresolvable-reference',
      `${COMPOSITION}.subject`,
      `Composition.subject must reference a Patient entry in the Bundle (got "${String(composition.subject.reference)}").`,
    );
    return undefined;
  }
  const identifiers = arrayOf((patient.resource as Patient).identifier);
  const position = identifiers.findIndex(
    (identifier) => isJsonObject(identifier) && identifier.system === NHS_NUMBER_SYSTEM,
  );
  const nhsNumber = identifiers[position]?.value;
  if (position < 0) {
    problems.add(
      'invalid-nhs-number',
      `${entryExpression(patient)}.identifier`,
      'The patient has no NHS number identifier.',
    );
  } else if (typeof nhsNumber !== 'string' || !isValidNhsNumber(nhsNumber)) {
    problems.add(
      'invalid-nhs-number',
      `${entryExpression(patient)}.identifier[${position}].value`,
      `"${String(nhsNumber)}" is not a valid NHS number (ten digits, modulus-11 check digit, no spaces).`,
    );
  }
  return patient;
}

function checkAuthors(index: BundleIndex, composition: Composition, problems: Problems): void {
  const authors = arrayOf(composition.author);
  if (authors.length === 0) {
    problems.add('missing-element', `${COMPOSITION}.author`, 'Composition.author is missing.');
    return;
  }
  authors.forEach((author, i) => {
    const expression = `${COMPOSITION}.author[${i}]`;
    if (!isJsonObject(author)) return problems.add('structure', expression, 'An author must be a Reference.');
    if (text(author.reference) !== undefined) {
      if (!resolveReference(index, author)) {
        problems.add(
          'unresolvable-reference',
          expression,
          `Author "${String(author.reference)}" is not an entry in the Bundle.`,
        );
      }
    } else if (!isJsonObject(author.identifier) || text(author.identifier.value) === undefined) {
      problems.add(
        'missing-element',
        expression,
        'An author needs a reference to an entry or an identifier (e.g. GMC number).',
      );
    }
  });
}

/** The custodian's ODS code: from the referenced Organization entry, or a logical reference. */
export function custodianOdsCode(index: BundleIndex, custodian: Reference | undefined): string | undefined {
  const fromIdentifier = (identifier: Identifier | undefined): string | undefined =>
    identifier?.system === ODS_ORGANIZATION_CODE_SYSTEM ? text(identifier.value) : undefined;
  const target = resolveReference(index, custodian);
  if (target?.resource.resourceType === 'Organization') {
    for (const identifier of arrayOf((target.resource as Organization).identifier)) {
      const code = fromIdentifier(identifier);
      if (code !== undefined) return code;
    }
  }
  return fromIdentifier(custodian?.identifier);
}

function checkCustodian(index: BundleIndex, composition: Composition, problems: Problems): void {
  const expression = `${COMPOSITION}.custodian`;
  const custodian = composition.custodian;
  if (!isJsonObject(custodian)) {
    problems.add(
      'missing-element',
      expression,
      'Composition.custodian (the organisation responsible for the document) is missing.',
    );
    return;
  }
  if (text(custodian.reference) !== undefined && !resolveReference(index, custodian)) {
    problems.add(
      'unresolvable-reference',
      expression,
      `Custodian "${String(custodian.reference)}" is not an entry in the Bundle.`,
    );
    return;
  }
  const code = custodianOdsCode(index, custodian);
  if (code === undefined || !isValidOdsCode(code)) {
    problems.add(
      'invalid-ods-code',
      expression,
      code === undefined
        ? 'The custodian has no ODS organisation code.'
        : `"${code}" is not a valid ODS organisation code.`,
    );
  }
}

function checkReplaces(composition: Composition, problems: Problems): void {
  arrayOf(composition.relatesTo).forEach((relation, i) => {
    if (!isJsonObject(relation) || relation.code !== 'replaces') return;
    if (replacedDocumentId(relation) === undefined) {
      problems.add(
        'missing-element',
        `${COMPOSITION}.relatesTo[${i}]`,
        'A "replaces" relation must name the replaced document (targetIdentifier).',
      );
    }
  });
}

/** The id of the document a relatesTo entry names. */
export function replacedDocumentId(
  relation: NonNullable<Composition['relatesTo']>[number],
): string | undefined {
  const target = relation.targetIdentifier ?? relation.targetReference?.identifier;
  return text(target?.value) ?? text(relation.targetReference?.reference);
}

/**
 * The event date the delivery deadline runs from, as sent: Encounter.period.end (discharge) or start
 * (attendance), else Composition.event.period; Composition.date for other correspondence.
 */
export function documentEventDate(
  index: BundleIndex,
  composition: Composition,
  definition: DocumentDefinition,
): string | undefined {
  if (definition.eventDate === 'document-date') return text(composition.date);
  const pick = (period: Period | undefined): string | undefined =>
    isJsonObject(period) ? text(definition.eventDate === 'discharge' ? period.end : period.start) : undefined;
  const encounter = resolveReference(index, composition.encounter);
  if (encounter?.resource.resourceType === 'Encounter') {
    const fromEncounter = pick((encounter.resource as Encounter).period);
    if (fromEncounter !== undefined) return fromEncounter;
  }
  for (const event of arrayOf(composition.event)) {
    const fromEvent = isJsonObject(event) ? pick(event.period as Period | undefined) : undefined;
    if (fromEvent !== undefined) return fromEvent;
  }
  return undefined;
}

function checkEventDate(
  index: BundleIndex,
  composition: Composition,
  definition: DocumentDefinition,
  problems: Problems,
): void {
  if (definition.eventDate === 'document-date') return;
  const hasEncounter =
    isJsonObject(composition.encounter) && text(composition.encounter.reference) !== undefined;
  if (hasEncounter && resolveReference(index, composition.encounter)?.resource.resourceType !== 'Encounter') {
    problems.add(
      'unresolvable-reference',
      `${COMPOSITION}.encounter`,
      'Composition.encounter must reference an Encounter entry in the Bundle.',
    );
  }
  const value = documentEventDate(index, composition, definition);
  if (value === undefined || eventInstant(value) === undefined) {
    const which =
      definition.eventDate === 'discharge'
        ? 'discharge date (Encounter.period.end)'
        : 'attendance date (Encounter.period.start)';
    problems.add(
      'missing-event-date',
      hasEncounter ? `${COMPOSITION}.encounter` : `${COMPOSITION}.event`,
      `A ${definition.title.toLowerCase()} needs the ${which}, as a full date, to set its delivery deadline.`,
    );
  }
}

function hasContent(section: NonNullable<Composition['section']>[number]): boolean {
  return (
    (isJsonObject(section.text) && text(section.text.div) !== undefined) ||
    arrayOf(section.entry).length > 0 ||
    isJsonObject(section.emptyReason)
  );
}

function checkSections(
  index: BundleIndex,
  composition: Composition,
  definition: DocumentDefinition,
  patient: IndexedEntry | undefined,
  problems: Problems,
): void {
  const present = new Set<string>();
  for (const { section, expression, depth } of walkSections(composition.section, COMPOSITION)) {
    const heading = depth === 0 ? sectionDefinitionFor(definition.kind, section.code?.coding) : undefined;
    if (heading) {
      present.add(heading.code);
      if (heading.conformance === 'mandatory' && !hasContent(section)) {
        problems.add(
          'empty-section',
          expression,
          `The mandatory section "${heading.title}" has no text, entries or emptyReason.`,
        );
      }
    }
    const targets = sectionTargets(index, section, expression);
    for (const missing of targets.unresolved) {
      problems.add(
        'unresolvable-reference',
        missing.expression,
        `Entry "${String(missing.reference)}" is not in the Bundle.`,
      );
    }
    if (heading?.codedEntries === undefined) continue;
    for (const target of targets.resolved) {
      checkCodedEntry(
        index,
        target.entry,
        target.expression,
        heading.codedEntries,
        heading.title,
        patient,
        problems,
      );
    }
  }
  for (const heading of definition.sections) {
    if (heading.conformance === 'optional' || present.has(heading.code)) continue;
    const mandatory = heading.conformance === 'mandatory';
    problems.add(
      'missing-section',
      `${COMPOSITION}.section`,
      `The ${mandatory ? 'mandatory' : 'required'} section "${heading.title}" (SNOMED ${heading.code}) is missing${mandatory ? '' : '; send it when the information is known'}.`,
      mandatory ? 'error' : 'warning',
    );
  }
}

function checkCodedEntry(
  index: BundleIndex,
  entry: IndexedEntry,
  referencedAt: string,
  category: CodedEntryCategory,
  sectionTitle: string,
  patient: IndexedEntry | undefined,
  problems: Problems,
): void {
  const resource = entry.resource;
  if (resource.resourceType === 'List') return;
  const expected = CODED_ENTRY_RESOURCE_TYPE[category];
  const at = entryExpression(entry);
  if (resource.resourceType !== expected) {
    problems.add(
      'wrong-entry-type',
      referencedAt,
      `"${sectionTitle}" carries ${expected} entries, not ${resource.resourceType}.`,
    );
    return;
  }
  const fields = resource as unknown as Record<string, unknown>;
  if (category === 'medication') {
    checkMedicationCoding(index, fields, at, problems);
  } else if (codingIn(fields.code as CodeableConcept | undefined, [SNOMED_CT_SYSTEM]) === undefined) {
    problems.add('uncoded-entry', `${at}.code`, `${expected} in "${sectionTitle}" has no SNOMED CT code.`);
  }
  const element = PATIENT_ELEMENT[expected];
  const subject = element === undefined ? undefined : fields[element];
  if (element !== undefined && isJsonObject(subject) && patient !== undefined) {
    const target = resolveReference(index, subject as Reference);
    if (!target) {
      problems.add(
        'unresolvable-reference',
        `${at}.${element}`,
        `"${String(subject.reference)}" is not an entry in the Bundle.`,
      );
    } else if (target !== patient) {
      problems.add(
        'wrong-patient-entry',
        `${at}.${element}`,
        `${expected} in "${sectionTitle}" is about a different patient from the document.`,
      );
    }
  }
}

const MEDICINE_SYSTEMS = [DMD_SYSTEM, SNOMED_CT_SYSTEM];

function checkMedicationCoding(
  index: BundleIndex,
  fields: Record<string, unknown>,
  at: string,
  problems: Problems,
): void {
  if (isJsonObject(fields.medicationCodeableConcept)) {
    if (
      codingIn(fields.medicationCodeableConcept as CodeableConcept | undefined, MEDICINE_SYSTEMS) ===
      undefined
    ) {
      problems.add(
        'uncoded-entry',
        `${at}.medicationCodeableConcept`,
        'The medicine is not coded in dm+d or SNOMED CT.',
      );
    }
    return;
  }
  if (!isJsonObject(fields.medicationReference)) {
    problems.add('uncoded-entry', `${at}.medication[x]`, 'The medication statement names no medicine.');
    return;
  }
  const medication = resolveReference(index, fields.medicationReference as Reference);
  if (medication?.resource.resourceType !== 'Medication') {
    problems.add(
      'unresolvable-reference',
      `${at}.medicationReference`,
      'medicationReference must reference a Medication entry in the Bundle.',
    );
    return;
  }
  const code = (medication.resource as unknown as Record<string, unknown>).code;
  if (codingIn(code as CodeableConcept | undefined, MEDICINE_SYSTEMS) === undefined) {
    problems.add(
      'uncoded-entry',
      `${entryExpression(medication)}.code`,
      'The medicine is not coded in dm+d or SNOMED CT.',
    );
  }
}

/** A PDF the document carries: the first DocumentReference or Binary section entry that is a PDF. */
export function findPdfAttachment(
  index: BundleIndex,
  composition: Composition,
): { entry: IndexedEntry; title?: string } | undefined {
  for (const { section, expression } of walkSections(composition.section, COMPOSITION)) {
    for (const { entry } of sectionTargets(index, section, expression).resolved) {
      const pdf = pdfOf(index, entry.resource);
      if (pdf) return { entry, ...(pdf.title === undefined ? {} : { title: pdf.title }) };
    }
  }
  return undefined;
}

function pdfOf(index: BundleIndex, resource: Resource): { title?: string } | undefined {
  if (resource.resourceType === 'Binary') {
    const binary = resource as unknown as Record<string, unknown>;
    return binary.contentType === 'application/pdf' && text(binary.data) !== undefined ? {} : undefined;
  }
  if (resource.resourceType !== 'DocumentReference') return undefined;
  for (const content of arrayOf((resource as unknown as { content?: unknown[] }).content)) {
    const attachment = isJsonObject(content) ? content.attachment : undefined;
    if (!isJsonObject(attachment) || attachment.contentType !== 'application/pdf') continue;
    const title = text(attachment.title);
    const withTitle = title === undefined ? {} : { title };
    if (text(attachment.data) !== undefined) return withTitle;
    // A url must point inside the document: the GP cannot be expected to fetch from the sender.
    const binary =
      typeof attachment.url === 'string' ? resolveReference(index, { reference: attachment.url }) : undefined;
    if (binary && pdfOf(index, binary.resource)) return withTitle;
  }
  return undefined;
}

/** The problems as OperationOutcome issues (errors and warnings), for a 422 answer or a $validate. */
export function assuranceIssues(result: AssuranceResult): OperationOutcomeIssue[] {
  const all = result.outcome === 'rejected' ? [...result.problems, ...result.warnings] : result.warnings;
  return all.map((problem) => ({
    severity: problem.severity,
    code:
      problem.reason === 'structure'
        ? 'structure'
        : problem.severity === 'error'
          ? 'business-rule'
          : 'incomplete',
    details: {
      coding: [{ system: ASSURANCE_REASON_SYSTEM, code: problem.reason }],
      text: ASSURANCE_REASONS[problem.reason],
    },
    diagnostics: problem.message,
    expression: [problem.expression],
  }));
}
