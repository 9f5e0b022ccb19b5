import { createHash, randomUUID } from 'node:crypto';
import type { Clock, FhirResource, SearchIndexRows } from '@carebridge/domain';
import { compartmentPatientIds, emptyIndexRows, fhirError, relationshipClaims } from '@carebridge/domain';
import type { AccessPredicate } from './access-predicate.js';
import type { SqlExecutor } from './database.js';
import { patientIdsColumn, resourceRowColumns, type ResourceRow } from './resource-row.js';
import { SqlParams } from './search/sql-params.js';

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ResourceStoreDependencies {
  clock: Clock;
  /** Computes the search-index rows of a resource version (the official R4 SearchParameters). */
  indexRows: (resource: FhirResource) => SearchIndexRows;
  newId?: () => string;
}

export interface HistoryRow extends ResourceRow {
  seq: number;
  method: WriteMethod;
}

export interface HistoryQuery {
  resourceType?: string;
  id?: string;
  /** Only versions written at or after this instant (`_since`). */
  since?: Date;
  /** Only versions written before this instant (`_at` upper bound / snapshot for paging). */
  before?: Date;
  /** Newest first; continue below this sequence number (paging). */
  beforeSeq?: number;
  count: number;
  /** Only versions of resources the user may see. */
  access?: AccessPredicate;
}

/** How a write found the resource: the stored version and whether it was newly created. */
export interface WriteResult {
  row: ResourceRow;
  created: boolean;
}

/**
 * Stores resources as current rows plus an append-only history, and keeps the search index in step.
 * Each version is written by one SQL statement (resource, history and every index row together), so
 * no reader can ever see a resource without its index or history. Optimistic concurrency is a
 * compare-and-set on `version_id`: the database, not application timing, decides who wins.
 */
export class ResourceStore {
  private readonly newId: () => string;

  constructor(private readonly deps: ResourceStoreDependencies) {
    this.newId = deps.newId ?? randomUUID;
  }

  /** The current version (or deletion marker); undefined when absent or not visible under `access`. */
  async read(
    db: SqlExecutor,
    resourceType: string,
    id: string,
    access?: AccessPredicate,
  ): Promise<ResourceRow | undefined> {
    const params = new SqlParams();
    const sql =
      `select ${resourceRowColumns('r')}, ${patientIdsColumn('r')} from resource r` +
      ` where r.resource_type = ${params.add(resourceType)} and r.id = ${params.add(id)}${visible(access, params, 'r')}`;
    return (await db.query<ResourceRow>(sql, params.values)).rows[0];
  }

  async readVersion(
    db: SqlExecutor,
    resourceType: string,
    id: string,
    versionId: number,
    access?: AccessPredicate,
  ): Promise<ResourceRow | undefined> {
    const params = new SqlParams();
    const sql =
      `select ${resourceRowColumns('h')} from resource_history h` +
      ` where h.resource_type = ${params.add(resourceType)} and h.id = ${params.add(id)}` +
      ` and h.version_id = ${params.add(versionId)}${visibleHistory(access, params)}`;
    return (await db.query<ResourceRow>(sql, params.values)).rows[0];
  }

  /** Creates a resource under a new server-assigned id (any id in the body is replaced). */
  async create(db: SqlExecutor, resource: FhirResource): Promise<ResourceRow> {
    return this.createWithId(db, { ...resource, id: this.newId() });
  }

  /**
   * Update (or create with a client-chosen id). `ifMatch` makes it conditional on the current
   * version; without it the write applies to whatever version is current (last writer wins, but
   * never a lost version: each write gets its own version number).
   */
  async put(
    db: SqlExecutor,
    resource: FhirResource & { id: string },
    options: { ifMatch?: number; method?: WriteMethod } = {},
  ): Promise<WriteResult> {
    const method = options.method ?? 'PUT';
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.read(db, resource.resourceType, resource.id);
      if (!current) {
        if (options.ifMatch !== undefined) throw versionConflict(resource, options.ifMatch, undefined);
        const created = await this.insertFirstVersion(db, resource, method);
        if (created) return { row: created, created: true };
        continue; // created concurrently: update it instead
      }
      const expected = options.ifMatch ?? current.versionId;
      if (expected !== current.versionId) throw versionConflict(resource, expected, current.versionId);
      const updated = await this.writeNextVersion(db, resource, expected, method, false);
      if (updated) return { row: updated, created: current.deleted };
      if (options.ifMatch !== undefined) throw versionConflict(resource, expected, undefined);
    }
    throw fhirError('service-unavailable', 'The resource is being changed too often to update; try again.');
  }

  /**
   * Marks the resource deleted (a new, empty version; earlier versions stay readable by vread).
   * Deleting something absent or already deleted changes nothing and is not an error.
   */
  async delete(
    db: SqlExecutor,
    resourceType: string,
    id: string,
    options: { ifMatch?: number } = {},
  ): Promise<ResourceRow | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.read(db, resourceType, id);
      if (options.ifMatch !== undefined && current?.versionId !== options.ifMatch) {
        throw versionConflict({ resourceType, id }, options.ifMatch, current?.versionId);
      }
      if (!current || current.deleted) return undefined;
      const deleted = await this.writeNextVersion(
        db,
        { resourceType, id },
        current.versionId,
        'DELETE',
        true,
      );
      if (deleted) return deleted;
    }
    throw fhirError('service-unavailable', 'The resource is being changed too often to delete; try again.');
  }

  /**
   * Conditional create that stays correct under concurrency. Must run inside a transaction. The
   * match key is claimed first: a concurrent create with the same condition blocks on that row
   * until this transaction ends, and then re-runs the search and finds what this one created.
   */
  async conditionalCreate(
    tx: SqlExecutor,
    resource: FhirResource,
    matchKey: string,
    findMatches: (tx: SqlExecutor) => Promise<string[]>,
  ): Promise<WriteResult> {
    const existingId = await this.claimCondition(tx, resource.resourceType, matchKey, findMatches);
    if (existingId !== undefined) {
      const existing = await this.read(tx, resource.resourceType, existingId);
      if (existing) return { row: existing, created: false };
    }
    const row = await this.createWithId(tx, { ...resource, id: this.newId() });
    await this.bindCondition(tx, matchKey, row.id);
    return { row, created: true };
  }

  /**
   * The first half of a conditional create, for transactions that must know the outcome before
   * they write anything: claims the condition's key (waiting for any concurrent claimant) and
   * returns the id of the one matching resource, or undefined when there is none.
   */
  async claimCondition(
    tx: SqlExecutor,
    resourceType: string,
    matchKey: string,
    findMatches: (tx: SqlExecutor) => Promise<string[]>,
  ): Promise<string | undefined> {
    const key = hashKey(matchKey);
    await tx.query(
      `insert into unique_key (key, resource_type, id, created_at) values ($1, $2, '', $3::timestamptz)
       on conflict (key) do nothing`,
      [key, resourceType, this.deps.clock.now().toISOString()],
    );
    await tx.query('select key from unique_key where key = $1 for update', [key]);
    const matches = await findMatches(tx);
    if (matches.length > 1) {
      throw fhirError(
        'conditional-multiple-matches',
        `The condition matches ${matches.length} or more resources.`,
      );
    }
    return matches[0];
  }

  /** The second half: records which resource now satisfies the claimed condition. */
  async bindCondition(tx: SqlExecutor, matchKey: string, id: string): Promise<void> {
    await tx.query('update unique_key set id = $2, created_at = $3::timestamptz where key = $1', [
      hashKey(matchKey),
      id,
      this.deps.clock.now().toISOString(),
    ]);
  }

  /** Creates version 1 under an id the caller chose (a transaction's pre-assigned id). */
  async createWithId(db: SqlExecutor, resource: FhirResource & { id: string }): Promise<ResourceRow> {
    const row = await this.insertFirstVersion(db, resource, 'POST');
    if (!row) throw new Error(`Resource ${resource.resourceType}/${resource.id} already exists`);
    return row;
  }

  /**
   * Creates version 1 of several resources under ids the caller chose, in one statement (resources,
   * history and index rows together, as for one): a document and the DocumentReference that makes
   * it searchable are one round trip. Throws, like createWithId, when any of them already exists:
   * call it in a transaction, which the error rolls back (the others were written by then).
   */
  async createAllWithIds(
    db: SqlExecutor,
    resources: ReadonlyArray<FhirResource & { id: string }>,
  ): Promise<ResourceRow[]> {
    const versions = resources.map((resource) => this.stamp(resource, 1, false));
    const { rows } = await db.query<{ rid: number }>(
      `with src as (
         select * from unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::jsonb[])
           with ordinality as s(resource_type, id, last_updated, content, idx, ord)
       ),
       r as (
         insert into resource (resource_type, id, version_id, last_updated, deleted, content)
         select resource_type, id, 1, last_updated, false, content from src order by ord
         on conflict (resource_type, id) do nothing
         returning rid, resource_type, id
       ),
       rs as (select r.rid, src.* from r join src on src.resource_type = r.resource_type and src.id = r.id),
       ${historyAndIndexSql(FIRST_VERSIONS)}`,
      [
        versions.map((version) => version.row.resourceType),
        versions.map((version) => version.row.id),
        versions.map((version) => version.lastUpdated),
        versions.map((version) => version.content),
        versions.map((version) => version.index),
      ],
    );
    if (rows.length !== resources.length) {
      throw new Error(
        `Some of ${resources.map((r) => `${r.resourceType}/${r.id}`).join(', ')} already exist`,
      );
    }
    return versions.map((version) => version.row);
  }

  /** A new server-assigned logical id. */
  assignId(): string {
    return this.newId();
  }

  async history(db: SqlExecutor, query: HistoryQuery): Promise<HistoryRow[]> {
    const params = new SqlParams();
    const conditions: string[] = [];
    if (query.resourceType) conditions.push(`h.resource_type = ${params.add(query.resourceType)}`);
    if (query.id) conditions.push(`h.id = ${params.add(query.id)}`);
    if (query.since)
      conditions.push(`h.last_updated >= ${params.typed(query.since.toISOString(), 'timestamptz')}`);
    if (query.before)
      conditions.push(`h.last_updated < ${params.typed(query.before.toISOString(), 'timestamptz')}`);
    if (query.beforeSeq !== undefined) conditions.push(`h.seq < ${params.typed(query.beforeSeq, 'bigint')}`);
    const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : 'where true';
    const sql =
      `select ${resourceRowColumns('h')}, h.seq, h.method, ${historyPatientIdsColumn} from resource_history h ${where}` +
      visibleHistory(query.access, params) +
      ` order by h.seq desc limit ${params.typed(query.count, 'int')}`;
    return (await db.query<HistoryRow>(sql, params.values)).rows;
  }

  private async insertFirstVersion(
    db: SqlExecutor,
    resource: FhirResource & { id: string },
    method: WriteMethod,
  ): Promise<ResourceRow | undefined> {
    const version = this.stamp(resource, 1, false);
    const { rows } = await db.query<{ rid: number }>(
      `with r as (
         insert into resource (resource_type, id, version_id, last_updated, deleted, content)
         values ($1, $2, 1, $3::timestamptz, false, $4)
         on conflict (resource_type, id) do nothing
         returning rid
       ),
       ${HISTORY_AND_INDEX_SQL}`,
      [
        resource.resourceType,
        resource.id,
        version.lastUpdated,
        version.content,
        method,
        false,
        version.index,
        1,
      ],
    );
    return rows.length === 0 ? undefined : version.row;
  }

  private async writeNextVersion(
    db: SqlExecutor,
    resource: FhirResource & { id: string },
    currentVersion: number,
    method: WriteMethod,
    deleted: boolean,
  ): Promise<ResourceRow | undefined> {
    const version = this.stamp(resource, currentVersion + 1, deleted);
    const { rows } = await db.query<{ rid: number }>(
      `with r as (
         update resource set version_id = $8::bigint, last_updated = $3::timestamptz, deleted = $6, content = $4
          where resource_type = $1 and id = $2 and version_id = $8::bigint - 1
         returning rid
       ),
       ${INDEX_DELETE_SQL}
       ${HISTORY_AND_INDEX_SQL}`,
      [
        resource.resourceType,
        resource.id,
        version.lastUpdated,
        version.content,
        method,
        deleted,
        version.index,
        currentVersion + 1,
      ],
    );
    return rows.length === 0 ? undefined : version.row;
  }

  /**
   * Sets id and meta for the new version, serialises it as it will be served, and derives what is
   * written beside it: search index rows, compartment membership and established relationships. A
   * deleted version keeps its compartment (so its history stays under the same access rules) and
   * establishes nothing.
   */
  private stamp(resource: FhirResource & { id: string }, versionId: number, deleted: boolean) {
    const lastUpdated = this.deps.clock.now();
    const { resourceType, id, meta, ...rest } = resource;
    const stamped: FhirResource = {
      resourceType,
      id,
      meta: { ...(meta ?? {}), versionId: String(versionId), lastUpdated: lastUpdated.toISOString() },
      ...rest,
    };
    const content = deleted ? '' : JSON.stringify(stamped);
    const indexRows = this.deps.indexRows(stamped);
    const derived = {
      ...(deleted ? emptyIndexRows() : indexRows),
      compartment: compartmentPatientIds(stamped, indexRows),
      relationships: deleted ? [] : relationshipClaims(stamped).map(flattenRelationship),
    };
    const index = JSON.stringify(derived, withoutNul);
    const row: ResourceRow = { resourceType, id, versionId, lastUpdated, deleted, content };
    return { lastUpdated: lastUpdated.toISOString(), content, index, row };
  }
}

function flattenRelationship(claim: ReturnType<typeof relationshipClaims>[number]) {
  return {
    patientId: claim.patientId,
    organizationType: claim.organization.type,
    organizationId: claim.organization.id,
    basis: claim.basis,
  };
}

function visible(access: AccessPredicate | undefined, params: SqlParams, alias: string): string {
  return access ? ` and ${access(params, alias)}` : '';
}

/** The compartment patients of the resource a history row is a version of. */
const historyPatientIdsColumn =
  'array(select pc.patient_id from resource hr2 join resource_compartment pc on pc.rid = hr2.rid' +
  ' where hr2.resource_type = h.resource_type and hr2.id = h.id) as "patientIds"';

/** History rows are visible when the resource they are versions of is (its compartment is kept). */
function visibleHistory(access: AccessPredicate | undefined, params: SqlParams): string {
  if (!access) return '';
  return ` and exists (select 1 from resource hr where hr.resource_type = h.resource_type and hr.id = h.id and ${access(params, 'hr')})`;
}

function versionConflict(
  resource: { resourceType: string; id?: string },
  expected: number,
  actual: number | undefined,
) {
  const where = `${resource.resourceType}/${resource.id ?? ''}`;
  const detail =
    actual === undefined
      ? `If-Match expected version ${expected} of ${where}, which does not exist.`
      : `If-Match expected version ${expected} of ${where}, but the current version is ${actual}.`;
  return fhirError('version-conflict', detail);
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000. The stored resource keeps it (JSON escapes it); the
 * derived index values drop it, since no search value may contain it either.
 */
function withoutNul(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** Deletes the previous version's index rows (the rows of the resource `r` being updated). */
const INDEX_DELETE_SQL = [
  'search_token',
  'search_string',
  'search_reference',
  'search_date',
  'search_number',
  'search_quantity',
  'search_uri',
  'resource_compartment',
  'access_relationship',
]
  .map((table) => `d_${table} as (delete from ${table} where rid in (select rid from r)),`)
  .join('\n');

/**
 * Where the tail of a version write takes each value from: the single-version statements use
 * parameters ($1 type, $2 id, $3 lastUpdated, $4 content, $5 method, $6 deleted, $7 index rows, $8
 * version id) and the one-row CTE `r`; writing several first versions at once reads them from the
 * rows of the CTE `rs` instead.
 */
interface VersionSource {
  from: string;
  rid: string;
  type: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  method: string;
  deleted: string;
  content: string;
  index: string;
}

const ONE_VERSION: VersionSource = {
  from: 'r',
  rid: 'r.rid',
  type: '$1',
  id: '$2',
  versionId: '$8::bigint',
  lastUpdated: '$3::timestamptz',
  method: '$5',
  deleted: '$6',
  content: '$4',
  index: '$7::jsonb',
};

const FIRST_VERSIONS: VersionSource = {
  from: 'rs',
  rid: 'rs.rid',
  type: 'rs.resource_type',
  id: 'rs.id',
  versionId: '1',
  lastUpdated: 'rs.last_updated',
  method: "'POST'",
  deleted: 'false',
  content: 'rs.content',
  index: 'rs.idx',
};

/**
 * The shared tail of every version write: the history row and the new index rows, all taken from
 * the JSON of the index rows (a SearchIndexRows object), from `source`.
 */
function historyAndIndexSql(v: VersionSource): string {
  return `
  h as (
    insert into resource_history (resource_type, id, version_id, last_updated, method, deleted, content)
    select ${v.type}, ${v.id}, ${v.versionId}, ${v.lastUpdated}, ${v.method}, ${v.deleted}, ${v.content} from ${v.from}
  ),
  i_token as (
    insert into search_token (rid, resource_type, param, system, code, text)
    select ${v.rid}, ${v.type}, x.param, x.system, x.code, x.text
      from ${v.from}, jsonb_to_recordset(${v.index} -> 'token') as x(param text, system text, code text, text text)
  ),
  i_string as (
    insert into search_string (rid, resource_type, param, value, exact)
    select ${v.rid}, ${v.type}, x.param, x.value, x.exact
      from ${v.from}, jsonb_to_recordset(${v.index} -> 'string') as x(param text, value text, exact text)
  ),
  i_reference as (
    insert into search_reference (rid, resource_type, param, target_type, target_id, value)
    select ${v.rid}, ${v.type}, x.param, x."targetType", x."targetId", x.value
      from ${v.from}, jsonb_to_recordset(${v.index} -> 'reference')
        as x(param text, "targetType" text, "targetId" text, value text)
  ),
  i_date as (
    insert into search_date (rid, resource_type, param, low, high)
    select ${v.rid}, ${v.type}, x.param, x.low::timestamptz, x.high::timestamptz
      from ${v.from}, jsonb_to_recordset(${v.index} -> 'date') as x(param text, low text, high text)
  ),
  i_number as (
    insert into search_number (rid, resource_type, param, value, low, high)
    select ${v.rid}, ${v.type}, x.param, x.value, x.low, x.high
      from ${v.from}, jsonb_to_recordset(${v.index} -> 'number') as x(param text, value numeric, low numeric, high numeric)
  ),
  i_quantity as (
    insert into search_quantity (rid, resource_type, param, value, low, high, system, code, unit)
    select ${v.rid}, ${v.type}, x.param, x.value, x.low, x.high, x.system, x.code, x.unit
      from ${v.from}, jsonb_to_recordset(${v.index} -> 'quantity')
        as x(param text, value numeric, low numeric, high numeric, system text, code text, unit text)
  ),
  i_uri as (
    insert into search_uri (rid, resource_type, param, value)
    select ${v.rid}, ${v.type}, x.param, x.value from ${v.from}, jsonb_to_recordset(${v.index} -> 'uri') as x(param text, value text)
  ),
  i_compartment as (
    insert into resource_compartment (rid, patient_id)
    select ${v.rid}, x.value from ${v.from}, jsonb_array_elements_text(${v.index} -> 'compartment') as x(value)
  ),
  i_relationship as (
    -- A relationship named through a PractitionerRole belongs to that role's organisation.
    insert into access_relationship (rid, patient_id, organization_id, basis)
    select rel.rid, rel.patient_id, rel.organization_id, rel.basis from (
      select ${v.rid}, x."patientId" as patient_id, x.basis,
        case when x."organizationType" = 'Organization' then x."organizationId" else (
          select o.target_id from resource pr join search_reference o on o.rid = pr.rid
           where pr.resource_type = 'PractitionerRole' and pr.id = x."organizationId" and pr.deleted = false
             and o.param = 'organization' and o.target_type = 'Organization' limit 1
        ) end as organization_id
      from ${v.from}, jsonb_to_recordset(${v.index} -> 'relationships')
        as x("patientId" text, "organizationType" text, "organizationId" text, basis text)
    ) rel where rel.organization_id is not null
  )
  select rid from ${v.from}`;
}

const HISTORY_AND_INDEX_SQL = historyAndIndexSql(ONE_VERSION);
