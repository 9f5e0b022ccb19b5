import type { Clock } from '@carebridge/domain';
import { FhirError, fhirError, informationOutcome, isJsonObject } from '@carebridge/domain';
import type { AccessControl, AccessContext, Permission } from '../access/access-control.js';
import type { FhirLimits } from '../config.js';
import type { Database, SqlExecutor } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { AuditEvents } from './audit-events.js';
import type { BreakGlassOperations } from './break-glass-operations.js';
import type { ExchangeOperations } from '../exchange/exchange-operations.js';
import { runsInRequestTransaction } from '../exchange/operation-names.js';
import type { RequestOperations } from '../requests/request-operations.js';
import type { TerminologyOperations } from '../terminology/terminology-operations.js';
import { refuseRequestTaskWrite, type TaskWrite } from '../requests/task-guard.js';
import type { HistoryService } from './history.js';
import { interactionAuditEntry, markRolledBack } from './interaction-audit.js';
import { applyJsonPatch } from './patch.js';
import { withReplay } from './replay.js';
import {
  conditionParameters,
  parsePrefer,
  parseVersionEtag,
  type FhirRequest,
  type FhirResponse,
  type Interaction,
} from './request.js';
import { jsonResponse, parseStored, versionHeaders, writeResponse } from './response.js';
import type { IndexedSearchService as SearchService } from './search-service.js';
import { checkedResource, validationOutcome } from './validation.js';

export interface InteractionDependencies {
  db: Database;
  store: ResourceStore;
  search: SearchService;
  history: HistoryService;
  access: AccessControl;
  breakGlass: BreakGlassOperations;
  /** Document exchange ($submit-document, $inbox, …); absent, those operations answer 404. */
  exchange?: ExchangeOperations;
  /** Requests with an owner ($create-request, $request-worklist, …); absent, those operations answer 404. */
  requests?: RequestOperations;
  /** ValueSet/$expand over the terminology tables; absent, it answers 404. */
  terminology?: TerminologyOperations;
  auditEvents: AuditEvents;
  clock: Clock;
  limits: FhirLimits;
  capabilityStatement: () => string;
  /** Runs a batch or transaction Bundle in the given transaction; entries come back through `perform`. */
  processBundle: (
    tx: SqlExecutor,
    request: FhirRequest,
    interactions: FhirInteractions,
  ) => Promise<FhirResponse>;
}

/** The SMART permission each interaction needs on its resource type ('*' for system-wide). */
const PERMISSIONS: Partial<Record<Interaction['kind'], Permission>> = {
  read: 'r',
  vread: 'r',
  'history-instance': 'r',
  'search-type': 's',
  'history-type': 's',
  'history-system': 's',
  create: 'c',
  update: 'u',
  patch: 'u',
  delete: 'd',
};

/**
 * Every FHIR interaction, whether it arrives as a REST call or as an entry of a Bundle: checked
 * against the user's scopes and role, filtered to what the user may see, and audited — one entry
 * per interaction, whatever its outcome.
 */
export class FhirInteractions {
  constructor(private readonly deps: InteractionDependencies) {}

  /** Handles a top-level request: in a transaction when it needs one, with its replay record. */
  async handle(request: FhirRequest, interaction: Interaction): Promise<FhirResponse> {
    if (interaction.kind === 'batch-or-transaction') {
      return this.audited(interaction, request, () =>
        this.transactional(request, (tx) => this.deps.processBundle(tx, request, this)),
      );
    }
    if (!needsTransaction(interaction, request)) return this.perform(this.deps.db, interaction, request);
    return this.transactional(request, (tx) => this.perform(tx, interaction, request));
  }

  /** Handles one interaction on the given executor (a Bundle entry inside its transaction). */
  async perform(db: SqlExecutor, interaction: Interaction, request: FhirRequest): Promise<FhirResponse> {
    return this.audited(interaction, request, () => this.dispatch(db, interaction, request));
  }

  private async audited(
    interaction: Interaction,
    request: FhirRequest,
    work: () => Promise<FhirResponse>,
  ): Promise<FhirResponse> {
    try {
      const response = await work();
      request.context.audit.push(interactionAuditEntry(interaction, request, response));
      return response;
    } catch (error) {
      request.context.audit.push(interactionAuditEntry(interaction, request, { error }));
      throw error;
    }
  }

  /** Runs work in a transaction; if it rolls back, what its entries recorded as done was undone. */
  private async transactional(
    request: FhirRequest,
    work: (tx: SqlExecutor) => Promise<FhirResponse>,
  ): Promise<FhirResponse> {
    const firstEntry = request.context.audit.length;
    try {
      return await withReplay(this.deps.db, this.deps.clock, request, work);
    } catch (error) {
      markRolledBack(request.context.audit.slice(firstEntry));
      throw error;
    }
  }

  private async dispatch(
    db: SqlExecutor,
    interaction: Interaction,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    if (!TAKES_PARAMETERS.has(interaction.kind)) refuseParameters(interaction, request.query);
    if ('resourceType' in interaction && interaction.resourceType === 'AuditEvent') {
      return this.deps.auditEvents.perform(db, interaction, request);
    }
    const access = request.context.access;
    const permission = PERMISSIONS[interaction.kind];
    if (permission) {
      const type = 'resourceType' in interaction ? interaction.resourceType : '*';
      this.deps.access.requirePermission(access, type, permission);
    }
    switch (interaction.kind) {
      case 'capabilities':
        return jsonResponse(200, this.deps.capabilityStatement());
      case 'read':
        return this.read(db, access, interaction.resourceType, interaction.id, request);
      case 'vread':
        return this.vread(db, access, interaction.resourceType, interaction.id, interaction.versionId);
      case 'create':
        return this.create(db, access, interaction.resourceType, request);
      case 'update':
        return this.update(db, access, interaction.resourceType, interaction.id, request);
      case 'patch':
        return this.patch(db, access, interaction.resourceType, interaction.id, request);
      case 'delete':
        return this.delete(db, access, interaction.resourceType, interaction.id, request);
      case 'search-type':
        return this.deps.search.search(
          db,
          interaction.resourceType,
          searchParameters(interaction.via, request),
          request,
          this.deps.access.visibility(access, 's'),
        );
      case 'history-system':
      case 'history-type':
      case 'history-instance':
        return this.deps.history.history(db, interaction, request, this.deps.access.visibility(access, 'r'));
      case 'validate':
        return this.validate(interaction.resourceType, interaction.id, request);
      case 'break-glass':
      case 'break-glass-end':
      case 'break-glass-reviews':
      case 'break-glass-review':
        return this.deps.breakGlass.perform(db, interaction, request);
      case 'exchange':
        if (!this.deps.exchange)
          throw fhirError('operation-not-supported', `${interaction.operation} is not enabled.`);
        return this.deps.exchange.perform(db, interaction.operation, request);
      case 'requests':
        if (!this.deps.requests)
          throw fhirError('operation-not-supported', `${interaction.operation} is not enabled.`);
        return this.deps.requests.perform(db, interaction.operation, request);
      case 'terminology':
        if (!this.deps.terminology)
          throw fhirError('operation-not-supported', `${interaction.operation} is not enabled.`);
        return this.deps.terminology.perform(db, interaction.operation, request);
      case 'batch-or-transaction':
        throw fhirError('invalid-bundle', 'A batch or transaction cannot be nested inside another Bundle.');
    }
  }

  private async read(
    db: SqlExecutor,
    access: AccessContext,
    resourceType: string,
    id: string,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    const row = await this.visibleCurrent(db, access, resourceType, id);
    if (row.deleted) {
      throw fhirError(
        'resource-deleted',
        `${resourceType}/${id} was deleted at ${row.lastUpdated.toISOString()}.`,
      );
    }
    const patientIds = row.patientIds ?? [];
    if (
      request.headers.ifNoneMatch !== undefined &&
      etagMatches(request.headers.ifNoneMatch, row.versionId)
    ) {
      return { status: 304, headers: versionHeaders(row), patientIds };
    }
    return { ...jsonResponse(200, row.content, versionHeaders(row)), patientIds };
  }

  private async vread(
    db: SqlExecutor,
    access: AccessContext,
    resourceType: string,
    id: string,
    versionId: number,
  ): Promise<FhirResponse> {
    const visibility = this.deps.access.visibility(access, 'r');
    const row = await this.deps.store.readVersion(db, resourceType, id, versionId, visibility);
    if (!row) throw fhirError('version-not-found', `${resourceType}/${id} has no version ${versionId}.`);
    if (row.deleted) {
      throw fhirError(
        'resource-deleted',
        `Version ${versionId} of ${resourceType}/${id} records its deletion.`,
      );
    }
    const current = await this.deps.store.read(db, resourceType, id, visibility);
    return { ...jsonResponse(200, row.content, versionHeaders(row)), patientIds: current?.patientIds ?? [] };
  }

  private async create(
    db: SqlExecutor,
    access: AccessContext,
    resourceType: string,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    const resource = checkedResource(request.body, resourceType, this.deps.limits);
    await this.refuseRequestTaskWrite(db, resourceType, { kind: 'create', resource });
    const patientIds = await this.deps.access.checkWrite(db, access, resource);
    const prefer = parsePrefer(request.headers.prefer).return;
    const condition = request.headers.ifNoneExist;
    if (condition === undefined || condition.trim() === '') {
      const row = await this.deps.store.create(db, resource);
      return {
        ...writeResponse(201, row, request.baseUrl, prefer, `Created ${resourceType}/${row.id}.`),
        patientIds,
      };
    }
    const params = conditionParameters(condition);
    const matchKey = this.deps.search.conditionKey(resourceType, params);
    const { row, created } = await this.deps.store.conditionalCreate(db, resource, matchKey, (tx) =>
      this.deps.search.findIds(tx, resourceType, params, 2),
    );
    if (
      !created &&
      !(await this.deps.store.read(db, resourceType, row.id, this.deps.access.visibility(access, 'r')))
    ) {
      throw fhirError('forbidden', 'If-None-Exist matches a resource you may not see; nothing was created.');
    }
    const message = created
      ? `Created ${resourceType}/${row.id}.`
      : `${resourceType}/${row.id} already matches If-None-Exist; nothing was created.`;
    return { ...writeResponse(created ? 201 : 200, row, request.baseUrl, prefer, message), patientIds };
  }

  private async update(
    db: SqlExecutor,
    access: AccessContext,
    resourceType: string,
    id: string,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    const resource = checkedResource(request.body, resourceType, this.deps.limits);
    if (resource.id !== id) {
      throw fhirError(
        'id-mismatch',
        resource.id === undefined
          ? `The body has no id; it must be '${id}' as in the URL.`
          : `The body's id '${resource.id}' differs from '${id}' in the URL.`,
        [`${resourceType}.id`],
      );
    }
    await this.requireVisibleIfExists(db, access, resourceType, id);
    await this.refuseRequestTaskWrite(db, resourceType, { kind: 'update', id, resource });
    const patientIds = await this.deps.access.checkWrite(db, access, resource);
    const ifMatch = parseVersionEtag(request.headers.ifMatch);
    const { row, created } = await this.deps.store.put(
      db,
      { ...resource, id },
      ifMatch === undefined ? {} : { ifMatch },
    );
    const prefer = parsePrefer(request.headers.prefer).return;
    const message = `${created ? 'Created' : 'Updated'} ${resourceType}/${id}.`;
    return { ...writeResponse(created ? 201 : 200, row, request.baseUrl, prefer, message), patientIds };
  }

  private async patch(
    db: SqlExecutor,
    access: AccessContext,
    resourceType: string,
    id: string,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    const ifMatch = parseVersionEtag(request.headers.ifMatch);
    const current = await this.visibleCurrent(db, access, resourceType, id);
    if (current.deleted)
      throw fhirError('resource-deleted', `${resourceType}/${id} was deleted; it cannot be patched.`);
    if (ifMatch !== undefined && ifMatch !== current.versionId) {
      throw fhirError(
        'version-conflict',
        `If-Match expected version ${ifMatch} of ${resourceType}/${id}, but the current version is ${current.versionId}.`,
      );
    }
    const patched = applyJsonPatch(parseStored(current), request.body);
    const resource = checkedResource(patched, resourceType, this.deps.limits);
    if (resource.id !== id)
      throw fhirError('invalid-patch', 'A patch may not change the resource id.', [`${resourceType}.id`]);
    await this.refuseRequestTaskWrite(db, resourceType, { kind: 'patch', id, resource });
    const patientIds = await this.deps.access.checkWrite(db, access, resource);
    // The patch was computed from this version, so it may only be applied to this version.
    const { row } = await this.deps.store.put(
      db,
      { ...resource, id },
      { ifMatch: current.versionId, method: 'PATCH' },
    );
    const prefer = parsePrefer(request.headers.prefer).return;
    return {
      ...writeResponse(200, row, request.baseUrl, prefer, `Patched ${resourceType}/${id}.`),
      patientIds,
    };
  }

  private async delete(
    db: SqlExecutor,
    access: AccessContext,
    resourceType: string,
    id: string,
    request: FhirRequest,
  ): Promise<FhirResponse> {
    const ifMatch = parseVersionEtag(request.headers.ifMatch);
    const current = await this.visibleCurrent(db, access, resourceType, id);
    await this.refuseRequestTaskWrite(db, resourceType, { kind: 'delete', id });
    const row = await this.deps.store.delete(db, resourceType, id, ifMatch === undefined ? {} : { ifMatch });
    const headers: Record<string, string> = row ? { etag: `W/"${row.versionId}"` } : {};
    const patientIds = current.patientIds ?? [];
    if (parsePrefer(request.headers.prefer).return === 'OperationOutcome') {
      const text = row ? `Deleted ${resourceType}/${id}.` : `${resourceType}/${id} was already deleted.`;
      return { ...jsonResponse(200, informationOutcome(text), headers), patientIds };
    }
    return { status: 204, headers, patientIds };
  }

  /**
   * A request's Task moves only with its ledger row, through the request operations (hazard H-057);
   * they write below this layer, so a plain write here is refused.
   */
  private async refuseRequestTaskWrite(db: SqlExecutor, resourceType: string, write: TaskWrite) {
    if (resourceType === 'Task') await refuseRequestTaskWrite(db, write);
  }

  /** The current version (or deletion marker) if the user may see it; absent and not-yours answer alike (404). */
  private async visibleCurrent(db: SqlExecutor, access: AccessContext, resourceType: string, id: string) {
    const row = await this.deps.store.read(db, resourceType, id, this.deps.access.visibility(access, 'r'));
    if (!row) throw fhirError('resource-not-found', `${resourceType}/${id} does not exist.`);
    return row;
  }

  /** An update may create a new id, but never overwrite a resource the user may not see. */
  private async requireVisibleIfExists(
    db: SqlExecutor,
    access: AccessContext,
    resourceType: string,
    id: string,
  ) {
    const existing = await this.deps.store.read(db, resourceType, id);
    if (!existing || existing.deleted) return;
    if (!(await this.deps.store.read(db, resourceType, id, this.deps.access.visibility(access, 'r')))) {
      throw fhirError('forbidden', `You may not change ${resourceType}/${id}.`);
    }
  }

  private validate(resourceType: string, id: string | undefined, request: FhirRequest): FhirResponse {
    const candidate = resourceFromValidateBody(request.body);
    return jsonResponse(200, validationOutcome(candidate, resourceType, id, this.deps.limits));
  }

  /**
   * A transaction's create, whose id (or existing match, for a conditional create) was decided
   * before any entry ran so that references between entries could be resolved. Same checks and
   * audit as any create.
   */
  async createPlanned(
    db: SqlExecutor,
    interaction: Extract<Interaction, { kind: 'create' }>,
    request: FhirRequest,
    plan: { id: string; existing: boolean; matchKey?: string },
  ): Promise<FhirResponse> {
    return this.audited(interaction, request, async () => {
      const access = request.context.access;
      const { resourceType } = interaction;
      this.deps.access.requirePermission(access, resourceType, 'c');
      // Refused whether or not a condition matches, as a create over REST is.
      if (isJsonObject(request.body)) {
        await this.refuseRequestTaskWrite(db, resourceType, { kind: 'create', resource: request.body });
      }
      const prefer = parsePrefer(request.headers.prefer).return;
      if (plan.existing) {
        const row = await this.deps.store.read(
          db,
          resourceType,
          plan.id,
          this.deps.access.visibility(access, 'r'),
        );
        if (!row)
          throw fhirError(
            'forbidden',
            'ifNoneExist matches a resource you may not see; nothing was created.',
          );
        const response = writeResponse(
          200,
          row,
          request.baseUrl,
          prefer,
          'Matched If-None-Exist; nothing was created.',
        );
        return { ...response, patientIds: row.patientIds ?? [] };
      }
      const resource = checkedResource(request.body, resourceType, this.deps.limits);
      const patientIds = await this.deps.access.checkWrite(db, access, { ...resource, id: plan.id });
      const row = await this.deps.store.createWithId(db, { ...resource, id: plan.id });
      if (plan.matchKey) await this.deps.store.bindCondition(db, plan.matchKey, row.id);
      return {
        ...writeResponse(201, row, request.baseUrl, prefer, `Created ${resourceType}/${row.id}.`),
        patientIds,
      };
    });
  }
}

/**
 * A plain write is one atomic statement (updates and deletes are compare-and-set on the version),
 * so it needs no transaction around it. A condition must be claimed and searched in one, and a
 * replayable request must store its answer with its effect.
 */
function needsTransaction(interaction: Interaction, request: FhirRequest): boolean {
  if (interaction.kind === 'requests') return request.method === 'POST';
  if (interaction.kind === 'exchange')
    return request.method === 'POST' && runsInRequestTransaction(interaction.operation);
  if (!WRITE_KINDS.has(interaction.kind)) return false;
  if (request.headers.requestId !== undefined) return true;
  return interaction.kind === 'create' && (request.headers.ifNoneExist ?? '').trim() !== '';
}

const WRITE_KINDS: ReadonlySet<Interaction['kind']> = new Set([
  'create',
  'update',
  'patch',
  'delete',
  'break-glass',
]);

/** Only search and history read URL parameters; anywhere else a parameter would be silently ignored. */
const TAKES_PARAMETERS: ReadonlySet<Interaction['kind']> = new Set([
  'search-type',
  'history-system',
  'history-type',
  'history-instance',
  'exchange',
  'requests',
  'terminology',
]);

function refuseParameters(interaction: Interaction, query: Array<[string, string]>): void {
  if (query.length === 0) return;
  throw new FhirError(
    query.map(([name]) => ({
      code: 'invalid-search-parameter' as const,
      diagnostics: `The ${interaction.kind} interaction takes no parameter '${name}'.`,
      expression: [name],
    })),
  );
}

function searchParameters(via: 'GET' | 'POST', request: FhirRequest): Array<[string, string]> {
  if (via === 'GET') return request.query;
  const form = typeof request.body === 'string' ? [...new URLSearchParams(request.body)] : [];
  return [...request.query, ...form];
}

function etagMatches(header: string, versionId: number): boolean {
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${versionId}"`);
}

/** $validate takes the resource itself or a Parameters with a `resource` parameter. */
function resourceFromValidateBody(body: unknown): unknown {
  if (!isJsonObject(body) || body.resourceType !== 'Parameters' || !Array.isArray(body.parameter))
    return body;
  const parameter = (body.parameter as unknown[]).find((p) => isJsonObject(p) && p.name === 'resource');
  return isJsonObject(parameter) ? parameter.resource : undefined;
}
