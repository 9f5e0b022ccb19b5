import type { Principal } from '../access/principal.js';

/**
 * One audited request. Every request — allowed or denied, read or write, API or UI — produces
 * exactly one entry; a Bundle also produces one per entry, linked by the request id.
 */
export interface AuditEntry {
  requestId: string;
  recordedAt: Date;
  /** Absent only when the request carried no valid credentials at all. */
  principal?: Pick<Principal, 'subject' | 'displayName' | 'role' | 'organizationId' | 'odsCode' | 'clientId'>;
  /** FHIR AuditEvent.action: C create, R read/vread/search/history, U update/patch, D delete, E execute. */
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  /** The FHIR interaction (read, search-type, create, …) or the operation name. */
  interaction: string;
  resourceType?: string;
  resourceId?: string;
  /** Every patient whose data the request touched or asked for (compartment owners). */
  patientIds: readonly string[];
  /** The query string of a search or history request (identifiers are kept: this is the audit). */
  query?: string;
  outcome: 'success' | 'denied' | 'failed';
  httpStatus: number;
  /** Why the user gave for the access: 'TREAT' normally, 'ETREAT' under break-glass. */
  purposeOfUse: string;
  breakGlass: boolean;
  breakGlassSessionId?: string;
  source: 'api' | 'ui';
  /** Client address, for investigations. */
  remoteAddress?: string;
}
