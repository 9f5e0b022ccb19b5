import { CAREBRIDGE_ROLES, type CarebridgeRole } from '@carebridge/domain';

export { CAREBRIDGE_ROLES, type CarebridgeRole };

export function isCarebridgeRole(value: unknown): value is CarebridgeRole {
  return typeof value === 'string' && (CAREBRIDGE_ROLES as readonly string[]).includes(value);
}

/** A SMART App Launch v2 scope, parsed: `patient/Observation.rs?category=…` */
export interface SmartScope {
  context: 'patient' | 'user' | 'system';
  /** A resource type, or '*' */
  resourceType: string;
  /** Granted interactions, from the v2 letters c r u d s (v1 read/write/* map onto them). */
  permissions: ReadonlySet<'c' | 'r' | 'u' | 'd' | 's'>;
  /** Search parameters that further restrict what the scope covers (v2 only). */
  filter?: Array<[string, string]>;
}

/**
 * Who is making a request, as every access decision and audit record sees it. Built once per
 * request from a verified access token (embedded identity provider or an external CIS2-style
 * issuer), never from anything the client asserts without a signature.
 */
export interface Principal {
  kind: 'staff' | 'patient' | 'system';
  /** Stable subject: the user's id at the issuer, or the client id for a system client. */
  subject: string;
  /** Display name for audit trails and "who looked at my record". */
  displayName: string;
  role: CarebridgeRole;
  /** The FHIR Organization the user acts for (staff and system clients). */
  organizationId?: string;
  odsCode?: string;
  practitionerId?: string;
  practitionerRoleId?: string;
  /** The patient's own Patient id (patients), and the patients they are an authorised proxy for. */
  patientId?: string;
  proxyForPatientIds?: readonly string[];
  /** The OAuth client the token was issued to. */
  clientId: string;
  scopes: readonly SmartScope[];
  /** The patient in context for `patient/` scopes (SMART launch context). */
  launchPatientId?: string;
  /**
   * 'all' only for system clients configured as trusted integrations (e.g. the trust's own EPR
   * feed), which act across every patient; everyone else is limited to legitimate relationships.
   */
  patientAccess?: 'relationship' | 'all';
}
