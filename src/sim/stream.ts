/**
 * Deterministic chain simulator, the event stream: synthetic but realistic SecurityEvents for a
 * configured chain, for the demo (`npm start` without a config), load tests and benchmarks.
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
 * - Scenarios (scenarios.ts) are planned per site and UTC day: 3-6 per day plus a camera outage
 *   on about a third of the days, at seeded times, the break-ins mostly after hours.
 */
import type { Config, PersonConfig } from '../config/schema.js';
import { centroid } from '../domain/geometry.js';
import { inWeeklyWindow, zoneOffsetMs } from '../domain/local-time.js';
import type { SecurityEvent } from '../domain/types.js';
import { Rng, hashSeed } from './random.js';
import {
  SCENARIO_WEIGHTS,
  SiteCtx,
  accessDeniedBurst,
  cameraOutage,
  easGateAlarm,
  forcedDoor,
  glassBreak,
  minorOfHundredths,
  mk,
  money,
  posVoidSpree,
  round2,
  shrinkDiscrepancy,
  tailgating,
  type Outage,
  type ScenarioKind,
  type Timed,
  type ReaderTarget,
} from './scenarios.js';

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

/** The scenarios of one site on one UTC day, and the camera outages among them. */
interface DayPlan {
  events: Timed[];
  outages: Outage[];
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
    // Each person's last background swipe in this block, so nobody badges at two far readers faster than they could walk.
    const swipes = new Map<string, { ms: number; reader: ReaderTarget }>();

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
        const e = this.noiseEvent(ctx, ms, l, [u, v, w, x], offline, swipes);
        if (e) out.push(e);
      }
    }
    out.sort((a, b) => a.ms - b.ms);
    out.forEach((t, k) => (t.ev.sourceEventId = `sim-${site}-${this.seed}-b${b}-${k}`));
    return out;
  }

  /** One business-hours noise event from four uniform draws (u picks the kind, v and w the device and person). */
  private noiseEvent(
    ctx: SiteCtx,
    ms: number,
    l: LocalTime,
    [u, v, w, x]: number[],
    offline: (cam: string, ms: number) => boolean,
    swipes: Map<string, { ms: number; reader: ReaderTarget }>,
  ): Timed | undefined {
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
          // A person who could not have walked here since their last swipe badges again where they were.
          const last = swipes.get(p.badge);
          const at = last && last.reader !== r && !canWalk(last.reader, r, ms - last.ms) ? last.reader : r;
          swipes.set(p.badge, { ms, reader: at });
          return mk(ms, 'access_control', 'access_granted', site, { zone: at.zone.id, device: at.reader.id, badge: p.badge }, { direction: 'in' });
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

/** Walking speed the simulated people keep between readers (m/s), well under the access review's limit. */
const SIM_WALK_MPS = 1.2;

/** Where a reader is on the site plan: its position, else its zone's centroid. */
function readerPlace(t: ReaderTarget): readonly [number, number] | undefined {
  return t.reader.position ?? (t.zone.polygon ? centroid(t.zone.polygon) : undefined);
}

/** True when someone walking at SIM_WALK_MPS gets from reader `a` to `b` in `ms` (true when a position is unknown). */
function canWalk(a: ReaderTarget, b: ReaderTarget, ms: number): boolean {
  const pa = readerPlace(a);
  const pb = readerPlace(b);
  if (!pa || !pb) return true;
  return Math.hypot(pa[0] - pb[0], pa[1] - pb[1]) / SIM_WALK_MPS <= ms / 1000;
}
