/** The document-exchange operations at the FHIR base, and the HTTP method each takes. */
export const EXCHANGE_OPERATIONS = {
  '$submit-document': 'POST',
  '$authorise-document': 'POST',
  '$document-ledger': 'GET',
  $inbox: 'GET',
  '$open-document': 'POST',
  '$file-document': 'POST',
  '$reject-document': 'POST',
  '$exchange-alarms': 'GET',
} as const;

export type ExchangeOperation = keyof typeof EXCHANGE_OPERATIONS;

export function isExchangeOperation(value: string): value is ExchangeOperation {
  return Object.hasOwn(EXCHANGE_OPERATIONS, value);
}
