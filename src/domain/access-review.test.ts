import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig } from '../config/loader.js';
import { accessFindingId, badgeHolders, haversineMetres, onShift, reviewAccess, type BadgeEvent } from './access-review.js';
import { buildOrgModel } from './site-model.js';

// Two sites 1,100 km apart; store-a in New York (UTC-5 in January).
const config = parseConfig({
  organization: { name: 'Test', currency: 'USD', timezone: 'America/New_York' },
  sites: [
    {
      id: 'store-a',
      name: 'Store A',
      timezone: 'America/New_York',
      businessHours: { open: '08:00', close: '22:00' },
      location: { lat: 40.7128, lon: -74.006 },
      zones: [
        { id: 'sales', name: 'Sales floor', polygon: [[0, 0], [20, 0], [20, 10], [0, 10]], adjacent: ['cash-office'] },
        { id: 'cash-office', name: 'Cash office', restricted: true, requiredClearance: 'cash', polygon: [[60, 0], [65, 0], [65, 5], [60, 5]] },
      ],
      devices: [
        { id: 'cr-sales', kind: 'card_reader', zone: 'sales', position: [1, 1] },
        { id: 'cr-sales-2', kind: 'card_reader', zone: 'sales', position: [3, 1] },
        { id: 'cr-co', kind: 'card_reader', zone: 'cash-office', position: [61, 1] },
      ],
      personnel: [
        { id: 'ann', name: 'Ann', badge: 'B-1', role: 'cashier', clearances: ['sales_floor'], shift: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' } },
        { id: 'max', name: 'Max', badge: 'B-2', role: 'manager', clearances: ['sales_floor', 'cash'], shift: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' } },
        { id: 'ivy', name: 'Ivy', badge: 'B-3', role: 'cashier', clearances: ['cash'], active: false },
        { id: 'ned', name: 'Ned', badge: 'B-4', role: 'cleaner', clearances: ['cash'] },
      ],
    },
    {
      id: 'store-b',
      name: 'Store B',
      timezone: 'America/Chicago',
      businessHours: { open: '08:00', close: '22:00' },
      location: { lat: 41.8781, lon: -87.6298 },
      zones: [{ id: 'sales', name: 'Sales floor' }],
      devices: [{ id: 'cr-b', kind: 'card_reader', zone: 'sales' }],
    },
  ],
});
const org = buildOrgModel(config);
const policy = config.policy.accessReview;

// Wednesday 14 January 2026, New York local time = UTC - 5 h.
const local = (hhmm: string, day = '2026-01-14') => Date.parse(`${day}T${hhmm}:00-05:00`);
let seq = 0;
const ev = (type: string, hhmm: string, badge: string | null, device: string, over: Partial<BadgeEvent> = {}): BadgeEvent => {
  const dev = org.devices.get(device)!;
  return { seq: ++seq, type, at: local(hhmm), site: dev.site, zone: dev.zone, device, badge, details: {}, ...over };
};
const at = (hhmmss: string) => Date.parse(`2026-01-14T${hhmmss}-05:00`);

/** A normal Wednesday: on-shift, cleared entries, exits recorded at the cash office, one stray denial. */
function cleanDay(): BadgeEvent[] {
  return [
    ev('access_granted', '09:05', 'B-1', 'cr-sales', { details: { direction: 'in' } }),
    ev('access_granted', '09:55', 'B-2', 'cr-sales', { details: { direction: 'in' } }),
    ev('access_granted', '10:00', 'B-2', 'cr-co', { details: { direction: 'in' } }),
    ev('access_granted', '10:10', 'B-2', 'cr-co', { details: { direction: 'out' } }),
    ev('access_granted', '11:00', 'B-2', 'cr-co', { details: { direction: 'in' } }),
    ev('access_granted', '11:20', 'B-2', 'cr-co', { details: { direction: 'out' } }),
    ev('access_denied', '12:00', 'B-1', 'cr-co', { details: { reason: 'no_clearance' } }),
    ev('access_granted', '12:30', 'B-4', 'cr-co'),
    ev('access_granted', '16:50', 'B-1', 'cr-sales'),
    ev('access_granted', '17:20', 'B-1', 'cr-sales'), // within the 30-minute grace after the shift
    ev('access_granted', '21:30', 'B-4', 'cr-sales'), // no shift, within business hours
  ];
}

const rules = (events: BadgeEvent[]) => reviewAccess(events, org, policy, 'test').map((f) => f.rule);

describe('reviewAccess', () => {
  it('passes a clean day: no finding', () => {
    expect(reviewAccess(cleanDay(), org, policy, 'test')).toEqual([]);
  });

  it('off_shift: an entry outside the shift (site time), beyond the grace', () => {
    const e = ev('access_granted', '19:30', 'B-1', 'cr-sales');
    const f = reviewAccess([...cleanDay(), e], org, policy, 'test');
    expect(f.map((x) => x.rule)).toEqual(['off_shift']);
    expect(f[0]).toMatchObject({ badge: 'B-1', person: 'ann', zone: 'sales', severity: 'medium', evidence: [e.seq], at: new Date(e.at).toISOString(), site: 'store-a' });
    expect(f[0]!.summary).toContain('19:30');
    // Saturday at 10:00 is off the Mon-Fri shift too.
    expect(rules([ev('access_granted', '10:00', 'B-1', 'cr-sales', { at: local('10:00', '2026-01-17') })])).toEqual(['off_shift']);
  });

  it('after_hours: an entry by someone without a shift outside business hours', () => {
    const e = ev('access_granted', '23:15', 'B-4', 'cr-sales');
    const f = reviewAccess([...cleanDay(), e], org, policy, 'test');
    expect(f.map((x) => x.rule)).toEqual(['after_hours']);
    expect(f[0]).toMatchObject({ badge: 'B-4', person: 'ned', evidence: [e.seq] });
    // 23:15 in New York is 04:15 UTC the next day: judged in the site's zone, not UTC.
    expect(f[0]!.details.local).toBe('2026-01-14 23:15');
  });

  it('no_clearance: a restricted zone entered without its clearance', () => {
    const e = ev('access_granted', '13:00', 'B-1', 'cr-co');
    const f = reviewAccess([...cleanDay(), e], org, policy, 'test');
    expect(f.map((x) => x.rule)).toEqual(['no_clearance']);
    expect(f[0]).toMatchObject({ zone: 'cash-office', severity: 'high', details: { requiredClearance: 'cash', clearances: ['sales_floor'] } });
  });

  it('denied_burst: count denials of one badge within the minutes, one finding with every attempt', () => {
    const burst = ['14:00:00', '14:00:40', '14:01:30', '14:02:10'].map((t) => ev('access_denied', '14:00', 'B-1', 'cr-co', { at: at(t) }));
    const f = reviewAccess([...cleanDay(), ...burst], org, policy, 'test');
    expect(f.map((x) => x.rule)).toEqual(['denied_burst']);
    expect(f[0]!.evidence).toEqual(burst.map((b) => b.seq));
    expect(f[0]!.details.attempts).toBe(4);
    // Two denials, or three spread over more than the window, are not a burst.
    expect(rules([...cleanDay(), ...burst.slice(0, 2)])).toEqual([]);
    const spread = ['14:00:00', '14:04:00', '14:08:00'].map((t) => ev('access_denied', '14:00', 'B-1', 'cr-co', { at: at(t) }));
    expect(rules([...cleanDay(), ...spread])).toEqual([]);
  });

  it('tailgating: the alarm with the grant before it, and two entries on one grant', () => {
    const grant = ev('access_granted', '15:00', 'B-2', 'cr-co', { at: at('15:00:00'), details: { direction: 'in' } });
    const alarm = ev('tailgating', '15:00', null, 'cr-co', { at: at('15:00:04'), details: { followers: 1 } });
    const f = reviewAccess([...cleanDay(), grant, alarm], org, policy, 'test');
    // The grant also re-enters the cash office after the 11:20 exit, which is fine.
    expect(f.map((x) => x.rule)).toEqual(['tailgating']);
    expect(f[0]).toMatchObject({ badge: 'B-2', evidence: [grant.seq, alarm.seq], severity: 'high' });
    const double = ev('access_granted', '15:30', 'B-1', 'cr-sales', { details: { entries: 2 } });
    const g = reviewAccess([...cleanDay(), double], org, policy, 'test');
    expect(g.map((x) => x.rule)).toEqual(['tailgating']);
    expect(g[0]!.summary).toContain('2 entries on one grant');
  });

  it('anti_passback: a second entry without an exit, where the zone records exits', () => {
    const again = ev('access_granted', '11:05', 'B-2', 'cr-co', { details: { direction: 'in' } });
    const f = reviewAccess([...cleanDay(), again], org, policy, 'test');
    expect(f.map((x) => x.rule)).toEqual(['anti_passback']);
    expect(f[0]!.evidence).toHaveLength(2);
    expect(f[0]!.evidence[1]).toBe(again.seq);
    // The sales floor records no exits at all: repeated entries there are not checked.
    expect(rules([...cleanDay(), ev('access_granted', '10:30', 'B-1', 'cr-sales')])).toEqual([]);
  });

  it('impossible_travel: readers 60 m apart in 10 s, and two sites within minutes', () => {
    const a = ev('access_granted', '13:00', 'B-2', 'cr-sales', { at: at('13:00:00') });
    const b = ev('access_denied', '13:00', 'B-2', 'cr-co', { at: at('13:00:10') });
    const f = reviewAccess([...cleanDay(), a, b], org, policy, 'test');
    expect(f.map((x) => x.rule)).toEqual(['impossible_travel']);
    expect(f[0]).toMatchObject({ evidence: [a.seq, b.seq], details: { metres: 60, seconds: 10, metresPerSecond: 6 } });
    // 60 m in 30 s is 2 m/s: possible. Readers 2 m apart: never travel.
    expect(rules([a, ev('access_denied', '13:00', 'B-2', 'cr-co', { at: at('13:00:30') })])).toEqual([]);
    expect(rules([a, ev('access_granted', '13:00', 'B-2', 'cr-sales-2', { at: at('13:00:01') })])).toEqual([]);
    // New York, then Chicago 20 minutes later.
    const far = reviewAccess([ev('access_granted', '13:00', 'B-2', 'cr-sales'), ev('access_granted', '13:20', 'B-2', 'cr-b')], org, policy, 'test');
    expect(far.map((x) => x.rule)).toEqual(['impossible_travel']);
    expect(far[0]!.details.metres as number).toBeGreaterThan(1_100_000);
  });

  it('inactive_badge: a badge of inactive personnel or of nobody, one finding per cluster', () => {
    const tries = ['16:00:00', '16:10:00'].map((t) => ev('access_denied', '16:00', 'B-3', 'cr-co', { at: at(t) }));
    const f = reviewAccess([...cleanDay(), ...tries], org, policy, 'test');
    expect(f.map((x) => x.rule)).toEqual(['inactive_badge']);
    expect(f[0]).toMatchObject({ person: 'ivy', evidence: tries.map((t) => t.seq), details: { registered: true, events: 2 } });
    const stranger = reviewAccess([ev('access_denied', '12:00', 'B-999', 'cr-sales')], org, policy, 'test');
    expect(stranger.map((x) => x.rule)).toEqual(['inactive_badge']);
    expect(stranger[0]).toMatchObject({ person: null, details: { registered: false } });
  });

  it('gives the same ids on a re-run and for a grown burst; other scopes get other ids', () => {
    const burst = ['14:00:00', '14:00:40', '14:01:30'].map((t) => ev('access_denied', '14:00', 'B-1', 'cr-co', { at: at(t) }));
    const one = reviewAccess([...cleanDay(), ...burst], org, policy, 'inc-1');
    const more = reviewAccess([...cleanDay(), ...burst, ev('access_denied', '14:00', 'B-1', 'cr-co', { at: at('14:02:00') })], org, policy, 'inc-1');
    expect(more.map((f) => f.id)).toEqual(one.map((f) => f.id));
    expect(more[0]!.evidence).toHaveLength(4);
    expect(one[0]!.id).toBe(accessFindingId('inc-1', 'denied_burst', burst[0]!.seq));
    expect(reviewAccess([...burst], org, policy, 'daily:store-a')[0]!.id).not.toBe(one[0]!.id);
  });
});

describe('onShift', () => {
  const night = { days: ['fri'], start: '22:00', end: '06:00' };
  it('an overnight shift belongs to the day it starts, with the grace at both ends', () => {
    expect(onShift(night, { day: 'sat', minutes: 120 }, 0)).toBe(true);
    expect(onShift(night, { day: 'fri', minutes: 120 }, 0)).toBe(false);
    expect(onShift(night, { day: 'fri', minutes: 21 * 60 + 45 }, 30)).toBe(true);
    expect(onShift(night, { day: 'sat', minutes: 6 * 60 + 29 }, 30)).toBe(true);
    expect(onShift(night, { day: 'sat', minutes: 6 * 60 + 31 }, 30)).toBe(false);
  });
  it('the grace before a shift starting just after midnight reaches back to the previous day', () => {
    const early = { days: ['mon'], start: '00:15', end: '08:00' };
    expect(onShift(early, { day: 'sun', minutes: 23 * 60 + 50 }, 30)).toBe(true);
    expect(onShift(early, { day: 'mon', minutes: 23 * 60 + 50 }, 30)).toBe(false);
  });
});

describe('badgeHolders', () => {
  it('lists each badge once with the person, zones and counts', () => {
    const h = badgeHolders(cleanDay(), org);
    expect(h.map((x) => x.badge)).toEqual(['B-1', 'B-2', 'B-4']);
    expect(h[1]).toMatchObject({ person: 'max', name: 'Max', zones: ['sales', 'cash-office'], granted: 5, denied: 0 });
  });
});

describe('haversineMetres', () => {
  it('New York to Chicago is about 1,145 km', () => {
    expect(haversineMetres({ lat: 40.7128, lon: -74.006 }, { lat: 41.8781, lon: -87.6298 }) / 1000).toBeCloseTo(1145, -1);
  });
});

describe('properties', () => {
  const arbEvent = fc.record({
    type: fc.constantFrom('access_granted', 'access_denied', 'tailgating'),
    minute: fc.integer({ min: 0, max: 24 * 60 - 1 }),
    second: fc.integer({ min: 0, max: 59 }),
    badge: fc.constantFrom('B-1', 'B-2', 'B-3', 'B-4', 'B-9', null),
    device: fc.constantFrom('cr-sales', 'cr-sales-2', 'cr-co', 'cr-b'),
    out: fc.boolean(),
  });
  type Gen = typeof arbEvent extends fc.Arbitrary<infer T> ? T : never;
  const build = (xs: Gen[]): BadgeEvent[] =>
    xs.map((x, i) => {
      const dev = org.devices.get(x.device)!;
      return { seq: i + 1, type: x.type, at: Date.parse('2026-01-14T00:00:00-05:00') + x.minute * 60_000 + x.second * 1000, site: dev.site, zone: dev.zone, device: x.device, badge: x.badge, details: { direction: x.out ? 'out' : 'in' } };
    });

  it('is deterministic whatever the input order, ids are unique, evidence is real and in time order', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 60 }), (xs) => {
        const events = build(xs);
        const a = reviewAccess(events, org, policy, 's');
        const b = reviewAccess([...events].reverse(), org, policy, 's');
        expect(b).toEqual(a);
        expect(new Set(a.map((f) => f.id)).size).toBe(a.length);
        const at = new Map(events.map((e) => [e.seq, e.at]));
        for (const f of a) {
          expect(f.evidence.length).toBeGreaterThan(0);
          const times = f.evidence.map((s) => at.get(s)!);
          expect(times.every((t) => t !== undefined)).toBe(true);
          expect([...times].sort((x, y) => x - y)).toEqual(times);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('more events never remove a finding (rules only look back within their windows)', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 40 }), fc.array(arbEvent, { maxLength: 10 }), (xs, extra) => {
        const base = build(xs);
        // Extra events strictly after every base event (a window read further).
        const last = Math.max(0, ...base.map((e) => e.at));
        const more = build([...xs, ...extra]).slice(xs.length).map((e) => ({ ...e, at: last + 3_600_000 * 6 + (e.at % 3_600_000) }));
        const ids = new Set(reviewAccess([...base, ...more], org, policy, 's').map((f) => f.id));
        for (const f of reviewAccess(base, org, policy, 's')) expect(ids.has(f.id)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('a wider grace never takes a time off shift', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const)),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        (day, minutes, s, e, g1, g2) => {
          const hh = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
          const shift = { days: ['mon', 'thu'], start: hh(s), end: hh(e) };
          const [lo, hi] = g1 <= g2 ? [g1, g2] : [g2, g1];
          if (onShift(shift, { day, minutes }, lo)) expect(onShift(shift, { day, minutes }, hi)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
