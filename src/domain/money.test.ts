import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import {
  absDecimal,
  approxMajorUnits,
  compareMoney,
  formatMoney,
  fromMinor,
  isDecimal,
  isPlainDecimal,
  minorDigits,
  mulDecimal,
  mulMinor,
  normalizeAmount,
  scaledToDecimal,
  signOfDecimal,
  toMinor,
} from './money.js';

const cents = fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n });

function invalidPath(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidError);
    return (e as InvalidError).problems[0]?.path;
  }
  throw new Error('expected an InvalidError, nothing was thrown');
}

describe('toMinor / fromMinor', () => {
  it('round trips any bigint amount of minor units (USD, JPY, KWD)', () => {
    fc.assert(
      fc.property(cents, fc.constantFrom('USD', 'EUR', 'JPY', 'KWD'), (m, cur) => {
        const text = fromMinor(m, cur);
        expect(toMinor(text, cur)).toBe(m);
        // canonical text survives a second trip unchanged
        expect(fromMinor(toMinor(text, cur), cur)).toBe(text);
      }),
    );
  });

  it('writes canonical strings with the currency digits', () => {
    expect(fromMinor(0n, 'USD')).toBe('0.00');
    expect(fromMinor(5n, 'USD')).toBe('0.05');
    expect(fromMinor(-5n, 'USD')).toBe('-0.05');
    expect(fromMinor(123450n, 'USD')).toBe('1234.50');
    expect(fromMinor(1234n, 'JPY')).toBe('1234');
    expect(fromMinor(-1234n, 'JPY')).toBe('-1234');
    expect(fromMinor(1234n, 'KWD')).toBe('1.234');
    expect(fromMinor(7n, 'BHD')).toBe('0.007');
  });

  it('parses decimal strings with fewer digits than the currency', () => {
    expect(toMinor('5', 'USD')).toBe(500n);
    expect(toMinor('5.1', 'USD')).toBe(510n);
    expect(toMinor(' 12.34 ', 'USD')).toBe(1234n);
    expect(normalizeAmount('5', 'USD')).toBe('5.00');
    expect(normalizeAmount('007.5', 'USD')).toBe('7.50');
  });

  it('rounds half away from zero', () => {
    expect(toMinor('0.005', 'USD')).toBe(1n);
    expect(toMinor('0.004', 'USD')).toBe(0n);
    expect(toMinor('0.0049999', 'USD')).toBe(0n);
    expect(toMinor('1.125', 'USD')).toBe(113n);
    expect(toMinor('1.135', 'USD')).toBe(114n);
    expect(toMinor('-0.005', 'USD')).toBe(-1n);
    expect(toMinor('-1.125', 'USD')).toBe(-113n);
    expect(toMinor('-1.124', 'USD')).toBe(-112n);
    expect(toMinor('2.999', 'USD')).toBe(300n);
  });

  it('rounding is symmetric: toMinor(-x) = -toMinor(x) for any decimal text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 6 }), (n, scale) => {
        const s = n.toString().padStart(scale + 1, '0');
        const text = scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`;
        expect(toMinor(`-${text}`, 'USD')).toBe(-toMinor(text, 'USD'));
        // and matches exact rational rounding: round(n / 10^scale * 100) half away from zero
        const num = n * 100n;
        const den = 10n ** BigInt(scale);
        const expected = (num * 2n + den) / (2n * den);
        expect(toMinor(text, 'USD')).toBe(expected);
      }),
    );
  });

  it('uses 0 minor digits for JPY and 3 for KWD/BHD, 2 by default, case-insensitively', () => {
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('jpy')).toBe(0);
    expect(minorDigits('KWD')).toBe(3);
    expect(minorDigits('USD')).toBe(2);
    expect(minorDigits('XYZ')).toBe(2);
    expect(toMinor('1234', 'JPY')).toBe(1234n);
    expect(toMinor('1234.5', 'JPY')).toBe(1235n);
    expect(toMinor('1234.49', 'JPY')).toBe(1234n);
    expect(normalizeAmount('1234.5', 'JPY')).toBe('1235');
    expect(toMinor('1.2345', 'KWD')).toBe(1235n);
    expect(toMinor('1.2344', 'KWD')).toBe(1234n);
    expect(toMinor('1.2', 'KWD')).toBe(1200n);
    expect(normalizeAmount('1.2', 'KWD')).toBe('1.200');
  });

  it('accepts finite numbers through their shortest decimal form', () => {
    expect(toMinor(120.5, 'USD')).toBe(12050n);
    expect(normalizeAmount(120.5, 'USD')).toBe('120.50');
    expect(toMinor(0.1, 'USD')).toBe(10n);
    expect(toMinor(19.99, 'USD')).toBe(1999n);
    expect(toMinor(-3, 'USD')).toBe(-300n);
    expect(toMinor(1e-7, 'USD')).toBe(0n);
    expect(toMinor(1.005, 'USD')).toBe(101n); // "1.005" not 1.00499999...
    expect(toMinor(1e20, 'USD')).toBe(10n ** 22n);
  });

  it('"0.1" + "0.2" sums to exactly "0.30"', () => {
    expect(fromMinor(toMinor('0.1', 'USD') + toMinor('0.2', 'USD'), 'USD')).toBe('0.30');
    expect(fromMinor(toMinor(0.1, 'USD') + toMinor(0.2, 'USD'), 'USD')).toBe('0.30');
  });

  it('throws InvalidError naming the path for invalid input', () => {
    for (const bad of ['abc', '', '1.2.3', '1e5', '1,000.00', '$5', '.5', '5.', '--1', '+1', 'NaN']) {
      expect(invalidPath(() => toMinor(bad, 'USD', 'events[3].amount.value'))).toBe('events[3].amount.value');
    }
    expect(invalidPath(() => toMinor(Number.NaN, 'USD', 'x.y'))).toBe('x.y');
    expect(invalidPath(() => toMinor(Number.POSITIVE_INFINITY, 'USD', 'x.z'))).toBe('x.z');
    expect(invalidPath(() => toMinor('oops', 'USD'))).toBe('amount');
    expect(invalidPath(() => normalizeAmount('oops', 'USD', 'assets[0].value'))).toBe('assets[0].value');
    const err = (() => {
      try {
        toMinor('12,50', 'USD', 'p');
      } catch (e) {
        return e as InvalidError;
      }
    })();
    expect(err?.message).toContain('12,50');
  });
});

describe('mulMinor', () => {
  it('multiplies exactly', () => {
    expect(fromMinor(mulMinor(toMinor('1200.00', 'USD'), '0.5'), 'USD')).toBe('600.00');
    expect(fromMinor(mulMinor(toMinor('1200.00', 'USD'), 0.5), 'USD')).toBe('600.00');
    expect(fromMinor(mulMinor(toMinor('899.99', 'USD'), '1.0'), 'USD')).toBe('899.99');
    expect(fromMinor(mulMinor(toMinor('3500.00', 'USD'), '0.25'), 'USD')).toBe('875.00');
    expect(fromMinor(mulMinor(toMinor('0.10', 'USD'), '3'), 'USD')).toBe('0.30');
    expect(mulMinor(100n, '0')).toBe(0n);
  });

  it('rounds half away from zero to whole minor units', () => {
    expect(mulMinor(1n, '0.5')).toBe(1n);
    expect(mulMinor(1n, '0.49')).toBe(0n);
    expect(mulMinor(-1n, '0.5')).toBe(-1n);
    expect(mulMinor(1n, '-0.5')).toBe(-1n);
    expect(mulMinor(3n, '0.5')).toBe(2n);
    expect(mulMinor(5n, '0.25')).toBe(1n); // 1.25 -> 1
    expect(mulMinor(6n, '0.25')).toBe(2n); // 1.5 -> 2
    expect(mulMinor(-6n, '0.25')).toBe(-2n);
  });

  it('property: multiplying by "1" (or "1.000") is the identity', () => {
    fc.assert(
      fc.property(cents, (x) => {
        expect(mulMinor(x, '1')).toBe(x);
        expect(mulMinor(x, '1.000')).toBe(x);
        expect(mulMinor(x, 1)).toBe(x);
      }),
    );
  });

  it('property: multiplying by an integer string equals bigint multiplication', () => {
    fc.assert(
      fc.property(cents, fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), (x, k) => {
        expect(mulMinor(x, k.toString())).toBe(x * k);
      }),
    );
  });

  it('property: result is within half a minor unit of the exact product', () => {
    fc.assert(
      fc.property(cents, fc.integer({ min: 0, max: 10_000 }), (x, f) => {
        // factor f / 100 written as a 2-digit decimal
        const factor = `${Math.floor(f / 100)}.${String(f % 100).padStart(2, '0')}`;
        const r = mulMinor(x, factor);
        const exact2 = x * BigInt(f) * 2n; // 200 x exact product
        const diff = r * 200n - exact2;
        expect(diff <= 100n && diff >= -100n).toBe(true);
      }),
    );
  });

  it('throws InvalidError on a non-decimal factor', () => {
    expect(invalidPath(() => mulMinor(100n, 'half'))).toBe('factor');
    expect(invalidPath(() => mulMinor(100n, Number.NaN))).toBe('factor');
  });
});

describe('formatMoney', () => {
  it('groups thousands and keeps the sign', () => {
    expect(formatMoney('1234.50', 'USD')).toBe('USD 1,234.50');
    expect(formatMoney('-1234567.00', 'USD')).toBe('-USD 1,234,567.00');
    expect(formatMoney('999', 'JPY')).toBe('JPY 999');
  });
});

describe('mulDecimal', () => {
  it('multiplies exactly', () => {
    expect(mulDecimal('-24', '0.29')).toBe('-6.96');
    expect(mulDecimal('3', '0.333')).toBe('0.999');
    expect(mulDecimal('-1', '0')).toBe('0');
    expect(mulDecimal('0.1', '0.2')).toBe('0.02');
    expect(mulDecimal('-0.5', '-4')).toBe('2.0');
  });

  it('matches bigint arithmetic on scaled integers', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }), (a, b) => {
        const dec = (n: bigint, scale: number) => {
          const s = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
          return `${n < 0n ? '-' : ''}${s.slice(0, -scale)}.${s.slice(-scale)}`;
        };
        const product = mulDecimal(dec(a, 2), dec(b, 3));
        const exact = a * b; // scale 5
        expect(product.replace(/^-/, '') === '0.00000' ? 0n : BigInt(product.replace('.', ''))).toBe(exact);
      }),
    );
  });
});

describe('decimal text', () => {
  it('tells plain (configuration) decimals from file decimals', () => {
    for (const ok of ['0', '-12', '1200.00', '0.29']) expect(isPlainDecimal(ok), ok).toBe(true);
    for (const bad of ['+3.5', ' 5', '5.', '.5', '1e3', '1,200.00', '', '-']) expect(isPlainDecimal(bad), bad).toBe(false);
    for (const ok of ['-12', '0.29', '+3.5', ' 7 ']) expect(isDecimal(ok), ok).toBe(true);
    for (const bad of ['1e3', '12,5', 'abc', '', '+']) expect(isDecimal(bad), bad).toBe(false);
  });

  it('takes signs and absolute values exactly', () => {
    expect(signOfDecimal('-2.79')).toBe(-1);
    expect(signOfDecimal('+0.00')).toBe(0);
    expect(signOfDecimal('-0')).toBe(0);
    expect(signOfDecimal('3')).toBe(1);
    expect(absDecimal(' -2.79 ')).toBe('2.79');
    expect(absDecimal('+3.5')).toBe('3.5');
  });

  it('writes scaled integers with the given digits', () => {
    expect(scaledToDecimal(123450n, 2)).toBe('1234.50');
    expect(scaledToDecimal(-5n, 3)).toBe('-0.005');
    expect(scaledToDecimal(7n, 0)).toBe('7');
    expect(() => scaledToDecimal(1n, -1)).toThrow(RangeError);
  });

  it('matches fromMinor for every currency', () => {
    fc.assert(
      fc.property(cents, fc.constantFrom('USD', 'JPY', 'BHD', 'KWD'), (m, cur) => {
        expect(scaledToDecimal(m, minorDigits(cur))).toBe(fromMinor(m, cur));
      }),
    );
  });
});

describe('compareMoney', () => {
  it('compares decimal strings exactly, whatever their digits', () => {
    expect(compareMoney('1200.5', '1200.50')).toBe(0);
    expect(compareMoney('-0', '0.000')).toBe(0);
    expect(compareMoney('9.99', '10')).toBeLessThan(0);
    expect(compareMoney('10', '9.999')).toBeGreaterThan(0);
    expect(compareMoney('-1.5', '-1.25')).toBeLessThan(0);
    // Past binary floating point: these two differ by one unit in the 20th digit.
    expect(compareMoney('12345678901234567.891', '12345678901234567.890')).toBeGreaterThan(0);
    expect(Number('12345678901234567.891') - Number('12345678901234567.890')).toBe(0);
  });

  it('sorts assets by value, most valuable first, in any currency', () => {
    const values = ['250', '1200.00', '1200.5', '99.999', '0'];
    expect([...values].sort((a, b) => compareMoney(b, a))).toEqual(['1200.5', '1200.00', '250', '99.999', '0']);
  });

  it('agrees with minor-unit comparison (antisymmetric, consistent with toMinor)', () => {
    fc.assert(
      fc.property(cents, cents, fc.constantFrom('USD', 'JPY', 'KWD'), (a, b, cur) => {
        const x = fromMinor(a, cur);
        const y = fromMinor(b, cur);
        const expected = a < b ? -1 : a > b ? 1 : 0;
        expect(compareMoney(x, y)).toBe(expected);
        expect(compareMoney(y, x)).toBe(expected === 0 ? 0 : -expected);
        // Extra trailing zeros never change the order.
        expect(compareMoney(`${x}${x.includes('.') ? '' : '.'}000`, y)).toBe(expected);
      }),
    );
  });

  it('refuses text that is not a decimal amount', () => {
    expect(() => compareMoney('1e3', '1')).toThrow(InvalidError);
    expect(() => compareMoney('1', 'ten')).toThrow(InvalidError);
  });
});

describe('approxMajorUnits', () => {
  it('scales by the currency digits (USD 2, JPY 0, KWD 3)', () => {
    expect(approxMajorUnits('1234.50', 'USD')).toBe(1234.5);
    expect(approxMajorUnits('1234', 'JPY')).toBe(1234);
    expect(approxMajorUnits('1.234', 'KWD')).toBe(1.234);
    expect(approxMajorUnits('1.234', 'BHD')).toBe(1.234);
    expect(approxMajorUnits('50000.00', 'USD')).toBe(50000);
  });

  it('keeps the order of exact amounts (monotone)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.constantFrom('USD', 'JPY', 'KWD'), (a, b, cur) => {
        fc.pre(a <= b);
        expect(approxMajorUnits(fromMinor(a, cur), cur)).toBeLessThanOrEqual(approxMajorUnits(fromMinor(b, cur), cur));
      }),
    );
  });
});

describe('minorDigits', () => {
  it('follows ISO 4217 (JPY 0, USD 2, BHD and KWD 3), case-insensitively', () => {
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('USD')).toBe(2);
    expect(minorDigits('BHD')).toBe(3);
    expect(minorDigits('kwd')).toBe(3);
  });
});

describe('toMinor signs', () => {
  it('still refuses an explicit plus sign in amounts and factors', () => {
    expect(() => toMinor('+5', 'USD')).toThrow(InvalidError);
    expect(() => mulMinor(100n, '+0.5')).toThrow(InvalidError);
  });
});
