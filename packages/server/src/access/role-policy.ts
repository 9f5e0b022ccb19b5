import type { RelationshipBasis } from '@carebridge/domain';
import type { CarebridgeRole } from './principal.js';

/**
 * What each role may see and do. One table, so a reviewer can read the whole policy at once.
 *
 * - `related`: the whole record of patients the user's organisation has a legitimate relationship
 *   with (any of `bases`), or is in a break-glass session for.
 * - `related-limited`: only the resources that establish the relationship with the organisation
 *   (`sourceTypes`: the prescriptions sent to a pharmacy, the orders sent to a diagnostic centre and
 *   the results it produced), plus `compartmentTypes` of those patients (minimum demographics).
 * - `own`: the patient's own record and those they are an authorised proxy for.
 * - `none`: no patient records (directory only); their work is done through other APIs.
 */
export interface RolePolicy {
  patientRecords: 'related' | 'related-limited' | 'own' | 'none';
  bases: readonly RelationshipBasis[];
  sourceTypes: readonly string[];
  compartmentTypes: readonly string[];
  /** Types the role may create or change in a patient's record ('*' for any). */
  writableTypes: readonly string[] | '*';
  /** May create, change or delete directory resources (organisations, staff, services). */
  writesDirectory: boolean;
  /** May declare break-glass access to a patient without a relationship. */
  mayBreakGlass: boolean;
}

const ALL_BASES: readonly RelationshipBasis[] = [
  'registered',
  'encounter',
  'episode',
  'order-requester',
  'order-performer',
  'request',
  'prescriber',
  'dispensing',
  'result-performer',
];

const clinician = (mayBreakGlass: boolean): RolePolicy => ({
  patientRecords: 'related',
  bases: ALL_BASES,
  sourceTypes: [],
  compartmentTypes: [],
  writableTypes: '*',
  writesDirectory: false,
  mayBreakGlass,
});

const noPatientRecords: RolePolicy = {
  patientRecords: 'none',
  bases: [],
  sourceTypes: [],
  compartmentTypes: [],
  writableTypes: [],
  writesDirectory: false,
  mayBreakGlass: false,
};

export const ROLE_POLICIES: Readonly<Record<CarebridgeRole, RolePolicy>> = {
  gp: clinician(true),
  consultant: clinician(true),
  'practice-admin': clinician(false),
  secretary: clinician(false),
  pharmacist: {
    patientRecords: 'related-limited',
    bases: ['dispensing'],
    sourceTypes: ['MedicationRequest', 'MedicationDispense'],
    compartmentTypes: ['Patient'],
    writableTypes: ['MedicationDispense', 'MedicationRequest'],
    writesDirectory: false,
    mayBreakGlass: false,
  },
  diagnostics: {
    patientRecords: 'related-limited',
    bases: ['order-performer', 'result-performer'],
    sourceTypes: ['ServiceRequest', 'Observation', 'DiagnosticReport'],
    compartmentTypes: ['Patient', 'Specimen'],
    writableTypes: ['Observation', 'DiagnosticReport', 'Specimen', 'ServiceRequest'],
    writesDirectory: false,
    mayBreakGlass: false,
  },
  patient: {
    patientRecords: 'own',
    bases: [],
    sourceTypes: [],
    compartmentTypes: [],
    writableTypes: ['QuestionnaireResponse', 'Communication'],
    writesDirectory: false,
    mayBreakGlass: false,
  },
  ops: noPatientRecords,
  'privacy-officer': noPatientRecords,
  admin: { ...noPatientRecords, writesDirectory: true },
  system: { ...clinician(false), writesDirectory: true },
};
