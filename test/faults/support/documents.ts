// The document-send workload: final inpatient discharge summaries submitted with `$submit-document`
// by the fault client, acting as the sending trust, for patients registered with an EXTERNAL
// practice. That practice's Organization lists an active Endpoint (hl7-fhir-rest) whose address is
// the fake receiver, so each document leaves through the transport outbox and the OutboxWorker.
//
// An acknowledgement is a 201 `accepted` (or 200 `duplicate`, for a re-sent document) whose practice
// row goes by the outbox. The census is the fake receiver's: per document, the message ids it
// filed (de-duplicated on X-Request-ID, as a real receiver does). Two message ids for one document
// would be a duplicated effect.
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { dischargeSummary as sharedDischargeSummary } from '../../fixtures/documents.mjs';
import { FAULTS_ORGANIZATION, type FhirClient, type HttpAnswer } from './client.js';
import type { FakeFhirReceiver } from './receiver.js';
import type { Effect, Workload } from './workload.js';

const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const CONNECTION_TYPE_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/endpoint-connection-type';

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

/**
 * A valid final inpatient discharge summary (the shared fixture), custodian the fault client's
 * organisation, for `patient`, with `documentId` as its Bundle.identifier. `dischargeAt` is the
 * event time the delivery SLA runs from.
 */
export function dischargeSummary(
  documentId: string,
  patient: DocumentPatient,
  dischargeAt: Date,
): Bundle<FhirResource> {
  return sharedDischargeSummary({
    documentId,
    nhsNumber: patient.nhsNumber,
    family: patient.family,
    given: [patient.given],
    birthDate: patient.birthDate,
    custodian: FAULTS_ORGANIZATION,
    discharge: dischargeAt.toISOString(),
  });
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
