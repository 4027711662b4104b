/**
 * Exact money and decimal text: the one place decimal strings are parsed, compared, multiplied and
 * written. Amounts are held as bigint minor units (cents, yen, fils: ISO 4217 digits per currency)
 * and written as decimal strings in major units. Binary floating point never touches money:
 * "0.1 + 0.2" is exactly "0.30" here.
 */
import { InvalidError } from './errors.js';

/** Minor-unit digits per ISO 4217 currency; everything not listed uses 2. */
const MINOR_DIGITS: Record<string, number> = {
  JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, XAF: 0, XOF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

/** Number of fraction digits a currency uses. */
export function minorDigits(currency: string): number {
  return MINOR_DIGITS[currency.toUpperCase()] ?? 2;
}

/** Decimal text: optional sign, digits, optional fraction ("-12", "0.29", "+3.5"); no exponent, no grouping. */
const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** True when `text` is a plain decimal: optional "-", digits, optional fraction; nothing around it (configuration values). */
export function isPlainDecimal(text: string): boolean {
  const m = DECIMAL.exec(text);
  return m !== null && m[1] !== '+';
}

/** True when `text`, trimmed, is a decimal number with an optional sign ("-12", "0.29", "+3.5"): what files carry. */
export function isDecimal(text: string): boolean {
  return DECIMAL.test(text.trim());
}

/**
 * Parses a decimal string (or a finite number, through its shortest decimal form) into minor units.
 * Rounds half away from zero when the input has more fraction digits than the currency.
 */
export function toMinor(value: string | number, currency: string, path = 'amount'): bigint {
  const text = typeof value === 'number' ? numberToDecimal(value, path) : value.trim();
  const m = DECIMAL.exec(text);
  if (!m || m[1] === '+') {
    throw new InvalidError([{ path, message: `expected a decimal amount like "120.50", got ${JSON.stringify(value)}` }]);
  }
  const digits = minorDigits(currency);
  const neg = m[1] === '-';
  const intPart = m[2];
  const frac = m[3] ?? '';
  const kept = (frac + '0'.repeat(digits)).slice(0, digits);
  let minor = BigInt(intPart) * 10n ** BigInt(digits) + BigInt(kept === '' ? '0' : kept);
  const rest = frac.slice(digits);
  if (rest.length > 0 && rest.charCodeAt(0) >= 53 /* '5' */) minor += 1n;
  return neg ? -minor : minor;
}

function numberToDecimal(n: number, path: string): string {
  if (!Number.isFinite(n)) throw new InvalidError([{ path, message: 'expected a finite amount' }]);
  const s = String(n);
  if (/e/i.test(s)) return n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

/** Formats minor units as a decimal string in major units ("1234.50"). */
export function fromMinor(minor: bigint, currency: string): string {
  return scaledToDecimal(minor, minorDigits(currency));
}

/** Writes an integer count of 10^-digits units as decimal text: (123450n, 2) -> "1234.50", (7n, 0) -> "7". */
export function scaledToDecimal(units: bigint, digits: number): string {
  if (!Number.isInteger(digits) || digits < 0) throw new RangeError(`scaledToDecimal: digits must be a whole number >= 0, got ${digits}`);
  const neg = units < 0n;
  const abs = neg ? -units : units;
  if (digits === 0) return (neg ? '-' : '') + abs.toString();
  const s = abs.toString().padStart(digits + 1, '0');
  return (neg ? '-' : '') + s.slice(0, -digits) + '.' + s.slice(-digits);
}

/** Normalises a decimal input to the currency's canonical string ("5" -> "5.00"). */
export function normalizeAmount(value: string | number, currency: string, path = 'amount'): string {
  return fromMinor(toMinor(value, currency, path), currency);
}

/**
 * Multiplies an amount in minor units by a decimal factor given as a string or number
 * (e.g. hours "0.5", fraction 0.25), rounding half away from zero to whole minor units.
 */
export function mulMinor(minor: bigint, factor: string | number): bigint {
  const text = typeof factor === 'number' ? numberToDecimal(factor, 'factor') : factor;
  const m = DECIMAL.exec(text);
  if (!m || m[1] === '+') throw new InvalidError([{ path: 'factor', message: `expected a decimal factor, got ${JSON.stringify(factor)}` }]);
  const frac = m[3] ?? '';
  const scale = 10n ** BigInt(frac.length);
  let num = BigInt(m[2] + frac);
  if (m[1] === '-') num = -num;
  const product = minor * num;
  const half = scale / 2n;
  const rounded = product >= 0n ? (product + half) / scale : -((-product + half) / scale);
  return scale === 1n ? product : rounded;
}

/** Formats an amount for people: "USD 1,234.50". */
export function formatMoney(value: string, currency: string): string {
  const [i, f] = value.replace('-', '').split('.');
  const grouped = i.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value.startsWith('-') ? '-' : ''}${currency} ${grouped}${f !== undefined ? '.' + f : ''}`;
}

/**
 * Compares two decimal amounts exactly, whatever their fraction digits ("1200.5" vs "1200.50" is 0):
 * negative when a < b, 0 when equal, positive when a > b; a comparator for `Array#sort`.
 * Throws InvalidError when either is not decimal text.
 */
export function compareMoney(a: string, b: string): number {
  const x = scaledOf(a, 'a');
  const y = scaledOf(b, 'b');
  const digits = Math.max(x.digits, y.digits);
  const l = x.units * 10n ** BigInt(digits - x.digits);
  const r = y.units * 10n ** BigInt(digits - y.digits);
  return l < r ? -1 : l > r ? 1 : 0;
}

/**
 * An amount in major units as a binary float (1234.5 for "1234.50" USD, 1234 for "1234" JPY), for
 * scoring curves such as a log scale only: never add, compare or store money with it.
 */
export function approxMajorUnits(value: string | number, currency: string): number {
  return Number(toMinor(value, currency)) / 10 ** minorDigits(currency);
}

/** Exact product of two decimal texts, with all fraction digits ("-24" x "0.29" -> "-6.96"). No floats involved. */
export function mulDecimal(a: string, b: string): string {
  const ma = DECIMAL.exec(a.trim());
  const mb = DECIMAL.exec(b.trim());
  if (!ma || !mb) throw new RangeError(`not decimals: ${a}, ${b}`);
  const fa = ma[3] ?? '';
  const fb = mb[3] ?? '';
  const product = BigInt(ma[2] + fa) * BigInt(mb[2] + fb);
  const negative = (ma[1] === '-') !== (mb[1] === '-') && product !== 0n;
  return (negative ? '-' : '') + scaledToDecimal(product, fa.length + fb.length);
}

/** Absolute value of a decimal text, exactly ("-2.79" -> "2.79"). Assumes `isDecimal(text)`. */
export function absDecimal(text: string): string {
  return text.trim().replace(/^[+-]/, '');
}

/** Sign of a decimal text: -1, 0 or 1. Assumes `isDecimal(text)`. */
export function signOfDecimal(text: string): -1 | 0 | 1 {
  const m = DECIMAL.exec(text.trim());
  if (!m || /^0*$/.test(m[2] + (m[3] ?? ''))) return 0;
  return m[1] === '-' ? -1 : 1;
}

/** Decimal text as an integer count of 10^-digits units, exactly ("-12.50" -> -1250n, 2). */
function scaledOf(text: string, path: string): { units: bigint; digits: number } {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new InvalidError([{ path, message: `expected a decimal amount like "120.50", got ${JSON.stringify(text)}` }]);
  const frac = m[3] ?? '';
  const units = BigInt(m[2] + frac);
  return { units: m[1] === '-' ? -units : units, digits: frac.length };
}
