/**
 * Decimals as ranges set by their precision (R4 §3.1.1.4.1): "100" means [99.5, 100.5), "1.50"
 * means [1.495, 1.505), "1e2" (one significant figure) means [50, 150). The arithmetic is done on
 * BigInt-scaled integers so that bounds are exact decimal strings, never binary-float approximations
 * such as 1.4500000000000002.
 */
export interface DecimalRange {
  /** The value as an exact decimal string (no exponent). */
  value: string;
  /** Inclusive lower bound: value − half a unit of the last significant digit. */
  low: string;
  /** Exclusive upper bound: value + half a unit of the last significant digit. */
  high: string;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d+))?(?:[eE]([+-]?\d{1,4}))?$/;

/** Bounds keep numbers within what PostgreSQL numeric and a JavaScript double can both hold. */
const MAX_SIGNIFICANT_DIGITS = 64;
const MAX_EXPONENT = 400;

/** Parses a decimal (optionally with an exponent); undefined when it is not one or is absurdly large. */
export function decimalRange(text: string): DecimalRange | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, sign = '', integerDigits = '', fractionDigits = '', exponentText] = match;
  if (integerDigits === '' && fractionDigits === '') return undefined;
  const digits = integerDigits + fractionDigits;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (digits.length > MAX_SIGNIFICANT_DIGITS || Math.abs(exponent) > MAX_EXPONENT) return undefined;

  // value = mantissa × 10^-scale
  const mantissa = BigInt(`${sign === '-' ? '-' : ''}${digits}`);
  const scale = fractionDigits.length - exponent;
  return {
    value: formatScaled(mantissa, scale),
    low: formatScaled(mantissa * 10n - 5n, scale + 1),
    high: formatScaled(mantissa * 10n + 5n, scale + 1),
  };
}

/** The decimal string of `integer × 10^-scale`, without an exponent or redundant trailing zeros. */
function formatScaled(integer: bigint, scale: number): string {
  if (scale <= 0) return (integer * 10n ** BigInt(-scale)).toString();
  const negative = integer < 0n;
  const digits = (negative ? -integer : integer).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  const text = fraction === '' ? whole : `${whole}.${fraction}`;
  return negative && text !== '0' ? `-${text}` : text;
}
