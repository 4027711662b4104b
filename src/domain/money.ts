/**
 * Exact money. Amounts are held as bigint minor units (cents) and written as decimal strings in
 * major units. Binary floating point never touches money: "0.1 + 0.2" is exactly "0.30" here.
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

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal string (or a finite number, through its shortest decimal form) into minor units.
 * Rounds half away from zero when the input has more fraction digits than the currency.
 */
export function toMinor(value: string | number, currency: string, path = 'amount'): bigint {
  const text = typeof value === 'number' ? numberToDecimal(value, path) : value.trim();
  const m = DECIMAL.exec(text);
  if (!m) {
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
  const digits = minorDigits(currency);
  const neg = minor < 0n;
  const abs = neg ? -minor : minor;
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
  if (!m) throw new InvalidError([{ path: 'factor', message: `expected a decimal factor, got ${JSON.stringify(factor)}` }]);
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
