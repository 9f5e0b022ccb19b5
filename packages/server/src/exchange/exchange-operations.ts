import type { Bundle, Parameters } from 'fhir/r4.js';
import { fhirError } from '@carebridge/domain';
import type { AccessControl } from '../access/access-control.js';
import type { FhirRequest, FhirResponse } from '../fhir/request.js';
import { jsonResponse } from '../fhir/response.js';
import type { SqlExecutor } from '../store/database.js';
import type { ExchangeContext } from './context.js';
import type { DeliveryRow, ExchangeDocumentRow } from './ledger-store.js';
import { EXCHANGE_OPERATIONS, type ExchangeOperation } from './operation-names.js';
import { code, compact, group, parameters, parametersOf, str, type Part } from './parameters.js';
import { fileDocument, openDocument, rejectDocument } from './recipient-actions.js';
import { assuranceReport, reportQuery } from './assurance-report.js';
import {
  backlogReleaseStatus,
  backlogTriage,
  releaseBacklogOperation,
  triageQuery,
} from './backlog-operations.js';
import { exchangeOverview, overviewQuery } from './overview.js';
import { BackgroundReleases } from './release-runner.js';
import { rerouteDocument } from './reroute.js';
import { heldDocuments, heldQuery, resolveHeldDocument, reviewParts } from './review-queue.js';
import { authoriseDocument, submitDocument, submitInput } from './submission.js';
import { documentContent, documentLedger, exchangeAlarms, inbox, inboxQuery } from './views.js';

/**
 * The document-exchange operations of the FHIR API, called by the dispatcher (FhirInteractions) so
 * that authentication, audit (one entry per call, naming the patient) and OperationOutcome errors
 * are the same as for every other interaction. POST operations run in the request's transaction.
 */
export class ExchangeOperations {
  /** Backlog releases started from the web, running after the request that started them answered. */
  private readonly releases: BackgroundReleases;

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly access: AccessControl,
    onBackgroundError?: (error: unknown) => void,
  ) {
    this.releases = new BackgroundReleases(onBackgroundError);
  }

  /**
   * When the server closes: background releases stop between batches. Nothing restarts them: after a
   * restart the status reports them stalled until operations resume them (start the release again).
   */
  async stopBackgroundWork(): Promise<void> {
    await this.releases.stop();
  }

  async perform(db: SqlExecutor, operation: ExchangeOperation, request: FhirRequest): Promise<FhirResponse> {
    const access = request.context.access;
    this.access.requirePermission(access, 'DocumentReference', permissionFor(operation));
    const writes = EXCHANGE_OPERATIONS[operation] === 'POST';
    if (writes && request.query.length > 0) {
      throw fhirError(
        'invalid-search-parameter',
        `${operation} takes its input as Parameters, not in the URL.`,
        [request.query[0]?.[0] ?? ''],
      );
    }
    return writes ? this.write(db, operation, request) : this.read(db, operation, request);
  }

  private async write(
    db: SqlExecutor,
    operation: ExchangeOperation,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    const access = request.context.access;
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
        const id = reader.requiredString('document');
        const { document, row } = await rejectDocument(this.ctx, db, access, id, reader);
        return answer(200, summary('rejected', document, [row]), document);
      }
      case '$reroute-document': {
        const { document, rows } = await rerouteDocument(this.ctx, db, access, parametersOf(request.body));
        return answer(200, summary('rerouted', document, rows), document);
      }
      case '$resolve-held-document': {
        const result = await resolveHeldDocument(this.ctx, db, access, parametersOf(request.body));
        const outcome = result.document.status === 'returned' ? 'returned' : 'released';
        const body = summary(outcome, result.document, result.rows);
        body.parameter?.push(...compact(reviewParts(result.document)));
        return answer(200, body, result.document);
      }
      case '$release-backlog': {
        // It commits batch by batch on the database itself; inside a Bundle's transaction it would
        // wait for that transaction (PGlite) or escape it (PostgreSQL).
        if (db !== this.ctx.database)
          throw fhirError(
            'invalid-bundle',
            '$release-backlog commits batch by batch: call it on its own, not in a Bundle.',
          );
        const { body, patientIds, accepted } = await releaseBacklogOperation(
          this.ctx,
          request,
          this.releases,
        );
        return { ...jsonResponse(accepted ? 202 : 200, body), patientIds };
      }
      default:
        throw fhirError('operation-not-supported', `${operation} is not a write operation.`);
    }
  }

  private async read(
    db: SqlExecutor,
    operation: ExchangeOperation,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    const access = request.context.access;
    const respond = ({ body, patientIds = [] }: { body: Parameters | Bundle; patientIds?: string[] }) => ({
      ...jsonResponse(200, body),
      patientIds,
    });
    switch (operation) {
      case '$document-ledger':
        return respond(await documentLedger(db, access, singleQuery(request.query, 'document')));
      case '$document':
        return respond(await documentContent(this.ctx, db, access, singleQuery(request.query, 'document')));
      case '$inbox':
        return respond(await inbox(db, inboxQuery(access, request.query)));
      case '$exchange-alarms':
        if (request.query.length > 0)
          throw fhirError('invalid-search-parameter', '$exchange-alarms takes no parameters.');
        return respond(await exchangeAlarms(this.ctx, db, access));
      case '$held-documents':
        return respond(await heldDocuments(db, heldQuery(access, request.query)));
      case '$assurance-report':
        return respond(await assuranceReport(db, await reportQuery(db, access, request.query)));
      case '$backlog-triage':
        return respond(await backlogTriage(db, triageQuery(access, request.query)));
      case '$backlog-release-status':
        return respond(await backlogReleaseStatus(this.ctx, db, access, request.query, this.releases));
      case '$exchange-overview':
        return respond(
          await exchangeOverview(this.ctx, db, overviewQuery(access, request.query), this.releases),
        );
      default:
        throw fhirError('operation-not-supported', `${operation} is not a read operation.`);
    }
  }

  private async submit(db: SqlExecutor, request: FhirRequest): Promise<FhirResponse> {
    const result = await submitDocument(this.ctx, db, request.context.access, submitInput(request.body));
    if (result.outcome === 'rejected') {
      return jsonResponse(422, { resourceType: 'OperationOutcome', issue: result.issues });
    }
    // A conflict is answered, not thrown, so that its assurance record commits (the report counts it).
    if (result.outcome === 'conflict')
      return jsonResponse(result.error.status, result.error.toOperationOutcome());
    // Rows as they ended (submission returns them; a delivery may have moved them since insertion).
    const rows = result.rows;
    const status = result.outcome === 'duplicate' ? 200 : 201;
    return answer(status, summary(result.outcome, result.document, rows), result.document);
  }
}

/**
 * The SMART permission each operation needs on DocumentReference. Operations staff hold no patient
 * records ('r' only), so the operations they run (backlogs, the review queue, re-routing) check the
 * scope to read and then their own role rules; sending and acting on a document is writing.
 */
function permissionFor(operation: ExchangeOperation): 'c' | 'r' {
  if (EXCHANGE_OPERATIONS[operation] === 'GET') return 'r';
  return OWN_ROLE_RULES.has(operation) ? 'r' : 'c';
}

const OWN_ROLE_RULES: ReadonlySet<ExchangeOperation> = new Set([
  '$release-backlog',
  '$resolve-held-document',
  '$reroute-document',
]);

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
