// Pluggable workloads. A fault scenario drives a stream of operations through the server while it
// injects faults, then asks the workload to take a census of the effects the server holds, and the
// checker compares that with what the server acknowledged (Jepsen's total-queue vocabulary: lost,
// duplicated, recovered, unexpected).
//
// Today's workload creates Patients. A "document send" workload (when the document-exchange pipeline
// exists) implements the same interface: its operation is the FHIR request that sends a document,
// and its census counts deliveries per message id at the fake receiver, after a drain.
import {
  FAULTS_ORGANIZATION,
  searchAll,
  type FhirClient,
  type HttpAnswer,
  type WriteRequest,
} from './client.js';

export interface Effect {
  /** The server's id for the effect (resource id, or message id at a receiver). */
  id: string;
  version?: string;
}

export interface Workload {
  readonly name: string;
  /** Once per fresh database, after the first start: what the operations need (organisations…). */
  prepare(client: FhirClient): Promise<void>;
  /** Operation `index`: its client-generated key (unique in the run) and the write that does it. */
  operation(index: number): { key: string; write: WriteRequest };
  /** What an acknowledgement says was done (checked later against the census). */
  acknowledged(answer: HttpAnswer): Effect;
  /** Every effect the server holds now, by key (after any drain the workload needs). */
  census(client: FhirClient): Promise<Map<string, Effect[]>>;
}

export interface CheckResult {
  sent: number;
  acknowledged: number;
  /** Acknowledged, but no effect found. Must be 0. */
  lost: number;
  /** More than one effect for one key. Must be 0. */
  duplicated: number;
  /** Not acknowledged (outcome unknown to the client), but found: allowed. */
  recovered: number;
  /** Found, but never sent. Must be 0. */
  unexpected: number;
  /** Acknowledged id/version differs from the one found. Must be 0. */
  mismatched: number;
  problems: string[];
}

/** Compares acknowledgements with the census. */
export function check(
  sentKeys: string[],
  acknowledged: Map<string, Effect>,
  census: Map<string, Effect[]>,
): CheckResult {
  const result: CheckResult = {
    sent: sentKeys.length,
    acknowledged: acknowledged.size,
    lost: 0,
    duplicated: 0,
    recovered: 0,
    unexpected: 0,
    mismatched: 0,
    problems: [],
  };
  const sent = new Set(sentKeys);
  const problem = (text: string) => {
    if (result.problems.length < 10) result.problems.push(text);
  };
  for (const key of sentKeys) {
    const found = census.get(key) ?? [];
    const ack = acknowledged.get(key);
    if (found.length > 1) {
      result.duplicated++;
      problem(`duplicated: ${key} has ${found.length} effects (${found.map((e) => e.id).join(', ')})`);
    }
    if (ack === undefined) {
      if (found.length > 0) result.recovered++;
      continue;
    }
    if (found.length === 0) {
      result.lost++;
      problem(`lost: ${key} was acknowledged as ${ack.id} but is not there`);
    } else if (
      !found.some((e) => e.id === ack.id && (ack.version === undefined || e.version === ack.version))
    ) {
      result.mismatched++;
      problem(`mismatched: ${key} acknowledged as ${ack.id}/${ack.version}, found ${JSON.stringify(found)}`);
    }
  }
  for (const key of census.keys()) {
    if (!sent.has(key)) {
      result.unexpected++;
      problem(`unexpected: ${key} was never sent`);
    }
  }
  return result;
}

const FAULT_IDENTIFIER_SYSTEM = 'https://carebridge.dev/fhir/Id/fault-test';

/**
 * `POST /fhir/Patient`: a Patient registered with the fault client's practice, carrying one
 * client-generated identifier. The census pages through every Patient with that identifier system
 * and counts them per identifier value.
 */
export function patientCreates(runTag: string): Workload {
  return {
    name: 'patient-create',
    async prepare(client) {
      const organisation = {
        resourceType: 'Organization',
        id: FAULTS_ORGANIZATION.id,
        identifier: [
          { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: FAULTS_ORGANIZATION.odsCode },
        ],
        active: true,
        name: FAULTS_ORGANIZATION.name,
      };
      const answer = await client.request('PUT', `Organization/${organisation.id}`, organisation);
      if (answer.status !== 200 && answer.status !== 201) {
        throw new Error(
          `Could not create the fault-test practice: ${answer.status}: ${answer.text.slice(0, 500)}`,
        );
      }
    },
    operation(index) {
      const key = `${runTag}-${index}`;
      return {
        key,
        write: {
          method: 'POST',
          path: 'Patient',
          body: {
            resourceType: 'Patient',
            identifier: [{ system: FAULT_IDENTIFIER_SYSTEM, value: key }],
            active: true,
            name: [{ use: 'official', family: 'Faultline', given: [`Case${index}`] }],
            gender: index % 2 === 0 ? 'female' : 'male',
            birthDate: `${1940 + (index % 70)}-0${1 + (index % 9)}-1${index % 10}`,
            generalPractitioner: [{ reference: `Organization/${FAULTS_ORGANIZATION.id}` }],
          },
        },
      };
    },
    acknowledged(answer) {
      const location = answer.headers.get('location') ?? '';
      const match = /Patient\/([^/]+)(?:\/_history\/([^/]+))?/.exec(location);
      const body = answer.json as { id?: string; meta?: { versionId?: string } } | undefined;
      const id = match?.[1] ?? body?.id;
      if (id === undefined)
        throw new Error(
          `A create answered ${answer.status} without a Location: ${answer.text.slice(0, 300)}`,
        );
      const version = match?.[2] ?? body?.meta?.versionId;
      return version === undefined ? { id } : { id, version };
    },
    async census(client) {
      const patients = await searchAll(
        client,
        `Patient?identifier=${encodeURIComponent(`${FAULT_IDENTIFIER_SYSTEM}|`)}&_count=1000`,
      );
      const byKey = new Map<string, Effect[]>();
      for (const patient of patients) {
        const identifiers = (patient.identifier ?? []) as Array<{ system?: string; value?: string }>;
        const key = identifiers.find((i) => i.system === FAULT_IDENTIFIER_SYSTEM)?.value;
        if (key === undefined) continue;
        const meta = patient.meta as { versionId?: string } | undefined;
        const effect: Effect = { id: String(patient.id) };
        if (meta?.versionId !== undefined) effect.version = meta.versionId;
        byKey.set(key, [...(byKey.get(key) ?? []), effect]);
      }
      return byKey;
    },
  };
}
