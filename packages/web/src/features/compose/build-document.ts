import type { Bundle, BundleEntry, Composition, CompositionSection, FhirResource } from 'fhir/r4';
import {
  DOCUMENT_DEFINITIONS,
  MEDICATION_CHANGE_EXTENSION,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANIZATION_CODE_SYSTEM,
  SNOMED_CT_SYSTEM,
  compositionTypeCodings,
  type SectionDefinition,
} from '../../domain';
import type { Concept } from './terminology';

/**
 * Turns what the clinician wrote into a FHIR document Bundle in the shape the exchange expects
 * (docs/exchange-documents.md): the Composition first, one section per PRSB heading in the
 * definition's order, coded entries in the sections that carry them, and the patient, author,
 * custodian and encounter inside the Bundle. Pure, so it is tested without a browser.
 */
export type ComposableKind = 'inpatient-discharge' | 'outpatient-letter';
export const COMPOSABLE_KINDS: readonly ComposableKind[] = ['inpatient-discharge', 'outpatient-letter'];

export type MedicationChange = 'added' | 'amended' | 'continued' | 'on-hold' | 'stopped';
export const MEDICATION_CHANGES: readonly MedicationChange[] = [
  'added',
  'amended',
  'continued',
  'on-hold',
  'stopped',
];

export interface PickedMedicine {
  concept: Concept;
  change: MedicationChange;
  reason: string;
}

export interface LetterDraft {
  kind: ComposableKind;
  /** preliminary: waits for a consultant to authorise it; final: authorised as it is sent. */
  status: 'preliminary' | 'final';
  /** A fresh UUID per letter: the document's identity for duplicate detection and tracking. */
  uuid: string;
  patient: { nhsNumber: string; given: string; family: string; birthDate: string; practice?: string };
  /** YYYY-MM-DD. Admission and discharge for a discharge summary; attendance for a clinic letter. */
  admitted?: string;
  discharged?: string;
  attended?: string;
  /** Free text per heading, keyed by the heading's SNOMED CT code. */
  text: Readonly<Record<string, string>>;
  diagnoses: readonly Concept[];
  allergies: readonly Concept[];
  medicines: readonly PickedMedicine[];
  author: { name: string };
  organisation: { odsCode: string; name: string };
  now: Date;
}

/** Headings Carebridge fills in from the structured details, so nobody types them twice. */
export const AUTO_SECTIONS = {
  patientDemographics: '886731000000109',
  gpPractice: '886711000000101',
  personCompletingRecord: '887231000000104',
} as const;

const AUTO_CODES = new Set<string>(Object.values(AUTO_SECTIONS));

export function isAutoSection(section: SectionDefinition): boolean {
  return AUTO_CODES.has(section.code);
}

export function sectionsOf(kind: ComposableKind): readonly SectionDefinition[] {
  return DOCUMENT_DEFINITIONS[kind].sections;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Section narrative: each paragraph the clinician typed becomes a <p>. */
export function narrative(paragraphs: readonly string[]): string {
  const body = paragraphs
    .flatMap((paragraph) => paragraph.split(/\n{2,}|\r\n\r\n/))
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== '')
    .map((paragraph) => `<p>${escapeXml(paragraph)}</p>`)
    .join('');
  return `<div xmlns="http://www.w3.org/1999/xhtml">${body}</div>`;
}

export interface AutoTexts {
  patientDemographics: string;
  gpPractice: string;
  personCompletingRecord: string;
  /** How each medication change reads in the narrative ("Started", "Stopped"…). */
  changeLabels: Readonly<Record<MedicationChange, string>>;
}

export function buildDocument(draft: LetterDraft, auto: AutoTexts): Bundle<FhirResource> {
  const urn = (n: number) => `urn:uuid:${draft.uuid.slice(0, 24)}${String(n).padStart(12, '0')}`;
  const patientRef = { reference: urn(1) };
  const snomed = (code: string, display: string) => ({
    coding: [{ system: SNOMED_CT_SYSTEM, code, display }],
  });
  const codeable = (concept: Concept) => ({
    coding: [{ system: concept.system, code: concept.code, display: concept.display }],
    text: concept.display,
  });
  const isDischarge = draft.kind === 'inpatient-discharge';

  const entries: FhirResource[] = [];
  const referencesBySection = new Map<string, string[]>();
  const add = (sectionCode: string, resource: FhirResource): void => {
    entries.push(resource);
    const reference = urn(100 + entries.length);
    referencesBySection.set(sectionCode, [...(referencesBySection.get(sectionCode) ?? []), reference]);
  };
  for (const diagnosis of draft.diagnoses) {
    add('887161000000102', {
      resourceType: 'Condition',
      subject: patientRef,
      code: codeable(diagnosis),
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
    });
  }
  for (const allergy of draft.allergies) {
    add('886921000000105', {
      resourceType: 'AllergyIntolerance',
      patient: patientRef,
      code: codeable(allergy),
    });
  }
  for (const medicine of draft.medicines) {
    add('933361000000108', {
      resourceType: 'MedicationStatement',
      status:
        medicine.change === 'stopped' ? 'stopped' : medicine.change === 'on-hold' ? 'on-hold' : 'active',
      subject: patientRef,
      medicationCodeableConcept: codeable(medicine.concept),
      extension: [{ url: MEDICATION_CHANGE_EXTENSION, valueCode: medicine.change }],
      ...(medicine.reason.trim() === '' ? {} : { note: [{ text: medicine.reason.trim() }] }),
    });
  }

  const autoText: Record<string, string> = {
    [AUTO_SECTIONS.patientDemographics]: auto.patientDemographics,
    [AUTO_SECTIONS.gpPractice]: auto.gpPractice,
    [AUTO_SECTIONS.personCompletingRecord]: auto.personCompletingRecord,
  };
  const sections: CompositionSection[] = [];
  for (const definition of sectionsOf(draft.kind)) {
    const typed = (autoText[definition.code] ?? draft.text[definition.code] ?? '').trim();
    const references = referencesBySection.get(definition.code) ?? [];
    if (typed === '' && references.length === 0) continue;
    const lines = entryLines(definition.code, draft, auto.changeLabels);
    const paragraphs = typed === '' ? lines : [typed, ...lines];
    sections.push({
      title: definition.title,
      code: snomed(definition.code, definition.title),
      text: { status: references.length > 0 ? 'additional' : 'generated', div: narrative(paragraphs) },
      ...(references.length === 0 ? {} : { entry: references.map((reference) => ({ reference })) }),
    });
  }

  const eventStart = isDischarge ? draft.admitted : draft.attended;
  const eventEnd = isDischarge ? draft.discharged : draft.attended;
  const composition: Composition = {
    resourceType: 'Composition',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${draft.uuid}` },
    status: draft.status,
    type: { coding: compositionTypeCodings(draft.kind) },
    subject: patientRef,
    encounter: { reference: urn(4) },
    date: draft.now.toISOString(),
    author: [{ reference: urn(2) }],
    title: DOCUMENT_DEFINITIONS[draft.kind].title,
    custodian: { reference: urn(3) },
    section: sections,
  };
  const fixed: FhirResource[] = [
    composition,
    {
      resourceType: 'Patient',
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: draft.patient.nhsNumber }],
      name: [
        {
          use: 'official',
          family: draft.patient.family,
          given: draft.patient.given.split(/\s+/).filter(Boolean),
        },
      ],
      birthDate: draft.patient.birthDate,
    },
    { resourceType: 'Practitioner', name: [{ text: draft.author.name }] },
    {
      resourceType: 'Organization',
      identifier: [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: draft.organisation.odsCode }],
      name: draft.organisation.name,
    },
    {
      resourceType: 'Encounter',
      status: 'finished',
      class: {
        system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
        code: isDischarge ? 'IMP' : 'AMB',
      },
      subject: patientRef,
      period: { ...(eventStart ? { start: eventStart } : {}), ...(eventEnd ? { end: eventEnd } : {}) },
    },
  ];
  const all: Array<BundleEntry<FhirResource>> = [
    ...fixed.map((resource, index) => ({ fullUrl: urn(index), resource })),
    ...entries.map((resource, index) => ({ fullUrl: urn(101 + index), resource })),
  ];
  return {
    resourceType: 'Bundle',
    type: 'document',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${draft.uuid}-v1` },
    timestamp: draft.now.toISOString(),
    entry: all,
  };
}

/** The coded entries of a heading, as sentences in its narrative (the letter must read on its own). */
function entryLines(
  sectionCode: string,
  draft: LetterDraft,
  changeLabels: AutoTexts['changeLabels'],
): string[] {
  switch (sectionCode) {
    case '887161000000102':
      return draft.diagnoses.map((concept) => concept.display);
    case '886921000000105':
      return draft.allergies.map((concept) => concept.display);
    case '933361000000108':
      return draft.medicines.map(
        (medicine) =>
          `${medicine.concept.display}: ${changeLabels[medicine.change]}${medicine.reason.trim() ? ` (${medicine.reason.trim()})` : ''}`,
      );
    default:
      return [];
  }
}
