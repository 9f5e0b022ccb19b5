import { mostPressingFirst, type AlarmSeverity } from '../alarm-order.js';
import {
  ENGLAND_AND_WALES_BANK_HOLIDAYS,
  addDuration,
  describeDuration,
  holidaySet,
  type Duration,
  type IsoDate,
} from '../exchange/calendar.js';
import { REQUEST_CATEGORIES, type RequestCategory } from './categories.js';
import { UNANSWERED_REQUEST_STATUSES, type RequestParty, type RequestStatus } from './status.js';

/**
 * Ageing alarms for requests: a request nobody answers, one past its due date, and a decline the
 * requester has not picked up are each a patient whose care has stalled between two organisations.
 * Every alarm names the party that must act and the party that is told, so both sides see it.
 * Computed from the request's timestamps and a clock passed in, like the exchange alarms.
 */

export const REQUEST_ALARM_CODES = [
  'request-unanswered',
  'request-overdue',
  'decline-not-acknowledged',
] as const;
export type RequestAlarmCode = (typeof REQUEST_ALARM_CODES)[number];
export type RequestPriority = 'routine' | 'urgent' | 'asap' | 'stat';

export interface RequestAlarm {
  code: RequestAlarmCode;
  severity: AlarmSeverity;
  /** Who must act. */
  party: RequestParty;
  /** Who else is told (the other side). */
  informs: RequestParty;
  dueAt: Date;
  message: string;
  requestId: string;
}

/** One request, as alarms need it. */
export interface RequestSnapshot {
  requestId: string;
  category: RequestCategory;
  status: RequestStatus;
  priority: RequestPriority;
  /** When the owner was asked (created, or filed from a letter). */
  createdAt: Date;
  /** The requester's deadline (Task.restriction.period.end), if it set one. */
  dueAt?: Date;
  declinedAt?: Date;
  declineAcknowledged?: boolean;
}

export interface RequestAlarmConfig {
  /** A routine request unanswered (not accepted or declined) for longer than this. */
  unanswered: Duration;
  /** An urgent, asap or stat request unanswered for longer than this. */
  unansweredUrgent: Duration;
  /** A decline the requester has not acknowledged for longer than this. */
  declineNotAcknowledged: Duration;
  bankHolidays: readonly IsoDate[];
}

/** Defaults: 2 working days to answer, 4 hours when urgent, 1 working day to pick up a decline. */
export const DEFAULT_REQUEST_ALARM_CONFIG: RequestAlarmConfig = {
  unanswered: { amount: 2, unit: 'working-days' },
  unansweredUrgent: { amount: 4, unit: 'hours' },
  declineNotAcknowledged: { amount: 1, unit: 'working-days' },
  bankHolidays: ENGLAND_AND_WALES_BANK_HOLIDAYS,
};

const OPEN_FOR_DUE_DATE: ReadonlySet<RequestStatus> = new Set([
  'requested',
  'received',
  'accepted',
  'in-progress',
]);

function unansweredAlarm(row: RequestSnapshot, config: RequestAlarmConfig, holidays: ReadonlySet<IsoDate>) {
  const urgent = row.priority !== 'routine';
  const limit = urgent ? config.unansweredUrgent : config.unanswered;
  const what = REQUEST_CATEGORIES[row.category].display.toLowerCase();
  return {
    code: 'request-unanswered' as const,
    severity: urgent ? ('urgent' as const) : ('warning' as const),
    party: 'owner' as const,
    informs: 'requester' as const,
    dueAt: addDuration(row.createdAt, limit, holidays),
    message: `A${urgent ? 'n urgent' : ''} request to ${what} has not been accepted or declined within ${describeDuration(limit)}.`,
    requestId: row.requestId,
  };
}

/** Every alarm the snapshot will raise if nothing changes, due now or later. */
export function scheduledRequestAlarms(
  rows: readonly RequestSnapshot[],
  config: RequestAlarmConfig = DEFAULT_REQUEST_ALARM_CONFIG,
): RequestAlarm[] {
  const holidays = holidaySet(config.bankHolidays);
  const alarms: RequestAlarm[] = [];
  for (const row of rows) {
    const what = REQUEST_CATEGORIES[row.category].display.toLowerCase();
    if (UNANSWERED_REQUEST_STATUSES.includes(row.status)) alarms.push(unansweredAlarm(row, config, holidays));
    if (row.dueAt !== undefined && OPEN_FOR_DUE_DATE.has(row.status)) {
      alarms.push({
        code: 'request-overdue',
        severity: 'urgent',
        party: 'owner',
        informs: 'requester',
        dueAt: row.dueAt,
        message: `A request to ${what} is past its due date and is ${row.status}.`,
        requestId: row.requestId,
      });
    }
    if (row.status === 'declined' && !row.declineAcknowledged && row.declinedAt !== undefined) {
      alarms.push({
        code: 'decline-not-acknowledged',
        severity: 'urgent',
        party: 'requester',
        informs: 'owner',
        dueAt: addDuration(row.declinedAt, config.declineNotAcknowledged, holidays),
        message: `A declined request to ${what} has not been taken back by the requester within ${describeDuration(config.declineNotAcknowledged)}.`,
        requestId: row.requestId,
      });
    }
  }
  return alarms;
}

/** The alarms due at `now`, most severe first, then oldest first. */
export function evaluateRequestAlarms(
  rows: readonly RequestSnapshot[],
  now: Date,
  config: RequestAlarmConfig = DEFAULT_REQUEST_ALARM_CONFIG,
): RequestAlarm[] {
  return scheduledRequestAlarms(rows, config)
    .filter((alarm) => alarm.dueAt.getTime() <= now.getTime())
    .sort(mostPressingFirst);
}
