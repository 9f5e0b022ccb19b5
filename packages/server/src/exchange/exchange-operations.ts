import type { Parameters } from 'fhir/r4.js';
import { fhirError } from '@carebridge/domain';
import type { AccessControl } from '../access/access-control.js';
import type { FhirRequest, FhirResponse } from '../fhir/request.js';
import { jsonResponse } from '../fhir/response.js';
import type { SqlExecutor } from '../store/database.js';
import type { ExchangeContext } from './context.js';
import { deliveryRowsOf, type DeliveryRow, type ExchangeDocumentRow } from './ledger-store.js';
import type { ExchangeOperation } from './operation-names.js';
import { code, group, parameters, parametersOf, str, type Part } from './parameters.js';
import { fileDocument, openDocument, rejectDocument } from './recipient-actions.js';
import { authoriseDocument, submitDocument, submitInput } from './submission.js';
import { documentLedger, exchangeAlarms, inbox, inboxQuery } from './views.js';

/**
 * The document-exchange operations of the FHIR API, called by the dispatcher (FhirInteractions) so
 * that authentication, audit (one entry per call, naming the patient) and OperationOutcome errors
 * are the same as for every other interaction. POST operations run in the request's transaction.
 */
export class ExchangeOperations {
  constructor(
    private readonly ctx: ExchangeContext,
    private readonly access: AccessControl,
  ) {}

  async perform(db: SqlExecutor, operation: ExchangeOperation, request: FhirRequest): Promise<FhirResponse> {
    const access = request.context.access;
    // Reading a ledger is reading patient data; sending and acting on one is writing it.
    const writes =
      operation !== '$document-ledger' && operation !== '$inbox' && operation !== '$exchange-alarms';
    this.access.requirePermission(access, 'DocumentReference', writes ? 'c' : 'r');
    if (writes && request.query.length > 0) {
      throw fhirError(
        'invalid-search-parameter',
        `${operation} takes its input as Parameters, not in the URL.`,
        [request.query[0]?.[0] ?? ''],
      );
    }
    switch (operation) {
      case '$submit-document':
        return this.submit(db, request);
      case '$authorise-document': {
        const id = parametersOf(request.body).requiredString('document');
        const { document, rows } = await authoriseDocument(this.ctx, db, access, id);
        return answer(200, summary('authorised', document, rows), document);
      }
      case '$open-document': {
        const id = parametersOf(request.body).requiredString('document');
        const { document, row } = await openDocument(this.ctx, db, access, id);
        return answer(200, summary('opened', document, [row]), document);
      }
      case '$file-document': {
        const reader = parametersOf(request.body);
        const result = await fileDocument(this.ctx, db, access, reader.requiredString('document'), reader);
        const body = summary('filed', result.document, [result.row]);
        body.parameter?.push(
          ...result.written.map((reference) => ({ name: 'written', valueReference: { reference } })),
        );
        return answer(200, body, result.document);
      }
      case '$reject-document': {
        const reader = parametersOf(request.body);
        const { document, row } = await rejectDocument(
          this.ctx,
          db,
          access,
          reader.requiredString('document'),
          reader,
        );
        return answer(200, summary('rejected', document, [row]), document);
      }
      case '$document-ledger': {
        const id = singleQuery(request.query, 'document');
        const { body, patientIds } = await documentLedger(db, access, id);
        return { ...jsonResponse(200, body), patientIds };
      }
      case '$inbox': {
        const { body, patientIds } = await inbox(db, inboxQuery(access, request.query));
        return { ...jsonResponse(200, body), patientIds };
      }
      case '$exchange-alarms': {
        if (request.query.length > 0)
          throw fhirError('invalid-search-parameter', '$exchange-alarms takes no parameters.');
        const { body, patientIds } = await exchangeAlarms(this.ctx, db, access);
        return { ...jsonResponse(200, body), patientIds };
      }
    }
  }

  private async submit(db: SqlExecutor, request: FhirRequest): Promise<FhirResponse> {
    const result = await submitDocument(this.ctx, db, request.context.access, submitInput(request.body));
    if (result.outcome === 'rejected') {
      return jsonResponse(422, { resourceType: 'OperationOutcome', issue: result.issues });
    }
    const rows =
      result.outcome === 'duplicate' ? result.rows : await deliveryRowsOf(db, result.document.rowId);
    const status = result.outcome === 'duplicate' ? 200 : 201;
    return answer(status, summary(result.outcome, result.document, rows), result.document);
  }
}

function answer(status: number, body: Parameters, document: ExchangeDocumentRow): FhirResponse {
  return {
    ...jsonResponse(status, body),
    patientIds: document.patientId === null ? [] : [document.patientId],
  };
}

/** The outcome of a write operation, with the rows it touched. */
function summary(outcome: string, document: ExchangeDocumentRow, rows: readonly DeliveryRow[]): Parameters {
  const parts: Part[] = [
    code('outcome', outcome),
    str('document', document.documentId),
    code('status', document.status),
    code('holdReason', document.holdReason),
    str('holdDetail', document.holdDetail),
    ...rows.map((row) =>
      group('recipient', [
        str('row', row.id),
        code('recipientKind', row.recipientKind),
        str('ods', row.recipientOds),
        ...(row.recipientOrgId === null
          ? []
          : [{ name: 'organization', valueReference: { reference: `Organization/${row.recipientOrgId}` } }]),
        code('transport', row.transport),
        code('state', row.state),
      ]),
    ),
  ];
  return parameters(parts);
}

function singleQuery(query: Array<[string, string]>, name: string): string {
  const other = query.find(([key]) => key !== name);
  if (other)
    throw fhirError('invalid-search-parameter', `The operation takes no parameter '${other[0]}'.`, [
      other[0],
    ]);
  const value = query.find(([key]) => key === name)?.[1];
  if (value === undefined || value === '') {
    throw fhirError('missing-required-element', `The parameter '${name}' is required.`, [name]);
  }
  return value;
}
