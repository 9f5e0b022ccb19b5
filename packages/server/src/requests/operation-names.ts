/** The request operations at the FHIR base (issue 6), and the HTTP method each takes. */
export const REQUEST_OPERATIONS = {
  '$create-request': 'POST',
  '$respond-to-request': 'POST',
  '$update-request': 'POST',
  $request: 'GET',
  '$request-worklist': 'GET',
  '$request-tracker': 'GET',
  '$request-alarms': 'GET',
  '$missed-appointment': 'POST',
  '$onward-referral': 'POST',
  '$workload-ledger': 'GET',
  '$workload-ledger-csv': 'GET',
} as const;

export type RequestOperation = keyof typeof REQUEST_OPERATIONS;

export function isRequestOperation(value: string): value is RequestOperation {
  return Object.hasOwn(REQUEST_OPERATIONS, value);
}

/**
 * Operations that answer text/csv rather than FHIR JSON: the routes' content negotiation accepts
 * `Accept: text/csv` and `_format=csv` for these paths, and for nothing else.
 */
export const CSV_OPERATIONS: ReadonlySet<string> = new Set(['$workload-ledger-csv']);
