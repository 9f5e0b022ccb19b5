import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

/**
 * The one catalogue of errors Carebridge answers with. Each entry has a stable code (sent in
 * `OperationOutcome.issue.details.coding`), its HTTP status, its FHIR issue type and a summary a
 * user can act on. `docs/errors.md` is checked against this table by a test.
 */
export const ERROR_CODE_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/error-code';

type IssueType = OperationOutcomeIssue['code'];
type IssueSeverity = OperationOutcomeIssue['severity'];

interface CatalogueEntry {
  readonly status: number;
  readonly type: IssueType;
  readonly summary: string;
  readonly severity?: IssueSeverity;
}

export const ERROR_CATALOGUE = {
  'invalid-json': { status: 400, type: 'structure', summary: 'The request body is not well-formed JSON.' },
  'invalid-resource': {
    status: 400,
    type: 'structure',
    summary: 'The resource does not conform to the FHIR R4 structure.',
  },
  'unknown-element': {
    status: 400,
    type: 'structure',
    summary: 'The resource has an element FHIR R4 does not define here; it was not stored.',
  },
  'missing-required-element': {
    status: 400,
    type: 'required',
    summary: 'A required element is missing.',
  },
  'invalid-value': { status: 400, type: 'value', summary: 'An element has a value of the wrong form.' },
  'invalid-code': {
    status: 400,
    type: 'code-invalid',
    summary: 'A code is not in the value set its element is bound to.',
  },
  'invariant-failed': { status: 400, type: 'invariant', summary: 'A FHIR constraint is not met.' },
  'invalid-nhs-number': {
    status: 400,
    type: 'value',
    summary: 'The NHS number is not ten digits with a valid modulus-11 check digit.',
  },
  'invalid-ods-code': { status: 400, type: 'value', summary: 'The ODS code does not have a valid form.' },
  'nesting-too-deep': {
    status: 400,
    type: 'too-costly',
    summary: 'The resource is nested more deeply than the server accepts.',
  },
  'body-too-large': {
    status: 413,
    type: 'too-long',
    summary: 'The request body is larger than the server accepts.',
  },
  'too-many-bundle-entries': {
    status: 413,
    type: 'too-long',
    summary: 'The Bundle has more entries than the server accepts in one request.',
  },
  'unsupported-media-type': {
    status: 415,
    type: 'not-supported',
    summary: 'The request body must be application/fhir+json (or application/json-patch+json for a patch).',
  },
  'not-acceptable': {
    status: 406,
    type: 'not-supported',
    summary: 'The server can only answer in application/fhir+json.',
  },
  'resource-type-not-supported': {
    status: 404,
    type: 'not-supported',
    summary: 'This resource type is not supported by Carebridge.',
  },
  'resource-type-mismatch': {
    status: 400,
    type: 'invalid',
    summary: 'The resourceType in the body does not match the URL.',
  },
  'invalid-id': { status: 400, type: 'value', summary: 'The logical id is not a valid FHIR id.' },
  'id-mismatch': {
    status: 400,
    type: 'invalid',
    summary: 'The id in the body does not match the id in the URL.',
  },
  unauthenticated: {
    status: 401,
    type: 'login',
    summary: 'The request needs a valid access token (Authorization: Bearer …).',
  },
  forbidden: { status: 403, type: 'forbidden', summary: 'You are not allowed to do this.' },
  'insufficient-scope': {
    status: 403,
    type: 'forbidden',
    summary: "The access token's scopes do not allow this interaction.",
  },
  'resource-not-found': { status: 404, type: 'not-found', summary: 'No resource exists with this id.' },
  'version-not-found': {
    status: 404,
    type: 'not-found',
    summary: 'No version of the resource exists with this id.',
  },
  'resource-deleted': { status: 410, type: 'deleted', summary: 'The resource has been deleted.' },
  'version-conflict': {
    status: 412,
    type: 'conflict',
    summary: 'The resource has changed since the version given in If-Match.',
  },
  'invalid-if-match': {
    status: 400,
    type: 'invalid',
    summary: 'If-Match must be a version ETag such as W/"3".',
  },
  'conditional-multiple-matches': {
    status: 412,
    type: 'multiple-matches',
    summary: 'The condition matches more than one resource.',
  },
  'invalid-search-parameter': {
    status: 400,
    type: 'invalid',
    summary: 'The search uses a parameter or modifier this resource type does not support.',
  },
  'invalid-search-value': {
    status: 400,
    type: 'value',
    summary: 'A search parameter has a value of the wrong form.',
  },
  'invalid-cursor': {
    status: 400,
    type: 'invalid',
    summary: 'The paging link is not one this server issued, or it has expired; start the search again.',
  },
  'invalid-patch': {
    status: 422,
    type: 'processing',
    summary: 'The JSON Patch cannot be applied to the resource.',
  },
  'invalid-bundle': {
    status: 400,
    type: 'invalid',
    summary: 'The Bundle cannot be processed as a batch or transaction.',
  },
  'transaction-entry-failed': {
    status: 400,
    type: 'processing',
    summary: 'An entry of the transaction failed, so none of it was applied.',
  },
  'invalid-header': {
    status: 400,
    type: 'value',
    summary: 'A request header has a value of the wrong form.',
  },
  'duplicate-request': {
    status: 409,
    type: 'duplicate',
    summary: 'This X-Request-ID was already used for a different request.',
  },
  'method-not-allowed': {
    status: 405,
    type: 'not-supported',
    summary: 'This interaction is not supported here.',
  },
  'invalid-url': { status: 400, type: 'invalid', summary: 'The request URL is malformed.' },
  'malformed-request': { status: 400, type: 'invalid', summary: 'The request is not well-formed HTTP.' },
  'headers-too-large': { status: 431, type: 'too-costly', summary: 'The request headers are too large.' },
  'route-not-found': { status: 404, type: 'not-found', summary: 'There is nothing at this address.' },
  'operation-not-supported': {
    status: 404,
    type: 'not-supported',
    summary: 'This operation is not supported on this resource type.',
  },
  'document-conflict': {
    status: 409,
    type: 'duplicate',
    summary:
      'A document with this id was already received with different content; issue a new id or version.',
  },
  'document-not-found': {
    status: 404,
    type: 'not-found',
    summary: 'No exchanged document (or ledger row) with this id is visible to you.',
  },
  'ledger-transition-refused': {
    status: 409,
    type: 'business-rule',
    summary: 'The document cannot make that change from the state it is in.',
  },
  'release-not-found': {
    status: 404,
    type: 'not-found',
    summary: 'No backlog release with this id exists (or it brought your organisation nothing).',
  },
  'held-patient-mismatch': {
    status: 409,
    type: 'business-rule',
    summary:
      "The patient named is not the held document's patient (no record, or another NHS number); return the document to its sender.",
  },
  'request-not-found': {
    status: 404,
    type: 'not-found',
    summary: 'No request with this id is visible to you.',
  },
  'request-transition-refused': {
    status: 409,
    type: 'business-rule',
    summary: 'The request cannot make that change from the status it is in.',
  },
  'request-rule-not-applicable': {
    status: 422,
    type: 'business-rule',
    summary:
      'No contract rule places this request on its requester; decline it with your own reason instead.',
  },
  'request-owner-unrelated': {
    status: 422,
    type: 'business-rule',
    summary:
      'The owner has no care relationship with the patient; address the request to one caring for them.',
  },
  're-referral-refused': {
    status: 422,
    type: 'business-rule',
    summary:
      'A missed appointment is not handed back to the GP to re-refer (SC6); rebook, or discharge with a decision.',
  },
  'request-task-managed': {
    status: 409,
    type: 'business-rule',
    summary:
      'This Task is a Carebridge request: it changes only through $create-request, $respond-to-request or $update-request.',
  },
  'rate-limited': { status: 429, type: 'throttled', summary: 'Too many requests; try again later.' },
  'service-unavailable': {
    status: 503,
    type: 'transient',
    summary:
      'The service is temporarily unavailable. Retry: with the same X-Request-ID a retry never applies a write twice.',
  },
  'internal-error': {
    status: 500,
    type: 'exception',
    summary: 'An unexpected error occurred; it has been logged with the request id.',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function catalogueEntry(code: ErrorCode): CatalogueEntry {
  return ERROR_CATALOGUE[code];
}

/** One fault: its catalogue code, what exactly is wrong, and where (FHIRPath expressions). */
export interface Problem {
  code: ErrorCode;
  diagnostics?: string;
  expression?: string[];
  severity?: IssueSeverity;
}

/**
 * The error every layer throws for a fault the client can act on. It carries every fault found,
 * so a client learns all of them from one request.
 */
export class FhirError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: Problem | readonly Problem[]) {
    const list = Array.isArray(problems) ? (problems as readonly Problem[]) : [problems as Problem];
    if (list.length === 0) throw new RangeError('FhirError needs at least one problem');
    const first = list[0] as Problem;
    super(first.diagnostics ?? ERROR_CATALOGUE[first.code].summary);
    this.name = 'FhirError';
    this.problems = list;
  }

  /** The HTTP status of the first (primary) problem. */
  get status(): number {
    return ERROR_CATALOGUE[(this.problems[0] as Problem).code].status;
  }

  toOperationOutcome(): OperationOutcome {
    return operationOutcome(this.problems);
  }
}

export function fhirError(code: ErrorCode, diagnostics?: string, expression?: string[]): FhirError {
  return new FhirError({
    code,
    ...(diagnostics ? { diagnostics } : {}),
    ...(expression ? { expression } : {}),
  });
}

export function operationOutcome(problems: readonly Problem[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: problems.map((problem) => {
      const entry: CatalogueEntry = ERROR_CATALOGUE[problem.code];
      const issue: OperationOutcomeIssue = {
        severity: problem.severity ?? entry.severity ?? 'error',
        code: entry.type,
        details: { coding: [{ system: ERROR_CODE_SYSTEM, code: problem.code }], text: entry.summary },
      };
      if (problem.diagnostics) issue.diagnostics = problem.diagnostics;
      if (problem.expression && problem.expression.length > 0) issue.expression = [...problem.expression];
      return issue;
    }),
  };
}

/** An OperationOutcome that reports success, for `Prefer: return=OperationOutcome`. */
export function informationOutcome(text: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'information', code: 'informational', diagnostics: text }],
  };
}
