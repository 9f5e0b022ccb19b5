import { ODS_ORGANIZATION_CODE_SYSTEM } from '@carebridge/domain';
import type { SqlExecutor } from './database.js';

/** The current Organization with an ODS code (through the identifier index), if there is one. */
export async function organisationByOdsCode(
  db: SqlExecutor,
  odsCode: string,
): Promise<{ organizationId: string } | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `select r.id from search_token t join resource r on r.rid = t.rid
      where t.resource_type = 'Organization' and t.param = 'identifier' and t.system = $1 and t.code = $2
        and not r.deleted
      order by r.rid limit 1`,
    [ODS_ORGANIZATION_CODE_SYSTEM, odsCode],
  );
  const row = rows[0];
  return row ? { organizationId: row.id } : undefined;
}

/**
 * The names of the organisations with these ids, in one query however many there are: the names
 * screens show beside counts the server has already grouped by organisation.
 */
export async function organisationNames(
  db: SqlExecutor,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; name: string }>(
    `select r.id, r.content::jsonb ->> 'name' as name from resource r
      where r.resource_type = 'Organization' and r.id = any($1::text[]) and not r.deleted
        and r.content::jsonb ->> 'name' is not null`,
    [unique],
  );
  return new Map(rows.map((row) => [row.id, row.name]));
}
