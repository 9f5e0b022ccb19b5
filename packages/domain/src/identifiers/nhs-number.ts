/**
 * NHS number check (modulus 11): digits 1–9 weighted 10..2; 11 − (sum mod 11) is the check digit,
 * 11 becomes 0 and 10 means the number can never be valid.
 */
export function nhsNumberCheckDigit(firstNineDigits: string): number | undefined {
  if (!/^\d{9}$/.test(firstNineDigits)) return undefined;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(firstNineDigits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return undefined;
  return check === 11 ? 0 : check;
}

/** True when the value is exactly ten digits with a correct check digit (no spaces). */
export function isValidNhsNumber(value: string): boolean {
  if (!/^\d{10}$/.test(value)) return false;
  return nhsNumberCheckDigit(value.slice(0, 9)) === Number(value[9]);
}

/** Numbers starting 999 are reserved for testing; demo and test data use only these. */
export function isTestRangeNhsNumber(value: string): boolean {
  return isValidNhsNumber(value) && value.startsWith('999');
}

/**
 * Valid NHS numbers in the 999 test range, in ascending order from 9990000000, skipping stems whose
 * check digit would be 10. Deterministic, so demo data and tests can name patients by position.
 */
export function* testRangeNhsNumbers(): Generator<string> {
  for (let stem = 999000000; stem <= 999999999; stem++) {
    const check = nhsNumberCheckDigit(String(stem));
    if (check !== undefined) yield `${stem}${check}`;
  }
}

/** The n-th (from 0) number of `testRangeNhsNumbers()`. */
export function testRangeNhsNumber(n: number): string {
  let index = 0;
  for (const nhsNumber of testRangeNhsNumbers()) {
    if (index++ === n) return nhsNumber;
  }
  throw new RangeError(`There are fewer than ${n + 1} test-range NHS numbers`);
}
