import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ENGLAND_AND_WALES_BANK_HOLIDAYS,
  addDuration,
  addWorkingDays,
  describeDuration,
  eventInstant,
  holidaySet,
  isBritishSummerTime,
  londonDate,
  londonDaysBetween,
  londonStartOfDay,
  wholeDaysBetween,
} from './calendar.js';

const holidays = holidaySet();
const iso = (date: Date): string => date.toISOString();

/** London wall-clock time from the ICU time-zone database, to check the hand-written BST rule. */
const ICU_LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

function icuLondon(instant: Date): string {
  const parts = ICU_LONDON.formatToParts(instant);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

describe('London calendar', () => {
  it('agrees with the time-zone database on the London date of every hour from 2025 to 2027', () => {
    for (let ms = Date.UTC(2025, 0, 1); ms < Date.UTC(2028, 0, 1); ms += 3_600_000) {
      const instant = new Date(ms);
      assert.equal(londonDate(instant), icuLondon(instant), instant.toISOString());
    }
  });

  it('starts BST at 01:00 UTC on the last Sunday of March and ends it at 01:00 UTC on the last Sunday of October', () => {
    assert.equal(isBritishSummerTime(new Date('2026-03-29T00:59:59Z')), false);
    assert.equal(isBritishSummerTime(new Date('2026-03-29T01:00:00Z')), true);
    assert.equal(isBritishSummerTime(new Date('2026-10-25T00:59:59Z')), true);
    assert.equal(isBritishSummerTime(new Date('2026-10-25T01:00:00Z')), false);
  });

  it('puts the start of a summer day at 23:00 UTC the evening before, and a winter day at midnight UTC', () => {
    assert.equal(iso(londonStartOfDay('2026-07-01')), '2026-06-30T23:00:00.000Z');
    assert.equal(iso(londonStartOfDay('2026-12-01')), '2026-12-01T00:00:00.000Z');
    assert.equal(iso(londonStartOfDay('2026-10-25')), '2026-10-24T23:00:00.000Z');
    assert.equal(iso(londonStartOfDay('2026-03-29')), '2026-03-29T00:00:00.000Z');
  });

  it('refuses a date its month does not have', () => {
    assert.throws(() => londonStartOfDay('2026-02-30'), RangeError);
  });

  it('lists only weekdays as bank holidays, eight a year', () => {
    for (const date of ENGLAND_AND_WALES_BANK_HOLIDAYS) {
      const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
      assert.ok(weekday >= 1 && weekday <= 5, `${date} is a weekday`);
    }
    for (const year of ['2025', '2026', '2027']) {
      assert.equal(ENGLAND_AND_WALES_BANK_HOLIDAYS.filter((d) => d.startsWith(year)).length, 8, year);
    }
  });
});

describe('Working days', () => {
  it('counts Friday afternoon plus two working days as Tuesday afternoon', () => {
    // Friday 6 March 2026, 16:00 GMT.
    assert.equal(
      iso(addWorkingDays(new Date('2026-03-06T16:00:00Z'), 2, holidays)),
      '2026-03-10T16:00:00.000Z',
    );
  });

  it('starts the count at the next working day when the start falls on a weekend', () => {
    // Saturday 7 March 2026: Monday and Tuesday count in full, so due Wednesday 00:00.
    assert.equal(
      iso(addWorkingDays(new Date('2026-03-07T10:00:00Z'), 2, holidays)),
      '2026-03-11T00:00:00.000Z',
    );
  });

  it('skips Good Friday and Easter Monday', () => {
    // Thursday 2 April 2026 09:00 BST; Good Friday 3 April and Easter Monday 6 April are holidays.
    assert.equal(
      iso(addWorkingDays(new Date('2026-04-02T08:00:00Z'), 2, holidays)),
      '2026-04-08T08:00:00.000Z',
    );
  });

  it('skips the Christmas substitute days of 2027', () => {
    // Thursday 23 Dec 2027 10:00 → Fri 24 (1), Mon 27 and Tue 28 are substitute holidays, Wed 29 (2).
    assert.equal(
      iso(addWorkingDays(new Date('2027-12-23T10:00:00Z'), 2, holidays)),
      '2027-12-29T10:00:00.000Z',
    );
  });

  it('keeps the London wall-clock time across the clocks going forward', () => {
    // Friday 27 March 2026 14:00 GMT; BST starts on Sunday 29 March; Tuesday 31 March 14:00 BST = 13:00 UTC.
    assert.equal(
      iso(addWorkingDays(new Date('2026-03-27T14:00:00Z'), 2, holidays)),
      '2026-03-31T13:00:00.000Z',
    );
  });

  it('uses a holiday list passed in instead of the built-in one', () => {
    const start = new Date('2026-04-02T08:00:00Z');
    assert.equal(iso(addWorkingDays(start, 1, holidaySet([]))), '2026-04-03T08:00:00.000Z');
  });
});

describe('Durations and event dates', () => {
  it('adds calendar days at the same London time even across a clock change', () => {
    const due = addDuration(new Date('2026-10-20T09:00:00Z'), { amount: 7, unit: 'days' }, holidays);
    // 10:00 BST on 20 October is 10:00 GMT on 27 October.
    assert.equal(iso(due), '2026-10-27T10:00:00.000Z');
  });

  it('adds hours and minutes as elapsed time', () => {
    const start = new Date('2026-03-28T23:30:00Z');
    assert.equal(
      iso(addDuration(start, { amount: 24, unit: 'hours' }, holidays)),
      '2026-03-29T23:30:00.000Z',
    );
    assert.equal(
      iso(addDuration(start, { amount: 15, unit: 'minutes' }, holidays)),
      '2026-03-28T23:45:00.000Z',
    );
  });

  it('counts a date without a time from the end of that London day', () => {
    assert.equal(iso(eventInstant('2026-07-01') ?? new Date(0)), '2026-07-01T23:00:00.000Z');
    assert.equal(iso(eventInstant('2026-07-01T14:20:00+01:00') ?? new Date(0)), '2026-07-01T13:20:00.000Z');
    assert.equal(eventInstant('2026-07'), undefined);
    assert.equal(eventInstant('2026-02-30'), undefined);
  });

  it('describes durations in words and counts whole days', () => {
    assert.equal(describeDuration({ amount: 2, unit: 'working-days' }), '2 working days');
    assert.equal(describeDuration({ amount: 1, unit: 'hours' }), '1 hour');
    assert.equal(wholeDaysBetween(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-03T23:59:00Z')), 2);
    assert.equal(wholeDaysBetween(new Date('2026-01-03T00:00:00Z'), new Date('2026-01-01T00:00:00Z')), 0);
  });

  it('counts London calendar days between instants: midnights passed, not 24-hour blocks', () => {
    const days = (from: string, to: string) => londonDaysBetween(new Date(from), new Date(to));
    assert.equal(days('2026-01-05T23:30:00Z', '2026-01-06T00:30:00Z'), 1, 'an hour across midnight');
    assert.equal(days('2026-01-05T00:30:00Z', '2026-01-05T23:30:00Z'), 0, 'a long day is still today');
    // 23:30 UTC on 30 June is 00:30 BST on 1 July: already the next London day.
    assert.equal(days('2026-06-30T22:30:00Z', '2026-06-30T23:30:00Z'), 1);
    // The clocks go forward on 29 March 2026: Saturday 23:00 GMT to 23:00 UTC on Sunday (00:00 BST on
    // Monday) is 24 hours, but two London midnights.
    assert.equal(days('2026-03-28T23:00:00Z', '2026-03-29T23:00:00Z'), 2);
    // …and back on 25 October 2026: 00:30 BST to 23:30 GMT on that Sunday is 24 hours, but the same day.
    assert.equal(days('2026-10-24T23:30:00Z', '2026-10-25T23:30:00Z'), 0);
    assert.equal(days('2026-01-06T00:30:00Z', '2026-01-05T23:30:00Z'), 0, 'never negative');
  });
});
