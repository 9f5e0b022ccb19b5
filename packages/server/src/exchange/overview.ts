import type { Parameters } from 'fhir/r4.js';
import {
  ALARM_CODES,
  DOCUMENT_KINDS,
  addCalendarDays,
  alarmCutoffs,
  evaluateAlarms,
  fhirError,
  londonDate,
  londonStartOfDay,
  type AlarmClock,
  type AlarmCode,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import type { SqlExecutor } from '../store/database.js';
import { organisationNames } from '../store/directory.js';
import { releaseStatusParts } from './backlog-operations.js';
import { requireOperations, type ExchangeContext } from './context.js';
import { code, group, instant, int, parameters, ref, str } from './parameters.js';
import type { BackgroundReleases } from './release-runner.js';
import { endpointSnapshots } from './views.js';

/**
 * `$exchange-overview`: what operations staff watch, counted by the database rather than sampled:
 * ledger rows by recipient and by sender organisation (named from the directory) and state, the
 * alarms due now by code, the letters delivered per London day, and the backlog release status.
 * Aggregates only: no patient data leaves the database, so the audit entry names no patient.
 */

export interface OverviewQuery {
  days: number;
}

export const OVERVIEW_DAYS = { default: 14, max: 92 } as const;

export function overviewQuery(access: AccessContext, query: Array<[string, string]>): OverviewQuery {
  requireOperations(access, 'read the exchange overview');
  const result: OverviewQuery = { days: OVERVIEW_DAYS.default };
  for (const [name, value] of query) {
    if (name !== 'days')
      throw fhirError('invalid-search-parameter', `$exchange-overview takes no parameter '${name}'.`, [name]);
    if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > OVERVIEW_DAYS.max) {
      throw fhirError(
        'invalid-search-parameter',
        `$exchange-overview parameter 'days' must be a whole number from 1 to ${OVERVIEW_DAYS.max}.`,
        [name],
      );
    }
    result.days = Number(value);
  }
  return result;
}

export async function exchangeOverview(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  query: OverviewQuery,
  runners: BackgroundReleases,
): Promise<{ body: Parameters; patientIds: string[] }> {
  const now = ctx.clock.now();
  const ledger = await ledgerCounts(tx);
  const names = await organisationNames(
    tx,
    ledger.flatMap((row) => (row.organizationId === null ? [] : [row.organizationId])),
  );
  const overdue = await overdueCounts(ctx, tx, now);
  const perDay = await deliveredPerDay(tx, now, query.days);
  const backlog = await releaseStatusParts(ctx, tx, runners);
  const body = parameters([
    instant('asOf', now),
    int('days', query.days),
    ...ledger.map((row) =>
      group('ledger', [
        code('side', row.side),
        ref('organization', row.organizationId === null ? null : `Organization/${row.organizationId}`),
        str('ods', row.ods),
        str('name', names.get(row.organizationId ?? '')),
        code('state', row.state),
        int('count', row.count),
      ]),
    ),
    ...ALARM_CODES.map((alarm) =>
      group('overdue', [code('code', alarm), int('count', overdue.get(alarm) ?? 0)]),
    ),
    ...perDay.map((day) =>
      group('delivered', [{ name: 'day', valueDate: day.day }, int('count', day.count)]),
    ),
    group('backlog', backlog),
  ]);
  return { body, patientIds: [] };
}

interface LedgerCount {
  side: 'recipient' | 'sender';
  organizationId: string | null;
  ods: string | null;
  state: string;
  count: number;
}

/** Every ledger row counted once per side: where it goes (patients' own copies have no organisation) and who sent it. */
async function ledgerCounts(tx: SqlExecutor): Promise<LedgerCount[]> {
  const { rows } = await tx.query<LedgerCount>(
    `select 'recipient' as side, d.recipient_org_id as "organizationId", d.recipient_ods as ods, d.state,
       count(*)::int as count
     from delivery_row d group by d.recipient_org_id, d.recipient_ods, d.state
     union all
     select 'sender', e.sender_org_id, e.sender_ods, d.state, count(*)::int
     from delivery_row d join exchange_document e on e.id = d.document_row
     group by e.sender_org_id, e.sender_ods, d.state
     order by side, ods nulls last, state`,
  );
  return rows;
}

/** The instant of a row an alarm counts from, as SQL (the same fallbacks as the domain's snapshot). */
const CLOCK_SQL: Readonly<Record<AlarmClock, string>> = {
  created: 'd.created_at',
  'authorised-or-created': 'coalesce(d.authorised_at, d.created_at)',
  delivered: 'd.delivered_at',
  'rejected-or-created': 'coalesce(d.rejected_at, d.created_at)',
  event: 'e.event_at',
};

/**
 * The alarms due now, counted in one pass over the open rows (the delivery_row_open index): each
 * rule's states and the latest instant its limit has passed for, per document kind, from the domain.
 * Unlike $exchange-alarms, which evaluates at most 5,000 rows, nothing is left out.
 */
async function overdueCounts(
  ctx: ExchangeContext,
  tx: SqlExecutor,
  now: Date,
): Promise<Map<AlarmCode, number>> {
  const cutoffs = alarmCutoffs(now, ctx.options.alarms);
  const params: unknown[] = [[...DOCUMENT_KINDS]];
  const add = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const columns = cutoffs.rows.map(
    (rule, index) =>
      `count(*) filter (where d.state = any(${add(rule.states)}::text[]) and ${CLOCK_SQL[rule.clock]} <=
         (${add(DOCUMENT_KINDS.map((kind) => rule.dueFrom[kind].toISOString()))}::timestamptz[])[array_position($1::text[], e.kind)]
       )::int as "${index}"`,
  );
  const { rows } = await tx.query<Record<string, number>>(
    `select ${columns.join(', ')},
       (select count(*)::int from exchange_document h
         where h.status = 'held' and coalesce(h.held_at, h.event_at) <= ${add(cutoffs.heldForReviewFrom.toISOString())}::timestamptz
       ) as held
     from delivery_row d join exchange_document e on e.id = d.document_row
     where d.state not in ('filed', 'superseded', 'withdrawn', 'duplicate', 'rerouted')`,
    params,
  );
  const counts = new Map<AlarmCode, number>();
  cutoffs.rows.forEach((rule, index) => counts.set(rule.code, Number(rows[0]?.[String(index)] ?? 0)));
  counts.set('held-for-review', Number(rows[0]?.held ?? 0));
  // Transport endpoints are few; their rule is evaluated as it is for $exchange-alarms.
  const endpoints = evaluateAlarms({ endpoints: await endpointSnapshots(tx) }, now, ctx.options.alarms);
  counts.set('endpoint-not-acknowledging', endpoints.length);
  return counts;
}

/** Letters delivered on each of the last `days` London days (today last), zero-filled. */
async function deliveredPerDay(
  tx: SqlExecutor,
  now: Date,
  days: number,
): Promise<Array<{ day: string; count: number }>> {
  const today = londonDate(now);
  const dates = Array.from({ length: days }, (_, index) => addCalendarDays(today, index - days + 1));
  const { rows } = await tx.query<{ day: string; count: number }>(
    `select to_char(d.delivered_at at time zone 'Europe/London', 'YYYY-MM-DD') as day, count(*)::int as count
     from delivery_row d
     where d.delivered_at >= $1::timestamptz and d.delivered_at < $2::timestamptz
     group by 1`,
    [
      londonStartOfDay(dates[0] ?? today).toISOString(),
      londonStartOfDay(addCalendarDays(today, 1)).toISOString(),
    ],
  );
  const counted = new Map(rows.map((row) => [row.day, Number(row.count)]));
  return dates.map((day) => ({ day, count: counted.get(day) ?? 0 }));
}
