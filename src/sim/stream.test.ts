import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceProblems, siteOf } from '../../test/helpers/sim-checks.js';
import { simulateCommand } from '../cli/simulate.js';
import { loadConfig, loadDemoConfig } from '../config/loader.js';
import type { SiteConfig } from '../config/schema.js';
import { validateEvent } from '../sources/event-input.js';
import { impossibleTravel, type BadgeEvent } from '../domain/access-review.js';
import { buildOrgModel } from '../domain/site-model.js';
import { simulateEvents, simulateStream } from './stream.js';

const demo = loadDemoConfig();
const MONDAY = new Date('2026-11-16T00:00:00Z');
const DAY = 86_400_000;
const oneDay = simulateEvents(demo, { seed: 42, start: MONDAY, end: new Date(MONDAY.getTime() + DAY) });

/** Local "HH:MM" and weekday of an instant in a zone, computed independently of the simulator. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function localTime(tz: string, iso: string): { hhmm: string; weekday: string } {
  let f = formatters.get(tz);
  if (!f) formatters.set(tz, (f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', weekday: 'short' })));
  const parts = f.formatToParts(new Date(iso));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return { hhmm: `${get('hour')}:${get('minute')}`, weekday: get('weekday').toLowerCase() };
}

function isOpen(site: SiteConfig, iso: string): boolean {
  const { hhmm, weekday } = localTime(site.timezone, iso);
  const { open, close, days } = site.businessHours;
  if (days && !days.includes(weekday as never)) return false;
  return hhmm >= open && hhmm < close;
}

describe('demo configuration', () => {
  it('loads and has several sites in several time zones, with sensitive data and safe-1', () => {
    expect(demo.organization).toMatchObject({ name: 'Northwind Retail Group', currency: 'USD', timezone: 'America/New_York' });
    expect(demo.sites.length).toBeGreaterThanOrEqual(3);
    expect(new Set(demo.sites.map((s) => s.timezone)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(demo.sites.map((s) => s.kind))).toEqual(new Set(['store', 'warehouse', 'office']));
    expect(demo.sites.flatMap((s) => s.assets).some((a) => a.sensitiveData)).toBe(true);
    const store = siteOf(demo, 'store-101');
    expect(store.assets.find((a) => a.id === 'safe-1')).toMatchObject({ name: 'Cash safe', zone: 'cash-office', value: '25000.00', vulnerability: 0.6 });
    expect(store.zones.find((z) => z.id === 'cash-office')).toMatchObject({ restricted: true, requiredClearance: 'cash' });
    expect(demo.sites.flatMap((s) => s.personnel).some((p) => !p.active)).toBe(true);
    for (const role of ['security_lead', 'rapid_response', 'manager', 'executive', 'investigator']) {
      expect(demo.contacts.some((c) => c.role === role)).toBe(true);
    }
    expect(demo.notify.sms?.baseUrl).toBe('http://127.0.0.1:8089');
  });

  it('is consistent: symmetric adjacency, positions inside their zone, readers on restricted zones, SMS contacts per site', () => {
    const inside = ([x, y]: [number, number], poly: [number, number][]) => {
      const xs = poly.map((p) => p[0]);
      const ys = poly.map((p) => p[1]);
      return x >= Math.min(...xs) && x <= Math.max(...xs) && y >= Math.min(...ys) && y <= Math.max(...ys); // zones are rectangles
    };
    for (const site of demo.sites) {
      const zones = new Map(site.zones.map((z) => [z.id, z]));
      for (const z of site.zones) for (const a of z.adjacent) expect(zones.get(a)!.adjacent, `${site.id} ${z.id}<->${a}`).toContain(z.id);
      for (const x of [...site.assets, ...site.devices]) {
        expect(x.position, `${x.id} has a position`).toBeDefined();
        expect(inside(x.position!, zones.get(x.zone)!.polygon!), `${site.id} ${x.id} inside ${x.zone}`).toBe(true);
      }
      for (const z of site.zones.filter((q) => q.restricted)) {
        expect(site.devices.some((d) => d.zone === z.id && d.kind === 'card_reader'), `${site.id} reader into ${z.id}`).toBe(true);
      }
      for (const d of site.devices.filter((q) => q.kind === 'camera')) expect(d.fov, d.id).toBeDefined();
      for (const role of ['security_lead', 'rapid_response', 'investigator', 'manager']) {
        expect(demo.contacts.some((c) => c.role === role && c.sites.includes(site.id)), `${role} for ${site.id}`).toBe(true);
      }
    }
  });
});

describe('simulateEvents', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const again = simulateEvents(demo, { seed: 42, start: MONDAY, end: new Date(MONDAY.getTime() + DAY) });
    expect(JSON.stringify(again)).toBe(JSON.stringify(oneDay));
    const other = simulateEvents(demo, { seed: 43, start: MONDAY, end: new Date(MONDAY.getTime() + DAY) });
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(oneDay));
  });

  it('gives the same events whether a span is simulated at once or in pieces', () => {
    const a = MONDAY.getTime() + 5 * 3_600_000;
    const cut = a + 3 * 3_600_000 + 37 * 60_000 + 12_345;
    const c = a + 8 * 3_600_000;
    const whole = simulateEvents(demo, { seed: 5, start: new Date(a), end: new Date(c) });
    const parts = [
      ...simulateEvents(demo, { seed: 5, start: new Date(a), end: new Date(cut) }),
      ...simulateEvents(demo, { seed: 5, start: new Date(cut), end: new Date(c) }),
    ];
    expect(parts).toEqual(whole);
    expect(whole.length).toBeGreaterThan(0);
  });

  it('streams the same sequence lazily', () => {
    const it = simulateStream(demo, { seed: 42, start: MONDAY, end: new Date(MONDAY.getTime() + DAY) });
    const first = Array.from({ length: 50 }, () => it.next().value);
    expect(first).toEqual(oneDay.slice(0, 50));
  });

  it('produces only valid events that name configured things, sorted, with unique ids', () => {
    expect(oneDay.length).toBeGreaterThan(1000);
    const ids = new Set<string>();
    let prev = '';
    for (const [i, ev] of oneDay.entries()) {
      const r = validateEvent(ev, `[${i}]`);
      expect(r.problems, JSON.stringify(ev)).toEqual([]);
      expect(r.event!.occurredAt).toBe(ev.occurredAt); // already UTC, already normalised
      expect(referenceProblems(demo, ev), JSON.stringify(ev)).toEqual([]);
      expect(ev.occurredAt >= prev).toBe(true);
      prev = ev.occurredAt;
      expect(ev.sourceEventId).toMatch(/^sim-[a-z0-9-]+-/);
      expect(ids.has(ev.sourceEventId!)).toBe(false);
      ids.add(ev.sourceEventId!);
      expect(ev.occurredAt >= MONDAY.toISOString() && ev.occurredAt < new Date(MONDAY.getTime() + DAY).toISOString()).toBe(true);
    }
  });

  it('keeps background noise below what opens incidents under the default policy', () => {
    const noise = oneDay.filter((e) => e.details.scenario === undefined);
    expect(new Set(noise.map((e) => e.type))).toEqual(new Set(['heartbeat', 'access_granted', 'motion', 'person_detected', 'void', 'no_sale']));
    for (const ev of noise) {
      const site = siteOf(demo, ev.site);
      if (ev.type === 'heartbeat') continue;
      expect(isOpen(site, ev.occurredAt), `${ev.type} at ${ev.occurredAt} local ${localTime(site.timezone, ev.occurredAt).hhmm}`).toBe(true);
      if (ev.source === 'cctv') expect(site.zones.find((z) => z.id === ev.zone)!.restricted).toBe(false);
      if (ev.source === 'pos') expect(Number(ev.amount!.value)).toBeLessThan(250);
      if (ev.type === 'access_granted') {
        const p = site.personnel.find((x) => x.badge === ev.badge)!;
        expect(p.active).toBe(true);
        const zone = site.zones.find((z) => z.id === ev.zone)!;
        if (zone.restricted) expect(p.clearances).toContain(zone.requiredClearance);
      }
    }
  });

  it('runs at roughly the configured rate in business hours and sends only heartbeats after hours', () => {
    // Monday 10:00-14:00 in New York.
    const start = new Date('2026-11-16T15:00:00Z');
    const end = new Date('2026-11-16T19:00:00Z');
    for (const rate of [3, 6]) {
      const evs = simulateEvents(demo, { seed: 9, start, end, ratePerSiteMinute: rate, scenarios: false }).filter((e) => e.site === 'store-101');
      const expected = rate * 240;
      expect(evs.length).toBeGreaterThan(expected * 0.85);
      expect(evs.length).toBeLessThan(expected * 1.15);
    }
    // 03:00-05:00 in New York: closed.
    const night = simulateEvents(demo, { seed: 9, start: new Date('2026-11-16T08:00:00Z'), end: new Date('2026-11-16T10:00:00Z'), scenarios: false }).filter(
      (e) => e.site === 'store-101',
    );
    expect(night.length).toBeGreaterThan(0);
    expect(night.every((e) => e.type === 'heartbeat')).toBe(true);
    expect(simulateEvents(demo, { seed: 9, start, end, ratePerSiteMinute: 0 }).filter((e) => !e.details.scenario)).toEqual([]);
  });

  it('has forced doors after hours in site local time, corroborated and naming the asset', () => {
    const week = simulateEvents(demo, { seed: 42, start: MONDAY, end: new Date(MONDAY.getTime() + 7 * DAY), ratePerSiteMinute: 0.2 });
    const forced = week.filter((e) => e.type === 'door_forced' && e.details.scenario === 'forced_door');
    expect(forced.length).toBeGreaterThan(3);
    const afterHours = forced.filter((e) => !isOpen(siteOf(demo, e.site), e.occurredAt));
    expect(afterHours.length).toBeGreaterThan(0);
    for (const door of afterHours) {
      const site = siteOf(demo, door.site);
      expect(site.zones.find((z) => z.id === door.zone)!.restricted).toBe(true);
      expect(door.assets?.length).toBeGreaterThan(0);
      const t = Date.parse(door.occurredAt);
      const near = week.filter((e) => e.site === door.site && e.zone === door.zone && e.details.scenario === 'forced_door');
      expect(near.some((e) => e.type === 'intrusion' && Date.parse(e.occurredAt) - t <= 60_000 && Date.parse(e.occurredAt) >= t)).toBe(true);
    }
    // Camera corroboration 1-3 minutes later, unless that camera happened to be down.
    const withCamera = afterHours.filter((door) =>
      week.some(
        (e) =>
          e.source === 'cctv' &&
          e.details.scenario === 'forced_door' &&
          e.site === door.site &&
          e.zone === door.zone &&
          Date.parse(e.occurredAt) - Date.parse(door.occurredAt) >= 60_000 &&
          Date.parse(e.occurredAt) - Date.parse(door.occurredAt) <= 180_000,
      ),
    );
    expect(withCamera.length).toBeGreaterThan(0);
    // Every scenario kind shows up in a week of the demo chain.
    const kinds = new Set(week.map((e) => e.details.scenario).filter(Boolean));
    for (const k of ['forced_door', 'eas_gate_alarm', 'pos_void_spree', 'camera_offline', 'glass_break', 'tailgating', 'access_denied_burst', 'shrink_discrepancy']) {
      expect(kinds, k).toContain(k);
    }
  });

  it('silences a camera while it is offline and brings it back', () => {
    const week = simulateEvents(demo, { seed: 42, start: MONDAY, end: new Date(MONDAY.getTime() + 7 * DAY), ratePerSiteMinute: 1 });
    const offs = week.filter((e) => e.type === 'offline');
    expect(offs.length).toBeGreaterThan(0);
    for (const off of offs) {
      const back = week.find((e) => e.type === 'online' && e.device === off.device && e.occurredAt > off.occurredAt);
      expect(back, `${off.device} comes back`).toBeDefined();
      const silent = week.filter(
        (e) => e.device === off.device && e.occurredAt > off.occurredAt && e.occurredAt < back!.occurredAt && (e.type === 'heartbeat' || e.source === 'cctv'),
      );
      expect(silent).toEqual([]);
    }
  });

  it("writes amounts in the currency's own minor digits (JPY none, KWD three)", () => {
    for (const [currency, form] of [['JPY', /^\d+$/], ['KWD', /^\d+\.\d{3}$/], ['USD', /^\d+\.\d{2}$/]] as const) {
      const chain = { ...demo, organization: { ...demo.organization, currency } };
      const evs = simulateEvents(chain, { seed: 42, start: MONDAY, end: new Date(MONDAY.getTime() + 2 * DAY), ratePerSiteMinute: 1 });
      const amounts = evs.filter((e) => e.amount);
      expect(amounts.length).toBeGreaterThan(5);
      for (const ev of amounts) {
        expect(ev.amount!.currency).toBe(currency);
        expect(ev.amount!.value, JSON.stringify(ev)).toMatch(form);
        expect(validateEvent(ev, '').event!.amount).toEqual(ev.amount); // already canonical
      }
    }
  });

  it('handles empty and reversed spans', () => {
    expect(simulateEvents(demo, { seed: 1, start: MONDAY, end: MONDAY })).toEqual([]);
    expect(simulateEvents(demo, { seed: 1, start: new Date(MONDAY.getTime() + 1000), end: MONDAY })).toEqual([]);
  });
});

describe('simulateCommand', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes NDJSON and the invented configuration', async () => {
    const out = join(dir, 'events.ndjson');
    const configOut = join(dir, 'chain.yaml');
    const stderr: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (stderr.push(String(s)), true)) as typeof process.stderr.write;
    try {
      await simulateCommand({ sites: 4, days: 1, seed: 3, out, configOut });
    } finally {
      process.stderr.write = orig;
    }
    const cfg = loadConfig(configOut);
    expect(cfg.sites).toHaveLength(4);
    // Local times are quoted (YAML 1.1 readers would see 08:00 as the number 480).
    expect(readFileSync(configOut, 'utf8')).toMatch(/open: "\d{2}:\d{2}"/);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const expected = simulateEvents(cfg, { seed: 3, start: MONDAY, end: new Date(MONDAY.getTime() + DAY) });
    expect(lines.length).toBe(expected.length);
    expect(JSON.parse(lines[0])).toEqual(expected[0]);
    expect(JSON.parse(lines[lines.length - 1])).toEqual(expected[expected.length - 1]);
    expect(stderr.join('')).toMatch(new RegExp(`wrote ${expected.length} events for 4 sites`));
  });

  it('writes JSON configuration when asked and refuses bad arguments', async () => {
    const configOut = join(dir, 'chain.json');
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await simulateCommand({ sites: 2, days: 0.01, seed: 1, out: join(dir, 'e.ndjson'), configOut });
    } finally {
      process.stderr.write = orig;
    }
    expect(JSON.parse(readFileSync(configOut, 'utf8')).sites).toHaveLength(2);
    await expect(simulateCommand({ days: 0, out: join(dir, 'x.ndjson') })).rejects.toThrow(/--days/);
    await expect(simulateCommand({ start: 'yesterday', out: join(dir, 'x.ndjson') })).rejects.toThrow(/--start/);
    await expect(simulateCommand({ configOut: join(dir, 'y.yaml') })).rejects.toThrow(/--sites/);
  });
});

describe('background badge swipes', () => {
  it('keep each person to walking speed between readers (the access review finds next to no impossible travel in a quiet week)', () => {
    const week = simulateEvents(demo, { seed: 7, start: MONDAY, end: new Date(MONDAY.getTime() + 7 * DAY), scenarios: false });
    const swipes: BadgeEvent[] = week
      .filter((e) => e.source === 'access_control' && e.badge)
      .map((e, i) => ({ seq: i + 1, type: e.type, at: Date.parse(e.occurredAt), site: e.site, zone: e.zone ?? null, device: e.device ?? null, badge: e.badge ?? null, details: e.details }));
    expect(swipes.length).toBeGreaterThan(1000); // a week of a busy chain, not an empty stream
    const org = buildOrgModel(demo);
    const travel = impossibleTravel([...swipes].sort((a, b) => a.at - b.at), org, demo.policy.accessReview);
    // Before, the background put people at far readers seconds apart: about 23 such findings a day on
    // the demo. Each 15-minute block is generated on its own (so any block can be made alone), so a
    // walk is only kept within a block; a person swiping on both sides of a block boundary can
    // still jump, which leaves about one a week.
    expect(travel.length).toBeLessThanOrEqual(2);
    // The same people still move between readers (the walk is respected, not avoided).
    const readersOf = new Map<string, Set<string>>();
    for (const s of swipes) readersOf.set(s.badge!, (readersOf.get(s.badge!) ?? new Set()).add(s.device!));
    expect([...readersOf.values()].some((r) => r.size > 1)).toBe(true);
  });
});
