/**
 * Dates and durations as the NHS in England and Wales counts them: local (Europe/London) calendar
 * days, working days that skip weekends and bank holidays, and plain elapsed time. SLAs are
 * contractual, so "2 working days" must mean what a practice manager means, including across the
 * clock changes.
 *
 * The UK daylight-saving rule (BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
 * last Sunday of October, in force since 1996) is computed here rather than read from the ICU
 * time-zone database, so results do not depend on how Node was built and the hot path stays cheap.
 */

/** A calendar date in ISO form, `YYYY-MM-DD`. */
export type IsoDate = string;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Bank holidays in England and Wales, 2025–2027 (gov.uk/bank-holidays), substitute days included.
 * Scotland and Northern Ireland differ; pass another list where that matters.
 */
export const ENGLAND_AND_WALES_BANK_HOLIDAYS: readonly IsoDate[] = [
  '2025-01-01',
  '2025-04-18',
  '2025-04-21',
  '2025-05-05',
  '2025-05-26',
  '2025-08-25',
  '2025-12-25',
  '2025-12-26',
  '2026-01-01',
  '2026-04-03',
  '2026-04-06',
  '2026-05-04',
  '2026-05-25',
  '2026-08-31',
  '2026-12-25',
  '2026-12-28',
  '2027-01-01',
  '2027-03-26',
  '2027-03-29',
  '2027-05-03',
  '2027-05-31',
  '2027-08-30',
  '2027-12-27',
  '2027-12-28',
];

/** An SLA length. `days` are London calendar days (same wall-clock time); `working-days` skip weekends and holidays. */
export interface Duration {
  amount: number;
  unit: 'minutes' | 'hours' | 'days' | 'working-days';
}

/** The instant (ms since the epoch, UTC) of 01:00 UTC on the last Sunday of the month. */
function lastSundayOneAmUtc(year: number, monthIndex: number): number {
  const lastDay = new Date(Date.UTC(year, monthIndex + 1, 0));
  const sunday = lastDay.getUTCDate() - lastDay.getUTCDay();
  return Date.UTC(year, monthIndex, sunday, 1);
}

/** True when British Summer Time is in force at the instant. */
export function isBritishSummerTime(instant: Date | number): boolean {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const year = new Date(ms).getUTCFullYear();
  return ms >= lastSundayOneAmUtc(year, 2) && ms < lastSundayOneAmUtc(year, 9);
}

function londonOffsetMs(ms: number): number {
  return isBritishSummerTime(ms) ? HOUR_MS : 0;
}

function isoFromUtcFields(ms: number): IsoDate {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The London calendar date of an instant (23:30 UTC on 30 June is already 1 July in London). */
export function londonDate(instant: Date): IsoDate {
  const ms = instant.getTime();
  return isoFromUtcFields(ms + londonOffsetMs(ms));
}

function parseIsoDate(date: IsoDate): number {
  const match = ISO_DATE.exec(date);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  // Date.UTC rolls 2026-02-30 over to 2 March; a date that does not round-trip is not a real date.
  if (Number.isNaN(ms) || isoFromUtcFields(ms) !== date) {
    throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${date}`);
  }
  return ms;
}

/**
 * The instant London's day starts. Midnight is never inside a clock change (they happen at 01:00
 * GMT and 02:00 BST), so the offset an hour before UTC midnight decides it.
 */
export function londonStartOfDay(date: IsoDate): Date {
  const utcMidnight = parseIsoDate(date);
  return new Date(isBritishSummerTime(utcMidnight - HOUR_MS) ? utcMidnight - HOUR_MS : utcMidnight);
}

/** The date `days` calendar days after `date` (negative goes back). */
export function addCalendarDays(date: IsoDate, days: number): IsoDate {
  return isoFromUtcFields(parseIsoDate(date) + days * DAY_MS);
}

/** True on Saturday, Sunday and the listed bank holidays. */
export function isNonWorkingDay(date: IsoDate, bankHolidays: ReadonlySet<IsoDate>): boolean {
  const weekday = new Date(parseIsoDate(date)).getUTCDay();
  return weekday === 0 || weekday === 6 || bankHolidays.has(date);
}

/** Converts an overridable holiday list to the set the arithmetic uses. */
export function holidaySet(dates: Iterable<IsoDate> = ENGLAND_AND_WALES_BANK_HOLIDAYS): ReadonlySet<IsoDate> {
  return new Set(dates);
}

/** Same London wall-clock time of day, `days` calendar days later. */
function shiftLondonDays(instant: Date, days: number): Date {
  const date = londonDate(instant);
  const sinceMidnight = instant.getTime() - londonStartOfDay(date).getTime();
  return new Date(londonStartOfDay(addCalendarDays(date, days)).getTime() + sinceMidnight);
}

/**
 * The instant `count` working days after `instant`, at the same London wall-clock time. Time that
 * falls on a weekend or holiday does not count: a start on a non-working day counts from the start of
 * the next working day. So Friday 16:00 + 2 working days is Tuesday 16:00, and Saturday 10:00 + 2 is
 * Wednesday 00:00 (Monday and Tuesday both counted in full).
 */
export function addWorkingDays(instant: Date, count: number, bankHolidays: ReadonlySet<IsoDate>): Date {
  if (!Number.isInteger(count) || count < 0) throw new RangeError('count must be a whole number ≥ 0');
  let date = londonDate(instant);
  let start = instant;
  if (isNonWorkingDay(date, bankHolidays)) {
    do date = addCalendarDays(date, 1);
    while (isNonWorkingDay(date, bankHolidays));
    start = londonStartOfDay(date);
  }
  const sinceMidnight = start.getTime() - londonStartOfDay(date).getTime();
  for (let counted = 0; counted < count;) {
    date = addCalendarDays(date, 1);
    if (!isNonWorkingDay(date, bankHolidays)) counted++;
  }
  return new Date(londonStartOfDay(date).getTime() + sinceMidnight);
}

/** `instant` plus an SLA duration. */
export function addDuration(instant: Date, duration: Duration, bankHolidays: ReadonlySet<IsoDate>): Date {
  switch (duration.unit) {
    case 'minutes':
      return new Date(instant.getTime() + duration.amount * MINUTE_MS);
    case 'hours':
      return new Date(instant.getTime() + duration.amount * HOUR_MS);
    case 'days':
      return shiftLondonDays(instant, duration.amount);
    case 'working-days':
      return addWorkingDays(instant, duration.amount, bankHolidays);
  }
}

/** "24 hours", "2 working days": for alarm messages and documentation. */
export function describeDuration(duration: Duration): string {
  const unit = duration.unit.replace('-', ' ');
  return `${duration.amount} ${duration.amount === 1 ? unit.replace(/s$/, '') : unit}`;
}

/**
 * When an event recorded as a FHIR date or dateTime happened, for SLA purposes. A date without a time
 * counts from the end of that London day, so a sender is never called late because of a time it did not
 * state. Partial dates (year or year-month) and unparseable values give undefined.
 */
export function eventInstant(value: string): Date | undefined {
  if (ISO_DATE.test(value)) {
    try {
      return londonStartOfDay(addCalendarDays(value, 1));
    } catch {
      return undefined;
    }
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/**
 * London calendar days from `from` to `to` (midnights passed in London), never negative: 23:30 one
 * evening to 00:30 the next morning is 1 day, and a day the clocks change is still one day.
 */
export function londonDaysBetween(from: Date, to: Date): number {
  const days = (parseIsoDate(londonDate(to)) - parseIsoDate(londonDate(from))) / DAY_MS;
  return Math.max(0, days);
}

/** Whole days (24 h) from `from` to `to`, never negative. */
export function wholeDaysBetween(from: Date, to: Date): number {
  return Math.max(0, Math.floor((to.getTime() - from.getTime()) / DAY_MS));
}
