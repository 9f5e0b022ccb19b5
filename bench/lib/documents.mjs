// The document pipeline's data: a local GP practice (on this Carebridge, no Endpoint, so a document
// for it is delivered to its inbox in the submitting transaction), patients registered there, and
// final inpatient discharge summaries about them, sent by the bench's own organisation (the bench
// client acts for it, so it is the documents' custodian).
// The document itself is the shared fixture; under plain Node its `@carebridge/domain` is the built
// package, so the bench measures the build's document definitions.
import { dischargeSummary as sharedDischargeSummary } from '../../test/fixtures/documents.mjs';
import { BENCH_ORGANIZATION, NHS_NUMBER_SYSTEM } from './fhir.mjs';

const ODS_ORGANIZATION_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';

/** The receiving practice: local (no Endpoint), so delivery is its inbox, in the same transaction. */
export const DOCUMENT_PRACTICE = {
  id: 'carebridge-bench-inbox-practice',
  odsCode: 'Y09980',
  name: 'Bench Inbox Surgery',
};

/** A patient registered at the document practice (the fields a document's demographics repeat). */
export function documentPatient(nhsNumber, index) {
  return {
    resourceType: 'Patient',
    id: `bench-doc-patient-${index}`,
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }],
    name: [{ use: 'official', family: ['Hartley', 'Okafor', 'Nguyen', 'Evans'][index % 4], given: ['Ada'] }],
    gender: index % 2 === 0 ? 'female' : 'male',
    birthDate: `${1935 + (index % 60)}-0${1 + (index % 9)}-1${index % 10}`,
    generalPractitioner: [{ reference: `Organization/${DOCUMENT_PRACTICE.id}` }],
  };
}

/** The practice and `nhsNumbers.length` patients registered there, as one transaction Bundle (PUTs). */
export function documentWorldBundle(nhsNumbers) {
  const resources = [
    {
      resourceType: 'Organization',
      id: DOCUMENT_PRACTICE.id,
      identifier: [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: DOCUMENT_PRACTICE.odsCode }],
      active: true,
      name: DOCUMENT_PRACTICE.name,
    },
    ...nhsNumbers.map((nhsNumber, index) => documentPatient(nhsNumber, index)),
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

/**
 * A final inpatient discharge summary (the shared fixture, ~6 kB) about `patient` (a stored Patient),
 * with `documentId` as its Bundle.identifier, discharged at `dischargeAt`, sent by the bench's
 * organisation.
 */
export function dischargeSummary(documentId, patient, dischargeAt) {
  const [name] = patient.name;
  return sharedDischargeSummary({
    documentId,
    nhsNumber: patient.identifier[0].value,
    family: name.family,
    given: name.given,
    birthDate: patient.birthDate,
    custodian: BENCH_ORGANIZATION,
    discharge: dischargeAt.toISOString(),
  });
}
