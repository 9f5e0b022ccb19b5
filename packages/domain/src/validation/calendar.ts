/**
 * The R4 schema's patterns for date, dateTime and instant allow any day from 01 to 31 in any month,
 * so they accept 2023-02-30; FHIR says "Dates SHALL be valid dates".
 */
const FULL_DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})/;

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * False only for a value that starts with a full date naming a day its month does not have. Partial
 * dates (2023, 2023-02) and values of the wrong form pass: the schema's pattern reports the latter.
 */
export function hasRealCalendarDate(value: string): boolean {
  const match = FULL_DATE_PREFIX.exec(value);
  if (!match) return true;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return true;
  return day <= daysInMonth(year, month);
}
