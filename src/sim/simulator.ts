/**
 * Deterministic chain simulator: synthetic but realistic SecurityEvents for a configured chain,
 * for the demo (`npm start` without a config), load tests and benchmarks.
 *
 * Pure: time and seed are arguments; no clock, no Math.random, no I/O. The same (config, options)
 * always gives the same stream.
 *
 * How the stream is built (and why):
 * - Time is cut into absolute 15-minute UTC blocks. Background events of one (site, block) come
 *   from their own random stream seeded by (seed, site id, block index), and the scenarios of one
 *   (site, UTC day) from one seeded by (seed, site id, day index). So the events at an instant do
 *   not depend on where a run starts or ends: simulating [a, b) then [b, c) gives exactly the events of [a, c), with the
 *   same sourceEventIds (a demo server can tick window after window and replays deduplicate).
 * - Background ("noise", should open no incident under the default policy): camera heartbeats
 *   all day; during business hours (site local time) badge swipes by on-shift, cleared staff,
 *   motion / person detections on cameras of unrestricted zones, and rare single POS voids and
 *   no-sales below the policy's single-amount threshold.
 * - Scenarios (bursts that should open incidents, `details.scenario` names them): forced door,
 *   EAS gate alarm, POS void spree, camera outage (with tamper sometimes), glass break,
 *   tailgating, access-denied burst, shrink discrepancy; 3-6 per site per UTC day plus a camera
 *   outage on about a third of the days, at seeded times, the break-ins mostly after hours.
 */
import type { z } from 'zod';
import type { AssetConfig, Config, DeviceConfig, PersonConfig, SiteConfig, ZoneConfig, configSchema } from '../config/schema.js';
import { inWeeklyWindow, weeklyWindow, zoneOffsetMs, type WeeklyWindow } from '../domain/local-time.js';
import { compareMoney, fromMinor, mulMinor, normalizeAmount, scaledToDecimal, toMinor } from '../domain/money.js';
import type { SecurityEvent, Source } from '../domain/types.js';
import { Rng, hashSeed } from './random.js';

/** Options of a simulation run. */
export interface SimOptions {
  seed: number;
  start: Date;
  end: Date;
  /**
   * Mean background events per site per minute during the site's business hours (heartbeats
   * included; default 3). Outside business hours only camera heartbeats are background.
   */
  ratePerSiteMinute?: number;
  /** Include incident scenarios (bursts); default true. */
  scenarios?: boolean;
}

/** A configuration document before validation (what parseConfig accepts; YAML/JSON-serialisable). */
export type RawConfigDocument = z.input<typeof configSchema>;

/** Default mean background events per site per minute in business hours. */
export const DEFAULT_RATE_PER_SITE_MINUTE = 3;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/**
 * Background events are generated (and seeded) per site and absolute 15-minute block: small
 * enough that a block of a 500-site chain dies young in the garbage collector, large enough
 * that per-block setup costs nothing. Blocks divide hours and days exactly.
 */
const BLOCK = 15 * MINUTE;

/** Heartbeats are never sent more often than this per camera. */
const MIN_HEARTBEAT_MINUTES = 5;
/** Share of business-hours background arrivals that are single POS exceptions (sites with POS). */
const POS_NOISE_SHARE = 0.015;

// ---------------------------------------------------------------------------------------------
// Public API

/** All events for [start, end) in occurredAt order, deterministic for (config, options). */
export function simulateEvents(config: Config, opts: SimOptions): SecurityEvent[] {
  return [...simulateStream(config, opts)];
}

/** Lazily yields the same stream in occurredAt order (for large runs); memory is one 15-minute block of events. */
export function* simulateStream(config: Config, opts: SimOptions): Generator<SecurityEvent> {
  const startMs = opts.start.getTime();
  const endMs = opts.end.getTime();
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) throw new RangeError('simulate: start and end must be valid dates');
  if (endMs <= startMs) return;
  const run = new Run(config, opts);
  for (let b = Math.floor(startMs / BLOCK); b * BLOCK < endMs; b++) {
    const from = Math.max(startMs, b * BLOCK);
    const to = Math.min(endMs, (b + 1) * BLOCK);
    const d = Math.floor((b * BLOCK) / DAY);
    const batch: Timed[] = [];
    for (const ctx of run.sites) {
      for (const t of run.backgroundBlock(ctx, b)) if (t.ms >= from && t.ms < to) batch.push(t);
      // Scenario events of this block come from today's plan and (spill-over) yesterday's.
      for (const day of [d - 1, d]) {
        for (const t of run.plan(ctx, day).events) if (t.ms >= from && t.ms < to) batch.push(t);
      }
    }
    // Stable sort: ties keep site order, then generation order, so the output is deterministic.
    batch.sort((x, y) => x.ms - y.ms);
    for (const t of batch) yield t.ev;
    run.forgetBefore(d - 1);
  }
}

/**
 * An immediate burst for the demo server's start, so incidents appear within a minute: a forced
 * door into store-101's cash office naming safe-1 (or the chain's first restricted zone with a
 * reader), a corroborating intrusion alarm and camera detection, and a POS void spree.
 */
export function demoScenarioBurst(config: Config, at: Date, seed: number): SecurityEvent[] {
  const atMs = at.getTime();
  if (!Number.isFinite(atMs)) throw new RangeError('demoScenarioBurst: invalid date');
  const rng = new Rng(hashSeed(seed, 'burst', atMs));
  const sites = config.sites.map((s) => new SiteCtx(s, config.organization.currency));
  const out: Timed[] = [];
  const online = () => true;

  // Forced door: prefer the zone holding safe-1, then any restricted zone with a reader.
  const safeSite = sites.find((c) => c.site.assets.some((a) => a.id === 'safe-1'));
  const safeZone = safeSite?.site.assets.find((a) => a.id === 'safe-1')?.zone;
  let door: { ctx: SiteCtx; target: DoorTarget } | undefined;
  if (safeSite && safeZone) {
    const target = safeSite.forcedTargets.find((t) => t.zone.id === safeZone);
    if (target) door = { ctx: safeSite, target };
  }
  door ??= sites.flatMap((ctx) => ctx.forcedTargets.filter((t) => t.zone.restricted).map((target) => ({ ctx, target })))[0];
  if (door) out.push(...forcedDoor(door.ctx, rng, atMs + SECOND, online, door.target, { cameraDelayMs: [45 * SECOND, 75 * SECOND] }));

  // POS void spree: prefer the same site, else the first site with POS terminals.
  const posSite = door && door.ctx.posTerminals.length > 0 ? door.ctx : sites.find((c) => c.posTerminals.length > 0 && c.site.personnel.length > 0);
  if (posSite) out.push(...posVoidSpree(posSite, rng, atMs + 5 * SECOND, { spacingMs: [8 * SECOND, 20 * SECOND], count: 5 }));

  out.sort((a, b) => a.ms - b.ms);
  return out.map((t, k) => {
    t.ev.sourceEventId = `sim-burst-${seed >>> 0}-${atMs}-${k}`;
    return t.ev;
  });
}

// ---------------------------------------------------------------------------------------------
// Site model for the simulator (indexes built once per run)

interface Timed {
  ms: number;
  ev: SecurityEvent;
}

interface DoorTarget {
  zone: ZoneConfig;
  /** The card reader (or door contact) on the door into the zone. */
  door: DeviceConfig;
}

interface ReaderTarget {
  reader: DeviceConfig;
  zone: ZoneConfig;
  /** Active personnel whose clearances open this door. */
  eligible: PersonConfig[];
}

interface Outage {
  camera: string;
  from: number;
  to: number;
}

interface DayPlan {
  events: Timed[];
  outages: Outage[];
}

type ScenarioKind =
  | 'forced_door'
  | 'eas_gate_alarm'
  | 'pos_void_spree'
  | 'glass_break'
  | 'tailgating'
  | 'access_denied_burst'
  | 'shrink_discrepancy';

/** Relative frequency of each scenario among those a site can have. */
const SCENARIO_WEIGHTS: Record<ScenarioKind, number> = {
  forced_door: 3,
  eas_gate_alarm: 3,
  pos_void_spree: 3,
  glass_break: 1,
  tailgating: 2,
  access_denied_burst: 2,
  shrink_discrepancy: 2,
};

/** The clearance a person needs to enter a zone (restricted zones without one need the zone id). */
function canEnter(p: PersonConfig, z: ZoneConfig): boolean {
  if (!z.restricted) return true;
  return p.clearances.includes(z.requiredClearance ?? z.id);
}

/** Everything the simulator needs to know about one site, indexed once. */
class SiteCtx {
  readonly zones: Map<string, ZoneConfig>;
  readonly cameras: DeviceConfig[];
  /** Cameras whose own zone is unrestricted: their business-hours detections are noise. */
  readonly noiseCameras: DeviceConfig[];
  /** Zone id -> cameras in or covering the zone. */
  readonly camerasByZone = new Map<string, DeviceConfig[]>();
  /** Zone id -> assets, most valuable first. */
  readonly assetsByZone = new Map<string, AssetConfig[]>();
  readonly readers: ReaderTarget[];
  readonly posTerminals: DeviceConfig[];
  readonly easGates: DeviceConfig[];
  readonly glassBreak: DeviceConfig[];
  readonly forcedTargets: DoorTarget[];
  readonly denyTargets: { reader: ReaderTarget; wrong: PersonConfig[] }[];
  readonly shrinkable: AssetConfig[];
  readonly merchandise: AssetConfig[];
  readonly active: PersonConfig[];
  readonly cashiers: PersonConfig[];
  readonly hours: WeeklyWindow;
  readonly shifts = new Map<string, WeeklyWindow>();
  readonly scenarioKinds: ScenarioKind[];

  constructor(
    readonly site: SiteConfig,
    readonly currency: string,
  ) {
    this.zones = new Map(site.zones.map((z) => [z.id, z]));
    const of = (kind: DeviceConfig['kind']) => site.devices.filter((d) => d.kind === kind);
    this.cameras = of('camera');
    this.noiseCameras = this.cameras.filter((c) => !this.zones.get(c.zone)?.restricted);
    for (const cam of this.cameras) {
      for (const z of new Set([cam.zone, ...cam.covers])) push(this.camerasByZone, z, cam);
    }
    for (const a of [...site.assets].sort((x, y) => compareMoney(y.value, x.value))) push(this.assetsByZone, a.zone, a);
    this.active = site.personnel.filter((p) => p.active);
    this.cashiers = this.active.filter((p) => /cashier|clerk|sales|technician/.test(p.role));
    if (this.cashiers.length === 0) this.cashiers = this.active;
    this.hours = weeklyWindow(site.businessHours.open, site.businessHours.close, site.businessHours.days);
    for (const p of site.personnel) {
      // No shift configured: treat the person as working the site's business hours.
      this.shifts.set(p.id, p.shift ? weeklyWindow(p.shift.start, p.shift.end, p.shift.days) : this.hours);
    }
    this.readers = of('card_reader').map((reader) => {
      const zone = this.zones.get(reader.zone)!;
      return { reader, zone, eligible: this.active.filter((p) => canEnter(p, zone)) };
    });
    this.posTerminals = of('pos_terminal');
    this.easGates = of('eas_gate');
    this.glassBreak = of('glass_break_sensor');
    const doorsInto = (z: ZoneConfig) =>
      site.devices.filter((d) => d.zone === z.id && d.kind === 'card_reader').concat(site.devices.filter((d) => d.zone === z.id && d.kind === 'door_contact'));
    const restrictedDoors = site.zones.filter((z) => z.restricted && doorsInto(z).length > 0);
    const anyDoors = restrictedDoors.length > 0 ? restrictedDoors : site.zones.filter((z) => doorsInto(z).length > 0);
    this.forcedTargets = anyDoors.map((zone) => ({ zone, door: doorsInto(zone)[0] }));
    this.denyTargets = this.readers
      .filter((r) => r.zone.restricted)
      .map((reader) => ({
        reader,
        // Wrong badges: inactive staff (any clearance) and active staff without the clearance.
        wrong: site.personnel.filter((p) => !p.active || !canEnter(p, reader.zone)),
      }))
      .filter((t) => t.wrong.length > 0);
    this.shrinkable = site.assets.filter((a) => !['cash', 'data', 'equipment'].includes(a.category) && this.zones.has(a.zone));
    this.merchandise = site.assets.filter((a) => a.category === 'merchandise');
    const kinds: ScenarioKind[] = [];
    if (this.forcedTargets.length > 0) kinds.push('forced_door');
    if (this.easGates.length > 0) kinds.push('eas_gate_alarm');
    if (this.posTerminals.length > 0 && this.cashiers.length > 0) kinds.push('pos_void_spree');
    if (this.glassBreak.length > 0) kinds.push('glass_break');
    if (this.readers.some((r) => r.eligible.length > 0)) kinds.push('tailgating');
    if (this.denyTargets.length > 0) kinds.push('access_denied_burst');
    if (this.shrinkable.length > 0) kinds.push('shrink_discrepancy');
    this.scenarioKinds = kinds;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

// ---------------------------------------------------------------------------------------------
// Local time (the site's own time zone, through Intl)

/** Local minute of day and weekday (0 = Sunday) of an instant at a site. */
interface LocalTime {
  minute: number;
  weekday: number;
}

/** Local clock for one run: caches the zone offset per (zone, UTC hour) since Intl is slow. */
class LocalClock {
  /** Zone -> (UTC hour -> offset, NaN when a DST change falls inside that hour). */
  private readonly cache = new Map<string, Map<number, number>>();

  /** Offset at ms; exact even in the (rare) hour where a DST change falls mid-hour. */
  offset(tz: string, ms: number): number {
    const h = Math.floor(ms / HOUR);
    let byHour = this.cache.get(tz);
    if (!byHour) this.cache.set(tz, (byHour = new Map()));
    let v = byHour.get(h);
    if (v === undefined) {
      const a = zoneOffsetMs(h * HOUR, tz);
      const b = zoneOffsetMs(h * HOUR + HOUR - 1, tz);
      v = a === b ? a : Number.NaN;
      byHour.set(h, v);
    }
    return Number.isNaN(v) ? zoneOffsetMs(ms, tz) : v;
  }

  /** Local minute of day and weekday of an instant in a zone. */
  local(tz: string, ms: number): LocalTime {
    const lm = ms + this.offset(tz, ms);
    const day = Math.floor(lm / DAY);
    return { minute: Math.floor((lm - day * DAY) / MINUTE), weekday: (((day + 4) % 7) + 7) % 7 };
  }

  /** Drops cached hours before the given UTC hour (long runs stay small). */
  forgetBefore(hour: number): void {
    for (const byHour of this.cache.values()) {
      for (const h of byHour.keys()) if (h < hour) byHour.delete(h);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One run: background per (site, hour), scenario plans per (site, day)

class Run {
  readonly sites: SiteCtx[];
  readonly clock = new LocalClock();
  private readonly seed: number;
  private readonly rate: number;
  private readonly scenarios: boolean;
  private readonly plans = new Map<string, DayPlan>();

  constructor(config: Config, opts: SimOptions) {
    this.seed = opts.seed >>> 0;
    this.rate = opts.ratePerSiteMinute ?? DEFAULT_RATE_PER_SITE_MINUTE;
    if (!(this.rate >= 0) || !Number.isFinite(this.rate)) throw new RangeError('simulate: ratePerSiteMinute must be a finite number >= 0');
    this.scenarios = opts.scenarios ?? true;
    this.sites = config.sites.map((s) => new SiteCtx(s, config.organization.currency));
  }

  /** Local time of an instant at a site. */
  local(ctx: SiteCtx, ms: number): LocalTime {
    return this.clock.local(ctx.site.timezone, ms);
  }

  /** True when the site is open (business hours, local time) at ms. */
  isOpen(ctx: SiteCtx, ms: number): boolean {
    const l = this.local(ctx, ms);
    return inWeeklyWindow(ctx.hours, l.minute, l.weekday);
  }

  /** On-shift people among `people` at a local time. */
  onShiftAt(ctx: SiteCtx, people: readonly PersonConfig[], l: LocalTime): PersonConfig[] {
    return people.filter((p) => inWeeklyWindow(ctx.shifts.get(p.id)!, l.minute, l.weekday));
  }

  /** The scenario plan of a site for one UTC day (cached until forgotten). */
  plan(ctx: SiteCtx, day: number): DayPlan {
    const key = `${ctx.site.id}\u0000${day}`;
    let p = this.plans.get(key);
    if (!p) {
      p = this.scenarios ? this.planDay(ctx, day) : { events: [], outages: [] };
      this.plans.set(key, p);
    }
    return p;
  }

  /** Forgets plans of days before `day` and local-time cache entries before it. */
  forgetBefore(day: number): void {
    for (const key of this.plans.keys()) {
      if (Number(key.slice(key.indexOf('\u0000') + 1)) < day) this.plans.delete(key);
    }
    this.clock.forgetBefore(day * 24);
  }

  /** Background events of one site in absolute block b (the whole block; the caller clips). */
  backgroundBlock(ctx: SiteCtx, b: number): Timed[] {
    const t0 = b * BLOCK;
    const t1 = t0 + BLOCK;
    const site = ctx.site.id;
    const outages = this.plan(ctx, Math.floor(t0 / DAY)).outages;
    const offline = (cam: string, ms: number) => outages.some((o) => o.camera === cam && ms >= o.from && ms < o.to);
    const out: Timed[] = [];

    // Heartbeats take at most half the rate, and come at most every MIN_HEARTBEAT_MINUTES per camera.
    const cams = ctx.cameras.length;
    const hbPerMinute = cams > 0 ? Math.min(cams / MIN_HEARTBEAT_MINUTES, this.rate / 2) : 0;
    if (hbPerMinute > 0) {
      const period = Math.round((cams / hbPerMinute) * MINUTE);
      for (const cam of ctx.cameras) {
        const phase = hashSeed(this.seed, 'hb', cam.id) % period;
        for (let t = t0 + ((((phase - t0) % period) + period) % period); t < t1; t += period) {
          if (offline(cam.id, t)) continue; // a camera that is down sends no heartbeat
          out.push(mk(t, 'device', 'heartbeat', site, { zone: cam.zone, device: cam.id }, { recording: true }));
        }
      }
    }

    // Everything else is a Poisson process at the remaining rate, kept only in business hours.
    const perMs = (this.rate - hbPerMinute) / MINUTE;
    if (perMs > 0) {
      const rng = new Rng(hashSeed(this.seed, 'bg', site, b));
      for (let t = t0 + rng.exponential(perMs); t < t1; t += rng.exponential(perMs)) {
        const ms = Math.floor(t);
        // Always draw the same number of values per arrival so later arrivals stay put.
        const u = rng.next();
        const v = rng.next();
        const w = rng.next();
        const x = rng.next();
        const l = this.local(ctx, ms);
        if (!inWeeklyWindow(ctx.hours, l.minute, l.weekday)) continue;
        const e = this.noiseEvent(ctx, ms, l, [u, v, w, x], offline);
        if (e) out.push(e);
      }
    }
    out.sort((a, b) => a.ms - b.ms);
    out.forEach((t, k) => (t.ev.sourceEventId = `sim-${site}-${this.seed}-b${b}-${k}`));
    return out;
  }

  /** One business-hours noise event from four uniform draws (u picks the kind, v and w the device and person). */
  private noiseEvent(ctx: SiteCtx, ms: number, l: LocalTime, [u, v, w, x]: number[], offline: (cam: string, ms: number) => boolean): Timed | undefined {
    const site = ctx.site.id;
    const pickOf = <T>(items: readonly T[], r: number): T => items[Math.floor(r * items.length)];
    if (u < POS_NOISE_SHARE && ctx.posTerminals.length > 0) {
      const operators = this.onShiftAt(ctx, ctx.cashiers, l);
      if (operators.length > 0) {
        const term = pickOf(ctx.posTerminals, v);
        const op = pickOf(operators, w);
        const isVoid = x < 0.7;
        // Amounts stay well below the policy's single-amount threshold: noise, not fraud.
        const hundredths = isVoid ? 150 + Math.floor((x / 0.7) * 6000) : 0;
        return mk(ms, 'pos', isVoid ? 'void' : 'no_sale', site, { zone: term.zone, device: term.id, badge: op.badge, amount: money(minorOfHundredths(hundredths, ctx.currency), ctx.currency) }, {
          workstation: term.id,
          operator: op.id,
          transaction: `T${ms % 1_000_000_000}`,
        });
      }
    }
    if (u < 0.4) {
      // Badge swipe: an on-shift, cleared person at a reader of the site.
      const start = Math.floor(v * ctx.readers.length);
      for (let i = 0; i < ctx.readers.length; i++) {
        const r = ctx.readers[(start + i) % ctx.readers.length];
        const who = this.onShiftAt(ctx, r.eligible, l);
        if (who.length > 0) {
          const p = pickOf(who, w);
          return mk(ms, 'access_control', 'access_granted', site, { zone: r.zone.id, device: r.reader.id, badge: p.badge }, { direction: 'in' });
        }
      }
    }
    const cams = ctx.noiseCameras.filter((c) => !offline(c.id, ms));
    if (cams.length === 0) return undefined;
    const cam = pickOf(cams, v);
    if (u < 0.72) return mk(ms, 'cctv', 'motion', site, { zone: cam.zone, device: cam.id }, { score: round2(0.2 + w * 0.6) });
    return mk(ms, 'cctv', 'person_detected', site, { zone: cam.zone, device: cam.id }, { label: 'person', confidence: round2(0.6 + w * 0.38) });
  }

  /** The scenarios of one site on one UTC day. */
  private planDay(ctx: SiteCtx, day: number): DayPlan {
    const rng = new Rng(hashSeed(this.seed, 'sc', ctx.site.id, day));
    const dayStart = day * DAY;
    const events: Timed[][] = [];
    const outages: Outage[] = [];

    // A camera outage on about a third of the days; planned first so other scenarios see it.
    if (ctx.cameras.length > 0 && rng.chance(0.35)) {
      const at = this.chooseTime(ctx, rng, dayStart, 'any', 0, 5 * HOUR)!;
      const { events: evs, outage } = cameraOutage(ctx, rng, at, dayStart + DAY - MINUTE);
      outages.push(outage);
      events.push(evs);
    }
    const offline = (cam: string, ms: number) => outages.some((o) => o.camera === cam && ms >= o.from && ms < o.to);
    if (ctx.scenarioKinds.length > 0) {
      const n = rng.int(3, 6);
      for (let j = 0; j < n; j++) {
        const kind = rng.weighted(ctx.scenarioKinds, (k) => SCENARIO_WEIGHTS[k]);
        events.push(this.buildScenario(ctx, rng, kind, dayStart, offline));
      }
    }
    const all: Timed[] = [];
    events.forEach((evs, j) =>
      evs.forEach((t, k) => {
        t.ev.sourceEventId = `sim-${ctx.site.id}-${this.seed}-d${day}-${j}-${k}`;
        all.push(t);
      }),
    );
    all.sort((a, b) => a.ms - b.ms);
    return { events: all, outages };
  }

  /** Builds one scenario of the given kind at a seeded time of the day; [] when the site never fits its timing. */
  private buildScenario(ctx: SiteCtx, rng: Rng, kind: ScenarioKind, dayStart: number, offline: (cam: string, ms: number) => boolean): Timed[] {
    const online = (cam: string, ms: number) => !offline(cam, ms);
    // When each scenario happens (site local time) and how long it must stay in that state.
    // Break-ins are mostly at night, some in opening hours (a back door kicked in); theft, fraud
    // and tailgating need an open site.
    const timing: Record<ScenarioKind, () => ['open' | 'closed' | 'any', number]> = {
      forced_door: () => [rng.chance(0.85) ? 'closed' : 'open', 5 * MINUTE],
      glass_break: () => [rng.chance(0.9) ? 'closed' : 'any', 5 * MINUTE],
      access_denied_burst: () => [rng.chance(0.5) ? 'closed' : 'any', 5 * MINUTE],
      eas_gate_alarm: () => ['open', 2 * MINUTE],
      pos_void_spree: () => ['open', 12 * MINUTE],
      tailgating: () => ['open', 2 * MINUTE],
      shrink_discrepancy: () => ['open', 0],
    };
    const [when, span] = timing[kind]();
    const at = this.chooseTime(ctx, rng, dayStart, when, span);
    if (at === undefined) return [];
    switch (kind) {
      case 'forced_door':
        return forcedDoor(ctx, rng, at, online, rng.pick(ctx.forcedTargets));
      case 'glass_break':
        return glassBreak(ctx, rng, at, online);
      case 'eas_gate_alarm':
        return easGateAlarm(ctx, rng, at, online);
      case 'pos_void_spree': {
        const onShift = this.onShiftAt(ctx, ctx.cashiers, this.local(ctx, at));
        return posVoidSpree(ctx, rng, at, { operators: onShift.length > 0 ? onShift : ctx.cashiers });
      }
      case 'tailgating': {
        const r = rng.pick(ctx.readers.filter((t) => t.eligible.length > 0));
        const onShift = this.onShiftAt(ctx, r.eligible, this.local(ctx, at));
        return tailgating(ctx, rng, at, r, rng.pick(onShift.length > 0 ? onShift : r.eligible), online);
      }
      case 'access_denied_burst':
        return accessDeniedBurst(ctx, rng, at);
      case 'shrink_discrepancy':
        return shrinkDiscrepancy(ctx, rng, at);
    }
  }

  /**
   * A random instant of the UTC day, at whole seconds and at least `tailMs` before its end, whose
   * local time matches `when` at the start and `spanMs` later (rejection sampling: a few tries
   * in practice). Undefined when 64 tries miss, i.e. the site is closed (or open) all that day.
   */
  chooseTime(ctx: SiteCtx, rng: Rng, dayStart: number, when: 'open' | 'closed' | 'any', spanMs: number, tailMs = 0): number | undefined {
    const last = Math.max(0, Math.floor((DAY - tailMs) / SECOND) - 1);
    for (let i = 0; i < 64; i++) {
      const ms = dayStart + rng.int(0, last) * SECOND;
      if (when === 'any') return ms;
      const want = when === 'open';
      if (this.isOpen(ctx, ms) === want && this.isOpen(ctx, ms + spanMs) === want) return ms;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Event construction

function mk(
  ms: number,
  source: Source,
  type: string,
  site: string,
  refs: { zone?: string; device?: string; badge?: string; assets?: string[]; amount?: SecurityEvent['amount'] },
  details: Record<string, unknown>,
): Timed {
  // Key order is fixed (sourceEventId is stamped later, details come last like the CONTRACT
  // example) so the NDJSON reads the same on every run.
  const ev = { source, type, sourceEventId: '', occurredAt: isoUtc(ms), site } as SecurityEvent;
  if (refs.zone !== undefined) ev.zone = refs.zone;
  if (refs.device !== undefined) ev.device = refs.device;
  if (refs.badge !== undefined) ev.badge = refs.badge;
  if (refs.assets !== undefined && refs.assets.length > 0) ev.assets = refs.assets;
  if (refs.amount !== undefined) ev.amount = refs.amount;
  ev.details = details;
  return { ms, ev };
}

let isoHour = Number.NaN;
let isoPrefix = '';

/**
 * `new Date(ms).toISOString()` for integer ms, faster: the "YYYY-MM-DDTHH:" prefix is cached per
 * UTC hour (a block's events share it), the rest is arithmetic. Formatting was the simulator's
 * single largest cost on large runs.
 */
function isoUtc(ms: number): string {
  const h = Math.floor(ms / HOUR);
  if (h !== isoHour) {
    isoHour = h;
    isoPrefix = new Date(h * HOUR).toISOString().slice(0, 14);
  }
  const r = ms - h * HOUR;
  const m = Math.floor(r / MINUTE);
  const sec = Math.floor((r - m * MINUTE) / SECOND);
  const milli = r - m * MINUTE - sec * SECOND;
  return `${isoPrefix}${m < 10 ? '0' : ''}${m}:${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/**
 * Simulated amounts are drawn in hundredths of a major unit (1500 = 15.00), whatever the currency,
 * so a scenario is worth as much in USD as in JPY or KWD; this is such a draw in the currency's own
 * minor units (rounded half away from zero where the currency has fewer digits).
 */
function minorOfHundredths(hundredths: number, currency: string): bigint {
  return toMinor(scaledToDecimal(BigInt(Math.max(0, Math.round(hundredths))), 2), currency);
}

/** An event amount: minor units as the currency's decimal string ("1234.50" USD, "1235" JPY); no floating point touches money. */
function money(minor: bigint, currency: string): { value: string; currency: string } {
  return { value: fromMinor(minor, currency), currency };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The most valuable assets of a zone (at most n), as ids. */
function topAssets(ctx: SiteCtx, zone: string, n: number): string[] {
  return (ctx.assetsByZone.get(zone) ?? []).slice(0, n).map((a) => a.id);
}

/** A camera in or covering the zone that is up at ms, if any. */
function cameraFor(ctx: SiteCtx, rng: Rng, zone: string, ms: number, online: (cam: string, ms: number) => boolean): DeviceConfig | undefined {
  const cams = (ctx.camerasByZone.get(zone) ?? []).filter((c) => online(c.id, ms));
  return cams.length > 0 ? rng.pick(cams) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Scenarios (each returns its events; the caller names them and stamps ids)

function tag(evs: Timed[], scenario: string): Timed[] {
  for (const t of evs) t.ev.details = { scenario, ...t.ev.details };
  return evs;
}

/** Forced door into a restricted zone: door_forced, intrusion alarm, camera detection in 1-3 min, door held open. */
function forcedDoor(
  ctx: SiteCtx,
  rng: Rng,
  at: number,
  online: (cam: string, ms: number) => boolean,
  target: DoorTarget,
  opts: { cameraDelayMs?: [number, number] } = {},
): Timed[] {
  const site = ctx.site.id;
  const zone = target.zone.id;
  const assets = topAssets(ctx, zone, 2);
  const out: Timed[] = [];
  out.push(mk(at, 'access_control', 'door_forced', site, { zone, device: target.door.id, assets }, { doorState: 'forced_open' }));
  // The intrusion point: a motion sensor in the zone, else the site's alarm panel.
  const sensor =
    ctx.site.devices.find((d) => d.zone === zone && d.kind === 'motion_sensor') ?? ctx.site.devices.find((d) => d.kind === 'alarm_panel');
  const alarmAt = at + rng.int(5, 40) * SECOND;
  out.push(mk(alarmAt, 'alarm', 'intrusion', site, { zone, device: sensor?.id, assets }, { partition: 'interior', armed: true }));
  const [lo, hi] = opts.cameraDelayMs ?? [MINUTE, 3 * MINUTE];
  const camAt = at + rng.int(lo / SECOND, hi / SECOND) * SECOND;
  const cam = cameraFor(ctx, rng, zone, camAt, online);
  if (cam) {
    const person = rng.chance(0.7);
    out.push(
      mk(camAt, 'cctv', person ? 'person_detected' : 'motion', site, { zone, device: cam.id, assets }, person ? { label: 'person', confidence: round2(rng.float(0.75, 0.98)) } : { score: round2(rng.float(0.6, 0.95)) }),
    );
  }
  const contact = ctx.site.devices.find((d) => d.zone === zone && d.kind === 'door_contact');
  if (contact && rng.chance(0.6)) {
    out.push(mk(at + rng.int(60, 150) * SECOND, 'access_control', 'door_held_open', site, { zone, device: contact.id }, { openSeconds: rng.int(60, 240) }));
  }
  return tag(out, 'forced_door');
}

/** Glass break at a sensor, sometimes an intrusion alarm, a camera detection. */
function glassBreak(ctx: SiteCtx, rng: Rng, at: number, online: (cam: string, ms: number) => boolean): Timed[] {
  const site = ctx.site.id;
  const sensor = rng.pick(ctx.glassBreak);
  const zone = sensor.zone;
  const assets = topAssets(ctx, zone, 1);
  const out = [mk(at, 'alarm', 'glass_break', site, { zone, device: sensor.id, assets }, { level: 'high' })];
  if (rng.chance(0.5)) {
    const panel = ctx.site.devices.find((d) => d.kind === 'alarm_panel');
    out.push(mk(at + rng.int(20, 60) * SECOND, 'alarm', 'intrusion', site, { zone, device: panel?.id, assets }, { partition: 'perimeter', armed: true }));
  }
  const camAt = at + rng.int(30, 150) * SECOND;
  const cam = cameraFor(ctx, rng, zone, camAt, online);
  if (cam) out.push(mk(camAt, 'cctv', 'motion', site, { zone, device: cam.id }, { score: round2(rng.float(0.5, 0.9)) }));
  return tag(out, 'glass_break');
}

/** EAS gate alarm at the entrance with the value of the tagged goods, and the entrance camera. */
function easGateAlarm(ctx: SiteCtx, rng: Rng, at: number, online: (cam: string, ms: number) => boolean): Timed[] {
  const site = ctx.site.id;
  const gate = rng.pick(ctx.easGates);
  const goods = ctx.merchandise.length > 0 ? [rng.pick(ctx.merchandise).id] : [];
  const out = [
    mk(at, 'alarm', 'eas_gate', site, { zone: gate.zone, device: gate.id, assets: goods, amount: money(minorOfHundredths(rng.int(2500, 60000), ctx.currency), ctx.currency) }, { tags: rng.int(1, 4) }),
  ];
  const camAt = at + rng.int(2, 10) * SECOND;
  const cam = cameraFor(ctx, rng, gate.zone, camAt, online);
  if (cam) out.push(mk(camAt, 'cctv', 'person_detected', site, { zone: gate.zone, device: cam.id }, { label: 'person', confidence: round2(rng.float(0.8, 0.99)) }));
  return tag(out, 'eas_gate_alarm');
}

/** 4-6 voids/refunds from one terminal and operator within 10 minutes. */
function posVoidSpree(
  ctx: SiteCtx,
  rng: Rng,
  at: number,
  opts: { operators?: PersonConfig[]; spacingMs?: [number, number]; count?: number } = {},
): Timed[] {
  const site = ctx.site.id;
  const term = rng.pick(ctx.posTerminals);
  const op = rng.pick(opts.operators && opts.operators.length > 0 ? opts.operators : ctx.cashiers.length > 0 ? ctx.cashiers : ctx.site.personnel);
  const n = opts.count ?? rng.int(4, 6);
  const [lo, hi] = opts.spacingMs ?? [30 * SECOND, 2 * MINUTE]; // 4-6 events, at most 10 min in all
  const out: Timed[] = [];
  let t = at;
  for (let i = 0; i < n; i++) {
    const type = rng.chance(0.6) ? 'void' : 'refund';
    out.push(
      mk(t, 'pos', type, site, { zone: term.zone, device: term.id, badge: op.badge, amount: money(minorOfHundredths(rng.int(1500, 24000), ctx.currency), ctx.currency) }, {
        workstation: term.id,
        operator: op.id,
        transaction: `T${Math.floor(t / SECOND) % 1_000_000_000}`,
      }),
    );
    t += rng.int(lo / SECOND, hi / SECOND) * SECOND;
  }
  return tag(out, 'pos_void_spree');
}

/** Camera outage: optional tamper, offline + recording_off, then online + recording_on 20 min-4 h later. */
function cameraOutage(ctx: SiteCtx, rng: Rng, at: number, latestBack: number): { events: Timed[]; outage: Outage } {
  const site = ctx.site.id;
  const cam = rng.pick(ctx.cameras);
  const zone = cam.zone;
  const out: Timed[] = [];
  if (rng.chance(0.4)) {
    out.push(mk(at - rng.int(5, 30) * SECOND, 'cctv', 'camera_tamper', site, { zone, device: cam.id }, { reason: rng.pick(['lens_obstructed', 'repositioned', 'defocused']) }));
  }
  out.push(mk(at, 'device', 'offline', site, { zone, device: cam.id }, { lastSeenSeconds: rng.int(60, 300) }));
  out.push(mk(at + rng.int(1, 3) * SECOND, 'device', 'recording_off', site, { zone, device: cam.id }, {}));
  // Back online within the same UTC day, so outages never overlap across day plans.
  const back = Math.min(at + rng.int(20, 240) * MINUTE, latestBack);
  out.push(mk(back, 'device', 'online', site, { zone, device: cam.id }, {}));
  out.push(mk(back + rng.int(2, 5) * SECOND, 'device', 'recording_on', site, { zone, device: cam.id }, {}));
  return { events: tag(out, 'camera_offline'), outage: { camera: cam.id, from: at, to: back } };
}

/** A granted swipe followed within seconds by a tailgating alarm on the same door. */
function tailgating(ctx: SiteCtx, rng: Rng, at: number, r: ReaderTarget, p: PersonConfig, online: (cam: string, ms: number) => boolean): Timed[] {
  const site = ctx.site.id;
  const zone = r.zone.id;
  const tgAt = at + rng.int(2, 6) * SECOND;
  const out = [
    mk(at, 'access_control', 'access_granted', site, { zone, device: r.reader.id, badge: p.badge }, { direction: 'in' }),
    mk(tgAt, 'access_control', 'tailgating', site, { zone, device: r.reader.id, badge: p.badge, assets: topAssets(ctx, zone, 1) }, { followers: rng.int(1, 2) }),
  ];
  const cam = cameraFor(ctx, rng, zone, tgAt + 3 * SECOND, online);
  if (cam) out.push(mk(tgAt + 3 * SECOND, 'cctv', 'person_detected', site, { zone, device: cam.id }, { label: 'person', count: 2, confidence: round2(rng.float(0.7, 0.95)) }));
  return tag(out, 'tailgating');
}

/** Five denied attempts at a restricted reader within a few minutes, with a badge that should not open it. */
function accessDeniedBurst(ctx: SiteCtx, rng: Rng, at: number): Timed[] {
  const site = ctx.site.id;
  const target = rng.pick(ctx.denyTargets);
  const p = rng.pick(target.wrong);
  const reason = p.active ? 'no_clearance' : 'badge_inactive';
  const out: Timed[] = [];
  let t = at;
  for (let i = 0; i < 5; i++) {
    out.push(mk(t, 'access_control', 'access_denied', site, { zone: target.reader.zone.id, device: target.reader.reader.id, badge: p.badge }, { reason, attempt: i + 1 }));
    t += rng.int(8, 45) * SECOND;
  }
  return tag(out, 'access_denied_burst');
}

/** A cycle count that finds stock missing: amount at most the asset's value. */
function shrinkDiscrepancy(ctx: SiteCtx, rng: Rng, at: number): Timed[] {
  const asset = rng.pick(ctx.shrinkable);
  // At most a fifth of the asset's value (and at least 1.00), exactly in the currency's minor units.
  const fifth = mulMinor(toMinor(asset.value, ctx.currency), '0.2');
  const floor = minorOfHundredths(100, ctx.currency);
  const cap = fifth > floor ? fifth : floor;
  const drawn = minorOfHundredths(rng.int(15000, 400000), ctx.currency);
  const expected = rng.int(40, 400);
  const missing = rng.int(1, Math.max(1, Math.floor(expected / 10)));
  return tag(
    [
      mk(at, 'inventory', 'shrink_discrepancy', ctx.site.id, { zone: asset.zone, assets: [asset.id], amount: money(drawn < cap ? drawn : cap, ctx.currency) }, {
        expectedUnits: expected,
        countedUnits: expected - missing,
        countId: `CC-${Math.floor(at / MINUTE)}`,
      }),
    ],
    'shrink_discrepancy',
  );
}

// ---------------------------------------------------------------------------------------------
// Invented chains for load tests

/** US time zones the invented chains use, round-robin (coprime with the 3 site kinds). */
const CHAIN_ZONES: { tz: string; lat: number; lon: number; city: string }[] = [
  { tz: 'America/New_York', lat: 40.71, lon: -74.0, city: 'Newark' },
  { tz: 'America/Chicago', lat: 41.88, lon: -87.63, city: 'Joliet' },
  { tz: 'America/Denver', lat: 39.74, lon: -104.99, city: 'Aurora' },
  { tz: 'America/Phoenix', lat: 33.45, lon: -112.07, city: 'Mesa' },
  { tz: 'America/Los_Angeles', lat: 34.05, lon: -118.24, city: 'Pasadena' },
];

type Doc = Record<string, unknown>;

/** Currency of the invented chains (asset values, operating costs). */
const CHAIN_CURRENCY = 'USD';

/**
 * Invents a chain of N sites (stores, warehouses, offices round-robin across 5 US time zones),
 * valid against configSchema, for load tests. Deterministic by seed.
 */
export function inventChain(sites: number, seed: number): RawConfigDocument {
  if (!Number.isInteger(sites) || sites < 1) throw new RangeError('inventChain: sites must be a positive integer');
  const rng = new Rng(hashSeed(seed, 'chain'));
  const width = Math.max(4, String(sites).length);
  const siteDocs: Doc[] = [];
  const contacts: Doc[] = [];
  const ids: string[] = [];
  let phone = 0;
  const nextPhone = () => `+1555${String(++phone).padStart(7, '0')}`;
  for (let i = 0; i < sites; i++) {
    const num = String(i + 1).padStart(width, '0');
    const place = CHAIN_ZONES[i % CHAIN_ZONES.length];
    const kind = (['store', 'warehouse', 'office'] as const)[i % 3];
    const build = kind === 'store' ? inventStore : kind === 'warehouse' ? inventWarehouse : inventOffice;
    const doc = build(num, rng, nextPhone);
    const id = String(doc.id);
    ids.push(id);
    siteDocs.push({
      ...doc,
      timezone: place.tz,
      location: { lat: round4(place.lat + rng.float(-1.5, 1.5)), lon: round4(place.lon + rng.float(-1.5, 1.5)) },
    });
    contacts.push(
      { id: `lead-${id}`, name: `Security lead ${id}`, role: 'security_lead', sites: [id], phone: nextPhone(), email: `lead-${id}@chain.example` },
      { id: `rr-${id}`, name: `Rapid response ${id}`, role: 'rapid_response', sites: [id], phone: nextPhone(), email: `rr-${id}@chain.example` },
    );
  }
  // Regions of 25 sites each have a manager and an investigator; one executive sees all.
  for (let r = 0; r * 25 < sites; r++) {
    const region = ids.slice(r * 25, r * 25 + 25);
    contacts.push(
      { id: `mgr-region-${r + 1}`, name: `Region ${r + 1} manager`, role: 'manager', sites: region, email: `mgr-region-${r + 1}@chain.example` },
      { id: `inv-region-${r + 1}`, name: `Region ${r + 1} investigator`, role: 'investigator', sites: region, phone: nextPhone(), email: `inv-region-${r + 1}@chain.example` },
    );
  }
  contacts.push({ id: 'exec-cso', name: 'Chief Security Officer', role: 'executive', sites: ids, phone: nextPhone(), email: 'cso@chain.example' });
  return {
    organization: { name: `Load Test Chain ${seed}`, currency: CHAIN_CURRENCY, timezone: 'America/New_York' },
    sites: siteDocs,
    contacts,
    notify: {
      sms: { provider: 'twilio', baseUrl: 'http://127.0.0.1:8089', accountSid: 'ACdemo0000000000000000000000000000', authToken: 'demo-token', from: '+15550009999' },
      email: { url: 'smtp://127.0.0.1:2525', from: 'vigil@chain.example' },
    },
    policy: {},
  } as RawConfigDocument;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** A decimal string value around `base` (+-30%), in whole major units of the chain's currency. */
function value(rng: Rng, base: number): string {
  return normalizeAmount(String(Math.round(base * rng.float(0.7, 1.3))), CHAIN_CURRENCY);
}

function rect(x0: number, y0: number, x1: number, y1: number): [number, number][] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
}

function cam(id: string, zone: string, position: [number, number], direction: number, range: number, covers: string[] = []): Doc {
  return { id, kind: 'camera', zone, position, fov: { direction, angle: 90, range }, covers };
}

function people(
  num: string,
  rng: Rng,
  roles: { role: string; clearances: string[]; start: string; end: string; days: string[] }[],
): Doc[] {
  const first = ['Alex', 'Sam', 'Jo', 'Kim', 'Lee', 'Max', 'Ana', 'Raj', 'Eve', 'Ned', 'Ida', 'Tom'];
  const last = ['Reyes', 'Ng', 'Berg', 'Shaw', 'Khan', 'Diaz', 'Hart', 'Moss', 'Park', 'Wolf', 'Cruz', 'Lund'];
  return roles.map((r, k) => ({
    id: `emp-${num}-${k + 1}`,
    name: `${rng.pick(first)} ${rng.pick(last)}`,
    badge: `B-${num}-${k + 1}`,
    role: r.role,
    clearances: r.clearances,
    shift: { days: r.days, start: r.start, end: r.end },
    // The last person on every site has left: their badge should never open a door.
    active: k < roles.length - 1,
  }));
}

const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri'];
const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function inventStore(num: string, rng: Rng, phone: () => string): Doc {
  const open = rng.pick(['08:00', '09:00']);
  const close = rng.pick(['21:00', '22:00']);
  return {
    id: `store-${num}`,
    name: `Store ${num}`,
    kind: 'store',
    businessHours: { open, close },
    hourlyOperatingCost: value(rng, 900),
    zones: [
      { id: 'entrance', name: 'Entrance', kind: 'entrance', polygon: rect(0, 0, 12, 5), adjacent: ['sales-floor'] },
      { id: 'sales-floor', name: 'Sales floor', kind: 'sales_floor', polygon: rect(0, 5, 30, 25), adjacent: ['entrance', 'back-hall'] },
      { id: 'back-hall', name: 'Back hall', kind: 'corridor', polygon: rect(30, 0, 34, 25), adjacent: ['sales-floor', 'stockroom', 'cash-office'] },
      { id: 'cash-office', name: 'Cash office', kind: 'cash_office', restricted: true, requiredClearance: 'cash', polygon: rect(34, 0, 40, 8), adjacent: ['back-hall'] },
      { id: 'stockroom', name: 'Stockroom', kind: 'stockroom', polygon: rect(34, 8, 46, 25), adjacent: ['back-hall', 'loading-dock'] },
      { id: 'loading-dock', name: 'Loading dock', kind: 'loading_dock', polygon: rect(46, 8, 54, 25), adjacent: ['stockroom'] },
    ],
    assets: [
      { id: `safe-${num}`, name: 'Cash safe', category: 'cash', zone: 'cash-office', position: [37, 4], value: value(rng, 20000), vulnerability: 0.6 },
      { id: `bo-server-${num}`, name: 'Back-office POS server', category: 'data', zone: 'cash-office', position: [39, 7], value: value(rng, 6000), vulnerability: 0.3, sensitiveData: true },
      { id: `display-${num}`, name: 'Electronics display', category: 'merchandise', zone: 'sales-floor', position: [25, 20], value: value(rng, 25000), vulnerability: 0.45 },
      { id: `stock-${num}`, name: 'High-value stock', category: 'merchandise', zone: 'stockroom', position: [40, 18], value: value(rng, 40000), vulnerability: 0.35 },
    ],
    devices: [
      cam(`cam-${num}-ent`, 'entrance', [0.5, 0.5], 30, 16, ['sales-floor']),
      cam(`cam-${num}-sf-1`, 'sales-floor', [0.5, 24.5], 315, 28),
      cam(`cam-${num}-sf-2`, 'sales-floor', [29.5, 24.5], 225, 28),
      cam(`cam-${num}-bh`, 'back-hall', [32, 24.5], 270, 26),
      cam(`cam-${num}-co`, 'cash-office', [34.5, 7.5], 315, 9),
      cam(`cam-${num}-sr`, 'stockroom', [45.5, 24.5], 225, 20),
      { id: `cr-${num}-co`, kind: 'card_reader', zone: 'cash-office', position: [34, 4] },
      { id: `dc-${num}-co`, kind: 'door_contact', zone: 'cash-office', position: [34, 4.5] },
      { id: `ms-${num}-co`, kind: 'motion_sensor', zone: 'cash-office', position: [39.5, 0.5] },
      { id: `cr-${num}-sr`, kind: 'card_reader', zone: 'stockroom', position: [34, 16] },
      { id: `eas-${num}`, kind: 'eas_gate', zone: 'entrance', position: [6, 4] },
      { id: `gb-${num}`, kind: 'glass_break_sensor', zone: 'entrance', position: [6, 0.5] },
      { id: `pos-${num}-1`, kind: 'pos_terminal', zone: 'sales-floor', position: [8, 8] },
      { id: `pos-${num}-2`, kind: 'pos_terminal', zone: 'sales-floor', position: [12, 8] },
      { id: `ap-${num}`, kind: 'alarm_panel', zone: 'back-hall', position: [31, 1] },
    ],
    personnel: people(num, rng, [
      { role: 'store_manager', clearances: ['sales_floor', 'stock', 'cash'], start: open, end: '18:00', days: WEEK },
      { role: 'cashier', clearances: ['sales_floor'], start: open, end: '16:00', days: ['mon', 'tue', 'wed', 'sat', 'sun'] },
      { role: 'cashier', clearances: ['sales_floor'], start: '14:00', end: close, days: ['wed', 'thu', 'fri', 'sat', 'sun'] },
      { role: 'stock_associate', clearances: ['sales_floor', 'stock'], start: '07:00', end: '15:00', days: ALL_DAYS },
      { role: 'cashier', clearances: ['sales_floor', 'cash'], start: open, end: '17:00', days: WEEK },
    ]),
    guards: [{ id: `guard-${num}-1`, name: `Guard ${num}-1`, phone: phone(), position: [15, 15], onShift: true }],
  };
}

function inventWarehouse(num: string, rng: Rng, phone: () => string): Doc {
  const open = rng.pick(['05:00', '06:00']);
  const close = rng.pick(['18:00', '21:00']);
  return {
    id: `dc-${num}`,
    name: `Distribution centre ${num}`,
    kind: 'warehouse',
    businessHours: { open, close },
    hourlyOperatingCost: value(rng, 3000),
    zones: [
      { id: 'yard', name: 'Truck yard', kind: 'yard', polygon: rect(0, 0, 80, 20), adjacent: ['dock'] },
      { id: 'dock', name: 'Dock', kind: 'loading_dock', polygon: rect(0, 20, 80, 30), adjacent: ['yard', 'racking', 'cage'] },
      { id: 'racking', name: 'Racking', kind: 'storage', polygon: rect(0, 30, 60, 80), adjacent: ['dock', 'cage', 'office'] },
      { id: 'cage', name: 'High-value cage', kind: 'cage', restricted: true, requiredClearance: 'cage', polygon: rect(60, 30, 80, 50), adjacent: ['dock', 'racking', 'office'] },
      { id: 'office', name: 'Office', kind: 'office', polygon: rect(60, 50, 80, 80), adjacent: ['racking', 'cage'] },
    ],
    assets: [
      { id: `cage-${num}`, name: 'Electronics cage stock', category: 'electronics_cage', zone: 'cage', position: [70, 40], value: value(rng, 120000), vulnerability: 0.35 },
      { id: `racking-${num}`, name: 'General racking stock', category: 'merchandise', zone: 'racking', position: [30, 55], value: value(rng, 300000), vulnerability: 0.15 },
      { id: `forklift-${num}`, name: 'Forklift', category: 'equipment', zone: 'dock', position: [20, 25], value: value(rng, 30000), vulnerability: 0.2 },
    ],
    devices: [
      cam(`cam-${num}-yard`, 'yard', [0.5, 0.5], 15, 80),
      cam(`cam-${num}-dock`, 'dock', [0.5, 29.5], 345, 60),
      cam(`cam-${num}-rack`, 'racking', [0.5, 79.5], 315, 60),
      cam(`cam-${num}-cage`, 'cage', [60.5, 49.5], 315, 28),
      cam(`cam-${num}-off`, 'office', [79.5, 79.5], 225, 35),
      { id: `cr-${num}-dock`, kind: 'card_reader', zone: 'dock', position: [0, 25] },
      { id: `cr-${num}-cage`, kind: 'card_reader', zone: 'cage', position: [60, 35] },
      { id: `dc-${num}-cage`, kind: 'door_contact', zone: 'cage', position: [60, 36] },
      { id: `ms-${num}-cage`, kind: 'motion_sensor', zone: 'cage', position: [79.5, 49.5] },
      { id: `gb-${num}`, kind: 'glass_break_sensor', zone: 'office', position: [80, 65] },
      { id: `ap-${num}`, kind: 'alarm_panel', zone: 'office', position: [61, 79] },
    ],
    personnel: people(num, rng, [
      { role: 'shift_lead', clearances: ['dock', 'cage'], start: open, end: '14:00', days: WEEK },
      { role: 'receiver', clearances: ['dock'], start: open, end: '14:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
      { role: 'picker', clearances: ['dock'], start: '10:00', end: close, days: WEEK },
      { role: 'inventory_controller', clearances: ['dock', 'cage'], start: '10:00', end: close, days: WEEK },
      { role: 'forklift_operator', clearances: ['dock', 'cage'], start: open, end: '14:00', days: WEEK },
    ]),
    guards: [
      { id: `guard-${num}-1`, name: `Guard ${num}-1`, phone: phone(), position: [40, 10], onShift: true },
      { id: `guard-${num}-2`, name: `Guard ${num}-2`, phone: phone(), position: [70, 60], onShift: true },
    ],
  };
}

function inventOffice(num: string, rng: Rng, phone: () => string): Doc {
  return {
    id: `hq-${num}`,
    name: `Office ${num}`,
    kind: 'office',
    businessHours: { open: '07:00', close: '19:00', days: WEEK },
    hourlyOperatingCost: value(rng, 2000),
    zones: [
      { id: 'lobby', name: 'Lobby', kind: 'lobby', polygon: rect(0, 0, 20, 10), adjacent: ['open-office'] },
      { id: 'open-office', name: 'Open office', kind: 'office', polygon: rect(0, 10, 40, 40), adjacent: ['lobby', 'server-room', 'records-room'] },
      { id: 'server-room', name: 'Server room', kind: 'server_room', restricted: true, requiredClearance: 'it', polygon: rect(40, 10, 50, 20), adjacent: ['open-office', 'records-room'] },
      { id: 'records-room', name: 'Records room', kind: 'records', restricted: true, requiredClearance: 'records', polygon: rect(40, 20, 50, 30), adjacent: ['open-office', 'server-room'] },
    ],
    assets: [
      { id: `server-rack-${num}`, name: 'Server rack', category: 'data', zone: 'server-room', position: [45, 15], value: value(rng, 150000), vulnerability: 0.4, sensitiveData: true },
      { id: `hr-records-${num}`, name: 'HR records', category: 'data', zone: 'records-room', position: [45, 25], value: value(rng, 5000), vulnerability: 0.5, sensitiveData: true },
      { id: `laptops-${num}`, name: 'Laptop cart', category: 'equipment', zone: 'open-office', position: [20, 30], value: value(rng, 30000), vulnerability: 0.45 },
    ],
    devices: [
      cam(`cam-${num}-lobby`, 'lobby', [0.5, 0.5], 30, 24, ['open-office']),
      cam(`cam-${num}-oo`, 'open-office', [0.5, 39.5], 315, 45),
      cam(`cam-${num}-srv`, 'server-room', [40.5, 19.5], 315, 14),
      cam(`cam-${num}-rec`, 'records-room', [49.5, 29.5], 225, 14),
      { id: `cr-${num}-lobby`, kind: 'card_reader', zone: 'open-office', position: [10, 10] },
      { id: `cr-${num}-srv`, kind: 'card_reader', zone: 'server-room', position: [40, 15] },
      { id: `ms-${num}-srv`, kind: 'motion_sensor', zone: 'server-room', position: [49.5, 10.5] },
      { id: `cr-${num}-rec`, kind: 'card_reader', zone: 'records-room', position: [40, 25] },
      { id: `gb-${num}`, kind: 'glass_break_sensor', zone: 'lobby', position: [10, 0.5] },
      { id: `ap-${num}`, kind: 'alarm_panel', zone: 'lobby', position: [19, 1] },
    ],
    personnel: people(num, rng, [
      { role: 'receptionist', clearances: ['office'], start: '07:00', end: '15:30', days: WEEK },
      { role: 'sysadmin', clearances: ['office', 'it'], start: '08:00', end: '17:00', days: WEEK },
      { role: 'hr_manager', clearances: ['office', 'records'], start: '08:30', end: '17:30', days: WEEK },
      { role: 'analyst', clearances: ['office'], start: '09:00', end: '18:00', days: WEEK },
      { role: 'it_contractor', clearances: ['office', 'it'], start: '09:00', end: '17:00', days: WEEK },
    ]),
    guards: [{ id: `guard-${num}-1`, name: `Guard ${num}-1`, phone: phone(), position: [5, 5], onShift: true }],
  };
}
