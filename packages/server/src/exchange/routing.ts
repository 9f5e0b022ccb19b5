import type { Endpoint, Organization, Patient, Reference } from 'fhir/r4.js';
import {
  NHS_NUMBER_SYSTEM,
  ODS_ORGANIZATION_CODE_SYSTEM,
  compareDemographics,
  demographicsOfPatient,
  type DocumentFacts,
} from '@carebridge/domain';
import type { SqlExecutor } from '../store/database.js';
import { organisationByOdsCode } from '../store/directory.js';
import type { Destination } from '../transport/index.js';
import type { NewDeliveryRow } from './ledger-store.js';

/**
 * Who a document goes to. The registered practice comes from our own Patient record (never from
 * the sender's copy of the demographics), as it was at the time of the event; copies are named by
 * the sender. A recipient organisation whose Organization lists an Endpoint is served by another
 * system and is reached through the transport outbox; every other organisation uses this
 * Carebridge's inbox.
 */

export type PatientMatch =
  | { outcome: 'matched'; patientId: string; patient: Patient; patientAtEvent: Patient }
  | {
      outcome: 'held';
      reason: 'unknown-patient' | 'ambiguous-patient' | 'demographics-mismatch';
      detail: string;
    };

/**
 * Finds our Patient by NHS number and checks the document's demographics against it. The same
 * statement reads the version that was current at the event, which routing needs (one round trip:
 * a backlog of thousands of letters is matched letter by letter).
 */
export async function matchPatient(db: SqlExecutor, facts: DocumentFacts): Promise<PatientMatch> {
  const { rows } = await db.query<{ id: string; content: string; atEvent: string | null }>(
    `select r.id, r.content,
       (select h.content from resource_history h
         where h.resource_type = 'Patient' and h.id = r.id and h.last_updated <= $3::timestamptz and not h.deleted
         order by h.version_id desc limit 1) as "atEvent"
      from search_token t join resource r on r.rid = t.rid
      where t.resource_type = 'Patient' and t.param = 'identifier' and t.system = $1 and t.code = $2
        and not r.deleted
      order by r.rid limit 2`,
    [NHS_NUMBER_SYSTEM, facts.patient.nhsNumber, facts.eventAt.toISOString()],
  );
  const [first, second] = rows;
  if (!first) {
    return {
      outcome: 'held',
      reason: 'unknown-patient',
      detail: 'No patient with this NHS number is known.',
    };
  }
  if (second) {
    return {
      outcome: 'held',
      reason: 'ambiguous-patient',
      detail: 'More than one patient record has this NHS number.',
    };
  }
  const patient = JSON.parse(first.content) as Patient;
  const comparison = compareDemographics(facts.patient, demographicsOfPatient(patient));
  if (comparison.outcome === 'mismatch') {
    return {
      outcome: 'held',
      reason: 'demographics-mismatch',
      detail: comparison.mismatches.map((mismatch) => mismatch.message).join(' '),
    };
  }
  // A record created after the event is the best knowledge of who was responsible then.
  const patientAtEvent = first.atEvent === null ? patient : (JSON.parse(first.atEvent) as Patient);
  return { outcome: 'matched', patientId: first.id, patient, patientAtEvent };
}

/**
 * The Patient version that was current at the event (a registration that changed since the
 * discharge does not change who was responsible then), or the current one when the record is newer.
 */
export async function patientAtEvent(
  db: SqlExecutor,
  patientId: string,
  eventAt: Date,
  current: Patient,
): Promise<Patient> {
  const { rows } = await db.query<{ content: string }>(
    `select content from resource_history
      where resource_type = 'Patient' and id = $1 and last_updated <= $2::timestamptz and not deleted
      order by version_id desc limit 1`,
    [patientId, eventAt.toISOString()],
  );
  return rows[0] ? (JSON.parse(rows[0].content) as Patient) : current;
}

function organisationId(reference: Reference | undefined): string | undefined {
  const match = /^Organization\/([A-Za-z0-9\-.]{1,64})$/.exec(reference?.reference ?? '');
  return match?.[1];
}

export interface ResolvedOrganisation {
  id: string;
  ods?: string;
  destination?: Destination;
}

/**
 * Directory lookups memoised for the life of one transaction: a batch Bundle of submissions (a
 * sender catching up on a backlog) names the same few practices and the same sender again and
 * again. Keyed by the transaction's executor, so nothing outlives it; only reads of the directory
 * (organisations and their endpoints) are kept, never patient data.
 */
const directoryMemo = new WeakMap<SqlExecutor, Map<string, Promise<unknown>>>();

function memoised<T>(db: SqlExecutor, key: string, load: () => Promise<T>): Promise<T> {
  // The database itself (outside a transaction) lives as long as the server: never memoise there.
  if ('transaction' in db) return load();
  let memo = directoryMemo.get(db);
  if (!memo) {
    memo = new Map();
    directoryMemo.set(db, memo);
  }
  const known = memo.get(key) as Promise<T> | undefined;
  if (known) return known;
  const loading = load();
  memo.set(key, loading);
  // A failed lookup is not remembered: the next caller asks the database again.
  loading.catch(() => memo.delete(key));
  return loading;
}

/** The organisation with this ODS code (the directory's identifier index), memoised per transaction. */
export function organisationIdByOds(db: SqlExecutor, ods: string): Promise<string | undefined> {
  return memoised(db, `ods:${ods}`, async () => (await organisationByOdsCode(db, ods))?.organizationId);
}

/** The organisation, its ODS code and (when it has an Endpoint) where the outbox sends to it. */
export function resolveOrganisation(
  db: SqlExecutor,
  organizationId: string,
): Promise<ResolvedOrganisation | undefined> {
  return memoised(db, `org:${organizationId}`, () => readOrganisation(db, organizationId));
}

async function readOrganisation(
  db: SqlExecutor,
  organizationId: string,
): Promise<ResolvedOrganisation | undefined> {
  const organisation = await readResource<Organization>(db, 'Organization', organizationId);
  if (!organisation) return undefined;
  const ods = organisation.identifier?.find((id) => id.system === ODS_ORGANIZATION_CODE_SYSTEM)?.value;
  const endpointId = /^Endpoint\/(.+)$/.exec(organisation.endpoint?.[0]?.reference ?? '')?.[1];
  const endpoint =
    endpointId === undefined ? undefined : await readResource<Endpoint>(db, 'Endpoint', endpointId);
  const destination =
    endpoint && endpoint.status === 'active' && endpointId !== undefined
      ? destinationOf(endpointId, endpoint, ods ?? organizationId)
      : undefined;
  return {
    id: organizationId,
    ...(ods === undefined ? {} : { ods }),
    ...(destination === undefined ? {} : { destination }),
  };
}

/**
 * The outbox destination an Endpoint describes: `hl7-fhir-rest` → a FHIR endpoint; the Carebridge
 * codes `webhook` and `mailbox` (connectionType system below) → a signed webhook, a MESH-style mailbox.
 */
export const CONNECTION_TYPE_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/endpoint-connection-type';

function destinationOf(
  endpointId: string,
  endpoint: Endpoint,
  recipientOds: string,
): Destination | undefined {
  const code = endpoint.connectionType.code;
  const kind =
    code === 'hl7-fhir-rest' ? 'fhir-endpoint' : code === 'webhook' || code === 'mailbox' ? code : undefined;
  if (kind === undefined) return undefined;
  return { kind, endpointId, address: endpoint.address, recipientOds };
}

async function readResource<T>(db: SqlExecutor, type: string, id: string): Promise<T | undefined> {
  const { rows } = await db.query<{ content: string }>(
    'select content from resource where resource_type = $1 and id = $2 and not deleted',
    [type, id],
  );
  return rows[0] ? (JSON.parse(rows[0].content) as T) : undefined;
}

export interface RoutingOptions {
  /** Where letters for patients with no registered practice go (ODS code). */
  holdingPracticeOds: string;
}

export interface CopyRequest {
  organizationId?: string;
  ods?: string;
}

export type RoutingResult =
  | { outcome: 'routed'; recipients: PlannedRecipient[] }
  | { outcome: 'held'; reason: 'no-recipient'; detail: string };

export type PlannedRecipient = NewDeliveryRow & { destination?: Destination };

/** The registered practice at the event (or the holding practice), the copies, and the patient. */
export async function planRecipients(
  db: SqlExecutor,
  patientAtEventTime: Patient,
  patientId: string,
  copies: readonly CopyRequest[],
  copyToPatient: boolean,
  options: RoutingOptions,
): Promise<RoutingResult> {
  const registered = (patientAtEventTime.generalPractitioner ?? []).map(organisationId).find(Boolean);
  const practiceId = registered ?? (await organisationIdByOds(db, options.holdingPracticeOds));
  const practice = practiceId === undefined ? undefined : await resolveOrganisation(db, practiceId);
  if (!practice) {
    return {
      outcome: 'held',
      reason: 'no-recipient',
      detail: `Neither a registered practice nor the holding practice (${options.holdingPracticeOds}) could be found.`,
    };
  }
  const recipients: PlannedRecipient[] = [organisationRecipient('practice', practice)];
  for (const copy of copies) {
    const id = copy.organizationId ?? (copy.ods ? await organisationIdByOds(db, copy.ods) : undefined);
    const organisation = id === undefined ? undefined : await resolveOrganisation(db, id);
    if (!organisation) {
      return {
        outcome: 'held',
        reason: 'no-recipient',
        detail: `The copy recipient ${copy.ods ?? copy.organizationId ?? ''} is not a known organisation.`,
      };
    }
    if (recipients.some((r) => r.recipientOrgId === organisation.id)) continue;
    recipients.push(organisationRecipient('copy', organisation));
  }
  if (copyToPatient) {
    recipients.push({ recipientKind: 'patient', recipientPatientId: patientId, transport: 'local' });
  }
  return { outcome: 'routed', recipients };
}

function organisationRecipient(
  kind: 'practice' | 'copy',
  organisation: ResolvedOrganisation,
): PlannedRecipient {
  return {
    recipientKind: kind,
    recipientOrgId: organisation.id,
    ...(organisation.ods === undefined ? {} : { recipientOds: organisation.ods }),
    transport: organisation.destination ? 'outbox' : 'local',
    ...(organisation.destination ? { destination: organisation.destination } : {}),
  };
}

/** The ODS code of an organisation in the directory. */
export async function odsOfOrganisation(
  db: SqlExecutor,
  organizationId: string,
): Promise<string | undefined> {
  return (await resolveOrganisation(db, organizationId))?.ods;
}
