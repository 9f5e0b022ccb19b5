import type { FhirResource } from '../fhir/resource.js';
import { isJsonObject, parseRelativeReference } from '../fhir/resource.js';

/**
 * Why an organisation may see a patient's record: the "legitimate relationship" of NHS
 * information governance, as it can be read from the resources themselves.
 */
export type RelationshipBasis =
  | 'registered' // the patient's registered GP practice (Patient.generalPractitioner / managingOrganization)
  | 'encounter' // an open encounter with the organisation
  | 'episode' // an active episode of care managed by the organisation
  | 'order-requester' // an open order or referral the organisation made
  | 'order-performer' // an open order or referral sent to the organisation (e.g. a diagnostic centre)
  | 'request' // an open cross-organisation request (Task) owned or made by the organisation
  | 'prescriber' // an active prescription the organisation issued
  | 'dispensing' // an active prescription directed to the organisation's pharmacy
  | 'result-performer'; // a result or report the organisation produced

/**
 * One relationship a resource version establishes. The organisation may be named directly or through
 * a PractitionerRole (resolved to its organisation by the store when the row is written).
 */
export interface RelationshipClaim {
  patientId: string;
  organization: { type: 'Organization' | 'PractitionerRole'; id: string };
  basis: RelationshipBasis;
}

type Extractor = (resource: FhirResource) => RelationshipClaim[];

const OPEN_ENCOUNTER = new Set(['planned', 'arrived', 'triaged', 'in-progress', 'onleave']);
const ACTIVE_EPISODE = new Set(['planned', 'waitlist', 'active', 'onhold']);
const OPEN_REQUEST = new Set(['draft', 'active', 'on-hold']);
const OPEN_TASK = new Set(['draft', 'requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold']);
const ACTIVE_PRESCRIPTION = new Set(['active', 'on-hold', 'draft']);
const CURRENT_RESULT = new Set([
  'registered',
  'preliminary',
  'final',
  'amended',
  'corrected',
  'partial',
  'appended',
]);

const EXTRACTORS: Record<string, Extractor> = {
  Patient: (patient) =>
    patient.id === undefined
      ? []
      : [
          ...claims(patient.id, references(patient.generalPractitioner), 'registered'),
          ...claims(patient.id, references(patient.managingOrganization), 'registered'),
        ],
  Encounter: (encounter) =>
    whenStatus(encounter, OPEN_ENCOUNTER, (patientId) =>
      claims(patientId, references(encounter.serviceProvider), 'encounter'),
    ),
  EpisodeOfCare: (episode) =>
    whenStatus(episode, ACTIVE_EPISODE, (patientId) =>
      claims(patientId, references(episode.managingOrganization), 'episode'),
    ),
  ServiceRequest: (order) =>
    whenStatus(order, OPEN_REQUEST, (patientId) => [
      ...claims(patientId, references(order.requester), 'order-requester'),
      ...claims(patientId, references(order.performer), 'order-performer'),
    ]),
  Task: (task) =>
    whenStatus(task, OPEN_TASK, (patientId) => [
      ...claims(patientId, references(task.requester), 'request'),
      ...claims(patientId, references(task.owner), 'request'),
    ]),
  MedicationRequest: (prescription) =>
    whenStatus(prescription, ACTIVE_PRESCRIPTION, (patientId) => [
      ...claims(patientId, references(prescription.requester), 'prescriber'),
      ...claims(patientId, references(field(prescription.dispenseRequest, 'performer')), 'dispensing'),
    ]),
  MedicationDispense: (dispense) => {
    const patientId = patientOf(dispense);
    const performers = arrayOf(dispense.performer).map((performer) => field(performer, 'actor'));
    return patientId ? claims(patientId, performers.flatMap(references), 'dispensing') : [];
  },
  DiagnosticReport: (report) =>
    whenStatus(report, CURRENT_RESULT, (patientId) =>
      claims(patientId, references(report.performer), 'result-performer'),
    ),
  Observation: (observation) =>
    whenStatus(observation, CURRENT_RESULT, (patientId) =>
      claims(patientId, references(observation.performer), 'result-performer'),
    ),
};

/** The relationships a resource version establishes; none once it is closed, cancelled or deleted. */
export function relationshipClaims(resource: FhirResource): RelationshipClaim[] {
  return EXTRACTORS[resource.resourceType]?.(resource) ?? [];
}

function whenStatus(
  resource: FhirResource,
  open: ReadonlySet<string>,
  build: (patientId: string) => RelationshipClaim[],
): RelationshipClaim[] {
  const patientId = patientOf(resource);
  return typeof resource.status === 'string' && open.has(resource.status) && patientId
    ? build(patientId)
    : [];
}

/** The patient a clinical resource is about (subject, patient or for), when it is a literal Patient reference. */
function patientOf(resource: FhirResource): string | undefined {
  for (const element of ['subject', 'patient', 'for']) {
    const target = references(resource[element])[0];
    if (target?.resourceType === 'Patient') return target.id;
  }
  return undefined;
}

interface Target {
  resourceType: string;
  id: string;
}

/** Literal references in an element that may be one Reference or an array of them. */
function references(element: unknown): Target[] {
  return arrayOf(element).flatMap((item) => {
    const reference = field(item, 'reference');
    const parsed = typeof reference === 'string' ? parseRelativeReference(reference) : undefined;
    return parsed ? [{ resourceType: parsed.resourceType, id: parsed.id }] : [];
  });
}

function claims(patientId: string, targets: Target[], basis: RelationshipBasis): RelationshipClaim[] {
  return targets.flatMap((target) =>
    target.resourceType === 'Organization' || target.resourceType === 'PractitionerRole'
      ? [{ patientId, organization: { type: target.resourceType, id: target.id }, basis }]
      : [],
  );
}

function arrayOf(element: unknown): unknown[] {
  if (element === undefined || element === null) return [];
  return Array.isArray(element) ? element : [element];
}

function field(element: unknown, name: string): unknown {
  return isJsonObject(element) ? element[name] : undefined;
}
