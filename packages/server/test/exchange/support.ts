import type { Bundle, BundleEntry, Composition, CompositionSection, FhirResource } from 'fhir/r4.js';
import {
  DMD_SYSTEM,
  DOCUMENT_DEFINITIONS,
  MEDICATION_CHANGE_EXTENSION,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANIZATION_CODE_SYSTEM,
  SNOMED_CT_SYSTEM,
  compositionTypeCodings,
  type DocumentKind,
} from '@carebridge/domain';
import type { TestApp } from '../support/test-app.js';
import { staff, patientLogin } from '../support/principals.js';
import { CONNECTION_TYPE_SYSTEM } from '../../src/exchange/routing.js';

/**
 * A small exchange world: a trust (RZZ) that sends, practices A (Y99901) and B (Y99902) on this
 * Carebridge, an external practice (Y99903) reached through a mailbox, the holding practice
 * (Y99900). Patient p1 is registered at A, p2 at the external practice, p3 nowhere.
 */
export const P1_NHS = '9990000018';
export const P2_NHS = '9990000026';
export const P3_NHS = '9990000034';

const ods = (code: string) => [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: code }];
const person = (id: string, nhs: string, practice?: string) => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhs }],
  name: [{ use: 'official', family: 'Ó Briain', given: ['Zoë', 'Anne'] }],
  birthDate: '1950-05-17',
  ...(practice ? { generalPractitioner: [{ reference: `Organization/${practice}` }] } : {}),
});

const WORLD: Array<Record<string, unknown> & { resourceType: string; id: string }> = [
  { resourceType: 'Organization', id: 'trust', name: 'Kingsmere Hospitals', identifier: ods('RZZ') },
  { resourceType: 'Organization', id: 'practice-a', name: 'Quayside', identifier: ods('Y99901') },
  { resourceType: 'Organization', id: 'practice-b', name: 'Lowbridge', identifier: ods('Y99902') },
  { resourceType: 'Organization', id: 'holding', name: 'Holding practice', identifier: ods('Y99900') },
  {
    resourceType: 'Endpoint',
    id: 'ext-mailbox',
    status: 'active',
    connectionType: { system: CONNECTION_TYPE_SYSTEM, code: 'mailbox' },
    payloadType: [{ text: 'FHIR document' }],
    address: 'Y99903',
  },
  {
    resourceType: 'Organization',
    id: 'practice-ext',
    name: 'Elsewhere Surgery',
    identifier: ods('Y99903'),
    endpoint: [{ reference: 'Endpoint/ext-mailbox' }],
  },
  person('p1', P1_NHS, 'practice-a'),
  person('p2', P2_NHS, 'practice-ext'),
  person('p3', P3_NHS),
];

/** More patients (same demographics as p1, other NHS numbers), each registered at a practice or none. */
export async function addPatients(
  t: TestApp,
  patients: ReadonlyArray<{ id: string; nhs: string; practice?: string }>,
): Promise<void> {
  const response = await t.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: patients.map((p) => ({
      resource: person(p.id, p.nhs, p.practice),
      request: { method: 'PUT', url: `Patient/${p.id}` },
    })),
  });
  if (response.statusCode !== 200) throw new Error(`patients: ${response.statusCode} ${response.body}`);
}

/** A Parameters body for $submit-document with extra parameters (hold-for-release, copies). */
export function submission(document: unknown, extra: ParameterLike[] = []): unknown {
  return { resourceType: 'Parameters', parameter: [{ name: 'document', resource: document }, ...extra] };
}

export const HOLD_FOR_RELEASE: ParameterLike = { name: 'hold-for-release', valueBoolean: true };

export async function buildExchangeWorld(t: TestApp): Promise<Record<string, string>> {
  const response = await t.fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: WORLD.map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  });
  if (response.statusCode !== 200) throw new Error(`world: ${response.statusCode} ${response.body}`);
  return {
    consultant: t.principals.register('consultant', staff('consultant', 'trust')),
    secretary: t.principals.register('secretary', staff('secretary', 'trust')),
    gpA: t.principals.register('gpA', staff('gp', 'practice-a')),
    adminA: t.principals.register('adminA', staff('practice-admin', 'practice-a')),
    gpB: t.principals.register('gpB', staff('gp', 'practice-b')),
    ops: t.principals.register('ops', staff('ops', 'holding')),
    patient1: t.principals.register('patient1', patientLogin('p1')),
    patient2: t.principals.register('patient2', patientLogin('p2')),
  };
}

const snomed = (code: string, display: string) => ({ coding: [{ system: SNOMED_CT_SYSTEM, code, display }] });

export interface DocumentOptions {
  documentId: string;
  setId?: string;
  kind?: DocumentKind;
  status?: Composition['status'];
  nhsNumber?: string;
  birthDate?: string;
  /** Discharge instant (Encounter.period.end). */
  discharge?: string;
  replaces?: string;
  /** Changes the clinical content (a different diagnosis text). */
  diagnosisText?: string;
  /** Leave out the medication change (default: an added statin). */
  noMedicationChange?: boolean;
  /** Leave out the requested action for the GP (default: a medication review). */
  noAction?: boolean;
  /** Family name as the sender has it (default: ours, Ó Briain). */
  family?: string;
}

/** A valid inpatient discharge summary with a diagnosis, an allergy, a medication change and an action. */
export function dischargeSummary(options: DocumentOptions): Bundle<FhirResource> {
  const kind = options.kind ?? 'inpatient-discharge';
  const urn = (n: number) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const patientRef = { reference: urn(1) };
  const discharge = options.discharge ?? '2026-03-01T15:30:00Z';
  const sections: CompositionSection[] = DOCUMENT_DEFINITIONS[kind].sections
    .filter((section) => section.conformance === 'mandatory')
    .map((section) => ({
      title: section.title,
      code: snomed(section.code, section.title),
      text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${section.title}</div>` },
    }));
  const composition: Composition = {
    resourceType: 'Composition',
    identifier: {
      system: 'https://trust.example/documents',
      value: options.setId ?? `set-${options.documentId}`,
    },
    status: options.status ?? 'final',
    type: { coding: compositionTypeCodings(kind) },
    subject: patientRef,
    encounter: { reference: urn(4) },
    date: discharge,
    author: [{ reference: urn(2) }],
    title: DOCUMENT_DEFINITIONS[kind].title,
    custodian: { reference: urn(3) },
    section: sections,
    ...(options.replaces
      ? { relatesTo: [{ code: 'replaces', targetIdentifier: { value: options.replaces } }] }
      : {}),
  };
  const entries: FhirResource[] = [
    composition,
    {
      resourceType: 'Patient',
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: options.nhsNumber ?? P1_NHS }],
      name: [{ use: 'official', family: options.family ?? 'Ó Briain', given: ['Zoë', 'Anne'] }],
      birthDate: options.birthDate ?? '1950-05-17',
    },
    { resourceType: 'Practitioner', name: [{ family: 'Jones', prefix: ['Dr'] }] },
    { resourceType: 'Organization', identifier: ods('RZZ'), name: 'Kingsmere Hospitals' },
    {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: patientRef,
      period: { start: new Date(Date.parse(discharge) - 2 * 86_400_000).toISOString(), end: discharge },
    },
    {
      resourceType: 'Condition',
      subject: patientRef,
      code: { ...snomed('22298006', 'Myocardial infarction'), text: options.diagnosisText ?? 'Heart attack' },
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
    },
    {
      resourceType: 'AllergyIntolerance',
      patient: patientRef,
      code: snomed('91936005', 'Allergy to penicillin'),
      criticality: 'high',
    },
    {
      resourceType: 'MedicationStatement',
      status: 'active',
      subject: patientRef,
      medicationCodeableConcept: {
        coding: [{ system: DMD_SYSTEM, code: '318420003', display: 'Atorvastatin 80mg tablets' }],
      },
      extension: [{ url: MEDICATION_CHANGE_EXTENSION, valueCode: 'added' }],
    },
    {
      resourceType: 'Task',
      status: 'requested',
      intent: 'order',
      for: patientRef,
      code: snomed('182836005', 'Review of medication'),
      description: 'Please review statin dose in 6 weeks',
    },
  ];
  const add = (title: string, code: string, reference: string): void => {
    const existing = sections.find((s) => s.title === title);
    const section: CompositionSection = existing ?? { title, code: snomed(code, title) };
    section.entry = [{ reference }];
    if (!existing) sections.push(section);
  };
  add('Diagnoses', '887161000000102', urn(5));
  add('Allergies and adverse reactions', '886921000000105', urn(6));
  if (options.noMedicationChange !== true) add('Medications and medical devices', '933361000000108', urn(7));
  if (options.noAction !== true) add('Plan and requested actions', '887201000000105', urn(8));
  const left = new Set([
    ...(options.noMedicationChange === true ? [7] : []),
    ...(options.noAction === true ? [8] : []),
  ]);
  return {
    resourceType: 'Bundle',
    type: 'document',
    identifier: { system: 'urn:ietf:rfc:3986', value: options.documentId },
    timestamp: discharge,
    entry: entries.flatMap((resource, i): Array<BundleEntry<FhirResource>> =>
      left.has(i) ? [] : [{ fullUrl: urn(i), resource }],
    ),
  };
}

export interface ParameterLike {
  name: string;
  valueString?: string;
  valueCode?: string;
  valueInstant?: string;
  valueInteger?: number;
  valueBoolean?: boolean;
  valueReference?: { reference: string };
  part?: ParameterLike[];
}

export interface ParametersLike {
  resourceType: string;
  parameter?: ParameterLike[];
}

export function value(
  parts: readonly ParameterLike[] | undefined,
  name: string,
): string | number | boolean | undefined {
  const part = parts?.find((p) => p.name === name);
  return (
    part?.valueString ??
    part?.valueCode ??
    part?.valueInstant ??
    part?.valueInteger ??
    part?.valueBoolean ??
    part?.valueReference?.reference
  );
}

export function groups(parameters: ParametersLike, name: string): ParameterLike[][] {
  return (parameters.parameter ?? []).filter((p) => p.name === name).map((p) => p.part ?? []);
}

export const docParam = (documentId: string, extra: ParameterLike[] = []): ParametersLike => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'document', valueString: documentId }, ...extra],
});
