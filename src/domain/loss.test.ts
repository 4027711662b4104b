import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../config/loader.js';
import { computeLoss, type LossInput } from './loss.js';
import { fromMinor, toMinor } from './money.js';
import { INCIDENT_TYPES, type Loss } from './types.js';

const policy = defaultPolicy();
const USD = 'USD';
const m = (v: string) => toMinor(v, USD);

const amount = (max: bigint) => fc.bigInt({ min: 0n, max }).map((x) => fromMinor(x, USD));

const assetArb = fc.record({
  id: fc.constantFrom('a1', 'a2', 'a3', 'a4', 'a5'),
  name: fc.constantFrom('Safe', 'Server', 'Shelf', 'Cabinet'),
  value: amount(20_000_000n),
  category: fc.constantFrom('cash', 'data', 'merchandise', 'pharmacy', 'firearms', 'alcohol', 'equipment'),
  sensitiveData: fc.boolean(),
  named: fc.boolean(),
});

const inputArb: fc.Arbitrary<LossInput> = fc.record({
  incidentType: fc.constantFrom(...INCIDENT_TYPES),
  currency: fc.constant(USD),
  hourlyOperatingCost: amount(1_000_000n),
  assets: fc.array(assetArb, { maxLength: 5 }),
  eventAmounts: fc.array(
    fc.record({
      type: fc.constantFrom('void', 'refund', 'eas_gate', 'shrink_discrepancy'),
      count: fc.integer({ min: 1, max: 20 }),
      amount: fc.record({
        // refunds may be negative: the loss counts their absolute value
        value: fc.bigInt({ min: -5_000_000n, max: 5_000_000n }).map((x) => fromMinor(x, USD)),
        currency: fc.constantFrom(USD, USD, USD, 'EUR'),
      }),
    }),
    { maxLength: 4 },
  ),
  recoveries: fc.array(
    fc.record({
      description: fc.constantFrom('recovered at gate', 'restitution'),
      amount: fc.record({ value: amount(10_000_000n), currency: fc.constantFrom(USD, USD, 'EUR') }),
    }),
    { maxLength: 3 },
  ),
});

const sumKind = (loss: Loss, kind: string) => loss.items.filter((i) => i.kind === kind).reduce((s, i) => s + m(i.amount), 0n);

describe('computeLoss properties', () => {
  it('net = gross - recovered and gross = replacement + downtime + fines + remediation, exactly', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const l = computeLoss(input, policy);
        expect(m(l.gross)).toBe(m(l.replacement) + m(l.downtime) + m(l.fines) + m(l.remediation));
        expect(m(l.net)).toBe(m(l.gross) - m(l.recovered));
        expect(l.currency).toBe(USD);
      }),
    );
  });

  it('the items of each kind sum to that kind\'s total', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const l = computeLoss(input, policy);
        expect(sumKind(l, 'replacement')).toBe(m(l.replacement));
        expect(sumKind(l, 'downtime')).toBe(m(l.downtime));
        expect(sumKind(l, 'fines')).toBe(m(l.fines));
        expect(sumKind(l, 'remediation')).toBe(m(l.remediation));
      }),
    );
  });

  it('the recovered items sum to the recovered total, also when recoveries are capped at gross', () => {
    // Concrete case: theft with no asset and no downtime has gross 100.00 (remediation); a 100.01
    // recovery is capped to 100.00, and the itemised recovered lines must say 100.00 too.
    const capped = computeLoss(
      { incidentType: 'theft', currency: USD, hourlyOperatingCost: '0.00', assets: [], eventAmounts: [], recoveries: [{ description: 'gate', amount: { value: '100.01', currency: USD } }] },
      policy,
    );
    expect(capped.recovered).toBe('100.00');
    expect(sumKind(capped, 'recovered')).toBe(m(capped.recovered));
    fc.assert(
      fc.property(inputArb, (input) => {
        const l = computeLoss(input, policy);
        expect(sumKind(l, 'recovered')).toBe(m(l.recovered));
      }),
    );
  });

  it('all amounts are non-negative canonical strings and recovered <= gross', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const l = computeLoss(input, policy);
        for (const k of ['replacement', 'downtime', 'fines', 'remediation', 'recovered', 'gross', 'net'] as const) {
          expect(m(l[k])).toBeGreaterThanOrEqual(0n);
          expect(fromMinor(m(l[k]), USD)).toBe(l[k]);
        }
        for (const i of l.items) expect(m(i.amount)).toBeGreaterThanOrEqual(0n);
        expect(m(l.recovered)).toBeLessThanOrEqual(m(l.gross));
      }),
    );
  });

  it('recovered = min(gross, same-currency positive recoveries)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const l = computeLoss(input, policy);
        const reported = input.recoveries.filter((r) => r.amount.currency === USD).reduce((s, r) => s + m(r.amount.value), 0n);
        const gross = m(l.gross);
        expect(m(l.recovered)).toBe(reported > gross ? gross : reported);
      }),
    );
  });

  it('is deterministic and does not mutate its input', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const copy = structuredClone(input);
        expect(computeLoss(input, policy)).toEqual(computeLoss(copy, policy));
        expect(input).toEqual(copy);
      }),
    );
  });

  it('escalates to executives iff net > executiveThreshold', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const l = computeLoss(input, policy);
        expect(l.executiveEscalation).toBe(m(l.net) > m(policy.loss.executiveThreshold));
      }),
    );
  });
});

describe('computeLoss examples', () => {
  const base: LossInput = { incidentType: 'unauthorized_entry', currency: USD, hourlyOperatingCost: '1200.00', assets: [], eventAmounts: [], recoveries: [] };

  it('unauthorized_entry with hourly cost 1200.00: downtime 600.00, remediation 250.00', () => {
    const l = computeLoss(base, policy);
    expect(l).toMatchObject({ replacement: '0.00', downtime: '600.00', fines: '0.00', remediation: '250.00', recovered: '0.00', gross: '850.00', net: '850.00', executiveEscalation: false });
    expect(l.items.find((i) => i.kind === 'downtime')?.description).toContain('0.5 h');
  });

  it('theft of a named 899.99 asset: replacement 899.99; an unnamed asset in the zone is not lost', () => {
    const l = computeLoss(
      {
        ...base,
        incidentType: 'theft',
        assets: [
          { id: 'tab-1', name: 'Tablet', value: '899.99', category: 'merchandise', sensitiveData: false, named: true },
          { id: 'tv-1', name: 'TV', value: '1500.00', category: 'merchandise', sensitiveData: false, named: false },
        ],
      },
      policy,
    );
    expect(l.replacement).toBe('899.99');
    const rep = l.items.filter((i) => i.kind === 'replacement');
    expect(rep).toHaveLength(1);
    expect(rep[0]).toMatchObject({ amount: '899.99', assetId: 'tab-1' });
    expect(l.downtime).toBe('300.00'); // 0.25 h x 1200.00
    expect(l.remediation).toBe('100.00');
    expect(l.gross).toBe('1299.99');
  });

  it('vandalism damages a share of a named asset', () => {
    const l = computeLoss({ ...base, incidentType: 'vandalism', assets: [{ id: 'w', name: 'Window', value: '1000.01', category: 'fixture', sensitiveData: false, named: true }] }, policy);
    expect(l.replacement).toBe('250.00'); // 0.25 x 1000.01 = 250.0025 -> 250.00
  });

  it('sensitive data touched by unauthorized_entry: one 5000.00 fine even with two sensitive assets', () => {
    const l = computeLoss(
      {
        ...base,
        assets: [
          { id: 'srv', name: 'Server', value: '6500.00', category: 'data', sensitiveData: true, named: false },
          { id: 'nas', name: 'NAS', value: '2200.00', category: 'data', sensitiveData: true, named: true },
        ],
      },
      policy,
    );
    expect(l.fines).toBe('5000.00');
    expect(l.items.filter((i) => i.kind === 'fines')).toHaveLength(1);
    expect(l.replacement).toBe('0.00'); // share 0.0 for unauthorized entry
    expect(l.gross).toBe('5850.00');
  });

  it('regulated categories are fined once per category, and not for incident types outside appliesTo', () => {
    const assets = [
      { id: 'p1', name: 'Pharmacy 1', value: '100.00', category: 'pharmacy', sensitiveData: false, named: false },
      { id: 'p2', name: 'Pharmacy 2', value: '100.00', category: 'pharmacy', sensitiveData: false, named: false },
      { id: 'f1', name: 'Gun safe', value: '100.00', category: 'firearms', sensitiveData: false, named: false },
    ];
    expect(computeLoss({ ...base, assets }, policy).fines).toBe('12500.00');
    const fraud = computeLoss({ ...base, incidentType: 'fraud', assets: [...assets, { ...assets[0], id: 's', sensitiveData: true }] }, policy);
    expect(fraud.fines).toBe('0.00');
  });

  it('an event amount in a foreign currency is listed at 0 and not converted', () => {
    const l = computeLoss(
      {
        ...base,
        incidentType: 'fraud',
        eventAmounts: [
          { type: 'void', count: 3, amount: { value: '187.20', currency: USD } },
          { type: 'refund', count: 1, amount: { value: '500.00', currency: 'EUR' } },
        ],
      },
      policy,
    );
    expect(l.replacement).toBe('187.20');
    const eur = l.items.find((i) => i.description.includes('EUR'));
    expect(eur).toBeDefined();
    expect(eur!.amount).toBe('0.00');
    expect(eur!.kind).toBe('replacement');
    expect(eur!.description).toContain('not converted');
  });

  it('a negative event amount (refund) counts at its absolute value', () => {
    const l = computeLoss({ ...base, incidentType: 'fraud', eventAmounts: [{ type: 'refund', count: 2, amount: { value: '-40.10', currency: USD } }] }, policy);
    expect(l.replacement).toBe('40.10');
  });

  it('a recovery larger than gross is capped at gross (net 0)', () => {
    const l = computeLoss({ ...base, recoveries: [{ description: 'restitution', amount: { value: '100000.00', currency: USD } }] }, policy);
    expect(l.gross).toBe('850.00');
    expect(l.recovered).toBe('850.00');
    expect(l.net).toBe('0.00');
    expect(l.executiveEscalation).toBe(false);
  });

  it('a partial recovery reduces net exactly; a foreign-currency recovery is ignored', () => {
    const l = computeLoss(
      {
        ...base,
        recoveries: [
          { description: 'gate', amount: { value: '0.10', currency: USD } },
          { description: 'gate', amount: { value: '0.20', currency: USD } },
          { description: 'abroad', amount: { value: '50.00', currency: 'EUR' } },
        ],
      },
      policy,
    );
    expect(l.recovered).toBe('0.30');
    expect(l.net).toBe('849.70');
  });

  it('escalates when net passes 10000.00 and not at exactly 10000.00', () => {
    // theft: replacement + 0.25 h x 0 + 100.00 remediation
    const theft = (v: string) => computeLoss({ ...base, incidentType: 'theft', hourlyOperatingCost: '0.00', assets: [{ id: 'x', name: 'X', value: v, category: 'merchandise', sensitiveData: false, named: true }] }, policy);
    expect(theft('9900.00').net).toBe('10000.00');
    expect(theft('9900.00').executiveEscalation).toBe(false);
    expect(theft('9900.01').executiveEscalation).toBe(true);
  });
});
