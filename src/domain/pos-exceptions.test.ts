import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toMinor } from './money.js';
import { evaluatePosExceptions, voidRate, voidRateFires, type PosExceptionPolicy, type PosTxFact } from './pos-exceptions.js';

const policy: PosExceptionPolicy = {
  enabled: true,
  voidRate: { threshold: 0.05, minLines: 20 },
  noSales: { max: 3 },
  refundsWithoutReceipt: { max: 2 },
  ownSaleRefunds: { max: 0 },
  priceOverrides: { max: 3 },
  managerOverrides: { max: 3 },
  paidOuts: { max: 2, maxAmount: '100.00' },
};

const cents = fc.integer({ min: 0, max: 100_000 }).map((c) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`);

const fact = (id: string, over: Partial<PosTxFact> = {}): PosTxFact => ({
  id,
  operator: '7',
  businessDay: '2026-11-20',
  site: 'store-101',
  device: 'pos-101-1',
  occurredAt: `2026-11-20T10:00:00.000Z`,
  currency: 'USD',
  linesRung: 0,
  voids: [],
  noSale: false,
  refunds: [],
  priceOverrides: [],
  paidOuts: [],
  ...over,
});

describe('void rate', () => {
  it('is voids over lines rung, in [0, 1] when voids <= lines, 0 for no lines', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), (a, b) => {
        const [voids, lines] = a <= b ? [a, b] : [b, a];
        const r = voidRate(voids, lines);
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(1);
        if (lines === 0) expect(r).toBe(0);
        else expect(r * lines).toBeCloseTo(voids, 9);
      }),
    );
  });

  it('fires exactly when enough lines were rung and the rate is strictly above the threshold', () => {
    fc.assert(
      fc.property(fc.nat(500), fc.integer({ min: 1, max: 500 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 100 }), (v, l, threshold, minLines) => {
        const voids = Math.min(v, l);
        const fires = voidRateFires(voids, l, { threshold, minLines });
        expect(fires).toBe(l >= minLines && voids / l > threshold);
      }),
    );
  });

  it('evaluates per operator per day: the exception sums the voided amounts exactly and lists the transactions', () => {
    fc.assert(
      fc.property(fc.array(fc.array(cents, { maxLength: 4 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 60 }), (voidsPerTx, extraLines) => {
        const facts = voidsPerTx.map((vs, i) =>
          fact(`101/1/${i}`, { linesRung: vs.length + 2, voids: vs.map((amount, k) => ({ key: `101/1/${i}/${k}`, amount })) }),
        );
        facts.push(fact('101/1/x', { linesRung: extraLines }));
        const voids = voidsPerTx.reduce((n, v) => n + v.length, 0);
        const lines = facts.reduce((n, f) => n + f.linesRung, 0);
        const out = evaluatePosExceptions(facts, policy).filter((x) => x.rule === 'voidRate');
        const expected = voids > 0 && voidRateFires(voids, lines, policy.voidRate);
        expect(out).toHaveLength(expected ? 1 : 0);
        if (expected) {
          const total = voidsPerTx.flat().reduce((n, a) => n + toMinor(a, 'USD'), 0n);
          expect(toMinor(out[0].amount!.value, 'USD')).toBe(total);
          expect(out[0].transactions).toEqual(facts.filter((f) => f.voids.length > 0).map((f) => f.id));
          expect(out[0].counts).toEqual({ voids, linesRung: lines });
        }
      }),
    );
  });
});

describe('count rules', () => {
  it('fire only above their maximum, and never mix operators or days', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ op: fc.constantFrom('1', '2'), day: fc.constantFrom('2026-11-20', '2026-11-21') }), { maxLength: 20 }), (noSales) => {
        const facts = noSales.map((n, i) => fact(`101/1/${i}`, { operator: n.op, businessDay: n.day, noSale: true }));
        const out = evaluatePosExceptions(facts, policy).filter((x) => x.rule === 'noSales');
        const groups = new Map<string, number>();
        for (const n of noSales) groups.set(`${n.op}|${n.day}`, (groups.get(`${n.op}|${n.day}`) ?? 0) + 1);
        const expected = [...groups].filter(([, c]) => c > policy.noSales.max).map(([k]) => k).sort();
        expect(out.map((x) => `${x.operator}|${x.businessDay}`).sort()).toEqual(expected);
        for (const x of out) expect(x.observed).toBe(groups.get(`${x.operator}|${x.businessDay}`));
      }),
    );
  });

  it('paid-outs fire on count or on total amount, with the exact total', () => {
    fc.assert(
      fc.property(fc.array(cents, { maxLength: 5 }), (amounts) => {
        const facts = amounts.map((a, i) => fact(`101/1/${i}`, { paidOuts: [{ key: `101/1/${i}/paidout`, amount: a }] }));
        const out = evaluatePosExceptions(facts, policy).filter((x) => x.rule === 'paidOuts');
        const total = amounts.reduce((n, a) => n + toMinor(a, 'USD'), 0n);
        const fires = amounts.length > policy.paidOuts.max || total > toMinor(policy.paidOuts.maxAmount, 'USD');
        expect(out).toHaveLength(fires && amounts.length > 0 ? 1 : 0);
        if (out.length) expect(toMinor(out[0].amount!.value, 'USD')).toBe(total);
      }),
    );
  });

  it('own-sale refunds need the original transaction rung by the same operator', () => {
    const facts = [
      fact('101/1/1', { operator: 'A', linesRung: 1 }),
      fact('101/1/2', { operator: 'B', linesRung: 1 }),
      fact('101/1/3', { operator: 'A', refunds: [{ key: 'k1', amount: '9.99', original: '101/1/1' }] }),
      fact('101/1/4', { operator: 'A', refunds: [{ key: 'k2', amount: '5.00', original: '101/1/2' }] }),
    ];
    const out = evaluatePosExceptions(facts, policy).filter((x) => x.rule === 'ownSaleRefunds');
    expect(out.map((x) => [x.operator, x.transactions, x.amount?.value])).toEqual([['A', ['101/1/3'], '9.99']]);
    expect(evaluatePosExceptions(facts, { ...policy, enabled: false })).toEqual([]);
  });
});
