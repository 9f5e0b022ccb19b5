import { odsCodeKind } from '@carebridge/domain';
import { isCarebridgeRole, type CarebridgeRole } from '../access/principal.js';
import { AccessTokenError } from './access-token-error.js';

/**
 * NHS CIS2 national RBAC, as it arrives in a token: the roles a user holds
 * (`nhsid_nrbac_roles`), which of them they selected for this session (`selected_roleid`), and how
 * a national job role at a kind of organisation becomes a Carebridge role.
 */
export type StaffRole = Exclude<CarebridgeRole, 'patient' | 'system'>;

export type OrganisationKind =
  | 'gp-practice'
  | 'nhs-trust'
  | 'community-pharmacy'
  | 'diagnostic-centre'
  | 'integrated-care-board'
  | 'other';

export const ORGANISATION_KINDS: readonly OrganisationKind[] = [
  'gp-practice',
  'nhs-trust',
  'community-pharmacy',
  'diagnostic-centre',
  'integrated-care-board',
  'other',
];

export interface ResolvedOrganisation {
  organizationId: string;
  /** When known from the directory; otherwise it is inferred from the form of the ODS code. */
  kind?: OrganisationKind;
}

/** Finds the Carebridge Organization with an ODS code; undefined when there is none. */
export type OrganisationResolver = (odsCode: string) => Promise<ResolvedOrganisation | undefined>;

/** One role a user holds, from `nhsid_nrbac_roles`. */
export interface NationalRbacRole {
  /** The role profile id (`person_roleid`); what `selected_roleid` names. */
  personRoleId: string;
  /** ODS code of the organisation the role is held at. */
  orgCode: string;
  /** The full code, e.g. "S8000:G8000:R8000" (staff group : job group : job role). */
  roleCode: string;
  /** The job role part, e.g. "R8000". */
  jobRoleCode: string;
  roleName?: string;
  /** National RBAC activity ("B") codes the role grants, e.g. "B0825". */
  activityCodes: readonly string[];
}

/**
 * One row of the job-role mapping: a national job role ("R" code), optionally only at some kinds
 * of organisation, maps to a Carebridge role. The first matching row wins.
 */
export interface Cis2RoleRule {
  jobRoleCode: string;
  organisationKinds?: readonly OrganisationKind[];
  role: StaffRole;
}

const ANY_CLINICAL_SETTING: readonly OrganisationKind[] = ['nhs-trust', 'diagnostic-centre'];

/**
 * The default mapping (docs/identity.md has it as a table, with the reasoning). Deliberately
 * conservative: job roles not listed give no access, and nothing maps to `admin`, which a
 * deployment grants only by configuring it explicitly (IDENTITY_ROLE_MAP).
 */
export const DEFAULT_CIS2_ROLE_MAPPING: readonly Cis2RoleRule[] = [
  // Clinical Practitioner Access Role: what the clinician does depends on where they work.
  { jobRoleCode: 'R8000', organisationKinds: ['gp-practice'], role: 'gp' },
  { jobRoleCode: 'R8000', organisationKinds: ['nhs-trust'], role: 'consultant' },
  { jobRoleCode: 'R8000', organisationKinds: ['community-pharmacy'], role: 'pharmacist' },
  { jobRoleCode: 'R8000', organisationKinds: ['diagnostic-centre'], role: 'diagnostics' },
  // General Medical Practitioner, Salaried GP, GP Registrar, Sessional GP.
  { jobRoleCode: 'R0260', organisationKinds: ['gp-practice'], role: 'gp' },
  { jobRoleCode: 'R0270', organisationKinds: ['gp-practice'], role: 'gp' },
  { jobRoleCode: 'R6200', organisationKinds: ['gp-practice'], role: 'gp' },
  { jobRoleCode: 'R6300', organisationKinds: ['gp-practice'], role: 'gp' },
  // Consultant.
  { jobRoleCode: 'R0050', organisationKinds: ['nhs-trust'], role: 'consultant' },
  // Pharmacist (community pharmacy only: hospital pharmacy is not a Carebridge role yet).
  { jobRoleCode: 'R1290', organisationKinds: ['community-pharmacy'], role: 'pharmacist' },
  // Health Professional Access Role at a diagnostic centre; scientists, radiographers, phlebotomists.
  { jobRoleCode: 'R8003', organisationKinds: ['diagnostic-centre'], role: 'diagnostics' },
  { jobRoleCode: 'R8005', organisationKinds: ANY_CLINICAL_SETTING, role: 'diagnostics' },
  { jobRoleCode: 'R1420', organisationKinds: ANY_CLINICAL_SETTING, role: 'diagnostics' },
  { jobRoleCode: 'R1190', organisationKinds: ANY_CLINICAL_SETTING, role: 'diagnostics' },
  { jobRoleCode: 'R1590', organisationKinds: ANY_CLINICAL_SETTING, role: 'diagnostics' },
  // Medical Secretary Access Role / Medical Secretary: a trust secretary, or practice admin in general practice.
  { jobRoleCode: 'R8006', organisationKinds: ['nhs-trust'], role: 'secretary' },
  { jobRoleCode: 'R1760', organisationKinds: ['nhs-trust'], role: 'secretary' },
  { jobRoleCode: 'R8006', organisationKinds: ['gp-practice'], role: 'practice-admin' },
  // Admin/Clinical Support, Receptionist, Clerical, Clerical Manager Access Roles.
  { jobRoleCode: 'R8008', organisationKinds: ['gp-practice'], role: 'practice-admin' },
  { jobRoleCode: 'R8008', organisationKinds: ['nhs-trust'], role: 'secretary' },
  { jobRoleCode: 'R8009', organisationKinds: ['gp-practice'], role: 'practice-admin' },
  { jobRoleCode: 'R8010', organisationKinds: ['gp-practice'], role: 'practice-admin' },
  { jobRoleCode: 'R8011', organisationKinds: ['gp-practice'], role: 'practice-admin' },
  // Privacy Officer, at whatever organisation holds it.
  { jobRoleCode: 'R0001', role: 'privacy-officer' },
  // Systems Support Access Role: running the service, not reading records.
  { jobRoleCode: 'R8015', role: 'ops' },
];

const JOB_ROLE_CODE = /^R\d{4}$/;
const ROLE_CODE_SEGMENT = /^[A-Z]\d{4}$/;

/**
 * `nhsid_nrbac_roles`, checked. Absent or empty means the user holds no role; anything that is not
 * an array of well-formed role objects is a malformed claim (NHS's own APIs answer both with 401).
 */
export function parseNationalRbacRoles(value: unknown): NationalRbacRole[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw malformed('nhsid_nrbac_roles is not an array');
  return value.map((entry: unknown, index) => parseRole(entry, index));
}

function parseRole(entry: unknown, index: number): NationalRbacRole {
  const where = `nhsid_nrbac_roles[${index}]`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw malformed(`${where} is not an object`);
  const record = entry as Record<string, unknown>;
  const personRoleId = nonEmptyString(record.person_roleid, `${where}.person_roleid`);
  const orgCode = nonEmptyString(record.org_code, `${where}.org_code`);
  if (odsCodeKind(orgCode) === undefined) throw malformed(`${where}.org_code is not an ODS code`);
  const roleCode = nonEmptyString(record.role_code, `${where}.role_code`);
  const segments = roleCode.split(':');
  if (!segments.every((segment) => ROLE_CODE_SEGMENT.test(segment))) {
    throw malformed(`${where}.role_code is not of the form S0000:G0000:R0000`);
  }
  const jobRoleCode = segments.find((segment) => JOB_ROLE_CODE.test(segment));
  if (jobRoleCode === undefined) throw malformed(`${where}.role_code has no job role (R) code`);
  const role: NationalRbacRole = {
    personRoleId,
    orgCode,
    roleCode,
    jobRoleCode,
    activityCodes: activityCodes(record.activity_codes, `${where}.activity_codes`),
  };
  if (typeof record.role_name === 'string') role.roleName = record.role_name;
  return role;
}

function activityCodes(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((code): code is string => typeof code === 'string')) {
    throw malformed(`${where} is not an array of strings`);
  }
  return value;
}

/**
 * The role the user acts in: the selected one, or the only one held. Several roles and no
 * selection is refused rather than guessed, as is a selection the user does not hold.
 */
export function selectNationalRbacRole(
  roles: readonly NationalRbacRole[],
  selectedRoleId: unknown,
): NationalRbacRole {
  if (roles.length === 0) throw new AccessTokenError('no-role', 'The token lists no national RBAC roles.');
  if (selectedRoleId === undefined || selectedRoleId === null) {
    if (roles.length === 1) return roles[0] as NationalRbacRole;
    throw new AccessTokenError(
      'role-not-selected',
      `The user holds ${roles.length} roles and the token has no selected_roleid.`,
    );
  }
  const selected = nonEmptyString(selectedRoleId, 'selected_roleid');
  const role = roles.find((candidate) => candidate.personRoleId === selected);
  if (role === undefined) {
    throw new AccessTokenError(
      'selected-role-not-held',
      'selected_roleid names none of the roles in nhsid_nrbac_roles.',
    );
  }
  return role;
}

/** The organisation kind when the directory did not say: inferred from the ODS code's form. */
export function organisationKindFromOdsCode(odsCode: string): OrganisationKind {
  switch (odsCodeKind(odsCode)) {
    case 'gp-practice':
      return 'gp-practice';
    case 'nhs-trust':
    case 'nhs-trust-site':
      return 'nhs-trust';
    case 'community-pharmacy':
      return 'community-pharmacy';
    default:
      return 'other';
  }
}

export function mapJobRole(
  rules: readonly Cis2RoleRule[],
  jobRoleCode: string,
  organisationKind: OrganisationKind,
): StaffRole | undefined {
  const rule = rules.find(
    (candidate) =>
      candidate.jobRoleCode === jobRoleCode &&
      (candidate.organisationKinds === undefined || candidate.organisationKinds.includes(organisationKind)),
  );
  return rule?.role;
}

/**
 * A role mapping from configuration (IDENTITY_ROLE_MAP): a JSON array of
 * `{ "jobRoleCode": "R8000", "organisationKinds": ["gp-practice"], "role": "gp" }`.
 */
export function parseRoleMapping(value: unknown): Cis2RoleRule[] {
  if (!Array.isArray(value)) throw new Error('The role mapping must be a JSON array of rules');
  return value.map((entry: unknown, index): Cis2RoleRule => {
    const where = `rule ${index}`;
    if (typeof entry !== 'object' || entry === null) throw new Error(`${where} is not an object`);
    const record = entry as Record<string, unknown>;
    if (typeof record.jobRoleCode !== 'string' || !JOB_ROLE_CODE.test(record.jobRoleCode)) {
      throw new Error(`${where}: jobRoleCode must be a national job role code such as R8000`);
    }
    const role = record.role;
    if (!isCarebridgeRole(role) || role === 'patient' || role === 'system') {
      throw new Error(`${where}: role must be a Carebridge staff role`);
    }
    const rule: Cis2RoleRule = { jobRoleCode: record.jobRoleCode, role };
    if (record.organisationKinds !== undefined) {
      const kinds = record.organisationKinds;
      if (
        !Array.isArray(kinds) ||
        !kinds.every((kind): kind is OrganisationKind =>
          ORGANISATION_KINDS.includes(kind as OrganisationKind),
        )
      ) {
        throw new Error(`${where}: organisationKinds must list kinds from ${ORGANISATION_KINDS.join(', ')}`);
      }
      rule.organisationKinds = kinds;
    }
    return rule;
  });
}

function nonEmptyString(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw malformed(`${where} is missing or empty`);
  return value;
}

function malformed(detail: string): AccessTokenError {
  return new AccessTokenError('malformed-claim', detail);
}
