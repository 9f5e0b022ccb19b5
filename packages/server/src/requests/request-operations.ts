import type { Parameters } from 'fhir/r4.js';
import { fhirError } from '@carebridge/domain';
import type { FhirRequest, FhirResponse } from '../fhir/request.js';
import { jsonResponse } from '../fhir/response.js';
import { code, group, parameters, parametersOf, ref, str, type Part } from '../exchange/parameters.js';
import type { SqlExecutor } from '../store/database.js';
import type { RequestContext } from './context.js';
import { createRequest } from './create.js';
import { missedAppointment, onwardReferral } from './hospital-events.js';
import type { RequestOperation } from './operation-names.js';
import { assessmentPart, requestParts, sideOf } from './present.js';
import { respondToRequest, updateRequest, type ActionResult } from './respond.js';
import { listQuery, oneRequest, requestAlarms, requestIdFrom, requestList } from './views.js';
import { buildLedger, ledgerCsv, ledgerParameters, ledgerQuery } from './workload-report.js';

/** Operations that only read; the rest write, in the request's transaction. */
const READS: ReadonlySet<RequestOperation> = new Set([
  '$request',
  '$request-worklist',
  '$request-tracker',
  '$request-alarms',
  '$workload-ledger',
  '$workload-ledger-csv',
]);

/**
 * The request operations of the FHIR API, called by the dispatcher (FhirInteractions) so that
 * authentication, audit (one entry per call, naming the patient) and OperationOutcome errors are the
 * same as for every other interaction. POST operations run in the request's transaction.
 */
export class RequestOperations {
  constructor(private readonly ctx: RequestContext) {}

  async perform(db: SqlExecutor, operation: RequestOperation, request: FhirRequest): Promise<FhirResponse> {
    const access = request.context.access;
    const writes = !READS.has(operation);
    // Requests are Tasks: reading them is reading Tasks, acting on them is writing Tasks.
    this.ctx.access.requirePermission(access, 'Task', writes ? 'c' : 'r');
    if (writes && request.query.length > 0) {
      throw fhirError(
        'invalid-search-parameter',
        `${operation} takes its input as Parameters, not in the URL.`,
        [request.query[0]?.[0] ?? ''],
      );
    }
    switch (operation) {
      case '$create-request': {
        const recorded = await createRequest(this.ctx, db, access, parametersOf(request.body));
        const body = parameters([
          code('outcome', recorded.assessment.placesOnRequester ? 'created-flagged' : 'created'),
          assessmentPart(recorded.assessment),
          group('request', this.parts(recorded.row, request)),
          { name: 'task', resource: recorded.task },
        ]);
        return answer(201, body, [recorded.row.patientId]);
      }
      case '$respond-to-request':
        return this.acted(await respondToRequest(this.ctx, db, access, parametersOf(request.body)), request);
      case '$update-request':
        return this.acted(await updateRequest(this.ctx, db, access, parametersOf(request.body)), request);
      case '$request': {
        const { body, patientIds } = await oneRequest(this.ctx, db, access, requestIdFrom(request.query));
        return answer(200, body, patientIds);
      }
      case '$request-worklist':
      case '$request-tracker': {
        const side = operation === '$request-worklist' ? 'owner' : 'requester';
        const { body, patientIds } = await requestList(
          this.ctx,
          db,
          access,
          listQuery(access, side, request.query),
        );
        return answer(200, body, patientIds);
      }
      case '$request-alarms': {
        if (request.query.length > 0) {
          throw fhirError('invalid-search-parameter', '$request-alarms takes no parameters.', [
            request.query[0]?.[0] ?? '',
          ]);
        }
        const { body, patientIds } = await requestAlarms(this.ctx, db, access);
        return answer(200, body, patientIds);
      }
      case '$missed-appointment':
        return this.missed(db, request);
      case '$onward-referral':
        return this.onward(db, request);
      case '$workload-ledger':
      case '$workload-ledger-csv':
        return this.ledger(db, operation, request);
    }
  }

  private parts(row: ActionResult['row'], request: FhirRequest): Part[] {
    const side = sideOf(request.context.access, row);
    return requestParts(this.ctx.options, { row, ...(side === undefined ? {} : { side }) });
  }

  private acted(result: ActionResult, request: FhirRequest): FhirResponse {
    const body = parameters([
      code('outcome', result.changed ? result.row.status : 'unchanged'),
      group('request', this.parts(result.row, request)),
      ref('communication', result.communication),
      ...(result.task ? [{ name: 'task', resource: result.task }] : []),
    ]);
    return answer(200, body, [result.row.patientId]);
  }

  private async missed(db: SqlExecutor, request: FhirRequest): Promise<FhirResponse> {
    const result = await missedAppointment(this.ctx, db, request.context.access, parametersOf(request.body));
    const body = parameters([
      code('outcome', result.outcome),
      ref('appointment', result.appointment),
      ref('rebooked', result.rebooked),
      ref('communication', result.communication),
      ref('practice', result.practice),
    ]);
    return answer(201, body, [result.patientId]);
  }

  private async onward(db: SqlExecutor, request: FhirRequest): Promise<FhirResponse> {
    const result = await onwardReferral(this.ctx, db, request.context.access, parametersOf(request.body));
    const body = parameters([
      code('outcome', result.outcome),
      ref('serviceRequest', result.serviceRequest),
      ref('communication', result.communication),
      ref('practice', result.practice),
      ...(result.request
        ? [
            assessmentPart(result.request.assessment),
            group('request', this.parts(result.request.row, request)),
          ]
        : []),
      str('clause', 'NHS Standard Contract SC8.4'),
    ]);
    return answer(201, body, [result.patientId]);
  }

  private async ledger(
    db: SqlExecutor,
    operation: RequestOperation,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    const query = ledgerQuery(this.ctx, request.context.access, request.query);
    const ledger = await buildLedger(db, query);
    // Aggregates: the answer names no patient, so the audit entry names none either.
    if (operation === '$workload-ledger') return answer(200, ledgerParameters(query, ledger), []);
    return {
      status: 200,
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="workload-ledger-${query.from}-${query.to}.csv"`,
      },
      body: ledgerCsv(ledger),
      patientIds: [],
    };
  }
}

function answer(status: number, body: Parameters, patientIds: readonly string[]): FhirResponse {
  return { ...jsonResponse(status, body), patientIds: [...new Set(patientIds)] };
}
