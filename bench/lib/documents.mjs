// The document pipeline's data: a local GP practice (on this Carebridge, no Endpoint, so a document
// for it is delivered to its inbox in the submitting transaction), patients registered there, and
// final inpatient discharge summaries about them, sent by the bench's own organisation (the bench
// client acts for it, so it is the documents' custodian).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BENCH_ORGANIZATION, NHS_NUMBER_SYSTEM } from './fhir.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The built domain package: the bench measures the build, so it uses the build's document definitions.
const {
  DOCUMENT_DEFINITIONS,
  DMD_SYSTEM,
  MEDICATION_CHANGE_EXTENSION,
  SNOMED_CT_SYSTEM,
  compositionTypeCodings,
} = await import(createRequire(import.meta.url).resolve(`${root}packages/domain/dist/index.js`));

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

const snomed = (code, display) => ({ coding: [{ system: SNOMED_CT_SYSTEM, code, display }] });
const urn = (n) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * A final inpatient discharge summary (~6 kB) about `patient` (a stored Patient), with `documentId`
 * as its Bundle.identifier, discharged at `dischargeAt`: every mandatory PRSB heading, a diagnosis,
 * an allergy, a medication change and an action for the GP.
 */
export function dischargeSummary(documentId, patient, dischargeAt) {
  const kind = 'inpatient-discharge';
  const definition = DOCUMENT_DEFINITIONS[kind];
  const discharge = dischargeAt.toISOString();
  const patientRef = { reference: urn(1) };
  const sections = definition.sections
    .filter((section) => section.conformance === 'mandatory')
    .map((section) => ({
      title: section.title,
      code: snomed(section.code, section.title),
      text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${section.title}</div>` },
    }));
  const withEntry = (title, reference) => {
    const known = definition.sections.find((section) => section.title === title);
    const section = sections.find((candidate) => candidate.title === title);
    if (section) section.entry = [{ reference }];
    else if (known) sections.push({ title, code: snomed(known.code, title), entry: [{ reference }] });
  };
  withEntry('Diagnoses', urn(5));
  withEntry('Allergies and adverse reactions', urn(6));
  withEntry('Medications and medical devices', urn(7));
  withEntry('Plan and requested actions', urn(8));
  const entries = [
    {
      resourceType: 'Composition',
      identifier: { system: 'https://bench.example/documents', value: `set-${documentId}` },
      status: 'final',
      type: { coding: compositionTypeCodings(kind) },
      subject: patientRef,
      encounter: { reference: urn(4) },
      date: discharge,
      author: [{ reference: urn(2) }],
      title: definition.title,
      custodian: { reference: urn(3) },
      section: sections,
    },
    {
      resourceType: 'Patient',
      identifier: patient.identifier,
      name: patient.name,
      birthDate: patient.birthDate,
    },
    { resourceType: 'Practitioner', name: [{ family: 'Jones', prefix: ['Dr'] }] },
    {
      resourceType: 'Organization',
      identifier: [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: BENCH_ORGANIZATION.odsCode }],
      name: BENCH_ORGANIZATION.name,
    },
    {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: patientRef,
      period: { start: new Date(dischargeAt.getTime() - 2 * 86_400_000).toISOString(), end: discharge },
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
  return {
    resourceType: 'Bundle',
    type: 'document',
    identifier: { system: 'urn:ietf:rfc:3986', value: documentId },
    timestamp: discharge,
    entry: entries.map((resource, i) => ({ fullUrl: urn(i), resource })),
  };
}
