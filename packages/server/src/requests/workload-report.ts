import type { Parameters } from 'fhir/r4.js';
import {
  REQUEST_CATEGORIES,
  addCalendarDays,
  fhirError,
  londonDate,
  londonStartOfDay,
  periodOf,
  workloadCsv,
  workloadLedger,
  type IsoDate,
  type WorkloadFigures,
  type WorkloadLedger,
  type WorkloadPeriod,
  type WorkloadRow,
} from '@carebridge/domain';
import type { AccessContext } from '../access/access-control.js';
import { code, group, int, parameters, ref, str, type Part } from '../exchange/parameters.js';
import type { SqlExecutor } from '../store/database.js';
import { isOperations, type RequestContext } from './context.js';
import { WORKLOAD_ROW_LIMIT, workloadRows, type RequestRow, type WorkloadQuery } from './ledger-store.js';

/**
 * `$workload-ledger` (Parameters) and `$workload-ledger-csv` (text/csv): the work hospitals ask of
 * practices, by sending organisation, specialty and category, accepted against declined, in estimated
 * GP minutes, with a weekly or monthly trend. Staff see the requests their organisation made or was
 * sent; operations (the ICB) see everything. Aggregates only: no patient appears in the answer.
 */

interface LedgerQuery {
  period: WorkloadPeriod;
  from: IsoDate;
  to: IsoDate;
  scope: Omit<WorkloadQuery, 'from' | 'to'>;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function bad(name: string, expected: string) {
  return fhirError('invalid-search-parameter', `$workload-ledger parameter '${name}' must be ${expected}.`, [
    name,
  ]);
}

function dateParameter(name: string, value: string): IsoDate {
  if (!ISO_DATE.test(value)) throw bad(name, 'a date (YYYY-MM-DD)');
  try {
    londonStartOfDay(value);
  } catch {
    throw bad(name, 'a real calendar date');
  }
  return value;
}

/** Twelve periods up to today, when the caller names no range. */
function defaultFrom(to: IsoDate, period: WorkloadPeriod): IsoDate {
  if (period === 'week') return addCalendarDays(periodOf(new Date(`${to}T12:00:00Z`), 'week'), -7 * 11);
  const [year, month] = to.split('-').map(Number) as [number, number];
  const start = new Date(Date.UTC(year, month - 1 - 11, 1));
  return start.toISOString().slice(0, 10);
}

export function ledgerQuery(
  ctx: RequestContext,
  access: AccessContext,
  query: Array<[string, string]>,
): LedgerQuery {
  let period: WorkloadPeriod = 'month';
  let from: IsoDate | undefined;
  let to: IsoDate | undefined;
  const scope: LedgerQuery['scope'] = {};
  const everyone = isOperations(access) || access.principal.patientAccess === 'all';
  for (const [name, value] of query) {
    switch (name) {
      case 'period':
        if (value !== 'week' && value !== 'month') throw bad(name, 'week or month');
        period = value;
        break;
      case 'from':
        from = dateParameter(name, value);
        break;
      case 'to':
        to = dateParameter(name, value);
        break;
      case 'requester':
        scope.requesterOrgId = value.replace(/^Organization\//, '');
        break;
      case 'owner':
        scope.ownerOrgId = value.replace(/^Organization\//, '');
        break;
      case 'organization':
        if (!everyone)
          throw fhirError('forbidden', 'Only operations may read another organisation’s ledger.');
        scope.organizationId = value.replace(/^Organization\//, '');
        break;
      default:
        throw fhirError('invalid-search-parameter', `$workload-ledger takes no parameter '${name}'.`, [name]);
    }
  }
  if (!everyone) {
    if (access.principal.kind === 'patient' || access.principal.organizationId === undefined) {
      throw fhirError('forbidden', 'The workload ledger is for organisations and operations.');
    }
    scope.organizationId = access.principal.organizationId;
  }
  to ??= londonDate(ctx.clock.now());
  from ??= defaultFrom(to, period);
  if (from > to) throw bad('from', 'on or before to');
  return { period, from, to, scope };
}

function rowOf(row: RequestRow): WorkloadRow {
  return {
    requesterId: row.requesterOrgId,
    requesterName: row.requesterName,
    ...(row.requesterOds === null ? {} : { requesterOds: row.requesterOds }),
    specialty: row.specialty,
    category: row.category,
    status: row.status,
    estimatedMinutes: row.estimatedMinutes,
    flagged: row.flagged,
    declinedCitingRule: row.declineRuleId !== null,
    createdAt: row.createdAt,
  };
}

export async function buildLedger(tx: SqlExecutor, query: LedgerQuery): Promise<WorkloadLedger> {
  const rows = await workloadRows(tx, {
    ...query.scope,
    from: londonStartOfDay(query.from),
    to: londonStartOfDay(addCalendarDays(query.to, 1)),
  });
  if (rows.length > WORKLOAD_ROW_LIMIT) {
    throw fhirError(
      'invalid-search-value',
      `The range holds more than ${WORKLOAD_ROW_LIMIT} requests; ask for a shorter one.`,
      ['from'],
    );
  }
  return workloadLedger(rows.map(rowOf), query.period, { from: query.from, to: query.to });
}

function figureParts(figures: WorkloadFigures): Part[] {
  return [
    int('requests', figures.requests),
    int('accepted', figures.accepted),
    int('declined', figures.declined),
    int('declinedCitingRule', figures.declinedCitingRule),
    int('pending', figures.pending),
    int('cancelled', figures.cancelled),
    int('flagged', figures.flagged),
    int('minutesRequested', figures.minutesRequested),
    int('minutesAccepted', figures.minutesAccepted),
    int('minutesDeclined', figures.minutesDeclined),
  ];
}

export function ledgerParameters(query: LedgerQuery, ledger: WorkloadLedger): Parameters {
  return parameters([
    code('period', ledger.period),
    str('from', query.from),
    str('to', query.to),
    group('totals', figureParts(ledger.totals)),
    ...ledger.groups.map((entry) =>
      group('group', [
        ref('requester', `Organization/${entry.requesterId}`),
        str('requesterName', entry.requesterName),
        str('requesterOds', entry.requesterOds),
        str('specialty', entry.specialty),
        code('category', entry.category),
        str('categoryDisplay', REQUEST_CATEGORIES[entry.category].display),
        ...figureParts(entry),
      ]),
    ),
    ...ledger.trend.map((point) => group('trend', [str('period', point.period), ...figureParts(point)])),
  ]);
}

export function ledgerCsv(ledger: WorkloadLedger): string {
  return workloadCsv(ledger);
}
