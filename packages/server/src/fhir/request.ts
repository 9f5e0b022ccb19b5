import { fhirError, isSupportedResourceType, isValidFhirId } from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { AuditEntry } from '../audit/audit-entry.js';
import {
  EXCHANGE_OPERATIONS,
  isExchangeOperation,
  type ExchangeOperation,
} from '../exchange/operation-names.js';
import {
  REQUEST_OPERATIONS,
  isRequestOperation,
  type RequestOperation,
} from '../requests/operation-names.js';
import type { TerminologyOperation } from '../terminology/terminology-operations.js';

/**
 * A FHIR interaction request, independent of HTTP: the REST routes and each entry of a batch or
 * transaction Bundle are turned into this, so both go through exactly the same code.
 */
export type FhirMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface FhirRequest {
  method: FhirMethod;
  /** Path below the FHIR base, without leading slash or query: "Patient/1/_history/2". */
  path: string;
  query: Array<[string, string]>;
  headers: FhirRequestHeaders;
  body?: unknown;
  /** The absolute base URL of the FHIR API, for fullUrl, Location and paging links. */
  baseUrl: string;
  context: RequestContext;
}

/** Who is asking, and the audit entries the request has produced so far (shared by Bundle entries). */
export interface RequestContext {
  access: AccessContext;
  requestId: string;
  source: 'api' | 'ui';
  remoteAddress?: string;
  audit: AuditEntry[];
}

export interface FhirRequestHeaders {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifNoneExist?: string;
  prefer?: string;
  requestId?: string;
}

export interface FhirResponse {
  status: number;
  headers: Record<string, string>;
  /** Serialised JSON, or undefined for no body. */
  body?: string;
  /** The patients whose records the answer touched (for the audit trail; never sent). */
  patientIds?: readonly string[];
}

export type Interaction =
  | { kind: 'capabilities' }
  | { kind: 'batch-or-transaction' }
  | { kind: 'history-system' }
  | { kind: 'search-type'; resourceType: string; via: 'GET' | 'POST' }
  | { kind: 'create'; resourceType: string }
  | { kind: 'history-type'; resourceType: string }
  | { kind: 'validate'; resourceType: string; id?: string }
  | { kind: 'read'; resourceType: string; id: string }
  | { kind: 'vread'; resourceType: string; id: string; versionId: number }
  | { kind: 'update'; resourceType: string; id: string }
  | { kind: 'patch'; resourceType: string; id: string }
  | { kind: 'delete'; resourceType: string; id: string }
  | { kind: 'history-instance'; resourceType: string; id: string }
  | { kind: 'break-glass'; resourceType: 'Patient'; id: string }
  | { kind: 'break-glass-end'; resourceType: 'Patient'; id: string }
  | { kind: 'break-glass-reviews' }
  | { kind: 'break-glass-review' }
  | { kind: 'exchange'; operation: ExchangeOperation }
  | { kind: 'requests'; operation: RequestOperation }
  | { kind: 'terminology'; operation: TerminologyOperation };

/** Works out which interaction a method and path ask for, or throws the FhirError that says why not. */
export function routeInteraction(method: FhirMethod, path: string): Interaction {
  const segments = path.split('/').filter((segment) => segment.length > 0);
  const get = method === 'GET' || method === 'HEAD';
  const [first, second, third, fourth] = segments.map(decodeSegment);
  if (segments.length > 4 || first === undefined) return routeRoot(method, segments.length);
  if (first === 'metadata' && segments.length === 1 && get) return { kind: 'capabilities' };
  if (first === '_history' && segments.length === 1 && get) return { kind: 'history-system' };
  if (first === '$break-glass-review' && segments.length === 1) {
    if (get) return { kind: 'break-glass-reviews' };
    if (method === 'POST') return { kind: 'break-glass-review' };
  }
  if (segments.length === 1 && isExchangeOperation(first)) {
    const expected = EXCHANGE_OPERATIONS[first];
    if (method === expected || (expected === 'GET' && get)) return { kind: 'exchange', operation: first };
    throw notAllowed(method, `${first} (use ${expected})`);
  }
  if (segments.length === 1 && isRequestOperation(first)) {
    const expected = REQUEST_OPERATIONS[first];
    if (method === expected || (expected === 'GET' && get)) return { kind: 'requests', operation: first };
    throw notAllowed(method, `${first} (use ${expected})`);
  }
  // ValueSet is not a stored type: only its $expand is served, from the terminology tables.
  if (first === 'ValueSet' && second === '$expand' && segments.length === 2) {
    if (get) return { kind: 'terminology', operation: '$expand' };
    throw notAllowed(method, 'ValueSet/$expand (use GET)');
  }
  const resourceType = checkedType(first);
  if (second === undefined) {
    if (get) return { kind: 'search-type', resourceType, via: 'GET' };
    if (method === 'POST') return { kind: 'create', resourceType };
    throw notAllowed(method, `${resourceType} (conditional update, patch and delete are not supported)`);
  }
  if (second === '_search' && third === undefined && method === 'POST') {
    return { kind: 'search-type', resourceType, via: 'POST' };
  }
  if (second === '_history' && third === undefined && get) return { kind: 'history-type', resourceType };
  if (second === '$validate' && third === undefined && method === 'POST')
    return { kind: 'validate', resourceType };
  if (second.startsWith('$'))
    throw fhirError('operation-not-supported', `Operation ${second} is not supported on ${resourceType}.`);
  const id = checkedId(second);
  if (third === undefined) return instanceInteraction(method, resourceType, id);
  if (third === '$validate' && fourth === undefined && method === 'POST')
    return { kind: 'validate', resourceType, id };
  if (resourceType === 'Patient' && fourth === undefined && method === 'POST') {
    if (third === '$break-glass') return { kind: 'break-glass', resourceType, id };
    if (third === '$break-glass-end') return { kind: 'break-glass-end', resourceType, id };
  }
  if (third === '_history' && get) {
    if (fourth === undefined) return { kind: 'history-instance', resourceType, id };
    const versionId = Number(fourth);
    if (!/^[1-9]\d{0,15}$/.test(fourth)) {
      throw fhirError('version-not-found', `'${fourth}' is not a version of ${resourceType}/${id}.`);
    }
    return { kind: 'vread', resourceType, id, versionId };
  }
  throw fhirError('route-not-found', `Nothing is served at ${method} ${path}.`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw fhirError('invalid-url', `The path segment '${segment}' has a malformed escape (%).`);
  }
}

function routeRoot(method: FhirMethod, segmentCount: number): Interaction {
  if (segmentCount === 0 && method === 'POST') return { kind: 'batch-or-transaction' };
  if (segmentCount === 0) throw notAllowed(method, 'the FHIR base (system-wide search is not supported)');
  throw fhirError('route-not-found', 'The path has more segments than any FHIR interaction uses.');
}

function instanceInteraction(method: FhirMethod, resourceType: string, id: string): Interaction {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return { kind: 'read', resourceType, id };
    case 'PUT':
      return { kind: 'update', resourceType, id };
    case 'PATCH':
      return { kind: 'patch', resourceType, id };
    case 'DELETE':
      return { kind: 'delete', resourceType, id };
    default:
      throw notAllowed(
        method,
        `${resourceType}/${id} (use PUT to update, or POST to ${resourceType} to create)`,
      );
  }
}

const FHIR_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** The request's method, when it is one the FHIR API uses (405 otherwise). */
export function fhirMethod(method: string): FhirMethod {
  if (!FHIR_METHODS.has(method))
    throw fhirError('method-not-allowed', `${method} is not a FHIR interaction.`);
  return method as FhirMethod;
}

function checkedType(segment: string): string {
  if (isSupportedResourceType(segment)) return segment;
  if (/^[A-Z][A-Za-z]+$/.test(segment)) {
    throw fhirError(
      'resource-type-not-supported',
      `Resource type '${segment}' is not supported by Carebridge.`,
    );
  }
  throw fhirError('route-not-found', `'${segment}' is not a FHIR resource type or endpoint.`);
}

function checkedId(segment: string): string {
  if (!isValidFhirId(segment)) {
    throw fhirError('invalid-id', `'${segment}' is not a valid FHIR id (1–64 of A–Z, a–z, 0–9, '-', '.').`);
  }
  return segment;
}

function notAllowed(method: string, what: string) {
  return fhirError('method-not-allowed', `${method} is not supported on ${what}.`);
}

/** A version ETag (W/"3") as the version number; an absent header is undefined. */
export function parseVersionEtag(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"([1-9]\d{0,15})"$/.exec(header.trim());
  if (!match) throw fhirError('invalid-if-match', `'${header}' is not a version ETag such as W/"3".`);
  return Number(match[1]);
}

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export interface Preferences {
  return: PreferReturn;
  handling: 'strict' | 'lenient';
}

/** Reads the Prefer header; strict handling is the default so that no parameter is silently ignored. */
export function parsePrefer(header: string | undefined): Preferences {
  const preferences: Preferences = { return: 'representation', handling: 'strict' };
  for (const part of (header ?? '').split(/[,;]/)) {
    const [name, value] = part.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
    if (
      name === 'return' &&
      (value === 'minimal' || value === 'representation' || value === 'OperationOutcome')
    ) {
      preferences.return = value;
    }
    if (name === 'handling' && (value === 'strict' || value === 'lenient')) preferences.handling = value;
  }
  return preferences;
}

/** The search parameters of a condition (If-None-Exist), given as "identifier=x" or "Patient?identifier=x". */
export function conditionParameters(condition: string): Array<[string, string]> {
  const query = condition.includes('?') ? condition.slice(condition.indexOf('?') + 1) : condition;
  return [...new URLSearchParams(query)];
}
