/**
 * The FHIR R4 resource types Carebridge stores and serves. Any other type answers a 404
 * OperationOutcome ("type not supported") rather than being accepted and left unindexed.
 */
export const SUPPORTED_RESOURCE_TYPES = [
  'Patient',
  'RelatedPerson',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Location',
  'HealthcareService',
  'Endpoint',
  'Encounter',
  'EpisodeOfCare',
  'Condition',
  'AllergyIntolerance',
  'MedicationStatement',
  'MedicationRequest',
  'MedicationDispense',
  'Medication',
  'Observation',
  'DiagnosticReport',
  'ServiceRequest',
  'Specimen',
  'Task',
  'Communication',
  'CommunicationRequest',
  'DocumentReference',
  'Composition',
  'Binary',
  'Bundle',
  'Appointment',
  'Slot',
  'Schedule',
  'Questionnaire',
  'QuestionnaireResponse',
  'PlanDefinition',
  'Consent',
  'Flag',
  'AuditEvent',
  'Provenance',
  'MessageHeader',
  'Subscription',
] as const;

export type SupportedResourceType = (typeof SUPPORTED_RESOURCE_TYPES)[number];

const supported: ReadonlySet<string> = new Set(SUPPORTED_RESOURCE_TYPES);

export function isSupportedResourceType(type: string): type is SupportedResourceType {
  return supported.has(type);
}
