/**
 * FHIR dates as ranges of instants. Every FHIR date is implicitly a range set by its precision
 * (R4 §3.1.1.4.2): "2024" is the whole year [2024-01-01T00:00Z, 2025-01-01T00:00Z), "2024-03-01T10:00:00Z"
 * is that second. Index rows and search values both use this form so that the prefixes (eq, gt,
 * sa, …) can be evaluated as comparisons of ranges.
 */

export interface InstantRange {
  /** Inclusive lower bound as an ISO instant, or '-infinity'. */
  low: string;
  /** Exclusive upper bound as an ISO instant, or 'infinity'. */
  high: string;
}

export const NEGATIVE_INFINITY = '-infinity';
export const POSITIVE_INFINITY = 'infinity';

const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** PostgreSQL and ISO 8601 strings both cover years 0001–9999; beyond that a bound is infinite. */
const FIRST_SUPPORTED_MS = utcMillis(1, 0, 1, 0, 0, 0, 0);
const FIRST_UNSUPPORTED_MS = utcMillis(10000, 0, 1, 0, 0, 0, 0);

/**
 * Milliseconds since the epoch for a UTC calendar time. `Date.UTC` maps years 0–99 to 1900–1999,
 * so the year is set separately.
 */
function utcMillis(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcMillis(year, month + 1, 0, 0, 0, 0, 0)).getUTCDate();
}

/** An instant in the form the index tables store; out-of-range instants become ±infinity. */
export function formatInstant(ms: number): string {
  if (ms < FIRST_SUPPORTED_MS) return NEGATIVE_INFINITY;
  if (ms >= FIRST_UNSUPPORTED_MS) return POSITIVE_INFINITY;
  return new Date(ms).toISOString();
}

export interface ParsedDateRange {
  lowMs: number;
  highMs: number;
}

/**
 * Parses a FHIR date, dateTime or instant (and the search form, which may stop at minutes) into
 * the [low, high) milliseconds its precision covers. A time without a zone is read as UTC: valid
 * FHIR data cannot contain one, and for search values UTC is the only interpretation that does not
 * depend on where the server runs. Returns undefined for anything that is not a real date.
 */
export function parseDateRangeMs(text: string): ParsedDateRange | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fractionText, zoneText] = match;
  const year = Number(yearText);
  if (year < 1) return undefined;
  const month = monthText === undefined ? undefined : Number(monthText) - 1;
  if (month !== undefined && (month < 0 || month > 11)) return undefined;
  const day = dayText === undefined ? undefined : Number(dayText);
  if (day !== undefined && (day < 1 || day > daysInMonth(year, month ?? 0))) return undefined;

  if (month === undefined)
    return { lowMs: utcMillis(year, 0, 1, 0, 0, 0, 0), highMs: utcMillis(year + 1, 0, 1, 0, 0, 0, 0) };
  if (day === undefined) {
    return {
      lowMs: utcMillis(year, month, 1, 0, 0, 0, 0),
      highMs: utcMillis(year, month + 1, 1, 0, 0, 0, 0),
    };
  }
  if (hourText === undefined || minuteText === undefined) {
    return {
      lowMs: utcMillis(year, month, day, 0, 0, 0, 0),
      highMs: utcMillis(year, month, day + 1, 0, 0, 0, 0),
    };
  }

  const hour = Number(hourText);
  const minute = Number(minuteText);
  // Second 60 is a leap second; JavaScript time has none, so it is read as the next second.
  const second = secondText === undefined ? 0 : Number(secondText);
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const offsetMs = zoneOffsetMs(zoneText);
  if (offsetMs === undefined) return undefined;

  const { milliseconds, unitMs } = fractionPrecision(secondText, fractionText);
  const lowMs = utcMillis(year, month, day, hour, minute, second, milliseconds) - offsetMs;
  return { lowMs, highMs: lowMs + unitMs };
}

/** The milliseconds a fraction contributes and the width of the range its precision implies. */
function fractionPrecision(
  secondText: string | undefined,
  fractionText: string | undefined,
): { milliseconds: number; unitMs: number } {
  if (secondText === undefined) return { milliseconds: 0, unitMs: 60_000 };
  if (fractionText === undefined) return { milliseconds: 0, unitMs: 1000 };
  // Index and search both work in milliseconds; finer digits are truncated to the millisecond.
  const digits = Math.min(fractionText.length, 3);
  const milliseconds = Number(fractionText.slice(0, 3).padEnd(3, '0'));
  return { milliseconds, unitMs: 10 ** (3 - digits) };
}

function zoneOffsetMs(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 14 || minutes > 59 || (hours === 14 && minutes > 0)) return undefined;
  return sign * (hours * 60 + minutes) * 60_000;
}

/** The [low, high) range of a FHIR date/dateTime/instant, or undefined when it is not one. */
export function dateRange(text: string): InstantRange | undefined {
  const parsed = parseDateRangeMs(text);
  if (!parsed) return undefined;
  return { low: formatInstant(parsed.lowMs), high: formatInstant(parsed.highMs) };
}
