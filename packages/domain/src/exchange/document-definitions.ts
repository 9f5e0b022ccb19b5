import type { Coding } from 'fhir/r4.js';
import type { Duration } from './calendar.js';

/**
 * The documents Carebridge exchanges between hospital and GP, defined once: their Composition.type,
 * their PRSB / Transfer of Care sections, which sections carry coded entries, and their SLAs.
 * Assurance, fact extraction, alarms and the documentation all read these tables, so a heading or an
 * SLA changes in one place.
 *
 * Sources: NHS Digital ITK3 Transfer of Care specifications (eDischarge, Emergency Care eDischarge,
 * Mental Health eDischarge, Outpatient Letter: `explore_headings.md`), GP Connect Send Document, and
 * NHS Standard Contract SC11.5 / SC11.7. See docs/exchange-documents.md.
 */

export const SNOMED_CT_SYSTEM = 'http://snomed.info/sct';
/** NHS dictionary of medicines and devices. dm+d concepts are also SNOMED CT concepts (UK drug extension). */
export const DMD_SYSTEM = 'https://dmd.nhs.uk';
/**
 * Carebridge's own document-kind codes. The Transfer of Care specifications type all three discharge
 * summaries as SNOMED 373942005, so this second coding in Composition.type says which one it is.
 */
export const DOCUMENT_KIND_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/document-kind';
/**
 * The sender's version number of a document (Composition extension, valuePositiveInt). Not
 * meta.versionId: every FHIR server a document passes through rewrites meta, so it cannot carry the
 * author's numbering.
 */
export const DOCUMENT_VERSION_EXTENSION = 'https://carebridge.dev/fhir/StructureDefinition/document-version';
/**
 * What a discharge or clinic letter did to a medicine (MedicationStatement extension, valueCode from
 * {@link MEDICATION_CHANGE_STATUSES}). The UK Core MedicationChangeSummary extension it replaces was
 * retired in 2021 without a successor; its CareConnect codes are accepted on input too.
 */
export const MEDICATION_CHANGE_EXTENSION =
  'https://carebridge.dev/fhir/StructureDefinition/medication-change';

export const DOCUMENT_KINDS = [
  'inpatient-discharge',
  'emergency-discharge',
  'mental-health-discharge',
  'outpatient-letter',
  'general-correspondence',
] as const;

export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export function isDocumentKind(value: unknown): value is DocumentKind {
  return typeof value === 'string' && (DOCUMENT_KINDS as readonly string[]).includes(value);
}

/** PRSB conformance: mandatory (1..1), required (send when known), optional. */
export type SectionConformance = 'mandatory' | 'required' | 'optional';

/** The kinds of coded content the GP record imports from a document. */
export type CodedEntryCategory = 'condition' | 'allergy' | 'medication' | 'procedure' | 'action';

/**
 * The resource type of each coded entry category. "Plan and requested actions" become Task, not
 * ServiceRequest: a request to the GP has an owner who accepts or declines it with a reason, which is
 * Task's life cycle; ServiceRequest is for ordering a clinical service (a test, a referral).
 */
export const CODED_ENTRY_RESOURCE_TYPE = {
  condition: 'Condition',
  allergy: 'AllergyIntolerance',
  medication: 'MedicationStatement',
  procedure: 'Procedure',
  action: 'Task',
} as const satisfies Record<CodedEntryCategory, string>;

export interface SectionDefinition {
  /** The PRSB heading. */
  title: string;
  /** SNOMED CT code of the heading (Composition.section.code). */
  code: string;
  /** Codes the same heading has in sibling specifications (they disagree in places; see the docs). */
  alsoAccepted?: readonly string[];
  conformance: SectionConformance;
  /** Present when the section's entries are coded clinical content the GP system can import. */
  codedEntries?: CodedEntryCategory;
}

/** Which encounter date the contractual delivery clock starts from. */
export type EventDateKind = 'discharge' | 'attendance' | 'document-date';

export interface ServiceLevel {
  duration: Duration;
  /** The contract clause, when the limit is contractual rather than a Carebridge default. */
  clause?: string;
  basis: string;
}

export interface DocumentDefinition {
  kind: DocumentKind;
  title: string;
  /** The SNOMED CT Composition.type coding. */
  type: Coding & { system: string; code: string };
  /** The MESH workflow the document travels on (an `_ACK` workflow returns the business acknowledgement). */
  meshWorkflowId: string;
  eventDate: EventDateKind;
  sections: readonly SectionDefinition[];
  /** Send Document style: the content is a PDF attachment rather than structured headings. */
  requiresPdfAttachment: boolean;
  /** A draft or unauthorised document older than this is an alarm (the Nottingham and Newcastle failures). */
  authorisationSla: ServiceLevel;
  /** Delivery to the GP must happen within this time of the event. */
  deliverySla: ServiceLevel;
}

const DISCHARGE_SUMMARY: Coding & { system: string; code: string } = {
  system: SNOMED_CT_SYSTEM,
  code: '373942005',
  display: 'Discharge summary',
};

/** Headings shared by the Transfer of Care specifications, by a short key. */
const H = {
  admissionDetails: { title: 'Admission details', code: '886781000000108' },
  allergies: { title: 'Allergies and adverse reactions', code: '886921000000105' },
  assessmentScales: { title: 'Assessment scales', code: '887141000000103' },
  attendanceDetails: { title: 'Attendance details', code: '1077881000000105' },
  clinicalSummary: { title: 'Clinical summary', code: '887181000000106' },
  clinicalNarrative: { title: 'Clinical narrative', code: '1077901000000108' },
  clinicalReviewOfSystems: { title: 'Clinical review of systems', code: '1077901000000108' },
  contactForFurtherInformation: { title: 'Contact for further information', code: '1077931000000102' },
  diagnoses: { title: 'Diagnoses', code: '887161000000102' },
  dischargeDetails: { title: 'Discharge details', code: '886811000000106' },
  distributionList: { title: 'Distribution list', code: '887261000000109' },
  examinationFindings: { title: 'Examination findings', code: '715851000000102' },
  familyHistory: { title: 'Family history', code: '887111000000104' },
  gpPractice: { title: 'GP practice', code: '886711000000101' },
  history: { title: 'History', code: '717121000000105' },
  individualRequirements: {
    title: 'Individual requirements',
    code: '1078911000000106',
    alsoAccepted: ['1052901000000109'],
  },
  informationGiven: { title: 'Information and advice given', code: '1052951000000105' },
  investigationResults: { title: 'Investigation results', code: '1082101000000102' },
  legalInformation: { title: 'Legal information', code: '886961000000102' },
  medications: { title: 'Medications and medical devices', code: '933361000000108' },
  participationInResearch: { title: 'Participation in research', code: '886751000000102' },
  patientDemographics: { title: 'Patient demographics', code: '886731000000109' },
  patientConcerns: {
    title: 'Patient and carer concerns, expectations and wishes',
    code: '1052941000000107',
  },
  personCompletingRecord: { title: 'Person completing record', code: '887231000000104' },
  planAndRequestedActions: { title: 'Plan and requested actions', code: '887201000000105' },
  problemsAndIssues: { title: 'Problems and issues', code: '887151000000100' },
  procedures: { title: 'Procedures', code: '887171000000109' },
  referrerDetails: { title: 'Referrer details', code: '1052891000000108' },
  relevantClinicalRiskFactors: { title: 'Relevant clinical risk factors', code: '886821000000100' },
  safetyAlerts: { title: 'Safety alerts', code: '886931000000107' },
  seniorReviewingClinician: { title: 'Senior reviewing clinician', code: '1078901000000109' },
  socialContext: { title: 'Social context', code: '887051000000101' },
} as const satisfies Record<string, Omit<SectionDefinition, 'conformance'>>;

/** Which headings carry importable coded entries, whatever the document. */
const CODED: Partial<Record<keyof typeof H, CodedEntryCategory>> = {
  allergies: 'allergy',
  diagnoses: 'condition',
  problemsAndIssues: 'condition',
  medications: 'medication',
  procedures: 'procedure',
  planAndRequestedActions: 'action',
};

function sections(
  conformance: Partial<Record<keyof typeof H, SectionConformance>>,
): readonly SectionDefinition[] {
  return Object.entries(conformance).map(([key, level]) => {
    const heading = H[key as keyof typeof H];
    const coded = CODED[key as keyof typeof H];
    return { ...heading, conformance: level, ...(coded ? { codedEntries: coded } : {}) };
  });
}

const DISCHARGE_AUTHORISATION: ServiceLevel = {
  duration: { amount: 24, unit: 'hours' },
  basis:
    'Carebridge default: a discharge summary cannot meet its 24-hour delivery limit unless authorised first.',
};

const DISCHARGE_DELIVERY: ServiceLevel = {
  duration: { amount: 24, unit: 'hours' },
  clause: 'SC11.5',
  basis:
    'NHS Standard Contract: discharge summary to the GP within 24 hours of inpatient, day-case or ED discharge.',
};

const LETTER_AUTHORISATION: ServiceLevel = {
  duration: { amount: 5, unit: 'days' },
  basis: 'Carebridge default: leaves two days of the 7-day delivery limit.',
};

/** Every document kind, with its Transfer of Care definition. */
export const DOCUMENT_DEFINITIONS: Readonly<Record<DocumentKind, DocumentDefinition>> = {
  'inpatient-discharge': {
    kind: 'inpatient-discharge',
    title: 'Inpatient and day case discharge summary',
    type: DISCHARGE_SUMMARY,
    meshWorkflowId: 'TOC_FHIR_IP_DISCH',
    eventDate: 'discharge',
    requiresPdfAttachment: false,
    authorisationSla: DISCHARGE_AUTHORISATION,
    deliverySla: DISCHARGE_DELIVERY,
    sections: sections({
      admissionDetails: 'required',
      allergies: 'mandatory',
      assessmentScales: 'optional',
      clinicalSummary: 'mandatory',
      diagnoses: 'mandatory',
      dischargeDetails: 'required',
      distributionList: 'required',
      gpPractice: 'mandatory',
      individualRequirements: 'required',
      informationGiven: 'required',
      investigationResults: 'optional',
      legalInformation: 'required',
      medications: 'optional',
      participationInResearch: 'optional',
      patientDemographics: 'mandatory',
      patientConcerns: 'required',
      personCompletingRecord: 'mandatory',
      planAndRequestedActions: 'required',
      procedures: 'optional',
      referrerDetails: 'required',
      safetyAlerts: 'required',
      socialContext: 'optional',
    }),
  },
  'emergency-discharge': {
    kind: 'emergency-discharge',
    title: 'Emergency care discharge summary',
    type: DISCHARGE_SUMMARY,
    meshWorkflowId: 'TOC_FHIR_EC_DISCH',
    eventDate: 'discharge',
    requiresPdfAttachment: false,
    authorisationSla: DISCHARGE_AUTHORISATION,
    deliverySla: DISCHARGE_DELIVERY,
    sections: sections({
      allergies: 'mandatory',
      attendanceDetails: 'optional',
      clinicalNarrative: 'mandatory',
      contactForFurtherInformation: 'mandatory',
      diagnoses: 'mandatory',
      dischargeDetails: 'mandatory',
      distributionList: 'mandatory',
      gpPractice: 'optional',
      informationGiven: 'optional',
      legalInformation: 'optional',
      medications: 'mandatory',
      participationInResearch: 'optional',
      patientDemographics: 'mandatory',
      personCompletingRecord: 'mandatory',
      planAndRequestedActions: 'optional',
      procedures: 'mandatory',
      referrerDetails: 'optional',
      safetyAlerts: 'optional',
      seniorReviewingClinician: 'optional',
    }),
  },
  'mental-health-discharge': {
    kind: 'mental-health-discharge',
    title: 'Mental health inpatient discharge summary',
    type: DISCHARGE_SUMMARY,
    meshWorkflowId: 'TOC_FHIR_MH_DISCH',
    eventDate: 'discharge',
    requiresPdfAttachment: false,
    authorisationSla: DISCHARGE_AUTHORISATION,
    deliverySla: DISCHARGE_DELIVERY,
    sections: sections({
      admissionDetails: 'required',
      allergies: 'mandatory',
      assessmentScales: 'required',
      clinicalSummary: 'mandatory',
      diagnoses: 'mandatory',
      dischargeDetails: 'required',
      distributionList: 'required',
      familyHistory: 'optional',
      gpPractice: 'mandatory',
      individualRequirements: 'required',
      informationGiven: 'required',
      investigationResults: 'optional',
      legalInformation: 'required',
      medications: 'optional',
      participationInResearch: 'required',
      patientDemographics: 'mandatory',
      patientConcerns: 'optional',
      personCompletingRecord: 'mandatory',
      planAndRequestedActions: 'required',
      procedures: 'optional',
      referrerDetails: 'required',
      safetyAlerts: 'required',
      socialContext: 'optional',
    }),
  },
  'outpatient-letter': {
    kind: 'outpatient-letter',
    title: 'Outpatient clinic letter',
    type: { system: SNOMED_CT_SYSTEM, code: '823681000000100', display: 'Outpatient letter' },
    meshWorkflowId: 'TOC_FHIR_OP_ATTEN',
    eventDate: 'attendance',
    requiresPdfAttachment: false,
    authorisationSla: LETTER_AUTHORISATION,
    deliverySla: {
      duration: { amount: 7, unit: 'days' },
      clause: 'SC11.7',
      basis:
        'NHS Standard Contract: clinic letter to the GP as soon as practicable and within 7 days of attendance.',
    },
    sections: sections({
      allergies: 'mandatory',
      attendanceDetails: 'mandatory',
      clinicalSummary: 'mandatory',
      gpPractice: 'mandatory',
      patientDemographics: 'mandatory',
      personCompletingRecord: 'mandatory',
      diagnoses: 'required',
      distributionList: 'required',
      history: 'required',
      individualRequirements: 'required',
      informationGiven: 'required',
      legalInformation: 'required',
      participationInResearch: 'required',
      planAndRequestedActions: 'required',
      problemsAndIssues: 'required',
      procedures: 'required',
      referrerDetails: 'required',
      safetyAlerts: 'required',
      assessmentScales: 'optional',
      clinicalReviewOfSystems: 'optional',
      examinationFindings: 'optional',
      familyHistory: 'optional',
      investigationResults: 'optional',
      medications: 'optional',
      patientConcerns: 'optional',
      relevantClinicalRiskFactors: 'optional',
      socialContext: 'optional',
    }),
  },
  'general-correspondence': {
    kind: 'general-correspondence',
    title: 'General correspondence',
    type: { system: SNOMED_CT_SYSTEM, code: '371531000', display: 'Report of clinical encounter' },
    meshWorkflowId: 'GPCONNECT_SEND_DOCUMENT',
    eventDate: 'document-date',
    requiresPdfAttachment: true,
    authorisationSla: LETTER_AUTHORISATION,
    deliverySla: {
      duration: { amount: 7, unit: 'days' },
      basis:
        'Carebridge default, matching the clinic letter limit; no contract clause covers other correspondence.',
    },
    sections: [],
  },
};

/**
 * The kind a Composition.type names: Carebridge's document-kind coding when present (it is the only
 * way to tell the three discharge summaries apart), otherwise the SNOMED CT code, which for
 * 373942005 means an inpatient discharge summary.
 */
export function documentKindOfType(codings: readonly Coding[] | undefined): DocumentKind | undefined {
  if (!codings) return undefined;
  const explicit = codings.find((coding) => coding.system === DOCUMENT_KIND_SYSTEM)?.code;
  if (explicit !== undefined) return isDocumentKind(explicit) ? explicit : undefined;
  for (const coding of codings) {
    if (coding.system !== SNOMED_CT_SYSTEM) continue;
    if (coding.code === DISCHARGE_SUMMARY.code) return 'inpatient-discharge';
    const match = DOCUMENT_KINDS.find((kind) => DOCUMENT_DEFINITIONS[kind].type.code === coding.code);
    if (match) return match;
  }
  return undefined;
}

/** The Composition.type a sender should write for a kind: the SNOMED CT coding plus the kind coding. */
export function compositionTypeCodings(kind: DocumentKind): Coding[] {
  const definition = DOCUMENT_DEFINITIONS[kind];
  return [{ ...definition.type }, { system: DOCUMENT_KIND_SYSTEM, code: kind, display: definition.title }];
}

/** The section definition a Composition.section.code names for a kind, if any. */
export function sectionDefinitionFor(
  kind: DocumentKind,
  codings: readonly Coding[] | undefined,
): SectionDefinition | undefined {
  if (!codings) return undefined;
  for (const coding of codings) {
    if (coding.system !== SNOMED_CT_SYSTEM || coding.code === undefined) continue;
    const code = coding.code;
    const found = DOCUMENT_DEFINITIONS[kind].sections.find(
      (section) => section.code === code || section.alsoAccepted?.includes(code) === true,
    );
    if (found) return found;
  }
  return undefined;
}

/** Medication change statuses: the CareConnect MedicationChangeStatus codes, plus `stopped`. */
export const MEDICATION_CHANGE_STATUSES = ['added', 'amended', 'continued', 'on-hold', 'stopped'] as const;
export type MedicationChangeStatus = (typeof MEDICATION_CHANGE_STATUSES)[number];
