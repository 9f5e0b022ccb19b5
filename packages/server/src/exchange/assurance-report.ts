import type { Parameters } from 'fhir/r4.js';
import { fhirError } from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { SqlExecutor } from '../store/database.js';
import { isOperationsOrAdmin } from './context.js';
import { group, instant, int, parameters, str, type Part } from './parameters.js';

/**
 * `$assurance-report?sender=ODS&since=…&until=…`: what the assurance service made of one sender's
 * submissions: accepted (stored and routed), refused by assurance by reason, duplicate re-sends, ids
 * reused for other content, held for review by reason, and held for a backlog release. A sender sees
 * its own; operations any sender's.
 */

interface ReportQuery {
  senderOds: string;
  since: Date;
  until?: Date;
}

export async function reportQuery(
  tx: SqlExecutor,
  access: AccessContext,
  query: Array<[string, string]>,
): Promise<ReportQuery> {
  let senderOds: string | undefined;
  let since: Date | undefined;
  let until: Date | undefined;
  for (const [name, value] of query) {
    if (name === 'sender') senderOds = value;
    else if (name === 'since') since = dateParameter(name, value);
    else if (name === 'until') until = dateParameter(name, value);
    else
      throw fhirError('invalid-search-parameter', `$assurance-report takes no parameter '${name}'.`, [name]);
  }
  if (!isOperationsOrAdmin(access) && access.principal.patientAccess !== 'all') {
    const own = await ownSenderOds(tx, access);
    if (senderOds !== undefined && senderOds !== own)
      throw fhirError('forbidden', "Only operations may read another sender's assurance report.");
    senderOds = own;
  }
  if (senderOds === undefined)
    throw fhirError('missing-required-element', "The parameter 'sender' (an ODS code) is required.", [
      'sender',
    ]);
  return { senderOds, since: since ?? new Date(0), ...(until === undefined ? {} : { until }) };
}

function dateParameter(name: string, value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime()))
    throw fhirError('invalid-search-value', `'${name}' must be a date or an instant.`, [name]);
  return date;
}

/** The ODS code of the caller's own organisation, from the directory. */
async function ownSenderOds(tx: SqlExecutor, access: AccessContext): Promise<string> {
  const { principal } = access;
  if (principal.kind === 'patient' || principal.organizationId === undefined)
    throw fhirError('forbidden', 'An assurance report is for a sending organisation and for operations.');
  if (principal.odsCode !== undefined) return principal.odsCode;
  const { rows } = await tx.query<{ ods: string }>(
    `select t.code as ods from resource r join search_token t on t.rid = r.rid
      where r.resource_type = 'Organization' and r.id = $1 and not r.deleted and t.param = 'identifier'
        and t.system = 'https://fhir.nhs.uk/Id/ods-organization-code'
      limit 1`,
    [principal.organizationId],
  );
  if (!rows[0]) throw fhirError('forbidden', 'Your organisation has no ODS code, so it sends nothing.');
  return rows[0].ods;
}

interface Count {
  key: string | null;
  count: number;
}

export async function assuranceReport(tx: SqlExecutor, query: ReportQuery): Promise<{ body: Parameters }> {
  const window = [query.senderOds, query.since.toISOString(), query.until?.toISOString() ?? null];
  const stored = await tx.query<Count & { heldForRelease: number }>(
    `select hold_reason as key, count(*)::int as count,
       count(*) filter (where held_for_release_at is not null)::int as "heldForRelease"
     from exchange_document
     where sender_ods = $1 and created_at >= $2::timestamptz and ($3::timestamptz is null or created_at < $3::timestamptz)
     group by hold_reason`,
    window,
  );
  const events = await tx.query<Count & { outcome: string }>(
    `select outcome, reason as key, count(*)::int as count
     from assurance_event left join lateral unnest(reasons) as reason on true
     where sender_ods = $1 and at >= $2::timestamptz and ($3::timestamptz is null or at < $3::timestamptz)
     group by outcome, reason`,
    window,
  );
  const submissions = await tx.query<{ count: number }>(
    `select count(*)::int as count from assurance_event
     where sender_ods = $1 and outcome = 'rejected' and at >= $2::timestamptz
       and ($3::timestamptz is null or at < $3::timestamptz)`,
    window,
  );
  const accepted = stored.rows.find((row) => row.key === null);
  const held = stored.rows.filter((row) => row.key !== null);
  const outcome = (name: string) => events.rows.filter((row) => row.outcome === name);
  const sum = (rows: readonly Count[]) => rows.reduce((total, row) => total + row.count, 0);
  const body = parameters([
    str('sender', query.senderOds),
    instant('since', query.since),
    instant('until', query.until),
    int('accepted', accepted?.count ?? 0),
    int(
      'heldForRelease',
      stored.rows.reduce((total, row) => total + row.heldForRelease, 0),
    ),
    int('rejected', submissions.rows[0]?.count ?? 0),
    ...outcome('rejected').map((row) => reasonGroup('rejectedReason', row)),
    int('duplicates', sum(outcome('duplicate'))),
    int('conflicts', sum(outcome('conflict'))),
    int('held', sum(held)),
    ...held.map((row) => reasonGroup('heldReason', row)),
  ]);
  return { body };
}

function reasonGroup(name: string, row: Count): Part {
  return group(name, [str('reason', row.key ?? 'unknown'), int('count', row.count)]);
}
