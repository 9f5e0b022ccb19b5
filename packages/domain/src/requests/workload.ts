import { addCalendarDays, londonDate, type IsoDate } from '../exchange/calendar.js';
import { REQUEST_CATEGORIES, type RequestCategory } from './categories.js';
import type { RequestStatus } from './status.js';

/**
 * The workload-transfer ledger: how much work hospitals ask of practices, what the practices took on
 * and what they handed back, in estimated GP time. Commissioners and local medical committees read it
 * by sending organisation, specialty and category, and as a trend by week or month. Pure aggregation
 * over ledger rows; periods are London calendar weeks (Monday to Sunday) and months.
 */

export interface WorkloadRow {
  /** The sending (requesting) organisation: its id and how it is shown. */
  requesterId: string;
  requesterName: string;
  requesterOds?: string;
  specialty: string;
  category: RequestCategory;
  status: RequestStatus;
  /** Estimated GP minutes, fixed when the request was made. */
  estimatedMinutes: number;
  /** The rules placed the request on its requester. */
  flagged: boolean;
  /** Declined citing a contract rule or local agreement. */
  declinedCitingRule: boolean;
  createdAt: Date;
}

export interface WorkloadFigures {
  requests: number;
  /** Taken on by the owner: accepted, in progress or completed. */
  accepted: number;
  declined: number;
  declinedCitingRule: number;
  /** Not yet answered: requested or received. */
  pending: number;
  cancelled: number;
  flagged: number;
  /** Estimated GP minutes of everything asked, of what was taken on, and of what was handed back. */
  minutesRequested: number;
  minutesAccepted: number;
  minutesDeclined: number;
}

export type WorkloadPeriod = 'week' | 'month';

export interface WorkloadGroup extends WorkloadFigures {
  requesterId: string;
  requesterName: string;
  requesterOds?: string;
  specialty: string;
  category: RequestCategory;
}

export interface WorkloadTrendPoint extends WorkloadFigures {
  /** `YYYY-MM-DD` of the Monday for weeks, `YYYY-MM` for months. */
  period: string;
}

export interface WorkloadCell extends WorkloadGroup {
  period: string;
}

export interface WorkloadLedger {
  period: WorkloadPeriod;
  totals: WorkloadFigures;
  /** By sending organisation × specialty × category, busiest first. */
  groups: WorkloadGroup[];
  /** All requests per period, oldest first. */
  trend: WorkloadTrendPoint[];
  /** By period × sending organisation × specialty × category: the CSV's rows. */
  cells: WorkloadCell[];
}

const ACCEPTED: ReadonlySet<RequestStatus> = new Set(['accepted', 'in-progress', 'completed']);
const PENDING: ReadonlySet<RequestStatus> = new Set(['requested', 'received']);

export function emptyFigures(): WorkloadFigures {
  return {
    requests: 0,
    accepted: 0,
    declined: 0,
    declinedCitingRule: 0,
    pending: 0,
    cancelled: 0,
    flagged: 0,
    minutesRequested: 0,
    minutesAccepted: 0,
    minutesDeclined: 0,
  };
}

function count(figures: WorkloadFigures, row: WorkloadRow): void {
  figures.requests++;
  figures.minutesRequested += row.estimatedMinutes;
  if (row.flagged) figures.flagged++;
  if (ACCEPTED.has(row.status)) {
    figures.accepted++;
    figures.minutesAccepted += row.estimatedMinutes;
  } else if (row.status === 'declined') {
    figures.declined++;
    figures.minutesDeclined += row.estimatedMinutes;
    if (row.declinedCitingRule) figures.declinedCitingRule++;
  } else if (PENDING.has(row.status)) figures.pending++;
  else if (row.status === 'cancelled') figures.cancelled++;
}

/** The period an instant falls in, in London. */
export function periodOf(instant: Date, period: WorkloadPeriod): string {
  const date = londonDate(instant);
  if (period === 'month') return date.slice(0, 7);
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addCalendarDays(date, -((weekday + 6) % 7));
}

/** Every period from `from` to `to` inclusive, so a trend shows the quiet weeks as zeros. */
export function periodsBetween(from: IsoDate, to: IsoDate, period: WorkloadPeriod): string[] {
  const first = periodOf(new Date(`${from}T12:00:00Z`), period);
  const last = periodOf(new Date(`${to}T12:00:00Z`), period);
  const periods: string[] = [];
  for (let current = first; current <= last;) {
    periods.push(current);
    current =
      period === 'week' ? addCalendarDays(current, 7) : addCalendarDays(`${current}-01`, 32).slice(0, 7);
  }
  return periods;
}

const groupKey = (row: WorkloadRow): string => JSON.stringify([row.requesterId, row.specialty, row.category]);

/** Aggregates rows into the ledger; `range` fills the trend's empty periods. */
export function workloadLedger(
  rows: readonly WorkloadRow[],
  period: WorkloadPeriod,
  range?: { from: IsoDate; to: IsoDate },
): WorkloadLedger {
  const totals = emptyFigures();
  const groups = new Map<string, WorkloadGroup>();
  const trend = new Map<string, WorkloadTrendPoint>();
  const cells = new Map<string, WorkloadCell>();
  for (const label of range ? periodsBetween(range.from, range.to, period) : []) {
    trend.set(label, { period: label, ...emptyFigures() });
  }
  for (const row of rows) {
    const label = periodOf(row.createdAt, period);
    const identity = {
      requesterId: row.requesterId,
      requesterName: row.requesterName,
      ...(row.requesterOds === undefined ? {} : { requesterOds: row.requesterOds }),
      specialty: row.specialty,
      category: row.category,
    };
    count(totals, row);
    const key = groupKey(row);
    const group = groups.get(key) ?? { ...identity, ...emptyFigures() };
    groups.set(key, group);
    count(group, row);
    const point = trend.get(label) ?? { period: label, ...emptyFigures() };
    trend.set(label, point);
    count(point, row);
    const cellKey = `${label}|${key}`;
    const cell = cells.get(cellKey) ?? { period: label, ...identity, ...emptyFigures() };
    cells.set(cellKey, cell);
    count(cell, row);
  }
  const byKeys = (a: WorkloadGroup, b: WorkloadGroup) =>
    a.requesterName.localeCompare(b.requesterName) ||
    a.specialty.localeCompare(b.specialty) ||
    a.category.localeCompare(b.category);
  return {
    period,
    totals,
    groups: [...groups.values()].sort((a, b) => b.requests - a.requests || byKeys(a, b)),
    trend: [...trend.values()].sort((a, b) => a.period.localeCompare(b.period)),
    cells: [...cells.values()].sort((a, b) => a.period.localeCompare(b.period) || byKeys(a, b)),
  };
}

const CSV_COLUMNS = [
  'period',
  'sending_organisation',
  'sending_ods',
  'specialty',
  'category',
  'category_display',
  'requests',
  'accepted',
  'declined',
  'declined_citing_rule',
  'pending',
  'cancelled',
  'flagged_as_requester_responsibility',
  'estimated_gp_minutes_requested',
  'estimated_gp_minutes_accepted',
  'estimated_gp_minutes_declined',
] as const;

/**
 * One CSV cell. Quoted when it holds a separator, quote or line break (RFC 4180); a leading = + - @
 * or control character is prefixed with an apostrophe, so an organisation or specialty name can never
 * run as a formula when a commissioner opens the file in a spreadsheet.
 */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The ledger's cells as CSV (header row first, CRLF line ends as RFC 4180 asks). */
export function workloadCsv(ledger: WorkloadLedger): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const cell of ledger.cells) {
    lines.push(
      [
        cell.period,
        cell.requesterName,
        cell.requesterOds ?? '',
        cell.specialty,
        cell.category,
        REQUEST_CATEGORIES[cell.category].display,
        cell.requests,
        cell.accepted,
        cell.declined,
        cell.declinedCitingRule,
        cell.pending,
        cell.cancelled,
        cell.flagged,
        cell.minutesRequested,
        cell.minutesAccepted,
        cell.minutesDeclined,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
