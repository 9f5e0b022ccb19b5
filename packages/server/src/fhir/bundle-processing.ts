import { STATUS_CODES } from 'node:http';
import type { FhirResource, Problem } from '@carebridge/domain';
import { FhirError, fhirError, isJsonObject } from '@carebridge/domain';
import type { FhirLimits } from '../config.js';
import type { SqlExecutor } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import type { FhirInteractions } from './interactions.js';
import {
  conditionParameters,
  routeInteraction,
  type FhirMethod,
  type FhirRequest,
  type FhirResponse,
  type Interaction,
} from './request.js';
import { bundleJson, entryJson, errorResponse, jsonResponse } from './response.js';
import type { IndexedSearchService as SearchService } from './search-service.js';

export interface BundleDependencies {
  store: ResourceStore;
  search: SearchService;
  limits: FhirLimits;
}

interface PlannedEntry {
  index: number;
  method: FhirMethod;
  url: string;
  path: string;
  query: Array<[string, string]>;
  fullUrl?: string;
  resource?: Record<string, unknown>;
  request: Record<string, unknown>;
}

/** A transaction applies entries in this order, whatever order they were sent in (R4 3.1.0.11.2). */
const TRANSACTION_ORDER: Record<FhirMethod, number> = {
  DELETE: 0,
  POST: 1,
  PUT: 2,
  PATCH: 2,
  GET: 3,
  HEAD: 3,
};

/**
 * Batch and transaction Bundles. A transaction is all-or-nothing: every entry runs in the caller's
 * database transaction, `urn:uuid` references are resolved to the ids assigned to the created
 * resources, and the first failing entry rolls everything back with an OperationOutcome naming the
 * entry. A batch runs each entry behind its own savepoint, so one failing entry neither stops nor
 * undoes the others, and each entry's answer (or OperationOutcome) is returned in order.
 */
export class BundleProcessor {
  constructor(private readonly deps: BundleDependencies) {}

  async process(
    tx: SqlExecutor,
    request: FhirRequest,
    interactions: FhirInteractions,
  ): Promise<FhirResponse> {
    const { type, entries } = this.plan(request.body);
    return type === 'transaction'
      ? this.transaction(tx, entries, request, interactions)
      : this.batch(tx, entries, request, interactions);
  }

  private plan(body: unknown): { type: 'batch' | 'transaction'; entries: PlannedEntry[] } {
    if (!isJsonObject(body) || body.resourceType !== 'Bundle') {
      throw fhirError(
        'invalid-bundle',
        'POST to the FHIR base takes a Bundle of type batch or transaction.',
        ['Bundle'],
      );
    }
    if (body.type !== 'batch' && body.type !== 'transaction') {
      throw fhirError(
        'invalid-bundle',
        `Bundle.type must be batch or transaction, not '${String(body.type)}'.`,
        ['Bundle.type'],
      );
    }
    const rawEntries = body.entry === undefined ? [] : body.entry;
    if (!Array.isArray(rawEntries))
      throw fhirError('invalid-bundle', 'Bundle.entry must be an array.', ['Bundle.entry']);
    if (rawEntries.length > this.deps.limits.maxBundleEntries) {
      throw fhirError(
        'too-many-bundle-entries',
        `The Bundle has ${rawEntries.length} entries; at most ${this.deps.limits.maxBundleEntries} are accepted in one request.`,
        ['Bundle.entry'],
      );
    }
    const problems: Problem[] = [];
    const entries = rawEntries.flatMap((raw: unknown, index) => {
      const planned = planEntry(raw, index, problems);
      return planned ? [planned] : [];
    });
    if (body.type === 'transaction') problems.push(...duplicateTargets(entries));
    if (problems.length > 0) throw new FhirError(problems);
    return { type: body.type, entries };
  }

  private async transaction(
    tx: SqlExecutor,
    entries: PlannedEntry[],
    request: FhirRequest,
    interactions: FhirInteractions,
  ): Promise<FhirResponse> {
    const ids = await this.assignIds(tx, entries);
    for (const entry of entries) {
      if (entry.resource) entry.resource = resolveReferences(entry.resource, ids.references, entry.index);
    }
    const ordered = [...entries].sort(
      (a, b) => TRANSACTION_ORDER[a.method] - TRANSACTION_ORDER[b.method] || a.index - b.index,
    );
    const responses = new Map<number, FhirResponse>();
    for (const entry of ordered) {
      try {
        responses.set(entry.index, await this.runTransactionEntry(tx, entry, ids, request, interactions));
      } catch (error) {
        if (error instanceof FhirError)
          throw inEntry(error, entry.index, 'The transaction was not applied: ');
        throw error;
      }
    }
    return responseBundle('transaction-response', entries, responses);
  }

  private async batch(
    tx: SqlExecutor,
    entries: PlannedEntry[],
    request: FhirRequest,
    interactions: FhirInteractions,
  ): Promise<FhirResponse> {
    const responses = new Map<number, FhirResponse>();
    let open = false;
    for (const entry of entries) {
      // Ending the previous entry's savepoint and starting this one's is one round trip, not two:
      // a batch of submissions (a sender catching up on a backlog) pays for every round trip.
      await tx.exec(open ? 'release savepoint batch_entry; savepoint batch_entry' : 'savepoint batch_entry');
      open = true;
      try {
        const entryRequest = toFhirRequest(entry, request);
        responses.set(entry.index, await interactions.perform(tx, routeEntry(entry), entryRequest));
      } catch (error) {
        // Rolling back to a savepoint keeps it, so the next entry releases it as usual.
        await tx.query('rollback to savepoint batch_entry');
        if (!(error instanceof FhirError)) throw error;
        responses.set(entry.index, errorResponse(inEntry(error, entry.index, '')));
      }
    }
    if (open) await tx.exec('release savepoint batch_entry');
    return responseBundle('batch-response', entries, responses);
  }

  /**
   * Decides the id of every resource the transaction creates before anything is written, so that
   * references between entries can be rewritten. A conditional create that finds its match maps
   * its fullUrl to the existing resource and creates nothing.
   */
  private async assignIds(tx: SqlExecutor, entries: PlannedEntry[]): Promise<AssignedIds> {
    const assigned: AssignedIds = { references: new Map(), creates: new Map() };
    for (const entry of entries) {
      const interaction = routeEntry(entry);
      if (interaction.kind === 'create') {
        const condition =
          typeof entry.request.ifNoneExist === 'string' ? entry.request.ifNoneExist : undefined;
        const existing = condition
          ? await this.claimCondition(tx, interaction.resourceType, condition, entry.index)
          : undefined;
        const id = existing ?? this.deps.store.assignId();
        assigned.creates.set(entry.index, { id, existing: existing !== undefined, condition });
        if (entry.fullUrl) assigned.references.set(entry.fullUrl, `${interaction.resourceType}/${id}`);
      } else if (interaction.kind === 'update' && entry.fullUrl) {
        assigned.references.set(entry.fullUrl, `${interaction.resourceType}/${interaction.id}`);
      }
    }
    return assigned;
  }

  private async claimCondition(tx: SqlExecutor, resourceType: string, condition: string, index: number) {
    const params = conditionParameters(condition);
    try {
      return await this.deps.store.claimCondition(
        tx,
        resourceType,
        this.deps.search.conditionKey(resourceType, params),
        (inner) => this.deps.search.findIds(inner, resourceType, params, 2),
      );
    } catch (error) {
      if (error instanceof FhirError) throw inEntry(error, index, 'The transaction was not applied: ');
      throw error;
    }
  }

  private async runTransactionEntry(
    tx: SqlExecutor,
    entry: PlannedEntry,
    ids: AssignedIds,
    request: FhirRequest,
    interactions: FhirInteractions,
  ): Promise<FhirResponse> {
    const create = ids.creates.get(entry.index);
    const interaction = routeEntry(entry);
    const entryRequest = toFhirRequest(entry, request);
    if (!create || interaction.kind !== 'create') return interactions.perform(tx, interaction, entryRequest);
    const matchKey = create.condition
      ? this.deps.search.conditionKey(interaction.resourceType, conditionParameters(create.condition))
      : undefined;
    return interactions.createPlanned(tx, interaction, entryRequest, {
      id: create.id,
      existing: create.existing,
      ...(matchKey ? { matchKey } : {}),
    });
  }
}

interface AssignedIds {
  /** fullUrl (urn:uuid:…) → "Type/id" */
  references: Map<string, string>;
  /** entry index → the id its create will use, and whether that resource already exists */
  creates: Map<number, { id: string; existing: boolean; condition: string | undefined }>;
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

function planEntry(raw: unknown, index: number, problems: Problem[]): PlannedEntry | undefined {
  const at = `Bundle.entry[${index}]`;
  if (!isJsonObject(raw)) {
    problems.push({ code: 'invalid-bundle', diagnostics: 'Each entry must be an object.', expression: [at] });
    return undefined;
  }
  const request = raw.request;
  if (!isJsonObject(request)) {
    problems.push({
      code: 'invalid-bundle',
      diagnostics: 'Each entry needs a request (method and url).',
      expression: [`${at}.request`],
    });
    return undefined;
  }
  const { method, url } = request;
  if (typeof method !== 'string' || !METHODS.has(method)) {
    problems.push({
      code: 'invalid-bundle',
      diagnostics: `request.method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, not '${String(method)}'.`,
      expression: [`${at}.request.method`],
    });
    return undefined;
  }
  if (typeof url !== 'string' || url.trim() === '' || /^[a-z]+:/i.test(url) || url.startsWith('/')) {
    problems.push({
      code: 'invalid-bundle',
      diagnostics: 'request.url must be a relative URL such as "Patient/123".',
      expression: [`${at}.request.url`],
    });
    return undefined;
  }
  const resource = raw.resource === undefined ? undefined : raw.resource;
  if (resource !== undefined && !isJsonObject(resource)) {
    problems.push({
      code: 'invalid-bundle',
      diagnostics: 'entry.resource must be a resource object.',
      expression: [`${at}.resource`],
    });
    return undefined;
  }
  const [path = '', queryString = ''] = url.split('?', 2);
  return {
    index,
    method: method as FhirMethod,
    url,
    path,
    query: [...new URLSearchParams(queryString)],
    ...(typeof raw.fullUrl === 'string' ? { fullUrl: raw.fullUrl } : {}),
    ...(resource ? { resource } : {}),
    request,
  };
}

/** Two entries acting on one resource, or two creates with one condition, make a transaction ambiguous. */
function duplicateTargets(entries: PlannedEntry[]): Problem[] {
  const seen = new Map<string, number>();
  const problems: Problem[] = [];
  for (const entry of entries) {
    const condition =
      typeof entry.request.ifNoneExist === 'string'
        ? `${entry.path}?${entry.request.ifNoneExist}`
        : undefined;
    const changesOneResource =
      entry.method === 'PUT' || entry.method === 'PATCH' || entry.method === 'DELETE';
    const keys = [
      ...(changesOneResource ? [`resource:${entry.path}`] : []),
      ...(condition ? [`condition:${condition}`] : []),
      ...(entry.fullUrl ? [`fullUrl:${entry.fullUrl}`] : []),
    ];
    for (const key of new Set(keys)) {
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        problems.push({
          code: 'invalid-bundle',
          diagnostics: `Entry ${entry.index} duplicates entry ${earlier} (${key.split(':')[0]} ${key.slice(key.indexOf(':') + 1)}).`,
          expression: [`Bundle.entry[${entry.index}]`],
        });
      } else seen.set(key, entry.index);
    }
  }
  return problems;
}

function routeEntry(entry: PlannedEntry): Interaction {
  try {
    return routeInteraction(entry.method, entry.path);
  } catch (error) {
    if (error instanceof FhirError) throw inEntry(error, entry.index, '');
    throw error;
  }
}

function toFhirRequest(entry: PlannedEntry, outer: FhirRequest): FhirRequest {
  const header = (name: string) =>
    typeof entry.request[name] === 'string' ? (entry.request[name] as string) : undefined;
  const ifMatch = header('ifMatch');
  const ifNoneMatch = header('ifNoneMatch');
  const ifNoneExist = header('ifNoneExist');
  const body = entry.method === 'PATCH' ? patchFromBinary(entry) : entry.resource;
  return {
    method: entry.method,
    path: entry.path,
    query: entry.query,
    headers: {
      ...(ifMatch ? { ifMatch } : {}),
      ...(ifNoneMatch ? { ifNoneMatch } : {}),
      ...(ifNoneExist ? { ifNoneExist } : {}),
      ...(outer.headers.prefer ? { prefer: outer.headers.prefer } : {}),
    },
    ...(body === undefined ? {} : { body }),
    baseUrl: outer.baseUrl,
    context: outer.context,
  };
}

/** In a Bundle, a JSON Patch travels as a Binary whose data is the base64 of the patch document. */
function patchFromBinary(entry: PlannedEntry): unknown {
  const resource = entry.resource;
  if (!resource || resource.resourceType !== 'Binary' || typeof resource.data !== 'string') {
    throw fhirError('invalid-patch', 'A PATCH entry must carry a Binary whose data is a base64 JSON Patch.', [
      `Bundle.entry[${entry.index}].resource`,
    ]);
  }
  try {
    return JSON.parse(Buffer.from(resource.data, 'base64').toString('utf8')) as unknown;
  } catch {
    throw fhirError('invalid-patch', 'The Binary data is not a base64-encoded JSON Patch document.', [
      `Bundle.entry[${entry.index}].resource.data`,
    ]);
  }
}

/**
 * Replaces every string that is exactly a fullUrl of this transaction (references, attachment URLs)
 * with the "Type/id" assigned to it. A `urn:uuid:` reference that names no entry is an error: it
 * could never be resolved later.
 */
function resolveReferences(
  resource: Record<string, unknown>,
  references: Map<string, string>,
  index: number,
) {
  const unresolved: Problem[] = [];
  const rewrite = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') {
      const target = references.get(value);
      if (target !== undefined) return target;
      if (/^urn:(uuid|oid):/.test(value) && path.endsWith('.reference')) {
        unresolved.push({
          code: 'invalid-bundle',
          diagnostics: `Reference '${value}' names no entry of this transaction.`,
          expression: [path],
        });
      }
      return value;
    }
    if (Array.isArray(value)) return value.map((item, i) => rewrite(item, `${path}[${i}]`));
    if (isJsonObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, rewrite(item, `${path}.${key}`)]),
      );
    }
    return value;
  };
  const rewritten = rewrite(resource, `Bundle.entry[${index}].resource`) as Record<string, unknown>;
  if (unresolved.length > 0) throw new FhirError(unresolved);
  return rewritten;
}

/** Re-anchors an entry's problems at the entry, so the client knows which entry failed and where. */
function inEntry(error: FhirError, index: number, prefix: string): FhirError {
  return new FhirError(
    error.problems.map((problem) => ({
      ...problem,
      diagnostics: `${prefix}entry ${index}: ${problem.diagnostics ?? error.message}`,
      expression: (problem.expression ?? ['']).map((expression) =>
        expression.startsWith('Bundle.entry[')
          ? expression
          : `Bundle.entry[${index}]${expression ? `.resource.${expression.replace(/^[A-Z][A-Za-z]+\.?/, '')}` : ''}`.replace(
              /\.$/,
              '',
            ),
      ),
    })),
  );
}

function responseBundle(
  type: 'batch-response' | 'transaction-response',
  entries: PlannedEntry[],
  responses: Map<number, FhirResponse>,
): FhirResponse {
  const entryJsons = entries.map((entry) => {
    const response = responses.get(entry.index) as FhirResponse;
    const isOutcome = response.status >= 400;
    const location = response.headers.location;
    return entryJson({
      ...(location ? { fullUrl: location.replace(/\/_history\/[^/]+$/, '') } : {}),
      ...(!isOutcome && response.body ? { resource: response.body } : {}),
      response: {
        status: `${response.status} ${STATUS_CODES[response.status] ?? ''}`.trim(),
        ...(location ? { location } : {}),
        ...(response.headers.etag ? { etag: response.headers.etag } : {}),
        ...(response.headers['last-modified']
          ? { lastModified: new Date(response.headers['last-modified']).toISOString() }
          : {}),
        ...(isOutcome && response.body ? { outcome: JSON.parse(response.body) as FhirResource } : {}),
      },
    });
  });
  return jsonResponse(200, bundleJson({ type }, entryJsons));
}
