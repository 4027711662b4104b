import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { BUNDLED, defaultPolicy, parseConfig } from '../config/loader.js';
import type { Policy } from '../config/schema.js';
import { fromMinor, toMinor } from './money.js';
import { bandFor, computeSeverity, valueCriticality, type SeverityInput } from './severity.js';

const policy = defaultPolicy();
const FACTORS = ['breachType', 'assetCriticality', 'assetVulnerability', 'contagion', 'afterHours', 'restrictedZone', 'recurrence', 'corroboration'];

const money = fc.bigInt({ min: 0n, max: 100_000_000n }).map((m) => fromMinor(m, 'USD'));
const unit = fc.double({ min: 0, max: 1, noNaN: true });

const assetArb = fc.record({ id: fc.constantFrom('a1', 'a2', 'a3', 'a4'), value: money, vulnerability: unit });

const inputArb: fc.Arbitrary<SeverityInput> = fc
  .record({
    breach: unit,
    assets: fc.array(assetArb, { maxLength: 4 }),
    coveringCameras: fc.integer({ min: 0, max: 6 }),
    downPick: fc.integer({ min: 0, max: 6 }),
    adjacentHighRisk: fc.array(fc.record({ id: fc.constantFrom('n1', 'n2', 'n3'), value: money }), { maxLength: 3 }),
    afterHours: fc.boolean(),
    restrictedZone: fc.boolean(),
    priorIncidents: fc.integer({ min: 0, max: 10 }),
    distinctSources: fc.integer({ min: 1, max: 6 }),
  })
  .map((r) => ({
    breach: r.breach,
    breachDetail: 'test breach',
    assets: r.assets,
    coveringCameras: r.coveringCameras,
    camerasDown: Math.min(r.downPick, r.coveringCameras),
    adjacentHighRisk: r.adjacentHighRisk,
    afterHours: r.afterHours,
    afterHoursDetail: r.afterHours ? '02:14 local' : 'within business hours',
    restrictedZone: r.restrictedZone,
    zoneName: 'Zone',
    priorIncidents: r.priorIncidents,
    distinctSources: r.distinctSources,
    currency: 'USD',
  }));

function expectedBand(score: number, p: Policy) {
  const { medium, high, critical } = p.severity.bands;
  if (score >= critical) return 'critical';
  if (score >= high) return 'high';
  if (score >= medium) return 'medium';
  return 'low';
}

describe('computeSeverity properties', () => {
  it('score is in [0, 100] with one decimal, and the band follows the policy thresholds', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const s = computeSeverity(input, policy);
        expect(s.score).toBeGreaterThanOrEqual(0);
        expect(s.score).toBeLessThanOrEqual(100);
        expect(Math.abs(s.score * 10 - Math.round(s.score * 10))).toBeLessThan(1e-6);
        expect(s.band).toBe(expectedBand(s.score, policy));
      }),
    );
  });

  it('is deterministic: same input, deep-equal output', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const copy = structuredClone(input);
        expect(computeSeverity(input, policy)).toEqual(computeSeverity(copy, policy));
        expect(input).toEqual(copy); // and does not mutate its input
      }),
    );
  });

  it('is monotone non-decreasing in a touched asset value', () => {
    fc.assert(
      fc.property(inputArb, assetArb, fc.nat({ max: 20 }), money, (input, extra, idx, bump) => {
        const assets = [...input.assets, extra];
        const i = idx % assets.length;
        const before = computeSeverity({ ...input, assets }, policy);
        const raised = assets.map((a, j) => (j === i ? { ...a, value: fromMinor(toMinor(a.value, 'USD') + toMinor(bump, 'USD'), 'USD') } : a));
        const after = computeSeverity({ ...input, assets: raised }, policy);
        expect(after.score).toBeGreaterThanOrEqual(before.score);
        const f = (s: typeof before, n: string) => s.factors.find((x) => x.name === n)!.value;
        expect(f(after, 'assetCriticality')).toBeGreaterThanOrEqual(f(before, 'assetCriticality'));
      }),
    );
  });

  it('is monotone non-decreasing in asset vulnerability', () => {
    fc.assert(
      fc.property(inputArb, assetArb, fc.nat({ max: 20 }), unit, (input, extra, idx, v2) => {
        const assets = [...input.assets, extra];
        const i = idx % assets.length;
        const lo = Math.min(assets[i].vulnerability, v2);
        const hi = Math.max(assets[i].vulnerability, v2);
        const withV = (v: number) => assets.map((a, j) => (j === i ? { ...a, vulnerability: v } : a));
        const a = computeSeverity({ ...input, assets: withV(lo) }, policy);
        const b = computeSeverity({ ...input, assets: withV(hi) }, policy);
        expect(b.score).toBeGreaterThanOrEqual(a.score);
      }),
    );
  });

  it('is monotone non-decreasing in camerasDown', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 1, max: 8 }), fc.nat(), fc.nat(), (input, covering, x, y) => {
        const lo = Math.min(x, y) % (covering + 1);
        const hi = Math.max(lo, Math.max(x, y) % (covering + 1));
        const a = computeSeverity({ ...input, coveringCameras: covering, camerasDown: lo }, policy);
        const b = computeSeverity({ ...input, coveringCameras: covering, camerasDown: hi }, policy);
        expect(b.score).toBeGreaterThanOrEqual(a.score);
      }),
    );
  });

  it('a camera outage strictly raises vulnerability when an asset is not already at 1', () => {
    const input: SeverityInput = {
      breach: 0.5, breachDetail: '', assets: [{ id: 'a', value: '1000.00', vulnerability: 0.4 }], coveringCameras: 2, camerasDown: 0,
      adjacentHighRisk: [], afterHours: false, afterHoursDetail: '', restrictedZone: false, zoneName: 'z', priorIncidents: 0, distinctSources: 1, currency: 'USD',
    };
    const v = (s: ReturnType<typeof computeSeverity>) => s.factors.find((f) => f.name === 'assetVulnerability')!.value;
    expect(v(computeSeverity(input, policy))).toBeCloseTo(0.4, 2);
    expect(v(computeSeverity({ ...input, camerasDown: 1 }, policy))).toBeCloseTo(0.55, 2); // 0.4 + 0.6 x 0.5 x 0.5
    expect(v(computeSeverity({ ...input, camerasDown: 2 }, policy))).toBeCloseTo(0.7, 2);
  });

  it('contributions sum to the score (±0.1)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const s = computeSeverity(input, policy);
        const sum = s.factors.reduce((acc, f) => acc + f.contribution, 0);
        expect(Math.abs(sum - s.score)).toBeLessThanOrEqual(0.1 + 1e-9);
        for (const f of s.factors) {
          expect(f.value).toBeGreaterThanOrEqual(0);
          expect(f.value).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('each stored contribution = 100 x stored weight x stored value (±0.01)', () => {
    // Concrete case first: the demo safe (25000.00) has criticality ln(25001)/ln(50001) = 0.9359...,
    // so a reader sees value 0.94 x weight 0.20 and must find contribution 18.80 (±0.01).
    const safe = computeSeverity(
      { breach: 0.85, breachDetail: '', assets: [{ id: 'safe-1', value: '25000.00', vulnerability: 0.6 }], coveringCameras: 1, camerasDown: 0, adjacentHighRisk: [],
        afterHours: true, afterHoursDetail: '', restrictedZone: true, zoneName: 'Cash office', priorIncidents: 0, distinctSources: 1, currency: 'USD' },
      policy,
    );
    const crit = safe.factors.find((f) => f.name === 'assetCriticality')!;
    expect(Math.abs(crit.contribution - 100 * crit.weight * crit.value)).toBeLessThanOrEqual(0.01 + 1e-9);
    fc.assert(
      fc.property(inputArb, (input) => {
        const s = computeSeverity(input, policy);
        for (const f of s.factors) expect(Math.abs(f.contribution - 100 * f.weight * f.value)).toBeLessThanOrEqual(0.01 + 1e-9);
      }),
    );
  });

  it('lists every factor once, with its policy weight, and the policy version', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const s = computeSeverity(input, policy);
        expect(s.factors.map((f) => f.name).sort()).toEqual([...FACTORS].sort());
        for (const f of s.factors) {
          expect(f.weight).toBe(policy.severity.weights[f.name as keyof Policy['severity']['weights']]);
          expect(typeof f.detail).toBe('string');
        }
        expect(s.policyVersion).toBe(policy.version);
      }),
    );
  });
});

describe('computeSeverity examples', () => {
  const base: SeverityInput = {
    breach: 0,
    breachDetail: '',
    assets: [],
    coveringCameras: 1,
    camerasDown: 0,
    adjacentHighRisk: [],
    afterHours: false,
    afterHoursDetail: 'within business hours 08:00-22:00',
    restrictedZone: false,
    zoneName: 'Sales floor',
    priorIncidents: 0,
    distinctSources: 1,
    currency: 'USD',
  };

  const forcedDoor: SeverityInput = {
    ...base,
    breach: 0.85,
    breachDetail: 'access_control.door_forced (0.85)',
    assets: [{ id: 'safe-1', value: '25000.00', vulnerability: 0.6 }],
    afterHours: true,
    afterHoursDetail: '02:14 local (America/New_York), outside 08:00-22:00',
    restrictedZone: true,
    zoneName: 'Cash office',
  };

  it('forced door into a restricted zone after hours with a 25000.00 safe is high or critical', () => {
    const s = computeSeverity(forcedDoor, policy);
    expect(['high', 'critical']).toContain(s.band);
    // 25.5 + 20 x ln(25001)/ln(50001) + 6 + 15 + 10 = 75.2
    expect(s.score).toBeCloseTo(75.2, 1);
    const f = Object.fromEntries(s.factors.map((x) => [x.name, x]));
    expect(f.breachType.value).toBe(0.85);
    expect(f.afterHours.value).toBe(1);
    expect(f.restrictedZone.value).toBe(1);
    expect(f.restrictedZone.detail).toContain('Cash office');
    expect(f.assetCriticality.detail).toContain('safe-1');
  });

  it('business-hours motion without assets in an unrestricted zone is low', () => {
    const s = computeSeverity({ ...base, breach: 0.25, breachDetail: 'cctv.motion (0.25)' }, policy);
    expect(s.band).toBe('low');
    expect(s.score).toBeCloseTo(7.5, 5);
  });

  it('saturating factors: recurrence, corroboration and contagion', () => {
    const s = computeSeverity(
      { ...base, priorIncidents: 2, distinctSources: 2, adjacentHighRisk: [{ id: 'x', value: '50000.00' }, { id: 'y', value: '50000.00' }] },
      policy,
    );
    const f = Object.fromEntries(s.factors.map((x) => [x.name, x.value]));
    expect(f.recurrence).toBe(0.5); // 2 / 4
    expect(f.corroboration).toBe(0.5); // (2 - 1) / (3 - 1)
    expect(f.contagion).toBe(0.75); // two adjacent 50k assets
    const sat = computeSeverity({ ...base, priorIncidents: 40, distinctSources: 9 }, policy);
    const g = Object.fromEntries(sat.factors.map((x) => [x.name, x.value]));
    expect(g.recurrence).toBe(1);
    expect(g.corroboration).toBe(1);
  });

  it('valueCriticality is log scaled, 0 at 0 and 1 at criticalAssetValue', () => {
    expect(valueCriticality('0.00', 'USD', policy)).toBe(0);
    expect(valueCriticality('50000.00', 'USD', policy)).toBeCloseTo(1, 10);
    expect(valueCriticality('900000.00', 'USD', policy)).toBe(1);
    expect(valueCriticality('1000.00', 'USD', policy)).toBeCloseTo(Math.log1p(1000) / Math.log1p(50000), 10);
  });

  it('bandFor uses >= at each threshold', () => {
    expect(bandFor(29.9, policy)).toBe('low');
    expect(bandFor(30, policy)).toBe('medium');
    expect(bandFor(55, policy)).toBe('high');
    expect(bandFor(75, policy)).toBe('critical');
    expect(bandFor(100, policy)).toBe('critical');
  });

  it('a custom policy (weights changed through parseConfig) changes the score and the policy version', () => {
    const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8')) as Record<string, unknown>;
    const custom = parseConfig({
      ...doc,
      policy: {
        severity: {
          weights: { breachType: 0.6, assetCriticality: 0.1, assetVulnerability: 0.05, contagion: 0.05, afterHours: 0.1, restrictedZone: 0.05, recurrence: 0.025, corroboration: 0.025 },
        },
      },
    }).policy;
    expect(custom.version).not.toBe(policy.version);
    expect(custom.version.startsWith(policy.version)).toBe(true);
    const a = computeSeverity(forcedDoor, policy);
    const b = computeSeverity(forcedDoor, custom);
    expect(b.score).not.toBe(a.score);
    expect(b.policyVersion).toBe(custom.version);
    expect(b.factors.find((f) => f.name === 'breachType')!.weight).toBe(0.6);
    expect(b.factors.find((f) => f.name === 'breachType')!.contribution).toBeCloseTo(51, 5);

    // an explicit version in the override is kept as given
    const named = parseConfig({ ...doc, policy: { version: 'acme-7', severity: { bands: { medium: 10, high: 20, critical: 30 } } } }).policy;
    expect(named.version).toBe('acme-7');
    const c = computeSeverity(forcedDoor, named);
    expect(c.policyVersion).toBe('acme-7');
    expect(c.score).toBe(a.score);
    expect(c.band).toBe('critical');
  });
});
