import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../config/loader.js';
import type { AssetConfig, ZoneConfig } from '../config/schema.js';
import { assessIncident, foldEvent, highRiskReasons, newAggregate, type AssessmentContext, type IncidentAggregate } from './assessment.js';
import { buildOrgModel } from './site-model.js';
import { ruleFor } from './correlation.js';
import type { SecurityEvent, Source } from './types.js';

const config = loadDemoConfig();
const org = buildOrgModel(config);
const policy = config.policy;

// Wednesday 14 January 2026; store-101 (America/New_York) is UTC-5.
const AT_0214 = '2026-01-14T07:14:00Z';
const AT_1400 = '2026-01-14T19:00:00Z';

function ev(source: Source, type: string, occurredAt: string, extra: Partial<SecurityEvent> = {}): SecurityEvent {
  return { source, type, occurredAt, site: 'store-101', details: {}, ...extra };
}

function aggregate(events: SecurityEvent[]): IncidentAggregate {
  const type = ruleFor(policy, events[0].source, events[0].type)!.incidentType;
  const agg = newAggregate(events[0], type);
  for (const e of events) foldEvent(agg, e, org, policy, type);
  return agg;
}

const ctx = (over: Partial<AssessmentContext> = {}): AssessmentContext => ({
  devicesDown: new Set(),
  priorIncidentsInZone: 0,
  assetRecentIncidents: new Map(),
  ...over,
});

const factor = (a: ReturnType<typeof assessIncident>, name: string) => a.severity.factors.find((f) => f.name === name)!;

const forcedDoor = () => aggregate([ev('access_control', 'door_forced', AT_0214, { zone: 'cash-office', device: 'dc-101-co', assets: ['safe-1'] })]);

describe('foldEvent', () => {
  it('remembers zones, sources, breach, after-hours local time and named assets of the site only', () => {
    const agg = aggregate([
      ev('cctv', 'motion', AT_0214, { zone: 'back-hall', device: 'cam-101-bh' }),
      ev('access_control', 'door_forced', '2026-01-14T07:15:00Z', { zone: 'cash-office', device: 'dc-101-co', assets: ['safe-1', 'cage-201-laptops', 'nope'] }),
    ]);
    expect(agg.eventCount).toBe(2);
    expect(agg.zones).toEqual(['back-hall', 'cash-office']);
    expect(agg.zone).toBe('cash-office'); // zone of the most serious event
    expect(agg.sources).toEqual(['cctv', 'access_control']);
    expect(agg.breach).toBe(0.85);
    expect(agg.breachEvent).toBe('access_control.door_forced');
    expect(agg.afterHours).toBe(true);
    expect(agg.afterHoursAt).toBe('02:14');
    expect(agg.namedAssets).toEqual(['safe-1']);
    expect(agg.lastEventAt).toBe('2026-01-14T07:15:00Z');
  });
});

describe('assessIncident: forced door into the cash office at 02:14 local naming safe-1', () => {
  const a = assessIncident(forcedDoor(), org, policy, ctx());

  it('touches safe-1 as named and high risk, with reasons', () => {
    const safe = a.assets.find((x) => x.id === 'safe-1');
    expect(safe).toBeDefined();
    expect(safe!.relation).toBe('named');
    expect(safe!.highRisk).toBe(true);
    expect(safe!.highRiskReasons).toEqual(expect.arrayContaining(['value 25000.00 >= 10000.00', 'category cash', 'in restricted zone cash-office']));
    expect(safe!.highRiskReasons).toHaveLength(3);
  });

  it('touches the other cash-office asset by zone and the NVR 3 m away in the back hall by reach', () => {
    const server = a.assets.find((x) => x.id === 'bo-server-101');
    expect(server?.relation).toBe('zone');
    expect(server?.highRiskReasons).toEqual(expect.arrayContaining(['category data', 'holds sensitive data']));
    expect(a.assets.find((x) => x.id === 'nvr-101')?.relation).toBe('reach');
    expect(a.assets.find((x) => x.id === 'display-101-electronics')).toBeUndefined();
    expect(a.assets.map((x) => x.id).sort()).toEqual(['bo-server-101', 'nvr-101', 'safe-1']);
  });

  it('scores after hours (value 1, detail with 02:14 local), restricted zone and the breach', () => {
    const ah = factor(a, 'afterHours');
    expect(ah.value).toBe(1);
    expect(ah.detail).toContain('02:14');
    expect(ah.detail).toContain('America/New_York');
    expect(ah.detail).toContain('08:00-22:00');
    expect(factor(a, 'restrictedZone').value).toBe(1);
    expect(factor(a, 'breachType').value).toBe(0.85);
    expect(factor(a, 'breachType').detail).toContain('door_forced');
    expect(factor(a, 'assetCriticality').detail).toContain('safe-1');
    expect(factor(a, 'assetVulnerability').value).toBe(0.6);
    expect(['high', 'critical']).toContain(a.severity.band);
    expect(a.severity.policyVersion).toBe(policy.version);
  });

  it('computes the loss of an unauthorized entry touching sensitive data', () => {
    expect(a.loss).toMatchObject({ currency: 'USD', replacement: '0.00', downtime: '600.00', fines: '5000.00', remediation: '250.00', gross: '5850.00', net: '5850.00', executiveEscalation: false });
  });

  it('a down camera of the zone raises asset vulnerability; a camera elsewhere does not', () => {
    const down = assessIncident(forcedDoor(), org, policy, ctx({ devicesDown: new Set(['cam-101-co']) }));
    const v0 = factor(a, 'assetVulnerability');
    const v1 = factor(down, 'assetVulnerability');
    expect(v1.value).toBeGreaterThan(v0.value);
    expect(v1.value).toBeCloseTo(0.8, 2); // 0.6 + 0.4 x 0.5 x 1/1
    expect(v1.detail).toContain('1 of 1 covering cameras down');
    expect(down.severity.score).toBeGreaterThan(a.severity.score);
    const elsewhere = assessIncident(forcedDoor(), org, policy, ctx({ devicesDown: new Set(['cam-101-ld', 'cr-101-co']) }));
    expect(factor(elsewhere, 'assetVulnerability').value).toBe(v0.value);
  });

  it('recurrence and corroboration come from the context and the sources', () => {
    const agg = forcedDoor();
    foldEvent(agg, ev('cctv', 'person_detected', '2026-01-14T07:16:00Z', { zone: 'cash-office', device: 'cam-101-co' }), org, policy, agg.type);
    const b = assessIncident(agg, org, policy, ctx({ priorIncidentsInZone: 2 }));
    expect(factor(b, 'recurrence').value).toBe(0.5);
    expect(factor(b, 'corroboration').value).toBe(0.5);
    expect(b.severity.score).toBeGreaterThan(a.severity.score);
  });
});

describe('assessIncident: other situations', () => {
  it('business hours: afterHours 0 with the opening hours in the detail', () => {
    const a = assessIncident(aggregate([ev('cctv', 'loitering', AT_1400, { zone: 'sales-floor' })]), org, policy, ctx());
    expect(factor(a, 'afterHours').value).toBe(0);
    expect(factor(a, 'afterHours').detail).toContain('08:00-22:00');
    expect(factor(a, 'restrictedZone').value).toBe(0);
    // cameras covering the sales floor: its three own plus the entrance camera that covers it
    const down = assessIncident(aggregate([ev('cctv', 'loitering', AT_1400, { zone: 'sales-floor' })]), org, policy, ctx({ devicesDown: new Set(['cam-101-ent']) }));
    expect(factor(down, 'assetVulnerability').detail).toContain('1 of 4 covering cameras down');
  });

  it('recent incidents on an asset make it high risk', () => {
    const agg = aggregate([ev('cctv', 'loitering', AT_1400, { zone: 'sales-floor' })]);
    const plain = assessIncident(agg, org, policy, ctx());
    expect(plain.assets.find((x) => x.id === 'display-101-fragrance')?.highRisk).toBe(false);
    const hot = assessIncident(agg, org, policy, ctx({ assetRecentIncidents: new Map([['display-101-fragrance', 2]]) }));
    const frag = hot.assets.find((x) => x.id === 'display-101-fragrance')!;
    expect(frag.highRisk).toBe(true);
    expect(frag.highRiskReasons).toEqual(['2 incidents in 30 days']);
  });

  it('high-risk assets in adjacent zones out of reach feed contagion', () => {
    const a = assessIncident(aggregate([ev('alarm', 'intrusion', AT_0214, { zone: 'back-hall' })]), org, policy, ctx());
    // stock-101-high-value stands 6 m from the back hall: out of reach, but high risk next door
    expect(a.adjacentHighRisk.map((x) => x.id)).toEqual(['stock-101-high-value']);
    expect(a.assets.find((x) => x.id === 'stock-101-high-value')).toBeUndefined();
    // safe-1 (3 m) and the electronics display (5 m) are within reach
    expect(a.assets.find((x) => x.id === 'safe-1')?.relation).toBe('reach');
    expect(a.assets.find((x) => x.id === 'display-101-electronics')?.relation).toBe('reach');
    expect(factor(a, 'contagion').value).toBeGreaterThan(0);
    expect(factor(a, 'contagion').detail).toContain('stock-101-high-value');
  });

  it('a recovered EAS item counts in replacement and again as recovered', () => {
    const a = assessIncident(
      aggregate([ev('alarm', 'eas_gate', AT_1400, { zone: 'entrance', device: 'eas-101-1', amount: { value: '120.5', currency: 'USD' }, details: { recovered: true } })]),
      org,
      policy,
      ctx(),
    );
    expect(a.loss.replacement).toBe('120.50');
    expect(a.loss.recovered).toBe('120.50');
    // theft: 120.50 + 0.25 h x 1200.00 + 100.00 remediation = 520.50, minus 120.50 recovered
    expect(a.loss.gross).toBe('520.50');
    expect(a.loss.net).toBe('400.00');
  });

  it('refuses an unknown site', () => {
    const agg = aggregate([ev('alarm', 'intrusion', AT_0214, { zone: 'cash-office' })]);
    expect(() => assessIncident({ ...agg, site: 'store-999' }, org, policy, ctx())).toThrow(/store-999/);
  });
});

describe('highRiskReasons', () => {
  const asset = (over: Partial<AssetConfig> = {}): AssetConfig => ({
    id: 'a1', name: 'Thing', category: 'merchandise', zone: 'z1', value: '100.00', vulnerability: 0.5, sensitiveData: false, status: 'active', ...over,
  });
  const open: ZoneConfig = { id: 'z1', name: 'Open', kind: 'general', restricted: false, adjacent: [] };
  const locked: ZoneConfig = { ...open, restricted: true };

  it('an ordinary asset is not high risk', () => {
    expect(highRiskReasons(asset(), open, 0, 'USD', policy)).toEqual([]);
    expect(highRiskReasons(asset(), undefined, 1, 'USD', policy)).toEqual([]);
  });

  it('value at or above minValue', () => {
    expect(highRiskReasons(asset({ value: '9999.99' }), open, 0, 'USD', policy)).toEqual([]);
    expect(highRiskReasons(asset({ value: '10000.00' }), open, 0, 'USD', policy)).toEqual(['value 10000.00 >= 10000.00']);
  });

  it('a high-risk category', () => {
    expect(highRiskReasons(asset({ category: 'jewelry' }), open, 0, 'USD', policy)).toEqual(['category jewelry']);
    expect(highRiskReasons(asset({ category: 'equipment' }), open, 0, 'USD', policy)).toEqual([]);
  });

  it('a restricted zone, unless policy turns that rule off', () => {
    expect(highRiskReasons(asset(), locked, 0, 'USD', policy)).toEqual(['in restricted zone z1']);
    const off = { ...policy, highRisk: { ...policy.highRisk, restrictedZone: false } };
    expect(highRiskReasons(asset(), locked, 0, 'USD', off)).toEqual([]);
  });

  it('sensitive data, unless policy turns that rule off', () => {
    expect(highRiskReasons(asset({ sensitiveData: true }), open, 0, 'USD', policy)).toEqual(['holds sensitive data']);
    const off = { ...policy, highRisk: { ...policy.highRisk, sensitiveData: false } };
    expect(highRiskReasons(asset({ sensitiveData: true }), open, 0, 'USD', off)).toEqual([]);
  });

  it('recent incidents at or above the policy count', () => {
    expect(highRiskReasons(asset(), open, 1, 'USD', policy)).toEqual([]);
    expect(highRiskReasons(asset(), open, 2, 'USD', policy)).toEqual(['2 incidents in 30 days']);
  });

  it('lists every matching reason', () => {
    expect(highRiskReasons(asset({ value: '50000.00', category: 'cash', sensitiveData: true }), locked, 3, 'USD', policy)).toHaveLength(5);
  });
});
