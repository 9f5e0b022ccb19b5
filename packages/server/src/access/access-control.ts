import type { Clock, FhirResource } from '@carebridge/domain';
import {
  compartmentPatientIds,
  extractIndexRows,
  fhirError,
  isPatientCompartmentType,
  relationshipClaims,
} from '@carebridge/domain';
import type { AccessPredicate } from '../store/access-predicate.js';
import type { SqlExecutor } from '../store/database.js';
import type { SqlParams } from '../store/search/sql-params.js';
import type { Principal, SmartScope } from './principal.js';
import { ROLE_POLICIES, type RolePolicy } from './role-policy.js';

/** SMART permission letters: create, read, update, delete, search. */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

/** Everything a request's access decisions need, loaded once per request. */
export interface AccessContext {
  principal: Principal;
  policy: RolePolicy;
  /** Patients the user holds an active break-glass session for, and those sessions' ids. */
  breakGlassPatientIds: readonly string[];
  breakGlassSessionIds: readonly string[];
}

/**
 * Directory and definitional resources every signed-in user may read: who and where services are,
 * and shared definitions. Listed rather than derived: types outside the patient compartment that can
 * still carry patient data (Binary, Bundle, MessageHeader, Subscription) are not directory, and only
 * trusted integrations see them.
 */
const DIRECTORY_TYPES: readonly string[] = [
  'Organization',
  'Location',
  'HealthcareService',
  'Endpoint',
  'Practitioner',
  'PractitionerRole',
  'Medication',
  'Questionnaire',
  'PlanDefinition',
  'Schedule',
  'Slot',
];

/**
 * The one access check every path goes through. Reads become a SQL predicate (so searches, totals,
 * includes, history and paging are filtered in the database and nothing leaks through a count);
 * interactions are checked against the token's SMART scopes and the role; writes are checked
 * against the record they would change and the record they would create.
 */
export class AccessControl {
  constructor(private readonly deps: { clock: Clock }) {}

  async contextFor(db: SqlExecutor, principal: Principal): Promise<AccessContext> {
    const policy = ROLE_POLICIES[principal.role];
    if (!policy.mayBreakGlass)
      return { principal, policy, breakGlassPatientIds: [], breakGlassSessionIds: [] };
    const { rows } = await db.query<{ id: string; patient_id: string }>(
      `select id, patient_id from break_glass_session
        where subject = $1 and ended_at is null and expires_at > $2::timestamptz`,
      [principal.subject, this.deps.clock.now().toISOString()],
    );
    return {
      principal,
      policy,
      breakGlassPatientIds: rows.map((row) => row.patient_id),
      breakGlassSessionIds: rows.map((row) => row.id),
    };
  }

  /** Refuses (403) an interaction the token's scopes or the user's role do not allow. */
  requirePermission(context: AccessContext, resourceType: string, permission: Permission): void {
    if (!scopesGrant(context.principal, resourceType, permission)) {
      throw fhirError(
        'insufficient-scope',
        `The access token's scopes do not allow '${permission}' on ${resourceType}.`,
      );
    }
    if (permission === 'r' || permission === 's') return;
    const writesDirectory = !isPatientCompartmentType(resourceType);
    const { policy } = context;
    const allowed = writesDirectory
      ? policy.writesDirectory
      : policy.writableTypes === '*' || policy.writableTypes.includes(resourceType);
    if (!allowed) {
      throw fhirError(
        'forbidden',
        `The ${context.principal.role} role may not change ${resourceType} resources.`,
      );
    }
  }

  /** The SQL condition under which a resource is visible to this user for reading or searching. */
  visibility(context: AccessContext, permission: 'r' | 's'): AccessPredicate {
    return (params, alias) => {
      const directory = `${alias}.resource_type = any(${params.add(DIRECTORY_TYPES)}::text[])`;
      const records = this.patientRecordCondition(context, params, alias);
      const scoped = scopedTypes(context.principal, permission);
      const scope = scoped === '*' ? '' : ` and ${alias}.resource_type = any(${params.add(scoped)}::text[])`;
      const launch = this.launchPatientCondition(context, params, alias);
      return `((${directory}) or (${records}))${scope}${launch}`;
    };
  }

  /**
   * A write may only put data into records the user may see: every patient in the new version's
   * compartment must already be related to the user's organisation (or in break-glass), unless
   * this very version establishes the relationship for the user's own organisation — recording a
   * new encounter, order or registration is how care starts, and it is audited.
   */
  async checkWrite(db: SqlExecutor, context: AccessContext, resource: FhirResource): Promise<string[]> {
    if (!isPatientCompartmentType(resource.resourceType)) return [];
    const { principal, policy } = context;
    const patients = compartmentPatientIds(resource, extractIndexRows(resource));
    if (
      resource.resourceType === 'Patient' &&
      policy.patientRecords === 'related' &&
      !(await this.exists(db, resource))
    ) {
      return patients; // registering a new patient
    }
    const established = new Set(
      relationshipClaims(resource)
        .filter(
          (claim) =>
            claim.organization.type === 'Organization' && claim.organization.id === principal.organizationId,
        )
        .map((claim) => claim.patientId),
    );
    for (const patientId of patients) {
      if (established.has(patientId)) continue;
      if (!(await this.maySeePatient(db, context, patientId))) {
        throw fhirError(
          'forbidden',
          `You have no legitimate relationship with Patient/${patientId}, so you cannot add to their record.`,
          [`${resource.resourceType}`],
        );
      }
    }
    if (patients.length === 0 && policy.patientRecords !== 'related') {
      throw fhirError('forbidden', `A ${resource.resourceType} must belong to a patient you are related to.`);
    }
    return patients;
  }

  private async exists(db: SqlExecutor, resource: FhirResource): Promise<boolean> {
    if (resource.id === undefined) return false;
    const { rows } = await db.query('select 1 from resource where resource_type = $1 and id = $2', [
      resource.resourceType,
      resource.id,
    ]);
    return rows.length > 0;
  }

  private async maySeePatient(db: SqlExecutor, context: AccessContext, patientId: string): Promise<boolean> {
    const { principal, policy } = context;
    if (principal.patientAccess === 'all') return true;
    if (context.breakGlassPatientIds.includes(patientId)) return true;
    if (policy.patientRecords === 'own') return ownPatientIds(principal).includes(patientId);
    if (policy.patientRecords === 'none' || principal.organizationId === undefined) return false;
    const { rows } = await db.query(
      `select 1 from access_relationship
        where patient_id = $1 and organization_id = $2 and basis = any($3::text[]) limit 1`,
      [patientId, principal.organizationId, [...policy.bases]],
    );
    return rows.length > 0;
  }

  private patientRecordCondition(context: AccessContext, params: SqlParams, alias: string): string {
    const { principal, policy } = context;
    if (principal.patientAccess === 'all') return 'true';
    const breakGlass =
      context.breakGlassPatientIds.length === 0
        ? 'false'
        : `exists (select 1 from resource_compartment bg where bg.rid = ${alias}.rid and bg.patient_id = any(${params.add(context.breakGlassPatientIds)}::text[]))`;
    switch (policy.patientRecords) {
      case 'none':
        return 'false';
      case 'own':
        return `exists (select 1 from resource_compartment c where c.rid = ${alias}.rid and c.patient_id = any(${params.add(ownPatientIds(principal))}::text[]))`;
      case 'related': {
        if (principal.organizationId === undefined) return breakGlass;
        const organization = params.add(principal.organizationId);
        const bases = params.add(policy.bases);
        return `${relatedThroughCompartment(alias, organization, bases)} or ${breakGlass}`;
      }
      case 'related-limited': {
        if (principal.organizationId === undefined) return 'false';
        const organization = params.add(principal.organizationId);
        const bases = params.add(policy.bases);
        return (
          `(${alias}.resource_type = any(${params.add(policy.sourceTypes)}::text[]) and exists (select 1 from access_relationship ar` +
          ` where ar.rid = ${alias}.rid and ar.organization_id = ${organization} and ar.basis = any(${bases}::text[])))` +
          ` or (${alias}.resource_type = any(${params.add(policy.compartmentTypes)}::text[])` +
          ` and ${relatedThroughCompartment(alias, organization, bases)})`
        );
      }
    }
  }

  /** `patient/` scopes confine a staff app to the patient it was launched for. */
  private launchPatientCondition(context: AccessContext, params: SqlParams, alias: string): string {
    const { principal } = context;
    const confined =
      principal.kind !== 'patient' &&
      principal.scopes.length > 0 &&
      principal.scopes.every((s) => s.context === 'patient');
    if (!confined) return '';
    if (principal.launchPatientId === undefined) return ' and false';
    return (
      ` and (${alias}.resource_type = any(${params.add(DIRECTORY_TYPES)}::text[]) or exists (select 1 from resource_compartment lc` +
      ` where lc.rid = ${alias}.rid and lc.patient_id = ${params.add(principal.launchPatientId)}))`
    );
  }
}

/**
 * True when a patient whose compartment holds the row is related to the organisation. Written as
 * nested subqueries fenced with `offset 0` so the planner runs them as per-row index probes: when
 * flattened into a join, stale statistics (PGlite has no autovacuum) can make it read every
 * relationship of the organisation for each row, which is thousands of times slower.
 */
function relatedThroughCompartment(alias: string, organization: string, bases: string): string {
  return (
    `exists (select 1 from resource_compartment c where c.rid = ${alias}.rid and exists (` +
    `select 1 from access_relationship ar where ar.patient_id = c.patient_id and ar.organization_id = ${organization}` +
    ` and ar.basis = any(${bases}::text[]) offset 0) offset 0)`
  );
}

function ownPatientIds(principal: Principal): string[] {
  return [...(principal.patientId ? [principal.patientId] : []), ...(principal.proxyForPatientIds ?? [])];
}

/**
 * Whether any scope grants the permission on the type. A scope narrowed by search parameters
 * (SMART v2 granular scopes) grants nothing here: Carebridge does not evaluate them, and failing
 * closed is the only safe reading of a restriction it cannot apply.
 */
function scopesGrant(principal: Principal, resourceType: string, permission: Permission): boolean {
  return principal.scopes.some((scope) => grants(scope, principal, resourceType, permission));
}

function grants(
  scope: SmartScope,
  principal: Principal,
  resourceType: string,
  permission: Permission,
): boolean {
  if (scope.filter && scope.filter.length > 0) return false;
  if (!contextFits(scope, principal)) return false;
  return (
    (scope.resourceType === '*' || scope.resourceType === resourceType) && scope.permissions.has(permission)
  );
}

/** Patients get patient/ scopes, staff user/ (or patient/ in a launch), system clients system/. */
function contextFits(scope: SmartScope, principal: Principal): boolean {
  switch (principal.kind) {
    case 'patient':
      return scope.context === 'patient';
    case 'staff':
      return scope.context === 'user' || scope.context === 'patient';
    case 'system':
      return scope.context === 'system';
  }
}

/** The types a permission is granted on: '*' for all, else the list. */
function scopedTypes(principal: Principal, permission: Permission): '*' | string[] {
  const types = new Set<string>();
  for (const scope of principal.scopes) {
    if (scope.filter && scope.filter.length > 0) continue;
    if (!contextFits(scope, principal) || !scope.permissions.has(permission)) continue;
    if (scope.resourceType === '*') return '*';
    types.add(scope.resourceType);
  }
  return [...types];
}
