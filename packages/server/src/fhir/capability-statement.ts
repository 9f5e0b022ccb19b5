import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4.js';
import type { Clock } from '@carebridge/domain';
import { SUPPORTED_RESOURCE_TYPES } from '@carebridge/domain';
import type { FhirLimits } from '../config.js';
import { EXCHANGE_OPERATIONS, type ExchangeOperation } from '../exchange/operation-names.js';
import { REQUEST_OPERATIONS } from '../requests/operation-names.js';

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
        resource: SUPPORTED_RESOURCE_TYPES.map((type) =>
          type === 'AuditEvent' ? AUDIT_EVENT_CAPABILITY : resourceCapability(type, searchParameters(type)),
        ),
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        operation: [
          { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' },
          ...EXCHANGE_OPERATION_CAPABILITIES,
          ...operationCapabilities(REQUEST_OPERATIONS),
        ],
      },
    ],
  };
  return JSON.stringify(statement);
}

/** Document exchange (docs/conformance.md, "Document exchange"): system-level operations. */
const EXCHANGE_OPERATION_CAPABILITIES = (Object.keys(EXCHANGE_OPERATIONS) as ExchangeOperation[]).map(
  (name) => ({
    name: name.slice(1),
    definition: `https://carebridge.dev/fhir/OperationDefinition/${name.slice(1)}`,
    documentation: `${EXCHANGE_OPERATIONS[name]} [base]/${name}`,
  }),
);

/** Requests with an owner (docs/conformance.md, "Requests with an owner"): system-level operations. */
function operationCapabilities(operations: Readonly<Record<string, string>>) {
  return Object.entries(operations).map(([name, method]) => ({
    name: name.slice(1),
    definition: `https://carebridge.dev/fhir/OperationDefinition/${name.slice(1)}`,
    documentation: `${method} [base]/${name}`,
  }));
}

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
