import type { Organization } from 'fhir/r4.js';
import {
  DEFAULT_GP_MINUTES,
  DEFAULT_REQUEST_ALARM_CONFIG,
  ODS_ORGANIZATION_CODE_SYSTEM,
  fhirError,
  odsCodeKind,
  parseRelativeReference,
  type CareSetting,
  type Clock,
  type LocalAgreements,
  type RequestAlarmConfig,
  type RequestCategory,
  type RequestParty,
} from '@carebridge/domain';
import type { AccessContext, AccessControl } from '../access/access-control.js';
import type { CarebridgeRole } from '../access/principal.js';
import type { SqlExecutor } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { RequestRow } from './ledger-store.js';

export interface RequestOptions {
  /** Commissioners' local agreements (by the ICB's ODS code) over the national responsibility rules. */
  localAgreements: LocalAgreements;
  /** Estimated GP minutes per category, for the workload-transfer ledger. */
  minutes: Readonly<Record<RequestCategory, number>>;
  alarms: RequestAlarmConfig;
}

export const DEFAULT_REQUEST_OPTIONS: RequestOptions = {
  localAgreements: {},
  minutes: DEFAULT_GP_MINUTES,
  alarms: DEFAULT_REQUEST_ALARM_CONFIG,
};

/** What every request operation works with. */
export interface RequestContext {
  store: ResourceStore;
  clock: Clock;
  access: AccessControl;
  options: RequestOptions;
}

/** Who moved a request, for the event table. */
export interface Actor {
  subject: string;
  role: string;
  organizationId?: string;
  display?: string;
}

export function actorOf(access: AccessContext): Actor {
  const { principal } = access;
  return {
    subject: principal.subject,
    role: principal.role,
    display: principal.displayName,
    ...(principal.organizationId === undefined ? {} : { organizationId: principal.organizationId }),
  };
}

/** Staff who ask another organisation for something, and trusted integrations (a trust's EPR). */
const REQUESTER_ROLES: ReadonlySet<CarebridgeRole> = new Set([
  'consultant',
  'secretary',
  'gp',
  'practice-admin',
  'system',
]);
/** Staff who answer a request their organisation owns. */
const OWNER_ROLES: ReadonlySet<CarebridgeRole> = new Set([
  'gp',
  'practice-admin',
  'consultant',
  'secretary',
  'system',
]);
/** Hospital staff who record what happens after a missed appointment. */
const HOSPITAL_BOOKING_ROLES: ReadonlySet<CarebridgeRole> = new Set(['consultant', 'secretary', 'system']);
/** A clinical decision (discharge after a missed appointment, an onward referral) is a clinician's. */
const HOSPITAL_CLINICIAN_ROLES: ReadonlySet<CarebridgeRole> = new Set(['consultant', 'system']);

const ROLE_SETS = {
  requester: [REQUESTER_ROLES, 'make requests'],
  owner: [OWNER_ROLES, 'answer requests'],
  'hospital-booking': [HOSPITAL_BOOKING_ROLES, 'record missed appointments'],
  'hospital-clinician': [HOSPITAL_CLINICIAN_ROLES, 'make this clinical decision'],
} as const satisfies Record<string, readonly [ReadonlySet<CarebridgeRole>, string]>;

export function requireRole(access: AccessContext, allowed: keyof typeof ROLE_SETS): void {
  const [roles, what] = ROLE_SETS[allowed];
  if (!roles.has(access.principal.role)) {
    throw fhirError('forbidden', `The ${access.principal.role} role may not ${what}.`);
  }
}

export function isOperations(access: AccessContext): boolean {
  return access.principal.role === 'ops';
}

/** Trusted integrations act for any organisation; everyone else only for their own. */
export function actsFor(access: AccessContext, organizationId: string): boolean {
  const { principal } = access;
  return principal.patientAccess === 'all' || principal.organizationId === organizationId;
}

/** Whether the caller may act as this party of the request (the owner answers, the requester cancels). */
export function actsAs(access: AccessContext, row: RequestRow, party: RequestParty): boolean {
  return actsFor(access, party === 'owner' ? row.ownerOrgId : row.requesterOrgId);
}

/** Whether the caller may see the request at all: either side, operations, or a trusted integration. */
export function maySee(access: AccessContext, row: RequestRow): boolean {
  return isOperations(access) || actsAs(access, row, 'owner') || actsAs(access, row, 'requester');
}

/** An organisation as requests need it: name, ODS code, care setting and commissioner. */
export interface OrganisationInfo {
  id: string;
  name: string;
  ods?: string;
  setting: CareSetting;
  /** The ODS code of the organisation it is part of (Organization.partOf: a practice's ICB). */
  commissioner?: string;
}

function odsOf(organization: Organization): string | undefined {
  return organization.identifier?.find((identifier) => identifier.system === ODS_ORGANIZATION_CODE_SYSTEM)
    ?.value;
}

/** The contract's sides follow from the ODS code's form: practices and NHS trusts (and their sites). */
function settingOf(ods: string | undefined): CareSetting {
  const kind = ods === undefined ? undefined : odsCodeKind(ods);
  if (kind === 'gp-practice') return 'practice';
  return kind === 'nhs-trust' || kind === 'nhs-trust-site' ? 'hospital' : 'other';
}

async function readOrganization(
  store: ResourceStore,
  db: SqlExecutor,
  id: string,
): Promise<Organization | undefined> {
  const row = await store.read(db, 'Organization', id);
  return row && !row.deleted ? (JSON.parse(row.content) as Organization) : undefined;
}

/** The organisation (directory data every signed-in user may read), or a 404 naming the parameter. */
export async function organisationInfo(
  store: ResourceStore,
  db: SqlExecutor,
  id: string,
  expression = 'Organization',
): Promise<OrganisationInfo> {
  const organization = await readOrganization(store, db, id);
  if (!organization) {
    throw fhirError('resource-not-found', `Organization/${id} does not exist.`, [expression]);
  }
  const ods = odsOf(organization);
  const parent = parseRelativeReference(organization.partOf?.reference ?? '');
  const commissioner =
    parent?.resourceType === 'Organization'
      ? await readOrganization(store, db, parent.id).then((org) => (org ? odsOf(org) : undefined))
      : undefined;
  return {
    id,
    name: organization.name ?? ods ?? id,
    ...(ods === undefined ? {} : { ods }),
    setting: settingOf(ods),
    ...(commissioner === undefined ? {} : { commissioner }),
  };
}

/** The caller's own organisation, which every request operation acts for. */
export function ownOrganisationId(access: AccessContext): string {
  const id = access.principal.organizationId;
  if (id === undefined) throw fhirError('forbidden', 'You act for no organisation, so you cannot do this.');
  return id;
}
