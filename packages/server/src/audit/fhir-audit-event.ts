import type {
  AuditEvent,
  AuditEventAgent,
  AuditEventAgentNetwork,
  AuditEventEntity,
  Coding,
} from 'fhir/r4.js';
import { ODS_ORGANIZATION_CODE_SYSTEM } from '@carebridge/domain';
import type { StoredAuditEntry } from './audit-row.js';

/** Code systems this mapping uses; the Carebridge ones are defined by docs/audit.md. */
const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const SECURITY_SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const AUDIT_ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const EXTRA_SECURITY_ROLE_TYPE = 'http://terminology.hl7.org/CodeSystem/extra-security-role-type';
const DICOM = 'http://dicom.nema.org/resources/ontology/DCM';
const ROLE_CLASS = 'http://terminology.hl7.org/CodeSystem/v3-RoleClass';
const BALP_ENTITY_TYPE = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';

export const CAREBRIDGE_ROLE_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/role';
export const CAREBRIDGE_INTERACTION_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/interaction';
export const CAREBRIDGE_SUBJECT_SYSTEM = 'https://carebridge.dev/fhir/Id/subject';
export const CAREBRIDGE_CLIENT_SYSTEM = 'https://carebridge.dev/fhir/Id/oauth-client';
export const CAREBRIDGE_BREAK_GLASS_SESSION_POLICY = 'https://carebridge.dev/fhir/break-glass-session/';

/** The R4 restful-interaction codes; anything else (an operation, a UI action) is `operation`. */
const RESTFUL_INTERACTIONS: ReadonlySet<string> = new Set([
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history',
  'history-instance',
  'history-type',
  'history-system',
  'create',
  'search',
  'search-type',
  'search-system',
  'search-compartment',
  'capabilities',
  'transaction',
  'batch',
  'operation',
]);

/**
 * A stored audit entry as a FHIR R4 AuditEvent, shaped after IHE Basic Audit Log Patterns.
 *
 * Outcome: `0` success; `4` (minor failure) when access was denied or the request was refused as a
 * client error (4xx), since nothing was disclosed or changed; `8` (serious failure) when the server
 * failed (5xx), since the outcome for the user is then unknown.
 */
export function toFhirAuditEvent(entry: StoredAuditEntry): AuditEvent {
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    id: String(entry.id),
    type: { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'RESTful Operation' },
    subtype: interactionCodings(entry.interaction),
    action: entry.action,
    recorded: entry.recordedAt.toISOString(),
    outcome: outcomeCode(entry),
    outcomeDesc: `${entry.outcome} (HTTP ${entry.httpStatus})`,
    purposeOfEvent: [purposeOfUse(entry)],
    agent: agents(entry),
    source: {
      site: 'Carebridge',
      observer: { display: 'Carebridge' },
      type: [
        entry.source === 'ui'
          ? { system: SECURITY_SOURCE_TYPE, code: '3', display: 'Web Server' }
          : { system: SECURITY_SOURCE_TYPE, code: '4', display: 'Application Server' },
      ],
    },
  };
  const entities = entitiesOf(entry);
  if (entities.length > 0) event.entity = entities;
  return event;
}

function interactionCodings(interaction: string): Coding[] {
  if (RESTFUL_INTERACTIONS.has(interaction)) return [{ system: RESTFUL_INTERACTION, code: interaction }];
  return [
    { system: RESTFUL_INTERACTION, code: 'operation' },
    { system: CAREBRIDGE_INTERACTION_SYSTEM, code: interaction },
  ];
}

function outcomeCode(entry: StoredAuditEntry): NonNullable<AuditEvent['outcome']> {
  if (entry.outcome === 'success') return '0';
  if (entry.outcome === 'denied' || entry.httpStatus < 500) return '4';
  return '8';
}

function purposeOfUse(entry: StoredAuditEntry) {
  const display =
    entry.purposeOfUse === 'ETREAT'
      ? 'emergency treatment'
      : entry.purposeOfUse === 'TREAT'
        ? 'treatment'
        : undefined;
  return { coding: [{ system: ACT_REASON, code: entry.purposeOfUse, ...(display ? { display } : {}) }] };
}

function agents(entry: StoredAuditEntry): AuditEventAgent[] {
  const principal = entry.principal;
  // Network type 2: an IP address.
  const network: AuditEventAgentNetwork | undefined = entry.remoteAddress
    ? { address: entry.remoteAddress, type: '2' }
    : undefined;
  if (principal === undefined) {
    // No valid credentials: all we know is where the request came from.
    return [
      {
        who: { display: 'Unauthenticated client' },
        requestor: true,
        ...(network ? { network } : {}),
        purposeOfUse: [purposeOfUse(entry)],
      },
    ];
  }
  const isSystemClient = principal.role === 'system' || principal.kind === 'system';
  // FHIR strings may not be empty, so an empty value is left out rather than emitted.
  const who: NonNullable<AuditEventAgent['who']> = {};
  if (principal.subject) who.identifier = { system: CAREBRIDGE_SUBJECT_SYSTEM, value: principal.subject };
  if (principal.displayName) who.display = principal.displayName;
  if (principal.practitionerRoleId) who.reference = `PractitionerRole/${principal.practitionerRoleId}`;
  else if (principal.kind === 'patient' && principal.patientId)
    who.reference = `Patient/${principal.patientId}`;

  const user: AuditEventAgent = {
    type: {
      coding: [
        isSystemClient
          ? { system: DICOM, code: '110150', display: 'Application' }
          : { system: EXTRA_SECURITY_ROLE_TYPE, code: 'humanuser', display: 'human user' },
      ],
    },
    role: [{ coding: [{ system: CAREBRIDGE_ROLE_SYSTEM, code: principal.role }], text: principal.role }],
    who,
    ...(principal.displayName ? { name: principal.displayName } : {}),
    requestor: true,
    ...(entry.breakGlassSessionId
      ? {
          policy: [
            `${CAREBRIDGE_BREAK_GLASS_SESSION_POLICY}${encodeURIComponent(entry.breakGlassSessionId)}`,
          ],
        }
      : {}),
    ...(network ? { network } : {}),
    purposeOfUse: [purposeOfUse(entry)],
  };
  const result = [user];
  if (principal.organizationId || principal.odsCode) {
    result.push({
      type: { coding: [{ system: ROLE_CLASS, code: 'PROV', display: 'healthcare provider' }] },
      who: {
        ...(principal.organizationId ? { reference: `Organization/${principal.organizationId}` } : {}),
        ...(principal.odsCode
          ? { identifier: { system: ODS_ORGANIZATION_CODE_SYSTEM, value: principal.odsCode } }
          : {}),
      },
      requestor: false,
    });
  }
  if (principal.clientId && !isSystemClient) {
    result.push({
      type: { coding: [{ system: DICOM, code: '110153', display: 'Source Role ID' }] },
      who: { identifier: { system: CAREBRIDGE_CLIENT_SYSTEM, value: principal.clientId } },
      requestor: false,
    });
  }
  return result;
}

function entitiesOf(entry: StoredAuditEntry): AuditEventEntity[] {
  const entities: AuditEventEntity[] = [];
  const patientIds = new Set(entry.patientIds);
  const resourceIsAPatient =
    entry.resourceType === 'Patient' && entry.resourceId !== undefined && patientIds.has(entry.resourceId);
  if (entry.resourceType !== undefined && entry.resourceId !== undefined && !resourceIsAPatient) {
    entities.push({
      what: { reference: `${entry.resourceType}/${entry.resourceId}` },
      type: { system: AUDIT_ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
    });
  }
  for (const patientId of patientIds) {
    entities.push({
      what: { reference: `Patient/${patientId}` },
      type: { system: AUDIT_ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  if (entry.query) {
    entities.push({
      type: { system: AUDIT_ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '24', display: 'Query' },
      ...(entry.resourceType ? { description: `search of ${entry.resourceType}` } : {}),
      query: Buffer.from(entry.query, 'utf8').toString('base64'),
    });
  }
  if (entry.requestId) {
    entities.push({
      what: { identifier: { value: entry.requestId } },
      type: { system: BALP_ENTITY_TYPE, code: 'XrequestId', display: 'X-Request-Id' },
    });
  }
  return entities;
}
