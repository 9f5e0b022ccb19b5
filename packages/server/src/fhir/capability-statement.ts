import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4.js';
import type { Clock } from '@carebridge/domain';
import {
  EXPANSION_TOTAL_CAP,
  MIN_SEARCH_WORD_LENGTH,
  SUPPORTED_RESOURCE_TYPES,
  TERMINOLOGY_VALUE_SETS,
} from '@carebridge/domain';
import type { FhirLimits } from '../config.js';
import { EXCHANGE_OPERATIONS } from '../exchange/operation-names.js';
import { REQUEST_OPERATIONS } from '../requests/operation-names.js';
import {
  MAX_EXPANSION_COUNT,
  MAX_EXPANSION_OFFSET,
  TERMINOLOGY_OPERATIONS,
} from '../terminology/terminology-operations.js';

export interface SearchParameterSummary {
  name: string;
  type: 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';
  definition?: string;
  documentation?: string;
}

const INSTANCE_AND_TYPE_INTERACTIONS: CapabilityStatementRestResource['interaction'] = [
  { code: 'read' },
  { code: 'vread' },
  { code: 'update' },
  { code: 'patch' },
  { code: 'delete' },
  { code: 'history-instance' },
  { code: 'history-type' },
  { code: 'create' },
  { code: 'search-type' },
];

/**
 * The CapabilityStatement at /metadata, generated from the same tables the server runs on (types in
 * scope, search parameters it indexes, limits in force), so it cannot claim what is not supported.
 * Serialised once at start: it only changes with the code or configuration.
 */
export function capabilityStatementJson(
  limits: FhirLimits,
  clock: Clock,
  searchParameters: (resourceType: string) => SearchParameterSummary[],
): string {
  const statement: CapabilityStatement = {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: clock.now().toISOString(),
    publisher: 'Carebridge',
    kind: 'instance',
    software: { name: 'Carebridge', version: '0.1.0' },
    implementation: { description: 'Carebridge FHIR R4 server' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        documentation: limitsDocumentation(limits),
        resource: [
          ...SUPPORTED_RESOURCE_TYPES.map((type) =>
            type === 'AuditEvent' ? AUDIT_EVENT_CAPABILITY : resourceCapability(type, searchParameters(type)),
          ),
          VALUE_SET_CAPABILITY,
        ],
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        operation: [
          { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' },
          ...operationCapabilities(EXCHANGE_OPERATIONS),
          ...operationCapabilities(REQUEST_OPERATIONS),
          ...operationCapabilities(BREAK_GLASS_REVIEW_OPERATIONS),
        ],
      },
    ],
  };
  return JSON.stringify(statement);
}

/**
 * Carebridge's own operations (document exchange, requests with an owner, break-glass:
 * docs/conformance.md), each with the HTTP method it takes; at the base unless `at` says where.
 */
function operationCapabilities(operations: Readonly<Record<string, string>>, at = '[base]/') {
  return Object.entries(operations).map(([name, method]) => ({
    name: name.slice(1),
    definition: `https://carebridge.dev/fhir/OperationDefinition/${name.slice(1)}`,
    documentation: `${method} ${at}${name}`,
  }));
}

/** A privacy officer lists break-glass sessions awaiting review (GET) and records a review (POST). */
const BREAK_GLASS_REVIEW_OPERATIONS = { '$break-glass-review': 'GET, POST' } as const;

/** Emergency access to one patient's record, and its early end (docs/identity.md). */
const PATIENT_OPERATIONS = operationCapabilities(
  { '$break-glass': 'POST', '$break-glass-end': 'POST' },
  '[base]/Patient/[id]/',
);

function resourceCapability(
  type: CapabilityStatementRestResource['type'],
  params: SearchParameterSummary[],
): CapabilityStatementRestResource {
  return {
    type,
    interaction: INSTANCE_AND_TYPE_INTERACTIONS,
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'not-supported',
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
    referencePolicy: ['literal', 'logical'],
    searchInclude: ['*'],
    searchRevInclude: ['*'],
    searchParam: [
      { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
      {
        name: '_lastUpdated',
        type: 'date',
        definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated',
      },
      ...params.map((param) => ({
        name: param.name,
        type: param.type,
        ...(param.definition ? { definition: param.definition } : {}),
        ...(param.documentation ? { documentation: param.documentation } : {}),
      })),
    ],
    operation: [
      { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' },
      ...(type === 'Patient' ? PATIENT_OPERATIONS : []),
    ],
  };
}

/**
 * AuditEvent is a view of Carebridge's own append-only audit trail: searched only (by privacy
 * officers, and by patients for their own record), with its own parameters.
 */
const AUDIT_EVENT_CAPABILITY: CapabilityStatementRestResource = {
  type: 'AuditEvent',
  documentation:
    "Carebridge's audit trail, read-only. Privacy officers search all of it; a patient searches patient=<their id> to see who looked at their record.",
  interaction: [{ code: 'search-type' }],
  searchParam: [
    { name: 'patient', type: 'reference' },
    { name: 'agent', type: 'token' },
    { name: 'date', type: 'date', documentation: 'ge, gt, le or lt' },
    { name: 'outcome', type: 'token', documentation: 'success, denied or failed' },
    { name: 'break-glass', type: 'token', documentation: 'true or false' },
  ],
};

/**
 * ValueSet is not a stored type: only the standard $expand is served, type-level, over the loaded
 * terminology (docs/conformance.md, "Clinical terminology").
 */
const VALUE_SET_CAPABILITY: CapabilityStatementRestResource = {
  type: 'ValueSet',
  documentation:
    "Not stored: the coded-entry pickers' value sets, expanded from the loaded SNOMED CT and dm+d releases. " +
    `url is one of ${Object.values(TERMINOLOGY_VALUE_SETS)
      .map((valueSet) => valueSet.url)
      .join(', ')}.`,
  operation: TERMINOLOGY_OPERATIONS.map((name) => ({
    name: name.slice(1),
    definition: `http://hl7.org/fhir/OperationDefinition/ValueSet-${name.slice(1)}`,
    documentation:
      `GET [base]/ValueSet/${name}?url=&filter=&offset=&count= (filter needs a word of at least ` +
      `${MIN_SEARCH_WORD_LENGTH} characters; count 1–${MAX_EXPANSION_COUNT}, offset 0–${MAX_EXPANSION_OFFSET}); ` +
      `expansion.total counts the matches up to ${EXPANSION_TOTAL_CAP}, beyond which it is left out ` +
      `and the expansion parameter total-capped is true.`,
  })),
};

function limitsDocumentation(limits: FhirLimits): string {
  return [
    'Carebridge FHIR R4 API. Limits:',
    `request body at most ${limits.maxBodyBytes} bytes (413 beyond);`,
    `at most ${limits.maxBundleEntries} entries per batch or transaction (413 beyond);`,
    `JSON nesting at most ${limits.maxDepth} levels (400 beyond);`,
    `search pages of ${limits.defaultPageSize} by default, _count clamped to ${limits.maxPageSize}.`,
    'Unknown search parameters are refused (400) unless Prefer: handling=lenient, when they are',
    'ignored and reported in an OperationOutcome entry of the searchset.',
    'X-Request-ID makes writes idempotent: a retry with the same id and request gets the stored answer;',
    'the same id with a different request gets 409.',
  ].join(' ');
}
