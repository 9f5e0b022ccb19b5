// The document-send workload: final inpatient discharge summaries submitted with `$submit-document`
// by the fault client, acting as the sending trust, for patients registered with an EXTERNAL
// practice. That practice's Organization lists an active Endpoint (hl7-fhir-rest) whose address is
// the fake receiver, so each document leaves through the transport outbox and the OutboxWorker.
//
// An acknowledgement is a 201 `accepted` (or 200 `duplicate`, for a re-sent document) whose practice
// row goes by the outbox. The census is the fake receiver's: per document, the message ids it
// filed (de-duplicated on X-Request-ID, as a real receiver does). Two message ids for one document
// would be a duplicated effect.
import { FAULTS_ORGANIZATION, type FhirClient, type HttpAnswer } from './client.js';
import type { FakeFhirReceiver } from './receiver.js';
import type { Effect, Workload } from './workload.js';

const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const SNOMED = 'http://snomed.info/sct';
const DMD = 'https://dmd.nhs.uk';
const MEDICATION_CHANGE = 'https://carebridge.dev/fhir/StructureDefinition/medication-change';
const CONNECTION_TYPE_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/endpoint-connection-type';
const DOCUMENT_KIND_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/document-kind';

/** The external practice, reached through the outbox. */
export const EXTERNAL_PRACTICE = { id: 'faults-ext-practice', odsCode: 'Y09997', name: 'Faultline Surgery' };
const ENDPOINT_ID = 'faults-ext-endpoint';

/** The valid 999-range NHS number for a nine-digit stem, or undefined (check digit 10). */
export function nhsNumberFromStem(stem: number): string | undefined {
  const digits = String(stem);
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return undefined;
  return `${digits}${check === 11 ? 0 : check}`;
}

/** `count` valid NHS numbers from `stem` on (clear of the bench's and the seed's ranges). */
export function nhsNumbers(count: number, stem = 999_300_000): string[] {
  const numbers: string[] = [];
  for (let s = stem; numbers.length < count; s++) {
    const value = nhsNumberFromStem(s);
    if (value !== undefined) numbers.push(value);
  }
  return numbers;
}

export interface DocumentPatient {
  id: string;
  nhsNumber: string;
  family: string;
  given: string;
  birthDate: string;
}

export function documentPatients(count: number, tag = 'fdoc'): DocumentPatient[] {
  return nhsNumbers(count).map((nhsNumber, i) => ({
    id: `${tag}-patient-${i}`,
    nhsNumber,
    family: ['Hartley', 'Okafor', 'Nguyen', 'Evans', 'Kowalski'][i % 5] ?? 'Hartley',
    given: ['Ada', 'Ben', 'Cara', 'Dev', 'Esme', 'Finn'][i % 6] ?? 'Ada',
    birthDate: `${1935 + (i % 60)}-0${1 + (i % 9)}-1${i % 10}`,
  }));
}

function patientResource(
  patient: DocumentPatient,
  practiceId: string,
): Record<string, unknown> & { resourceType: string; id: string } {
  return {
    resourceType: 'Patient',
    id: patient.id,
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: patient.nhsNumber }],
    name: [{ use: 'official', family: patient.family, given: [patient.given] }],
    birthDate: patient.birthDate,
    generalPractitioner: [{ reference: `Organization/${practiceId}` }],
  };
}

/**
 * The directory a document send needs, as one transaction Bundle: the sending organisation (the
 * fault client acts for it, and it is the documents' custodian), the external practice with its
 * Endpoint at `receiverUrl`, and the patients registered there.
 */
export function worldBundle(receiverUrl: string, patients: readonly DocumentPatient[]): unknown {
  const resources: Array<Record<string, unknown> & { resourceType: string; id: string }> = [
    {
      resourceType: 'Organization',
      id: FAULTS_ORGANIZATION.id,
      identifier: [{ system: ODS_SYSTEM, value: FAULTS_ORGANIZATION.odsCode }],
      active: true,
      name: FAULTS_ORGANIZATION.name,
    },
    {
      resourceType: 'Endpoint',
      id: ENDPOINT_ID,
      status: 'active',
      connectionType: { system: CONNECTION_TYPE_SYSTEM, code: 'hl7-fhir-rest' },
      payloadType: [{ text: 'FHIR document' }],
      address: receiverUrl,
    },
    {
      resourceType: 'Organization',
      id: EXTERNAL_PRACTICE.id,
      identifier: [{ system: ODS_SYSTEM, value: EXTERNAL_PRACTICE.odsCode }],
      active: true,
      name: EXTERNAL_PRACTICE.name,
      endpoint: [{ reference: `Endpoint/${ENDPOINT_ID}` }],
    },
    ...patients.map((patient) => patientResource(patient, EXTERNAL_PRACTICE.id)),
  ];
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  };
}

/** Sets up the directory (idempotent: PUTs). */
export async function prepareWorld(
  client: FhirClient,
  receiverUrl: string,
  patients: readonly DocumentPatient[],
): Promise<void> {
  const answer = await client.request('POST', '', worldBundle(receiverUrl, patients));
  if (answer.status !== 200) {
    throw new Error(`Could not set up the document world: ${answer.status}: ${answer.text.slice(0, 500)}`);
  }
}

const snomed = (code: string, display: string) => ({ coding: [{ system: SNOMED, code, display }] });

/** The mandatory headings of an inpatient discharge summary (PRSB), as the domain defines them. */
const MANDATORY_SECTIONS: ReadonlyArray<[string, string]> = [
  ['Allergies and adverse reactions', '886921000000105'],
  ['Clinical summary', '887181000000106'],
  ['Diagnoses', '887161000000102'],
  ['GP practice', '886711000000101'],
  ['Patient demographics', '886731000000109'],
  ['Person completing record', '887231000000104'],
];

/**
 * A valid final inpatient discharge summary (the shape packages/server/test/exchange/support.ts
 * builds), custodian the fault client's organisation, for `patient`, with `documentId` as its
 * Bundle.identifier. `dischargeAt` is the event time the delivery SLA runs from.
 */
export function dischargeSummary(
  documentId: string,
  patient: DocumentPatient,
  dischargeAt: Date,
): Record<string, unknown> {
  const urn = (n: number) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const patientRef = { reference: urn(1) };
  const discharge = dischargeAt.toISOString();
  const admitted = new Date(dischargeAt.getTime() - 2 * 86_400_000).toISOString();
  const sections: Array<Record<string, unknown>> = MANDATORY_SECTIONS.map(([title, code]) => ({
    title,
    code: snomed(code, title),
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${title}</div>` },
  }));
  const withEntry = (title: string, reference: string) => {
    const section = sections.find((s) => s.title === title);
    if (section) section.entry = [{ reference }];
  };
  withEntry('Diagnoses', urn(5));
  withEntry('Allergies and adverse reactions', urn(6));
  sections.push(
    {
      title: 'Medications and medical devices',
      code: snomed('933361000000108', 'Medications and medical devices'),
      entry: [{ reference: urn(7) }],
    },
    {
      title: 'Plan and requested actions',
      code: snomed('887201000000105', 'Plan and requested actions'),
      entry: [{ reference: urn(8) }],
    },
  );
  const entries: Array<Record<string, unknown>> = [
    {
      resourceType: 'Composition',
      identifier: { system: 'https://faults.example/documents', value: `set-${documentId}` },
      status: 'final',
      type: {
        coding: [
          { system: SNOMED, code: '373942005', display: 'Discharge summary' },
          {
            system: DOCUMENT_KIND_SYSTEM,
            code: 'inpatient-discharge',
            display: 'Inpatient and day case discharge summary',
          },
        ],
      },
      subject: patientRef,
      encounter: { reference: urn(4) },
      date: discharge,
      author: [{ reference: urn(2) }],
      title: 'Inpatient and day case discharge summary',
      custodian: { reference: urn(3) },
      section: sections,
    },
    {
      resourceType: 'Patient',
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: patient.nhsNumber }],
      name: [{ use: 'official', family: patient.family, given: [patient.given] }],
      birthDate: patient.birthDate,
    },
    { resourceType: 'Practitioner', name: [{ family: 'Jones', prefix: ['Dr'] }] },
    {
      resourceType: 'Organization',
      identifier: [{ system: ODS_SYSTEM, value: FAULTS_ORGANIZATION.odsCode }],
      name: FAULTS_ORGANIZATION.name,
    },
    {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: patientRef,
      period: { start: admitted, end: discharge },
    },
    {
      resourceType: 'Condition',
      subject: patientRef,
      code: { ...snomed('22298006', 'Myocardial infarction'), text: 'Heart attack' },
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
        coding: [{ system: DMD, code: '318420003', display: 'Atorvastatin 80mg tablets' }],
      },
      extension: [{ url: MEDICATION_CHANGE, valueCode: 'added' }],
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
  return {
    resourceType: 'Bundle',
    type: 'document',
    identifier: { system: 'urn:ietf:rfc:3986', value: documentId },
    timestamp: discharge,
    entry: entries.map((resource, i) => ({ fullUrl: urn(i), resource })),
  };
}

interface ParameterPart {
  name: string;
  valueString?: string;
  valueCode?: string;
  part?: ParameterPart[];
}

/** The outcome and the delivery rows a `$submit-document` answer names. */
export function submissionSummary(answer: HttpAnswer): {
  outcome: string | undefined;
  rows: Array<{ row: string | undefined; transport: string | undefined; state: string | undefined }>;
} {
  const parameters = (answer.json as { parameter?: ParameterPart[] } | undefined)?.parameter ?? [];
  const value = (parts: readonly ParameterPart[], name: string) => {
    const part = parts.find((p) => p.name === name);
    return part?.valueString ?? part?.valueCode;
  };
  return {
    outcome: value(parameters, 'outcome'),
    rows: parameters
      .filter((p) => p.name === 'recipient')
      .map((p) => ({
        row: value(p.part ?? [], 'row'),
        transport: value(p.part ?? [], 'transport'),
        state: value(p.part ?? [], 'state'),
      })),
  };
}

export interface DocumentSendOptions {
  runTag: string;
  receiver: FakeFhirReceiver;
  /** Patients the documents are spread over (round robin). */
  patients: number;
  /** The discharge instant of every document (default: 10 minutes before the workload is built). */
  dischargeAt?: Date;
}

/**
 * Documents `<runTag>-<i>` for patients registered with the external practice. Operations need the
 * world (`prepare`); the census reads the fake receiver (call it after a drain).
 */
export function documentSends(options: DocumentSendOptions): Workload & { patients: DocumentPatient[] } {
  const patients = documentPatients(options.patients, options.runTag.slice(0, 24));
  const dischargeAt = options.dischargeAt ?? new Date(Date.now() - 10 * 60_000);
  return {
    name: 'document-send',
    patients,
    async prepare(client) {
      await prepareWorld(client, options.receiver.baseUrl, patients);
    },
    operation(index) {
      const key = `${options.runTag}-${index}`;
      const patient = patients[index % patients.length] as DocumentPatient;
      return {
        key,
        write: {
          method: 'POST',
          path: '$submit-document',
          body: dischargeSummary(key, patient, dischargeAt),
        },
      };
    },
    acknowledged(answer) {
      const summary = submissionSummary(answer);
      const outbox = summary.rows.find((row) => row.transport === 'outbox');
      if ((summary.outcome !== 'accepted' && summary.outcome !== 'duplicate') || outbox?.row === undefined) {
        throw new Error(
          `$submit-document answered ${answer.status} without an outbox delivery row: ${answer.text.slice(0, 500)}`,
        );
      }
      return { id: outbox.row };
    },
    async census() {
      return receiverCensus(options.receiver, options.runTag);
    },
  };
}

/**
 * What the receiver filed, by document key: one effect per message id it accepted. The effect's id
 * is the delivery-row id the ledger gives that message (filled in by `withLedgerRows`); until then
 * the message id.
 */
export function receiverCensus(receiver: FakeFhirReceiver, runTag: string): Map<string, Effect[]> {
  const census = new Map<string, Effect[]>();
  for (const [key, ids] of receiver.effects) {
    if (!key.startsWith(`${runTag}-`)) continue;
    census.set(
      key,
      [...ids].map((id) => ({ id })),
    );
  }
  return census;
}

/** Replaces message ids in a receiver census with the ledger row each was sent for (messageId → row). */
export function withLedgerRows(
  census: Map<string, Effect[]>,
  rowOfMessage: ReadonlyMap<string, string>,
): Map<string, Effect[]> {
  const mapped = new Map<string, Effect[]>();
  for (const [key, effects] of census) {
    mapped.set(
      key,
      effects.map((effect) => ({ id: rowOfMessage.get(effect.id) ?? `unknown-message:${effect.id}` })),
    );
  }
  return mapped;
}

/** `$document-ledger` for one document through the API: the state of each recipient row. */
export async function ledgerStates(client: FhirClient, documentId: string): Promise<string[]> {
  const answer = await client.readThrough(`$document-ledger?document=${encodeURIComponent(documentId)}`);
  if (answer.status !== 200)
    throw new Error(`$document-ledger ${documentId}: ${answer.status} ${answer.text.slice(0, 300)}`);
  const parameters = (answer.json as { parameter?: ParameterPart[] } | undefined)?.parameter ?? [];
  return parameters
    .filter((p) => p.name === 'recipient')
    .map((p) => p.part?.find((part) => part.name === 'state')?.valueCode ?? 'unknown');
}
