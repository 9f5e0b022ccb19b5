import { STATUS_CODES } from 'node:http';
import { FhirError, fhirError, isJsonObject } from '@carebridge/domain';
import type { FhirLimits } from '../config.js';
import type { AccessPredicate } from '../store/access-predicate.js';
import type { SqlExecutor } from '../store/database.js';
import type { HistoryRow, ResourceStore } from '../store/resource-store.js';
import type { FhirRequest, FhirResponse, Interaction } from './request.js';
import { bundleJson, entryJson, jsonResponse, resourceUrl } from './response.js';
import { invalidCursor, pageSize, type PagingTokens } from './paging.js';

type HistoryInteraction = Extract<
  Interaction,
  { kind: 'history-system' | 'history-type' | 'history-instance' }
>;

interface HistoryCursor {
  kind: 'history';
  resourceType?: string;
  id?: string;
  since?: string;
  count: number;
  beforeSeq: number;
}

const CREATED_STATUS: Record<HistoryRow['method'], number> = { POST: 201, PUT: 200, PATCH: 200, DELETE: 204 };

/**
 * Instance, type and system history, newest first, paged by signed cursors that continue below
 * the last sequence number seen: new versions written while a client pages never shift a page.
 */
export class HistoryService {
  constructor(private readonly deps: { store: ResourceStore; tokens: PagingTokens; limits: FhirLimits }) {}

  async history(
    db: SqlExecutor,
    interaction: HistoryInteraction,
    request: FhirRequest,
    access: AccessPredicate,
  ): Promise<FhirResponse> {
    const cursor = this.cursorFor(interaction, request);
    if (interaction.kind === 'history-instance') {
      const current = await this.deps.store.read(db, interaction.resourceType, interaction.id, access);
      if (!current)
        throw fhirError(
          'resource-not-found',
          `${interaction.resourceType}/${interaction.id} does not exist.`,
        );
    }
    const rows = await this.deps.store.history(db, {
      ...(cursor.resourceType ? { resourceType: cursor.resourceType } : {}),
      ...(cursor.id ? { id: cursor.id } : {}),
      ...(cursor.since ? { since: new Date(cursor.since) } : {}),
      ...(cursor.beforeSeq > 0 ? { beforeSeq: cursor.beforeSeq } : {}),
      count: cursor.count + 1,
      access,
    });
    const page = rows.slice(0, cursor.count);
    const last = page.at(-1);
    const links = [{ relation: 'self', url: `${request.baseUrl}/${request.path}` }];
    if (rows.length > cursor.count && last) {
      const next: HistoryCursor = { ...cursor, beforeSeq: last.seq };
      links.push({
        relation: 'next',
        url: `${request.baseUrl}/${request.path}?_cursor=${this.deps.tokens.sign(next)}`,
      });
    }
    const entries = page.map((row) => historyEntry(row, request.baseUrl));
    const patientIds = page.flatMap((row) => row.patientIds ?? []);
    return { ...jsonResponse(200, bundleJson({ type: 'history', link: links }, entries)), patientIds };
  }

  private cursorFor(interaction: HistoryInteraction, request: FhirRequest): HistoryCursor {
    const scope = {
      ...('resourceType' in interaction ? { resourceType: interaction.resourceType } : {}),
      ...('id' in interaction ? { id: interaction.id } : {}),
    };
    const token = request.query.find(([name]) => name === '_cursor')?.[1];
    if (token !== undefined) {
      const cursor = this.deps.tokens.verify(token);
      if (!isHistoryCursor(cursor) || cursor.resourceType !== scope.resourceType || cursor.id !== scope.id) {
        throw invalidCursor('it belongs to a different history');
      }
      return cursor;
    }
    const problems = [];
    let since: string | undefined;
    let count = this.deps.limits.defaultPageSize;
    for (const [name, value] of request.query) {
      if (name === '_since') {
        since = historyInstant(value);
        if (since === undefined) {
          problems.push({
            code: 'invalid-search-value' as const,
            diagnostics: `_since must be an instant such as 2026-01-31T09:00:00Z between the years 0001 and 9999, not '${value}'.`,
            expression: ['_since'],
          });
        }
      } else if (name === '_count') {
        const size = pageSize(value, this.deps.limits);
        if (size === undefined) {
          problems.push({
            code: 'invalid-search-value' as const,
            diagnostics: `_count must be a whole number, not '${value}'.`,
            expression: ['_count'],
          });
        } else count = size;
      } else {
        problems.push({
          code: 'invalid-search-parameter' as const,
          diagnostics: `History does not support the parameter '${name}' (only _since and _count).`,
          expression: [name],
        });
      }
    }
    if (problems.length > 0) throw new FhirError(problems);
    return { kind: 'history', ...scope, ...(since ? { since } : {}), count, beforeSeq: 0 };
  }
}

function historyEntry(row: HistoryRow, baseUrl: string): string {
  const status = CREATED_STATUS[row.method];
  return entryJson({
    fullUrl: resourceUrl(baseUrl, row),
    ...(row.deleted ? {} : { resource: row.content }),
    request: {
      method: row.method,
      url: row.method === 'POST' ? row.resourceType : `${row.resourceType}/${row.id}`,
    },
    response: {
      status: `${status} ${STATUS_CODES[status] ?? ''}`.trim(),
      etag: `W/"${row.versionId}"`,
      lastModified: row.lastUpdated.toISOString(),
    },
  });
}

function isHistoryCursor(value: unknown): value is HistoryCursor {
  return (
    isJsonObject(value) &&
    value.kind === 'history' &&
    Number.isSafeInteger(value.count) &&
    Number.isSafeInteger(value.beforeSeq) &&
    (value.resourceType === undefined || typeof value.resourceType === 'string') &&
    (value.id === undefined || typeof value.id === 'string') &&
    (value.since === undefined || typeof value.since === 'string')
  );
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An instant the database can hold (years 0001–9999 in UTC), as ISO text. */
function historyInstant(value: string): string | undefined {
  if (!INSTANT.test(value)) return undefined;
  const instant = new Date(value);
  const year = instant.getUTCFullYear();
  return Number.isNaN(instant.getTime()) || year < 1 || year > 9999 ? undefined : instant.toISOString();
}
