import { mostPressingFirst, type AlarmSeverity } from '../alarm-order.js';
import {
  ENGLAND_AND_WALES_BANK_HOLIDAYS,
  addDuration,
  describeDuration,
  holidaySet,
  type Duration,
  type IsoDate,
} from './calendar.js';
import { DOCUMENT_DEFINITIONS, DOCUMENT_KINDS, type DocumentKind } from './document-definitions.js';
import { LEDGER_STATE_OWNERS, type LedgerState, type ResponsibleParty } from './ledger.js';

/**
 * Ageing alarms: every state a document can sit in has a limit, and passing it tells the party who
 * must act. The alarms are computed from facts and a clock passed in, so the same function serves the
 * scheduler, the dashboards and the tests, and "when is the next alarm due" is exact rather than polled.
 */

export const ALARM_CODES = [
  'authorisation-overdue',
  'delivery-sla-breached',
  'not-delivered',
  'not-filed',
  'rejection-unresolved',
  'endpoint-not-acknowledging',
  'held-for-review',
] as const;

export type AlarmCode = (typeof ALARM_CODES)[number];
export type { AlarmSeverity };

export interface Alarm {
  code: AlarmCode;
  severity: AlarmSeverity;
  party: Exclude<ResponsibleParty, 'none'>;
  /** When the limit was passed. */
  dueAt: Date;
  message: string;
  documentId?: string;
  recipient?: string;
  endpoint?: string;
}

/** One ledger row, as alarms need it. Timestamps the row has not reached are left out. */
export interface LedgerRowSnapshot {
  documentId: string;
  recipient: string;
  kind: DocumentKind;
  state: LedgerState;
  /** When the document was first drafted: the authorisation clock. */
  createdAt: Date;
  /** When it was authorised (became final). */
  authorisedAt?: Date;
  deliveredAt?: Date;
  /** When it was rejected. */
  rejectedAt?: Date;
  /** The discharge or attendance instant the contractual clock runs from (DocumentFacts.eventAt). */
  eventAt?: Date;
}

/** A transport endpoint (a MESH mailbox, a GP system) and what it has left unacknowledged. */
export interface EndpointSnapshot {
  endpoint: string;
  pendingMessages: number;
  /** When the oldest message still waiting for an acknowledgement was sent. */
  oldestPendingSince?: Date;
  lastAcknowledgementAt?: Date;
}

/**
 * A document held at submission for a person to review (the patient could not be matched with
 * certainty, or no recipient could be found). It has no ledger rows yet, so it needs its own alarm:
 * a held letter is an undelivered letter.
 */
export interface HeldDocumentSnapshot {
  documentId: string;
  kind: DocumentKind;
  heldAt: Date;
  /** Why it was held (unknown-patient, demographics-mismatch, ...), for the message. */
  reason: string;
}

export interface AlarmSnapshot {
  documents?: readonly LedgerRowSnapshot[];
  endpoints?: readonly EndpointSnapshot[];
  held?: readonly HeldDocumentSnapshot[];
}

export interface AlarmConfig {
  /** Draft or awaiting authorisation for longer than this, from creation. */
  authorisation: Readonly<Record<DocumentKind, Duration>>;
  /** Contractual delivery limit from the discharge or attendance. */
  delivery: Readonly<Record<DocumentKind, Duration>>;
  /** Final or queued but not delivered, from authorisation. */
  notDelivered: Duration;
  /** Delivered or opened but not filed, from delivery. */
  notFiled: Duration;
  /** Rejected and not yet corrected, re-routed or withdrawn, from rejection. */
  rejectionUnresolved: Duration;
  /** An endpoint with pending messages that has acknowledged nothing for this long. */
  endpointSilence: Duration;
  /** A document held for review (patient match, recipient) for longer than this, from the hold. */
  heldForReview: Duration;
  bankHolidays: readonly IsoDate[];
}

const byKind = (pick: (kind: DocumentKind) => Duration): Record<DocumentKind, Duration> =>
  Object.fromEntries(DOCUMENT_KINDS.map((kind) => [kind, pick(kind)])) as Record<DocumentKind, Duration>;

/** The defaults: the document definitions' SLAs, 15 minutes to deliver, 2 working days to file. */
export const DEFAULT_ALARM_CONFIG: AlarmConfig = {
  authorisation: byKind((kind) => DOCUMENT_DEFINITIONS[kind].authorisationSla.duration),
  delivery: byKind((kind) => DOCUMENT_DEFINITIONS[kind].deliverySla.duration),
  notDelivered: { amount: 15, unit: 'minutes' },
  notFiled: { amount: 2, unit: 'working-days' },
  rejectionUnresolved: { amount: 1, unit: 'working-days' },
  endpointSilence: { amount: 30, unit: 'minutes' },
  heldForReview: { amount: 1, unit: 'working-days' },
  bankHolidays: ENGLAND_AND_WALES_BANK_HOLIDAYS,
};

/** The defaults with some limits changed; per-kind maps merge rather than replace. */
export function alarmConfig(
  overrides: Partial<Omit<AlarmConfig, 'authorisation' | 'delivery'>> & {
    authorisation?: Partial<Record<DocumentKind, Duration>>;
    delivery?: Partial<Record<DocumentKind, Duration>>;
  } = {},
): AlarmConfig {
  return {
    ...DEFAULT_ALARM_CONFIG,
    ...overrides,
    authorisation: { ...DEFAULT_ALARM_CONFIG.authorisation, ...overrides.authorisation },
    delivery: { ...DEFAULT_ALARM_CONFIG.delivery, ...overrides.delivery },
  };
}

const NOT_YET_DELIVERED: ReadonlySet<LedgerState> = new Set([
  'draft',
  'awaiting-authorisation',
  'final',
  'queued',
  'rejected',
]);

/** The party for an alarm on a row: whoever owns its state, operations when nobody does. */
function ownerOf(state: LedgerState): Exclude<ResponsibleParty, 'none'> {
  const party = LEDGER_STATE_OWNERS[state].party;
  return party === 'none' ? 'operations' : party;
}

/** Which instant of a ledger row an alarm's limit runs from (the same fallbacks scheduledAlarms uses). */
export type AlarmClock = 'created' | 'authorised-or-created' | 'delivered' | 'rejected-or-created' | 'event';

/** The instant a row's clock names, or undefined when the row has not reached it (no alarm yet). */
function clockInstant(row: LedgerRowSnapshot, clock: AlarmClock): Date | undefined {
  switch (clock) {
    case 'created':
      return row.createdAt;
    case 'authorised-or-created':
      return row.authorisedAt ?? row.createdAt;
    case 'delivered':
      return row.deliveredAt;
    case 'rejected-or-created':
      return row.rejectedAt ?? row.createdAt;
    case 'event':
      return row.eventAt;
  }
}

/**
 * One ledger-row alarm: a row in one of `states` raises it once `limit` has passed since its `clock`
 * instant. scheduledAlarms (row by row) and alarmCutoffs (for a database to count) both read this
 * table, so the two cannot state different states, clocks or limits.
 */
interface RowAlarmRule {
  code: AlarmCode;
  severity: AlarmSeverity;
  /** Who must act: a fixed party, or whoever owns the row's state. */
  party: Exclude<ResponsibleParty, 'none'> | 'state-owner';
  states: readonly LedgerState[];
  clock: AlarmClock;
  limit: (config: AlarmConfig, kind: DocumentKind) => Duration;
  message: (row: LedgerRowSnapshot, title: string, limit: string) => string;
}

const ROW_ALARM_RULES: readonly RowAlarmRule[] = [
  {
    code: 'authorisation-overdue',
    severity: 'urgent',
    party: 'sender',
    states: ['draft', 'awaiting-authorisation'],
    clock: 'created',
    limit: (config, kind) => config.authorisation[kind],
    message: (_row, title, limit) => `A ${title} has been unauthorised for more than ${limit}.`,
  },
  {
    code: 'not-delivered',
    severity: 'urgent',
    party: 'operations',
    states: ['final', 'queued'],
    clock: 'authorised-or-created',
    limit: (config) => config.notDelivered,
    message: (_row, title, limit) => `An authorised ${title} has not been delivered within ${limit}.`,
  },
  {
    code: 'not-filed',
    severity: 'warning',
    party: 'recipient',
    states: ['delivered', 'opened'],
    clock: 'delivered',
    limit: (config) => config.notFiled,
    message: (row, title, limit) =>
      `A ${title} delivered to ${row.recipient} has not been filed within ${limit}.`,
  },
  {
    code: 'rejection-unresolved',
    severity: 'urgent',
    party: 'sender',
    states: ['rejected'],
    clock: 'rejected-or-created',
    limit: (config) => config.rejectionUnresolved,
    message: (_row, title, limit) =>
      `A rejected ${title} has not been corrected, re-routed or withdrawn within ${limit}.`,
  },
  {
    code: 'delivery-sla-breached',
    severity: 'critical',
    party: 'state-owner',
    states: [...NOT_YET_DELIVERED],
    clock: 'event',
    limit: (config, kind) => config.delivery[kind],
    message: (row, title, limit) => {
      const definition = DOCUMENT_DEFINITIONS[row.kind];
      const clause = definition.deliverySla.clause;
      return `A ${title} was not delivered within ${limit} of the ${
        definition.eventDate === 'attendance' ? 'attendance' : 'discharge'
      }${clause === undefined ? '' : ` (NHS Standard Contract ${clause})`}.`;
    },
  },
];

/**
 * Every alarm the snapshot will raise if nothing changes, due now or later. evaluateAlarms and
 * nextAlarmDueAt are both views of this, so they cannot disagree.
 */
export function scheduledAlarms(
  snapshot: AlarmSnapshot,
  config: AlarmConfig = DEFAULT_ALARM_CONFIG,
): Alarm[] {
  const holidays = holidaySet(config.bankHolidays);
  const alarms: Alarm[] = [];
  for (const row of snapshot.documents ?? []) {
    const title = DOCUMENT_DEFINITIONS[row.kind].title.toLowerCase();
    for (const rule of ROW_ALARM_RULES) {
      const from = clockInstant(row, rule.clock);
      if (from === undefined || !rule.states.includes(row.state)) continue;
      const limit = rule.limit(config, row.kind);
      alarms.push({
        code: rule.code,
        severity: rule.severity,
        party: rule.party === 'state-owner' ? ownerOf(row.state) : rule.party,
        dueAt: addDuration(from, limit, holidays),
        message: rule.message(row, title, describeDuration(limit)),
        documentId: row.documentId,
        recipient: row.recipient,
      });
    }
  }
  for (const endpoint of snapshot.endpoints ?? []) {
    if (endpoint.pendingMessages <= 0 || endpoint.oldestPendingSince === undefined) continue;
    // Silence counts from the later of the last acknowledgement and the oldest unacknowledged message:
    // an endpoint with nothing to acknowledge is quiet, not broken.
    const since = Math.max(
      endpoint.oldestPendingSince.getTime(),
      endpoint.lastAcknowledgementAt?.getTime() ?? -Infinity,
    );
    alarms.push({
      code: 'endpoint-not-acknowledging',
      severity: 'critical',
      party: 'operations',
      dueAt: addDuration(new Date(since), config.endpointSilence, holidays),
      message: `${endpoint.endpoint} has acknowledged nothing for ${describeDuration(config.endpointSilence)} with ${endpoint.pendingMessages} message(s) waiting.`,
      endpoint: endpoint.endpoint,
    });
  }
  for (const held of snapshot.held ?? []) alarms.push(heldAlarm(held, config, holidays));
  return alarms;
}

function heldAlarm(held: HeldDocumentSnapshot, config: AlarmConfig, holidays: ReadonlySet<IsoDate>): Alarm {
  const title = DOCUMENT_DEFINITIONS[held.kind].title.toLowerCase();
  return {
    code: 'held-for-review',
    severity: 'urgent',
    party: 'operations',
    dueAt: addDuration(held.heldAt, config.heldForReview, holidays),
    message: `A ${title} held for review (${held.reason}) has not been released or returned within ${describeDuration(config.heldForReview)}; it reaches nobody until then.`,
    documentId: held.documentId,
  };
}

/** The alarms due at `now` (dueAt ≤ now), most severe first, then oldest first. */
export function evaluateAlarms(
  snapshot: AlarmSnapshot,
  now: Date,
  config: AlarmConfig = DEFAULT_ALARM_CONFIG,
): Alarm[] {
  return scheduledAlarms(snapshot, config)
    .filter((alarm) => alarm.dueAt.getTime() <= now.getTime())
    .sort(mostPressingFirst);
}

/**
 * When the scheduler should look again: the earliest alarm due strictly after `after` (pass the
 * current time), or the earliest of all when `after` is omitted. Undefined when no alarm can fall due
 * without the snapshot changing.
 */
export function nextAlarmDueAt(
  snapshot: AlarmSnapshot,
  config: AlarmConfig = DEFAULT_ALARM_CONFIG,
  after?: Date,
): Date | undefined {
  let earliest: number | undefined;
  for (const alarm of scheduledAlarms(snapshot, config)) {
    const due = alarm.dueAt.getTime();
    if (after !== undefined && due <= after.getTime()) continue;
    if (earliest === undefined || due < earliest) earliest = due;
  }
  return earliest === undefined ? undefined : new Date(earliest);
}

/**
 * One ledger-row alarm as a database can count it: a row in one of `states` raises it now when its
 * `clock` instant is at or before `dueFrom[kind]`. The same limits as scheduledAlarms, so a count in
 * SQL agrees with the alarms evaluated row by row (alarms.test.ts checks the two against each other).
 */
export interface RowAlarmCutoff {
  code: AlarmCode;
  states: readonly LedgerState[];
  clock: AlarmClock;
  dueFrom: Readonly<Record<DocumentKind, Date>>;
}

/** The cut-offs of every ledger-row alarm at `now`; held documents count from `heldForReviewFrom`. */
export function alarmCutoffs(
  now: Date,
  config: AlarmConfig = DEFAULT_ALARM_CONFIG,
): { rows: RowAlarmCutoff[]; heldForReviewFrom: Date } {
  const holidays = holidaySet(config.bankHolidays);
  // Kinds often share a limit: each distinct one is bisected once.
  const found = new Map<string, Date>();
  const latest = (limit: Duration): Date => {
    const key = `${limit.amount} ${limit.unit}`;
    const due = found.get(key) ?? latestStartDue(limit, now, holidays);
    found.set(key, due);
    return due;
  };
  return {
    rows: ROW_ALARM_RULES.map((rule) => ({
      code: rule.code,
      states: rule.states,
      clock: rule.clock,
      dueFrom: byKindDate((kind) => latest(rule.limit(config, kind))),
    })),
    heldForReviewFrom: latest(config.heldForReview),
  };
}

const byKindDate = (pick: (kind: DocumentKind) => Date): Record<DocumentKind, Date> =>
  Object.fromEntries(DOCUMENT_KINDS.map((kind) => [kind, pick(kind)])) as Record<DocumentKind, Date>;

/**
 * The latest start whose limit has passed at `now`: addDuration(start, limit) ≤ now exactly when
 * start ≤ the answer. Found by bisection over addDuration itself rather than by a second, inverse
 * calendar, so the two can never disagree (addDuration only moves forward as its start does, apart
 * from the repeated hour of October's clock change for limits in calendar days).
 */
export function latestStartDue(limit: Duration, now: Date, holidays: ReadonlySet<IsoDate>): Date {
  const due = (start: number) => addDuration(new Date(start), limit, holidays).getTime() <= now.getTime();
  const span = (limit.amount * 2 + 21) * 86_400_000;
  let low = now.getTime() - span;
  while (!due(low)) low -= span;
  // A limit never ends before it starts, so a start after `now` is never due.
  let high = now.getTime() + 1;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (due(middle)) low = middle;
    else high = middle;
  }
  return new Date(low);
}
