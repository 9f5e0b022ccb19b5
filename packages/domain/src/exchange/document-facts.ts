import { createHash } from 'node:crypto';
import type {
  AllergyIntolerance,
  Bundle,
  CodeableConcept,
  Composition,
  Condition,
  Extension,
  Identifier,
  MedicationStatement,
  Patient,
  Procedure,
  Reference,
  Task,
} from 'fhir/r4.js';
import { isJsonObject } from '../fhir/resource.js';
import { eventInstant } from './calendar.js';
import { demographicsOfPatient, type Demographics } from './demographics.js';
import { custodianOdsCode, documentEventDate, replacedDocumentId } from './document-assurance.js';
import {
  arrayOf,
  codingIn,
  codingsOf,
  indexBundle,
  resolveReference,
  sectionTargets,
  text,
  walkSections,
  type BundleIndex,
  type IndexedEntry,
} from './document-bundle.js';
import {
  DMD_SYSTEM,
  DOCUMENT_DEFINITIONS,
  DOCUMENT_VERSION_EXTENSION,
  MEDICATION_CHANGE_EXTENSION,
  MEDICATION_CHANGE_STATUSES,
  SNOMED_CT_SYSTEM,
  documentKindOfType,
  sectionDefinitionFor,
  type DocumentKind,
  type MedicationChangeStatus,
} from './document-definitions.js';

/**
 * The facts the server keeps about an accepted document: what the ledger, the GP inbox, alarms and
 * backlog planning need without parsing the Bundle again.
 */

export interface CodedConcept {
  system: string;
  code: string;
  display?: string;
}

interface CodedFact {
  /** The SNOMED CT (or dm+d) coding. */
  concept: CodedConcept;
  /** The clinician's wording, when it differs from the code's display. */
  text?: string;
  /** The PRSB heading it was found under. */
  section: string;
}

export type ConditionFact = CodedFact & { clinicalStatus?: string };
export type AllergyFact = CodedFact & { criticality?: string };
export type ProcedureFact = CodedFact;
export type MedicationFact = CodedFact & {
  /** undefined when the sender did not say what happened to the medicine. */
  change?: MedicationChangeStatus;
  changeReason?: string;
};
export type ActionFact = CodedFact & { description?: string; ownerDisplay?: string; ownerReference?: string };

export interface DocumentFacts {
  /** Bundle.identifier.value: unique to this issued version (ITK3 "duplicate document" key). */
  documentId: string;
  documentIdSystem?: string;
  /** Composition.identifier.value: shared by every version of the document; the documentId when absent. */
  setId: string;
  /** The sender's version number ({@link DOCUMENT_VERSION_EXTENSION}); 1 when not stated. */
  version: number;
  kind: DocumentKind;
  status: Composition['status'];
  title: string;
  /** Composition.date as sent. */
  documentDate: string;
  patient: Demographics & { nhsNumber: string };
  authors: { reference?: string; display?: string; identifier?: { system?: string; value: string } }[];
  custodianOds: string;
  /** The discharge or attendance date as sent (Composition.date for other correspondence). */
  eventDate: string;
  /** When the delivery clock starts: {@link eventInstant} of eventDate. */
  eventAt: Date;
  /** The document this one replaces (relatesTo.code = replaces). */
  replaces?: string;
  conditions: ConditionFact[];
  allergies: AllergyFact[];
  medications: MedicationFact[];
  procedures: ProcedureFact[];
  actions: ActionFact[];
  /** A medicine was added, amended, stopped or put on hold: the GP must reconcile. */
  hasMedicationChanges: boolean;
  /** The document asks someone (usually the GP) to do something. */
  hasActions: boolean;
  /** SHA-256 (hex) of the canonical clinical content: equal for the same letter sent twice. */
  contentHash: string;
}

/** Thrown when a Bundle lacks what {@link assureDocument} would have refused it for. */
export class DocumentFactsError extends Error {
  override readonly name = 'DocumentFactsError';
}

/**
 * The facts of a document that {@link assureDocument} accepted. Throws {@link DocumentFactsError}
 * when a fact the server depends on is missing, so an unassured document cannot slip into the ledger
 * with holes in it.
 */
export function extractDocumentFacts(bundle: Bundle): DocumentFacts {
  const index = indexBundle(bundle);
  const first = index.entries[0];
  if (first?.index !== 0 || first.resource.resourceType !== 'Composition') {
    throw new DocumentFactsError('The first entry is not a Composition.');
  }
  const composition = first.resource as Composition;
  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new DocumentFactsError(`The document has no ${what}; assure it first.`);
    return value;
  };

  const kind = required(documentKindOfType(composition.type?.coding), 'known document kind');
  const definition = DOCUMENT_DEFINITIONS[kind];
  const documentId = required(text(bundle.identifier?.value), 'Bundle.identifier');
  const patientEntry = resolveReference(index, composition.subject);
  const patientResource =
    patientEntry?.resource.resourceType === 'Patient' ? (patientEntry.resource as Patient) : undefined;
  const demographics = demographicsOfPatient(required(patientResource, 'Patient subject'));
  const nhsNumber = required(demographics.nhsNumber, 'patient NHS number');
  const eventDate = required(documentEventDate(index, composition, definition), 'event date');
  const eventAt = required(eventInstant(eventDate), 'full event date');
  const version = arrayOf(composition.extension).find(
    (e) => e.url === DOCUMENT_VERSION_EXTENSION,
  )?.valuePositiveInt;
  const replaces = arrayOf(composition.relatesTo)
    .filter((relation) => relation.code === 'replaces')
    .map(replacedDocumentId)
    .find((id) => id !== undefined);

  const facts: DocumentFacts = {
    documentId,
    ...(text(bundle.identifier?.system) === undefined ? {} : { documentIdSystem: bundle.identifier?.system }),
    setId: text(composition.identifier?.value) ?? documentId,
    version: typeof version === 'number' && Number.isInteger(version) && version > 0 ? version : 1,
    kind,
    status: composition.status,
    title: composition.title,
    documentDate: composition.date,
    patient: { ...demographics, nhsNumber },
    authors: arrayOf(composition.author).map(authorFact),
    custodianOds: required(custodianOdsCode(index, composition.custodian), 'custodian ODS code'),
    eventDate,
    eventAt,
    ...(replaces === undefined ? {} : { replaces }),
    conditions: [],
    allergies: [],
    medications: [],
    procedures: [],
    actions: [],
    hasMedicationChanges: false,
    hasActions: false,
    contentHash: documentContentHash(bundle),
  };
  collectCodedEntries(index, composition, kind, facts);
  facts.hasMedicationChanges = facts.medications.some(
    (medication) => medication.change !== undefined && medication.change !== 'continued',
  );
  facts.hasActions = facts.actions.length > 0;
  return facts;
}

function authorFact(author: Reference): DocumentFacts['authors'][number] {
  const identifier: Identifier | undefined = author.identifier;
  const value = text(identifier?.value);
  return {
    ...(text(author.reference) === undefined ? {} : { reference: author.reference }),
    ...(text(author.display) === undefined ? {} : { display: author.display }),
    ...(value === undefined
      ? {}
      : { identifier: identifier?.system === undefined ? { value } : { system: identifier.system, value } }),
  };
}

function concept(
  codeable: CodeableConcept | undefined,
  systems: readonly string[],
): CodedConcept | undefined {
  const coding = codingIn(codeable, systems);
  if (coding?.system === undefined || coding.code === undefined) return undefined;
  return coding.display === undefined
    ? { system: coding.system, code: coding.code }
    : { system: coding.system, code: coding.code, display: coding.display };
}

function coded(
  codeable: CodeableConcept | undefined,
  section: string,
  systems = [SNOMED_CT_SYSTEM],
): CodedFact | undefined {
  const found = concept(codeable, systems);
  if (!found) return undefined;
  const wording = text(codeable?.text);
  return wording === undefined || wording === found.display
    ? { concept: found, section }
    : { concept: found, text: wording, section };
}

function collectCodedEntries(
  index: BundleIndex,
  composition: Composition,
  kind: DocumentKind,
  facts: DocumentFacts,
): void {
  const seen = new Set<IndexedEntry>();
  for (const { section, expression, depth } of walkSections(
    composition.section,
    'Bundle.entry[0].resource',
  )) {
    const heading = depth === 0 ? sectionDefinitionFor(kind, section.code?.coding) : undefined;
    if (heading?.codedEntries === undefined) continue;
    for (const { entry } of sectionTargets(index, section, expression).resolved) {
      // A resource listed under two headings (or twice through a List) is one fact.
      if (seen.has(entry)) continue;
      seen.add(entry);
      addFact(index, entry, heading.title, facts);
    }
  }
}

function addFact(index: BundleIndex, entry: IndexedEntry, section: string, facts: DocumentFacts): void {
  const resource = entry.resource;
  switch (resource.resourceType) {
    case 'Condition': {
      const condition = resource as Condition;
      const fact = coded(condition.code, section);
      const status = codingsOf(condition.clinicalStatus)[0]?.code;
      if (fact) facts.conditions.push(status === undefined ? fact : { ...fact, clinicalStatus: status });
      return;
    }
    case 'AllergyIntolerance': {
      const allergy = resource as AllergyIntolerance;
      const fact = coded(allergy.code, section);
      if (fact)
        facts.allergies.push(allergy.criticality ? { ...fact, criticality: allergy.criticality } : fact);
      return;
    }
    case 'Procedure': {
      const fact = coded((resource as Procedure).code, section);
      if (fact) facts.procedures.push(fact);
      return;
    }
    case 'MedicationStatement': {
      const statement = resource as MedicationStatement;
      const medication = resolveReference(index, statement.medicationReference)?.resource as
        { code?: CodeableConcept } | undefined;
      const fact = coded(statement.medicationCodeableConcept ?? medication?.code, section, [
        DMD_SYSTEM,
        SNOMED_CT_SYSTEM,
      ]);
      if (!fact) return;
      const { change, reason } = medicationChange(statement);
      facts.medications.push({
        ...fact,
        ...(change === undefined ? {} : { change }),
        ...(reason === undefined ? {} : { changeReason: reason }),
      });
      return;
    }
    case 'Task': {
      const task = resource as Task;
      const fact = coded(task.code, section);
      if (!fact) return;
      const description = text(task.description);
      const ownerDisplay = text(task.owner?.display);
      const ownerReference = text(task.owner?.reference) ?? text(task.owner?.identifier?.value);
      facts.actions.push({
        ...fact,
        ...(description === undefined ? {} : { description }),
        ...(ownerDisplay === undefined ? {} : { ownerDisplay }),
        ...(ownerReference === undefined ? {} : { ownerReference }),
      });
      return;
    }
  }
}

/** CareConnect / UK Core MedicationChangeSummary extensions, read as well as Carebridge's own. */
const LEGACY_CHANGE_EXTENSIONS = [
  'https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationChangeSummary-1',
  'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationChangeSummary-1',
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationChangeSummary',
];

function changeStatusOf(code: unknown): MedicationChangeStatus | undefined {
  if (typeof code !== 'string') return undefined;
  const lower = code.toLowerCase();
  return (MEDICATION_CHANGE_STATUSES as readonly string[]).includes(lower)
    ? (lower as MedicationChangeStatus)
    : undefined;
}

function medicationChange(statement: MedicationStatement): {
  change?: MedicationChangeStatus;
  reason?: string;
} {
  const extensions = arrayOf(statement.extension);
  const own = extensions.find((e) => e.url === MEDICATION_CHANGE_EXTENSION);
  const legacy = extensions.find((e) => LEGACY_CHANGE_EXTENSIONS.includes(e.url));
  const reasonOf = (extension: Extension | undefined): string | undefined => {
    const reason = arrayOf(extension?.extension).find(
      (e) => e.url === 'indicationForChange' || e.url === 'reason',
    );
    return (
      text(reason?.valueCodeableConcept?.text) ??
      text(codingsOf(reason?.valueCodeableConcept)[0]?.display) ??
      text(reason?.valueString)
    );
  };
  let change: MedicationChangeStatus | undefined;
  let reason: string | undefined;
  if (own) {
    change = changeStatusOf(own.valueCode);
    reason = reasonOf(own);
  } else if (legacy) {
    const status = arrayOf(legacy.extension).find(
      (e) => e.url === 'status' || e.url.endsWith('MedicationChangeStatus-1'),
    );
    change = changeStatusOf(status?.valueCode);
    reason = reasonOf(legacy);
  }
  // A statement recording the medicine as stopped is a change whatever the extension says.
  if (statement.status === 'stopped') change = 'stopped';
  return { ...(change === undefined ? {} : { change }), ...(reason === undefined ? {} : { reason }) };
}

/**
 * Record-keeping timestamps: when a system wrote an entry, which a regenerated copy of the same letter
 * changes, rather than when something happened to the patient.
 */
const RECORD_TIMESTAMPS: ReadonlySet<string> = new Set([
  'recordedDate',
  'authoredOn',
  'lastModified',
  'dateAsserted',
  'issued',
  'timestamp',
]);
const VOLATILE_COMPOSITION_KEYS: ReadonlySet<string> = new Set([
  'identifier',
  'date',
  'status',
  'relatesTo',
  'extension',
]);

/**
 * SHA-256 of the document's clinical content in a canonical JSON form, so that the same letter sent
 * twice (new Bundle id, new urn:uuids, new timestamps, re-ordered JSON keys) hashes the same and a
 * change of a word or a code does not. References are replaced by the content they point to, which is
 * what makes fresh urn:uuids irrelevant. Dropped: ids, meta, fullUrls, generated resource narrative
 * (section text, the letter itself, is kept), record-keeping timestamps ({@link RECORD_TIMESTAMPS}),
 * and the Composition's identifiers, date, status, relatesTo and extensions (version numbers).
 */
export function documentContentHash(bundle: Bundle): string {
  const index = indexBundle(bundle);
  const composition = index.entries[0];
  const canonical = composition ? new Canonicaliser(index).entry(composition, true) : null;
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Each entry is canonicalised once and reused wherever it is referenced, so a patient referenced by
 * every entry costs nothing extra and the hash stays linear in the size of the Bundle.
 */
class Canonicaliser {
  private readonly done = new Map<IndexedEntry, Json>();
  private readonly inProgress = new Set<IndexedEntry>();

  constructor(private readonly index: BundleIndex) {}

  entry(entry: IndexedEntry, isComposition = false): Json {
    const cached = this.done.get(entry);
    if (cached !== undefined) return cached;
    this.inProgress.add(entry);
    const canonical = this.value(entry.resource, isComposition);
    this.inProgress.delete(entry);
    this.done.set(entry, canonical);
    return canonical;
  }

  private value(value: unknown, isComposition = false): Json {
    if (typeof value === 'string') return value.normalize('NFC');
    if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
    if (Array.isArray(value)) return value.map((item: unknown) => this.value(item));
    if (!isJsonObject(value)) return null;
    const out: { [key: string]: Json } = {};
    const isResource = typeof value.resourceType === 'string';
    for (const key of Object.keys(value).sort()) {
      if (key === 'id' || key === 'fullUrl' || RECORD_TIMESTAMPS.has(key)) continue;
      // Resource narrative is generated from the data; section text (the letter itself) is content.
      if (isResource && (key === 'meta' || key === 'text')) continue;
      if (isComposition && VOLATILE_COMPOSITION_KEYS.has(key)) continue;
      const child = value[key];
      if (key === 'reference' && typeof child === 'string') {
        const target = resolveReference(this.index, { reference: child });
        if (target && !this.inProgress.has(target)) out.resolved = this.entry(target);
        // A cycle keeps only the target's type (its id is not content); an outside reference is kept as sent.
        else out.reference = target ? target.resource.resourceType : child;
        continue;
      }
      out[key] = this.value(child);
    }
    return out;
  }
}
