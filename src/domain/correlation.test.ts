import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../config/loader.js';
import { buildOrgModel } from './site-model.js';
import { Correlator, isAfterHours, type Decision, type OpenIncidentRef } from './correlation.js';
import type { SecurityEvent, Source } from './types.js';

const config = loadDemoConfig();
const org = buildOrgModel(config);
const policy = config.policy;

// Wednesday 14 January 2026, store-101 is in America/New_York (UTC-5 in winter).
const NIGHT = Date.parse('2026-01-14T07:00:00Z'); // 02:00 local
const DAY = Date.parse('2026-01-14T19:00:00Z'); // 14:00 local
const min = 60_000;
const iso = (t: number) => new Date(t).toISOString();

function ev(source: Source, type: string, at: number, extra: Partial<SecurityEvent> = {}): SecurityEvent {
  return { source, type, occurredAt: iso(at), site: 'store-101', details: {}, ...extra };
}

/** A correlator over the demo chain with sequential ids and keys. */
function harness(open: OpenIncidentRef[] = []) {
  const c = new Correlator(org, policy, open, []);
  let n = 0;
  let k = 0;
  return {
    c,
    decide(e: SecurityEvent, key = `e${++k}`): Decision {
      return c.decide(e, key, () => `inc-${++n}`);
    },
  };
}

function opened(d: Decision): OpenIncidentRef {
  expect(d.kind).toBe('open');
  return (d as Extract<Decision, { kind: 'open' }>).incident;
}

describe('isAfterHours', () => {
  it('uses the site time zone', () => {
    expect(isAfterHours(org, 'store-101', new Date(NIGHT))).toBe(true);
    expect(isAfterHours(org, 'store-101', new Date(DAY))).toBe(false);
    // 22:30 local (03:30Z next day) is after close; 07:59 local before open
    expect(isAfterHours(org, 'store-101', new Date('2026-01-15T03:30:00Z'))).toBe(true);
    expect(isAfterHours(org, 'store-101', new Date('2026-01-14T12:59:00Z'))).toBe(true);
    expect(isAfterHours(org, 'store-101', new Date('2026-01-14T13:00:00Z'))).toBe(false);
    // 14:00Z is 08:00 in Chicago (dc-201 opens 06:00) but 06:00 in Los Angeles (hq-301 opens 07:00)
    expect(isAfterHours(org, 'dc-201', new Date('2026-01-14T14:00:00Z'))).toBe(false);
    expect(isAfterHours(org, 'hq-301', new Date('2026-01-14T14:00:00Z'))).toBe(true);
    // hq-301 is closed on Saturdays
    expect(isAfterHours(org, 'hq-301', new Date('2026-01-17T20:00:00Z'))).toBe(true);
  });
});

describe('Correlator: physical events', () => {
  it('same-zone events within the window join the incident', () => {
    const h = harness();
    const inc = opened(h.decide(ev('access_control', 'door_forced', NIGHT, { zone: 'cash-office' })));
    expect(inc).toMatchObject({ id: 'inc-1', site: 'store-101', zones: ['cash-office'], type: 'unauthorized_entry', group: 'physical' });
    expect(h.decide(ev('alarm', 'intrusion', NIGHT + 10 * min, { zone: 'cash-office' }))).toEqual({ kind: 'join', incidentId: 'inc-1' });
    // the window is measured from the last event: 10 + 14 minutes still joins
    expect(h.decide(ev('alarm', 'intrusion', NIGHT + 24 * min, { zone: 'cash-office' }))).toEqual({ kind: 'join', incidentId: 'inc-1' });
    expect(inc.lastEventAt).toBe(NIGHT + 24 * min);
    expect(inc.firstEventAt).toBe(NIGHT);
  });

  it('an adjacent zone joins and is added to the incident zones', () => {
    const h = harness();
    const inc = opened(h.decide(ev('access_control', 'door_forced', NIGHT, { zone: 'cash-office' })));
    expect(h.decide(ev('cctv', 'person_detected', NIGHT + 3 * min, { zone: 'back-hall' }))).toEqual({ kind: 'join', incidentId: 'inc-1' });
    expect(inc.zones).toEqual(['cash-office', 'back-hall']);
  });

  it('a non-adjacent zone opens a new incident', () => {
    const h = harness();
    opened(h.decide(ev('access_control', 'door_forced', NIGHT, { zone: 'cash-office' })));
    const second = opened(h.decide(ev('alarm', 'intrusion', NIGHT + 2 * min, { zone: 'loading-dock' })));
    expect(second.id).toBe('inc-2');
    expect(second.zones).toEqual(['loading-dock']);
  });

  it('an event outside the window opens a new incident', () => {
    const h = harness();
    opened(h.decide(ev('access_control', 'door_forced', NIGHT, { zone: 'cash-office' })));
    expect(opened(h.decide(ev('alarm', 'intrusion', NIGHT + 16 * min, { zone: 'cash-office' }))).id).toBe('inc-2');
    // and before the window, too
    const h2 = harness();
    opened(h2.decide(ev('access_control', 'door_forced', NIGHT, { zone: 'cash-office' })));
    expect(opened(h2.decide(ev('alarm', 'intrusion', NIGHT - 16 * min, { zone: 'cash-office' }))).id).toBe('inc-2');
  });

  it('events at another site never join', () => {
    const h = harness();
    opened(h.decide(ev('access_control', 'door_forced', NIGHT, { zone: 'cash-office' })));
    expect(opened(h.decide(ev('alarm', 'intrusion', NIGHT + min, { site: 'dc-201', zone: 'cage' }))).site).toBe('dc-201');
  });

  it('business-hours motion on the sales floor is noise; the same at 02:00 local opens suspicious_activity', () => {
    const h = harness();
    expect(h.decide(ev('cctv', 'motion', DAY, { zone: 'sales-floor' }))).toEqual({ kind: 'ignore', reason: 'noise' });
    expect(h.decide(ev('cctv', 'person_detected', DAY, { zone: 'sales-floor' }))).toEqual({ kind: 'ignore', reason: 'noise' });
    const inc = opened(h.decide(ev('cctv', 'motion', NIGHT, { zone: 'sales-floor' })));
    expect(inc.type).toBe('suspicious_activity');
  });

  it('business-hours motion joins an incident in its own zone as context, without widening its window or zones', () => {
    const h = harness();
    // A forced door on the sales floor at 14:00 local opens an incident (door_forced always opens).
    const inc = opened(h.decide(ev('access_control', 'door_forced', DAY, { zone: 'sales-floor' })));
    // Shoppers on camera in the same zone ten minutes later: context, the window does not move.
    expect(h.decide(ev('cctv', 'person_detected', DAY + 10 * min, { zone: 'sales-floor' }))).toEqual({ kind: 'join', incidentId: inc.id });
    expect(inc.lastEventAt).toBe(DAY);
    // The same in an adjacent zone is noise: the incident does not spread over the shop floor.
    expect(h.decide(ev('cctv', 'motion', DAY + 11 * min, { zone: 'entrance' }))).toEqual({ kind: 'ignore', reason: 'noise' });
    expect(inc.zones).toEqual(['sales-floor']);
    // So a forced door 16 minutes after the first opens an incident of its own instead of joining.
    expect(opened(h.decide(ev('access_control', 'door_forced', DAY + 16 * min, { zone: 'sales-floor' }))).id).toBe('inc-2');
  });

  it('business-hours motion in a restricted zone opens', () => {
    const h = harness();
    expect(opened(h.decide(ev('cctv', 'motion', DAY, { zone: 'cash-office' }))).type).toBe('suspicious_activity');
  });

  it('business-hours motion opens when policy does not ignore it', () => {
    const p = { ...policy, correlation: { ...policy.correlation, ignoreBusinessHoursMotion: false } };
    const c = new Correlator(org, p, [], []);
    expect(c.decide(ev('cctv', 'motion', DAY, { zone: 'sales-floor' }), 'k', () => 'x').kind).toBe('open');
  });

  it('access_granted is an access log, device heartbeat is device state, unknown site and type are ignored', () => {
    const h = harness();
    expect(h.decide(ev('access_control', 'access_granted', NIGHT, { zone: 'cash-office', badge: 'B-1018' }))).toEqual({ kind: 'ignore', reason: 'access_log' });
    expect(h.decide(ev('device', 'heartbeat', NIGHT, { device: 'cam-101-co' }))).toEqual({ kind: 'ignore', reason: 'device_state' });
    expect(h.decide(ev('device', 'offline', NIGHT, { device: 'cam-101-co' }))).toEqual({ kind: 'ignore', reason: 'device_state' });
    expect(h.decide(ev('alarm', 'intrusion', NIGHT, { site: 'store-999' }))).toEqual({ kind: 'ignore', reason: 'unknown_site' });
    expect(h.decide(ev('alarm', 'smoke', NIGHT, { zone: 'cash-office' }))).toEqual({ kind: 'ignore', reason: 'no_rule' });
  });

  it('incident type upgrades by priority and never downgrades', () => {
    const h = harness();
    const inc = opened(h.decide(ev('cctv', 'motion', NIGHT, { zone: 'sales-floor' })));
    expect(inc.type).toBe('suspicious_activity');
    expect(h.decide(ev('access_control', 'door_forced', NIGHT + 2 * min, { zone: 'sales-floor' }))).toEqual({ kind: 'join', incidentId: inc.id });
    expect(inc.type).toBe('unauthorized_entry');
    expect(h.decide(ev('alarm', 'glass_break', NIGHT + 3 * min, { zone: 'sales-floor' }))).toEqual({ kind: 'join', incidentId: inc.id });
    expect(inc.type).toBe('unauthorized_entry'); // vandalism ranks below unauthorized_entry
  });

  it('joins an open incident handed to the constructor', () => {
    const existing: OpenIncidentRef = { id: 'old-1', site: 'store-101', zones: ['stockroom'], type: 'theft', group: 'physical', firstEventAt: NIGHT - 5 * min, lastEventAt: NIGHT - 5 * min };
    const h = harness([existing]);
    expect(h.decide(ev('alarm', 'intrusion', NIGHT, { zone: 'loading-dock' }))).toEqual({ kind: 'join', incidentId: 'old-1' });
    expect(existing.type).toBe('unauthorized_entry');
  });
});

describe('Correlator: POS exceptions', () => {
  const pos = (at: number, device: string, extra: Partial<SecurityEvent> = {}) => ev('pos', 'void', at, { zone: 'sales-floor', device, ...extra });

  it('two voids from one terminal are below the pattern; the third within 30 min opens fraud and attaches the two', () => {
    const h = harness();
    expect(h.decide(pos(DAY, 'pos-101-1'), 'v1')).toEqual({ kind: 'ignore', reason: 'below_pos_pattern' });
    expect(h.decide(pos(DAY + 10 * min, 'pos-101-1'), 'v2')).toEqual({ kind: 'ignore', reason: 'below_pos_pattern' });
    // a void from another terminal does not count towards pos-101-1
    expect(h.decide(pos(DAY + 15 * min, 'pos-101-2'), 'w1')).toEqual({ kind: 'ignore', reason: 'below_pos_pattern' });
    const d = h.decide(pos(DAY + 20 * min, 'pos-101-1'), 'v3');
    const inc = opened(d);
    expect(inc).toMatchObject({ type: 'fraud', group: 'pos', device: 'pos-101-1', firstEventAt: DAY, lastEventAt: DAY + 20 * min });
    expect((d as Extract<Decision, { kind: 'open' }>).attach.sort()).toEqual(['v1', 'v2']);
    // a later void from the same terminal joins; one from another terminal does not
    expect(h.decide(pos(DAY + 25 * min, 'pos-101-1'), 'v4')).toEqual({ kind: 'join', incidentId: inc.id });
    expect(h.decide(pos(DAY + 26 * min, 'pos-101-2'), 'w2')).toEqual({ kind: 'ignore', reason: 'below_pos_pattern' });
  });

  it('voids spread over more than 30 minutes do not make a pattern', () => {
    const h = harness();
    h.decide(pos(DAY, 'pos-101-1'), 'v1');
    h.decide(pos(DAY + 20 * min, 'pos-101-1'), 'v2');
    expect(h.decide(pos(DAY + 45 * min, 'pos-101-1'), 'v3')).toEqual({ kind: 'ignore', reason: 'below_pos_pattern' });
    const d = h.decide(pos(DAY + 46 * min, 'pos-101-1'), 'v4');
    expect((d as Extract<Decision, { kind: 'open' }>).attach.sort()).toEqual(['v2', 'v3']);
  });

  it('a single void worth >= 250.00 opens; 249.99 does not', () => {
    const h = harness();
    expect(h.decide(pos(DAY, 'pos-101-3', { amount: { value: '249.99', currency: 'USD' } }))).toEqual({ kind: 'ignore', reason: 'below_pos_pattern' });
    const d = h.decide(pos(DAY + min, 'pos-101-2', { amount: { value: '250.00', currency: 'USD' } }));
    expect(opened(d)).toMatchObject({ type: 'fraud', device: 'pos-101-2' });
    expect((d as Extract<Decision, { kind: 'open' }>).attach).toEqual([]);
    // a negative (refund) amount counts by its absolute value
    expect(h.decide(ev('pos', 'refund', DAY + 2 * min, { device: 'pos-101-1', amount: { value: '-300.00', currency: 'USD' } })).kind).toBe('open');
  });

  it('POS events do not join physical incidents and physical events do not join POS incidents', () => {
    const h = harness();
    const physical = opened(h.decide(ev('alarm', 'intrusion', NIGHT, { zone: 'sales-floor' })));
    const till = opened(h.decide(ev('pos', 'cash_shortage', NIGHT + min, { zone: 'sales-floor', device: 'pos-101-1' })));
    expect(till.id).not.toBe(physical.id);
    expect(till.group).toBe('pos');
    // a big void at the same till joins the POS incident, not the physical one
    expect(h.decide(pos(NIGHT + 2 * min, 'pos-101-1', { amount: { value: '500.00', currency: 'USD' } }))).toEqual({ kind: 'join', incidentId: till.id });
    // a physical event on the sales floor joins the physical incident, not the POS one
    expect(h.decide(ev('cctv', 'loitering', NIGHT + 3 * min, { zone: 'sales-floor' }))).toEqual({ kind: 'join', incidentId: physical.id });

    const h2 = harness();
    const fraud = opened(h2.decide(pos(DAY, 'pos-101-1', { amount: { value: '900.00', currency: 'USD' } })));
    const loiter = opened(h2.decide(ev('cctv', 'loitering', DAY + min, { zone: 'sales-floor' })));
    expect(loiter.id).not.toBe(fraud.id);
    expect(loiter.group).toBe('physical');
  });
});

describe('Correlator properties', () => {
  const kinds: [Source, string][] = [
    ['cctv', 'motion'], ['cctv', 'person_detected'], ['cctv', 'loitering'], ['access_control', 'door_forced'], ['access_control', 'access_granted'],
    ['access_control', 'access_denied'], ['alarm', 'intrusion'], ['alarm', 'glass_break'], ['device', 'heartbeat'], ['pos', 'void'], ['pos', 'refund'], ['pos', 'cash_shortage'],
  ];
  const zones = ['entrance', 'sales-floor', 'back-hall', 'cash-office', 'stockroom', 'loading-dock'];
  const eventArb = fc
    .record({
      kind: fc.constantFrom(...kinds),
      site: fc.constantFrom('store-101', 'store-101', 'store-101', 'dc-201'),
      zone: fc.option(fc.constantFrom(...zones), { nil: undefined }),
      device: fc.constantFrom('pos-101-1', 'pos-101-2', 'pos-101-3'),
      offsetMin: fc.integer({ min: 0, max: 24 * 60 }),
      amount: fc.option(fc.integer({ min: -40_000, max: 40_000 }), { nil: undefined }),
    })
    .map(({ kind: [source, type], site, zone, device, offsetMin, amount }): SecurityEvent => ({
      source,
      type,
      occurredAt: iso(NIGHT + offsetMin * min),
      site,
      ...(zone && site === 'store-101' ? { zone } : {}),
      ...(source === 'pos' ? { device } : {}),
      ...(source === 'pos' && amount !== undefined ? { amount: { value: (amount / 100).toFixed(2), currency: 'USD' } } : {}),
      details: {},
    }));

  it('decisions are deterministic, joins refer to incidents opened earlier, attachments to earlier pending POS events', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
        const a = harness();
        const b = harness();
        const openedIds = new Set<string>();
        const pendingKeys = new Set<string>();
        events.forEach((e, i) => {
          const key = `k${i}`;
          const da = a.decide(structuredClone(e), key);
          const db = b.decide(structuredClone(e), key);
          expect(db).toEqual(da);
          if (da.kind === 'join') expect(openedIds.has(da.incidentId)).toBe(true);
          if (da.kind === 'open') {
            expect(openedIds.has(da.incident.id)).toBe(false);
            openedIds.add(da.incident.id);
            for (const k of da.attach) {
              expect(pendingKeys.delete(k)).toBe(true); // attached once, and only a pending POS event
            }
            if (e.source !== 'pos') expect(da.attach).toEqual([]);
          }
          if (da.kind === 'ignore' && da.reason === 'below_pos_pattern') {
            expect(e.source).toBe('pos');
            pendingKeys.add(key);
          }
          if (da.kind === 'ignore' && (da.reason === 'device_state' || da.reason === 'access_log')) {
            expect(['device.heartbeat', 'access_control.access_granted']).toContain(`${e.source}.${e.type}`);
          }
        });
      }),
    );
  });

  it('an event always joins an incident of its own site and group', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
        const h = harness();
        const byId = new Map<string, OpenIncidentRef>();
        events.forEach((e, i) => {
          const d = h.decide(e, `k${i}`);
          if (d.kind === 'open') byId.set(d.incident.id, d.incident);
          if (d.kind === 'join') {
            const inc = byId.get(d.incidentId)!;
            expect(inc.site).toBe(e.site);
            expect(inc.group).toBe(e.source === 'pos' ? 'pos' : 'physical');
            if (e.source === 'pos') expect(inc.device).toBe(e.device);
          }
        });
      }),
    );
  });
});
