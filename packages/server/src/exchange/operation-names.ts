/** The document-exchange operations at the FHIR base, and the HTTP method each takes. */
export const EXCHANGE_OPERATIONS = {
  '$submit-document': 'POST',
  '$authorise-document': 'POST',
  '$document-ledger': 'GET',
  $document: 'GET',
  $inbox: 'GET',
  '$open-document': 'POST',
  '$file-document': 'POST',
  '$reject-document': 'POST',
  '$reroute-document': 'POST',
  '$exchange-alarms': 'GET',
  '$held-documents': 'GET',
  '$resolve-held-document': 'POST',
  '$assurance-report': 'GET',
  '$release-backlog': 'POST',
  '$backlog-triage': 'GET',
  '$backlog-release-status': 'GET',
  '$exchange-overview': 'GET',
} as const;

export type ExchangeOperation = keyof typeof EXCHANGE_OPERATIONS;

export function isExchangeOperation(value: string): value is ExchangeOperation {
  return Object.hasOwn(EXCHANGE_OPERATIONS, value);
}

/**
 * POST operations that manage their own transactions instead of running in the request's: a backlog
 * release commits batch by batch, so that a crash keeps every batch done before it.
 */
export function runsInRequestTransaction(operation: ExchangeOperation): boolean {
  return EXCHANGE_OPERATIONS[operation] === 'POST' && operation !== '$release-backlog';
}
