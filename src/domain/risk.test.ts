import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { BUNDLED, defaultPolicy, loadDemoConfig, parseConfig } from '../config/loader.js';
import type { RiskPolicy } from '../config/schema.js';
import {
  assessLikelihood,
  assessSite,
  assetImpact,
  decayWeight,
  decayedSum,
  likelihoodFor,
  recurringAt,
  riskAt,
  riskBandFor,
  riskRecurrenceValue,
  riskWantsPatrol,
  valueImpact,
  type RiskIncident,
} from './risk.js';
import { computeSeverity, type SeverityInput } from './severity.js';
import { buildOrgModel } from './site-model.js';

const policy = defaultPolicy();
const risk = policy.risk;
const DAY = 86_400_000;
const NOW = new Date('2026-11-20T12:00:00Z');
const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * DAY);
const inc = (id: string, daysAgo: number, band = 'high'): RiskIncident => ({ id, openedAt: at(daysAgo), band });

const bandArb = fc.constantFrom('low', 'medium', 'high', 'critical');
const incidentsArb = fc.array(fc.record({ age: fc.double({ min: 0, max: 200, noNaN: true }), band: bandArb }), { maxLength: 30 }).map((list) => list.map((x, i) => inc(`i-${i}`, x.age, x.band)));

describe('risk properties', () => {
  it('decay halves the weight at the half-life, and again at twice the half-life', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1000, noNaN: true }), fc.double({ min: 0.1, max: 365, noNaN: true }), (age, half) => {
        expect(decayWeight(age + half, half)).toBeCloseTo(decayWeight(age, half) / 2, 12);
      }),
    );
    expect(decayWeight(0, 30)).toBe(1);
    expect(decayWeight(30, 30)).toBe(0.5);
    expect(decayWeight(60, 30)).toBe(0.25);
    // The policy's half-life through the sum: one high incident exactly halfLifeDays old weighs 0.5.
    expect(decayedSum([inc('a', risk.halfLifeDays)], NOW, risk)).toBe(0.5);
  });

  it('more recent incidents never lower likelihood (moving one closer to now, or adding one)', () => {
    fc.assert(
      fc.property(incidentsArb, fc.nat(29), fc.double({ min: 0, max: 200, noNaN: true }), bandArb, (list, pick, newer, band) => {
        const before = assessLikelihood(list, NOW, risk).likelihood;
        if (list.length > 0) {
          const i = pick % list.length;
          const age = (NOW.getTime() - list[i]!.openedAt.getTime()) / DAY;
          const moved = list.map((x, j) => (j === i ? { ...x, openedAt: at(Math.min(age, newer)) } : x));
          expect(assessLikelihood(moved, NOW, risk).likelihood).toBeGreaterThanOrEqual(before);
        }
        expect(assessLikelihood([...list, inc('new', newer, band)], NOW, risk).likelihood).toBeGreaterThanOrEqual(before);
      }),
    );
  });

  it('the recurring flag flips at exactly N incidents within M days', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 90 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }), (count, days, spots) => {
        const p: RiskPolicy['recurring'] = { count, days, likelihoodRaise: 1 };
        // Incidents strictly inside the window, plus some outside it that never count.
        const inside = spots.map((s, i) => inc(`in-${i}`, s * days * 0.999));
        const outside = [inc('old-1', days + 1), inc('old-2', days * 3)];
        expect(recurringAt([...inside.slice(0, count - 1), ...outside], NOW, p).flagged).toBe(false);
        const flagged = recurringAt([...inside.slice(0, count), ...outside], NOW, p);
        expect(flagged.flagged).toBe(true);
        expect(flagged.inWindow).toBe(count);
        // It lapses when the count-th newest leaves the window.
        expect(recurringAt([...inside.slice(0, count)], new Date(flagged.until!.getTime() - 1), p).flagged).toBe(true);
        expect(recurringAt([...inside.slice(0, count)], flagged.until!, p).flagged).toBe(false);
      }),
    );
  });

  it('likelihood, impact and score stay on the 5x5 matrix, and the band follows the score', () => {
    fc.assert(
      fc.property(incidentsArb, (list) => {
        const l = assessLikelihood(list, NOW, risk);
        expect(l.likelihood).toBeGreaterThanOrEqual(1);
        expect(l.likelihood).toBeLessThanOrEqual(5);
        for (let i = 1; i <= 5; i++) expect(riskBandFor(l.likelihood * i, risk.bands)).toBe(riskBandFor(i * l.likelihood, risk.bands));
      }),
    );
  });

  it('a stored score decayed to a later time equals the recalculation then (same incidents)', () => {
    fc.assert(
      fc.property(incidentsArb, fc.double({ min: 0, max: 120, noNaN: true }), (list, later) => {
        const recent = list.filter((x) => NOW.getTime() - x.openedAt.getTime() <= 150 * DAY);
        const l = assessLikelihood(recent, NOW, risk);
        const then = new Date(NOW.getTime() + later * DAY);
        const projected = riskAt({ impact: 3, decayedSum: l.sum, computedAt: NOW, recurringUntil: l.until }, then, risk);
        const fresh = assessLikelihood(recent, then, risk);
        expect(projected.decayedSum).toBeCloseTo(fresh.sum, 9);
        expect(projected.recurring).toBe(fresh.recurring.flagged);
        // Threshold ties aside (floating point), the levels agree.
        if (risk.likelihoodThresholds.every((t) => Math.abs(fresh.sum - t) > 1e-9)) expect(projected.likelihood).toBe(fresh.likelihood);
      }),
    );
  });
});

describe('risk levels', () => {
  it('maps decayed sums and asset values to 1-5 at the policy thresholds (values compared exactly)', () => {
    expect([0, 0.49, 0.5, 1.5, 2.5, 3.99, 4, 50].map((s) => likelihoodFor(s, risk.likelihoodThresholds))).toEqual([1, 1, 2, 3, 4, 4, 5, 5]);
    expect(['0.00', '999.99', '1000.00', '1000', '4999.999', '5000.00', '20000.00', '49999.99', '50000.00', '900000.00'].map((v) => valueImpact(v, risk.impact.valueThresholds))).toEqual([1, 1, 2, 2, 2, 3, 4, 4, 5, 5]);
    expect([1, 4, 5, 9, 10, 16, 17, 25].map((s) => riskBandFor(s, risk.bands))).toEqual(['low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
  });

  it('raises an asset impact for a critical category, sensitive data and a restricted zone, capped at 5, and says why', () => {
    expect(assetImpact({ value: '6500.00', category: 'merchandise', sensitiveData: false }, false, risk)).toMatchObject({ level: 3, fromValue: 3, raises: [] });
    const server = assetImpact({ value: '6500.00', category: 'data', sensitiveData: true }, true, risk);
    expect(server.level).toBe(5);
    expect(server.raises).toEqual(['category data +1', 'sensitive data +1', 'restricted zone +1']);
    expect(server.reason).toContain('capped at 5');
  });

  it('weights low-band incidents by the policy and explains each incident', () => {
    const l = assessLikelihood([inc('a', 0, 'low'), inc('b', 30, 'critical')], NOW, risk);
    expect(l.inputs.decayedSum).toBe(1);
    expect(l.inputs.recent).toEqual([
      { id: 'a', ageDays: 0, band: 'low', weight: 0.5 },
      { id: 'b', ageDays: 30, band: 'critical', weight: 0.5 },
    ]);
    expect(l.likelihood).toBe(2);
  });

  it('a recurring scope is raised by likelihoodRaise, capped at 5', () => {
    const two = assessLikelihood([inc('a', 1), inc('b', 2)], NOW, risk);
    const three = assessLikelihood([inc('a', 1), inc('b', 2), inc('c', 3)], NOW, risk);
    expect(two.recurring.flagged).toBe(false);
    expect(three.recurring.flagged).toBe(true);
    expect(three.inputs.fromSum).toBe(4);
    expect(three.inputs.raisedBy).toBe(1);
    expect(three.likelihood).toBe(5);
    const many = assessLikelihood([1, 2, 3, 4, 5, 6].map((d) => inc(`x${d}`, d)), NOW, risk);
    expect(many.likelihood).toBe(5);
    expect(many.inputs.raisedBy).toBe(0);
  });
});

describe('assessSite on the demo store-101', () => {
  const org = buildOrgModel(loadDemoConfig());
  const model = org.sites.get('store-101')!;
  const run = (incidents: { id: string; daysAgo: number; zones: string[]; band?: string }[]) =>
    assessSite({
      model,
      incidents: incidents.map((x) => ({ ...inc(x.id, x.daysAgo, x.band ?? 'critical'), zones: x.zones })),
      assetIncidents: new Map(),
      now: NOW,
      policy: risk,
      policyVersion: policy.version,
    });

  it('assesses every asset and zone and the site; with no incident a zone is rare x its worst asset', () => {
    const out = run([]);
    expect(out.filter((r) => r.scope === 'asset')).toHaveLength(model.site.assets.length);
    expect(out.filter((r) => r.scope === 'zone')).toHaveLength(model.site.zones.length);
    const cash = out.find((r) => r.id === 'store-101/cash-office')!;
    // safe-1: 25000 -> 4, cash +1 -> 5 (restricted would make 6, capped).
    expect([cash.likelihood, cash.impact, cash.score, cash.band, cash.recurring]).toEqual([1, 5, 5, 'medium', false]);
    expect(cash.inputs.impact.from).toMatch(/^asset /);
    const entrance = out.find((r) => r.id === 'store-101/entrance')!;
    expect([entrance.impact, entrance.inputs.impact.from]).toEqual([1, 'zone default']);
  });

  it('three incidents in one zone within the window flag it recurring and raise its band step by step', () => {
    const one = run([{ id: 'i1', daysAgo: 3, zones: ['stockroom'] }]);
    const two = run([{ id: 'i1', daysAgo: 3, zones: ['stockroom'] }, { id: 'i2', daysAgo: 2, zones: ['stockroom'] }]);
    const three = run([{ id: 'i1', daysAgo: 3, zones: ['stockroom'] }, { id: 'i2', daysAgo: 2, zones: ['stockroom'] }, { id: 'i3', daysAgo: 1, zones: ['stockroom'] }]);
    const zone = (out: ReturnType<typeof run>) => out.find((r) => r.id === 'store-101/stockroom')!;
    // Stockroom impact 4 (high-value shelving, 48000).
    expect([zone(one).likelihood, zone(one).band, zone(one).recurring]).toEqual([2, 'medium', false]);
    expect([zone(two).likelihood, zone(two).band, zone(two).recurring]).toEqual([3, 'high', false]);
    expect([zone(three).likelihood, zone(three).score, zone(three).band, zone(three).recurring]).toEqual([5, 20, 'critical', true]);
    expect(zone(three).inputs.explanation).toContain('+1 recurring: 3 within 30 d');
    // The site takes its worst zone and names it; other zones stay at rare.
    const site = three.find((r) => r.scope === 'site')!;
    expect([site.score, site.band, site.recurring, site.inputs.worst, site.inputs.recurringZones]).toEqual([20, 'critical', true, 'store-101/stockroom', ['stockroom']]);
    expect(three.find((r) => r.id === 'store-101/cash-office')!.likelihood).toBe(1);
  });

  it('an incident counts in every zone of its events; incidents without a zone count for the site', () => {
    const out = run([{ id: 'i1', daysAgo: 0, zones: ['back-hall', 'cash-office'] }, { id: 'i2', daysAgo: 0, zones: [] }, { id: 'i3', daysAgo: 0, zones: [] }]);
    expect(out.find((r) => r.id === 'store-101/back-hall')!.inputs.likelihood.incidents).toBe(1);
    expect(out.find((r) => r.id === 'store-101/cash-office')!.inputs.likelihood.incidents).toBe(1);
    expect(out.find((r) => r.id === 'store-101/stockroom')!.inputs.likelihood.incidents).toBe(0);
    const site = out.find((r) => r.scope === 'site')!;
    // cash-office 2 x 5 = 10 beats the two zone-less incidents (3 x zone default 1).
    expect([site.score, site.inputs.worst]).toEqual([10, 'store-101/cash-office']);
  });
});

describe('what a zone risk feeds', () => {
  const base: SeverityInput = {
    breach: 0.85, breachDetail: 'door forced', assets: [], coveringCameras: 0, camerasDown: 0, adjacentHighRisk: [],
    afterHours: false, afterHoursDetail: '', restrictedZone: false, zoneName: 'Stockroom', priorIncidents: 1, distinctSources: 1, currency: 'USD',
  };
  const recurrence = (input: SeverityInput) => computeSeverity(input, policy).factors.find((f) => f.name === 'recurrence')!;

  it('the severity recurrence factor is the larger of the count and the zone risk, and says which', () => {
    expect(recurrence(base)).toMatchObject({ value: 0.25, detail: '1 earlier incident(s) in the zone within 30 days' });
    const low = recurrence({ ...base, zoneRisk: { band: 'medium', score: 8, recurring: false } });
    expect(low.value).toBe(0.25);
    expect(low.detail).toBe('1 earlier incident(s) in the zone within 30 days; zone risk medium (8/25) gives 0.25');
    const rec = recurrence({ ...base, zoneRisk: { band: 'critical', score: 20, recurring: true } });
    expect(rec.value).toBe(1);
    expect(rec.detail).toBe("from the zone's risk: zone risk critical (20/25), recurring gives 1; 1 earlier incident(s) in the zone within 30 days");
    expect(computeSeverity({ ...base, zoneRisk: { band: 'critical', score: 20, recurring: true } }, policy).score).toBeGreaterThan(computeSeverity(base, policy).score);
  });

  it('the recurrence value and the patrol wish follow the policy', () => {
    expect(riskRecurrenceValue({ band: 'high', recurring: false }, risk)).toBe(risk.severityRecurrence.high);
    expect(riskRecurrenceValue({ band: 'low', recurring: true }, risk)).toBe(risk.severityRecurrence.recurring);
    expect(riskWantsPatrol({ band: 'medium', recurring: false }, risk)).toBe(false);
    expect(riskWantsPatrol({ band: 'high', recurring: false }, risk)).toBe(true);
    expect(riskWantsPatrol({ band: 'low', recurring: true }, risk)).toBe(true);
  });
});

describe('the risk policy', () => {
  const withRisk = (risk: Record<string, unknown>) => {
    const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
    doc.policy = { risk };
    return () => parseConfig(doc);
  };

  it('refuses thresholds out of order and a look-back shorter than the recurring window, all at once', () => {
    let message = '';
    try {
      withRisk({ likelihoodThresholds: [2, 1, 3, 4], impact: { valueThresholds: ['5000.00', '1000.00', '20000.00', '50000.00'] }, bands: { medium: 12, high: 10, critical: 17 }, lookbackDays: 10 })();
    } catch (e) {
      message = JSON.stringify((e as { problems?: unknown }).problems ?? (e as Error).message);
    }
    expect(message).toContain('policy.risk.likelihoodThresholds');
    expect(message).toContain('policy.risk.impact.valueThresholds');
    expect(message).toContain('policy.risk.bands');
    expect(message).toContain('policy.risk.lookbackDays');
  });

  it('takes overrides: a longer half-life keeps old incidents heavier', () => {
    const c = withRisk({ halfLifeDays: 90 })();
    expect(c.policy.risk.halfLifeDays).toBe(90);
    expect(decayedSum([inc('a', 90)], NOW, c.policy.risk)).toBe(0.5);
  });
});
