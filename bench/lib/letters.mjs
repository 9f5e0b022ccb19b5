// Synthetic hospital letters for the backlog workload: discharge summaries (inpatient, emergency,
// mental health) and outpatient clinic letters as FHIR document Bundles with the PRSB headings the
// built domain package defines, for synthetic patients whose demographics match our records.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NHS_NUMBER_SYSTEM, patientResource } from './fhir.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The built domain package: the bench measures the build, so it uses the build's document tables.
const domain = await import(createRequire(import.meta.url).resolve(`${root}packages/domain/dist/index.js`));
const {
  DOCUMENT_DEFINITIONS,
  DMD_SYSTEM,
  MEDICATION_CHANGE_EXTENSION,
  SNOMED_CT_SYSTEM,
  compositionTypeCodings,
} = domain;
const ODS_ORGANIZATION_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';

/** The sending trust and the practices its patients are registered at. */
export const BACKLOG_TRUST = {
  id: 'carebridge-bench-trust',
  odsCode: 'R0B',
  name: 'Carebridge Bench Hospitals',
};
export const BACKLOG_PRACTICES = Array.from({ length: 6 }, (_, i) => ({
  id: `carebridge-bench-practice-${i + 1}`,
  odsCode: `Y0990${i + 1}`,
  name: `Bench Surgery ${i + 1}`,
}));

export function organisation(org) {
  return {
    resourceType: 'Organization',
    id: org.id,
    identifier: [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: org.odsCode }],
    active: true,
    name: org.name,
  };
}

/** A patient registered at `practice`, with the demographics the letters about them will carry. */
export function registeredPatient(nhsNumber, practice) {
  const patient = patientResource(nhsNumber);
  patient.generalPractitioner = [{ reference: `Organization/${practice.id}`, display: practice.name }];
  return patient;
}

const snomed = (code, display) => ({ coding: [{ system: SNOMED_CT_SYSTEM, code, display }] });
const DIAGNOSES = [
  ['22298006', 'Myocardial infarction'],
  ['233604007', 'Pneumonia'],
  ['13645005', 'Chronic obstructive lung disease'],
  ['230690007', 'Stroke'],
  ['44054006', 'Type 2 diabetes mellitus'],
  ['49436004', 'Atrial fibrillation'],
  ['68566005', 'Urinary tract infection'],
  ['35489007', 'Depressive disorder'],
];
const ALLERGIES = [
  ['91936005', 'Allergy to penicillin'],
  ['294505008', 'Allergy to aspirin'],
  ['716186003', 'No known allergy'],
];
const MEDICINES = [
  ['318420003', 'Atorvastatin 80mg tablets', 'added'],
  ['322236009', 'Paracetamol 500mg tablets', 'amended'],
  ['317896006', 'Digoxin 125microgram tablets', 'stopped'],
  ['376702005', 'Amoxicillin 500mg capsules', 'added'],
];
const ACTIONS = [
  ['182836005', 'Review of medication', 'Please review the dose in 6 weeks'],
  ['401191002', 'Blood test', 'Renal function and electrolytes in 1 week'],
  ['183524004', 'Referral to cardiology service', 'Consider referral if symptoms recur'],
];
/** The mix of a trust's outgoing letters: most are inpatient discharges and clinic letters. */
const KINDS = [
  ...Array(11).fill('inpatient-discharge'),
  ...Array(2).fill('emergency-discharge'),
  'mental-health-discharge',
  ...Array(6).fill('outpatient-letter'),
];

const urn = (n) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const div = (text) => ({
  status: 'generated',
  div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${text}</p></div>`,
});

/**
 * Letter `n` about `patient` (a Patient resource as stored): a document Bundle, varied by `n` (kind,
 * diagnosis, allergy, medication change in 2 of 5 letters, an action for the GP in 1 of 2), with an
 * event `daysAgo` days before `now` so that it is late by its delivery limit when released.
 */
export function letter(n, patient, trust, now, daysAgo) {
  const kind = KINDS[n % KINDS.length];
  const definition = DOCUMENT_DEFINITIONS[kind];
  const event = new Date(now.getTime() - daysAgo * 86_400_000 - (n % 600) * 60_000);
  const start = new Date(event.getTime() - (1 + (n % 5)) * 86_400_000);
  const [dxCode, dxName] = DIAGNOSES[n % DIAGNOSES.length];
  const [alCode, alName] = ALLERGIES[n % ALLERGIES.length];
  const medication = n % 5 < 2 ? MEDICINES[n % MEDICINES.length] : undefined;
  const action = n % 2 === 0 ? ACTIONS[n % ACTIONS.length] : undefined;
  const patientRef = { reference: urn(1) };
  const has = (title) => definition.sections.some((section) => section.title === title);
  const sections = definition.sections
    .filter((section) => section.conformance === 'mandatory')
    .map((section) => ({
      title: section.title,
      code: snomed(section.code, section.title),
      text: div(`${section.title}: letter ${n} for NHS number ${patient.identifier[0].value}.`),
    }));
  const withEntry = (title, reference) => {
    const section = sections.find((candidate) => candidate.title === title);
    const definitionSection = definition.sections.find((candidate) => candidate.title === title);
    if (!definitionSection) return;
    if (section) section.entry = [{ reference }];
    else sections.push({ title, code: snomed(definitionSection.code, title), entry: [{ reference }] });
  };
  const entries = [
    null, // the Composition, below
    {
      resourceType: 'Patient',
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: patient.identifier[0].value }],
      name: patient.name,
      birthDate: patient.birthDate,
    },
    { resourceType: 'Practitioner', name: [{ family: ['Jones', 'Okafor', 'Singh'][n % 3], prefix: ['Dr'] }] },
    {
      resourceType: 'Organization',
      identifier: [{ system: ODS_ORGANIZATION_CODE_SYSTEM, value: trust.odsCode }],
      name: trust.name,
    },
    {
      resourceType: 'Encounter',
      status: 'finished',
      class: {
        system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
        code: kind === 'outpatient-letter' ? 'AMB' : kind === 'emergency-discharge' ? 'EMER' : 'IMP',
      },
      subject: patientRef,
      period:
        kind === 'outpatient-letter'
          ? { start: event.toISOString(), end: new Date(event.getTime() + 1_800_000).toISOString() }
          : { start: start.toISOString(), end: event.toISOString() },
    },
    {
      resourceType: 'Condition',
      subject: patientRef,
      code: { ...snomed(dxCode, dxName), text: `${dxName} (letter ${n})` },
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
    },
    { resourceType: 'AllergyIntolerance', patient: patientRef, code: snomed(alCode, alName) },
  ];
  withEntry('Diagnoses', urn(5));
  withEntry('Allergies and adverse reactions', urn(6));
  if (medication) {
    entries.push({
      resourceType: 'MedicationStatement',
      status: medication[2] === 'stopped' ? 'stopped' : 'active',
      subject: patientRef,
      medicationCodeableConcept: {
        coding: [{ system: DMD_SYSTEM, code: medication[0], display: medication[1] }],
      },
      extension: [{ url: MEDICATION_CHANGE_EXTENSION, valueCode: medication[2] }],
    });
    withEntry('Medications and medical devices', urn(entries.length - 1));
  }
  if (action && has('Plan and requested actions')) {
    entries.push({
      resourceType: 'Task',
      status: 'requested',
      intent: 'order',
      for: patientRef,
      code: snomed(action[0], action[1]),
      description: action[2],
    });
    withEntry('Plan and requested actions', urn(entries.length - 1));
  }
  entries[0] = {
    resourceType: 'Composition',
    identifier: {
      system: `https://${trust.odsCode.toLowerCase()}.example/documents`,
      value: `bench-set-${n}`,
    },
    status: 'final',
    type: { coding: compositionTypeCodings(kind) },
    subject: patientRef,
    encounter: { reference: urn(4) },
    date: event.toISOString(),
    author: [{ reference: urn(2) }],
    title: definition.title,
    custodian: { reference: urn(3) },
    section: sections,
  };
  return {
    resourceType: 'Bundle',
    type: 'document',
    identifier: {
      system: `https://${trust.odsCode.toLowerCase()}.example/letters`,
      value: `bench-letter-${n}`,
    },
    timestamp: event.toISOString(),
    entry: entries.map((resource, i) => ({ fullUrl: urn(i), resource })),
  };
}
