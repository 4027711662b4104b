/**
 * The simulator's incidents: what each scenario's events look like, and the demo burst. A scenario
 * is a burst that should open an incident (`details.scenario` names it): forced door, EAS gate
 * alarm, POS void spree, camera outage (with tamper sometimes), glass break, tailgating,
 * access-denied burst, shrink discrepancy. The stream (stream.ts) decides when they happen.
 *
 * Pure: every builder takes the site, a seeded Rng and the instant, and returns its events.
 */
import type { AssetConfig, Config, DeviceConfig, PersonConfig, SiteConfig, ZoneConfig } from '../config/schema.js';
import { weeklyWindow, type WeeklyWindow } from '../domain/local-time.js';
import { compareMoney, fromMinor, mulMinor, scaledToDecimal, toMinor } from '../domain/money.js';
import type { SecurityEvent, Source } from '../domain/types.js';
import { Rng, hashSeed } from './random.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

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
// The live demo's alert cadence

/** Shortest and longest wait between two alerts of the live demo (seconds). */
export const ALERT_GAP_SECONDS: readonly [number, number] = [60, 120];

/** One planned alert: a break-in at a zone of a site, its events in time order. */
export interface PlannedAlert {
  /** When it starts (ms): its first event. */
  at: number;
  site: string;
  zone: string;
  kind: 'forced_door' | 'intrusion_alarm';
  events: SecurityEvent[];
  /** How long it waited past its drawn time for a zone of the chain to clear (0 mostly). */
  waitedMs: number;
}

/** A zone the cadence may break into, and whether it is restricted (restricted zones score higher). */
interface AlertSlot {
  ctx: SiteCtx;
  zone: ZoneConfig;
  adjacent: Set<string>;
  door?: DeviceConfig;
  sensor?: DeviceConfig;
  assets: string[];
}

/**
 * The live demo's steady stream of serious incidents: a break-in somewhere in the chain every
 * ALERT_GAP_SECONDS (uniform, seeded), instead of one burst every ten minutes. Each is a door
 * forced into a zone (when it has a reader or door contact) or an interior intrusion alarm, with
 * a camera that sees the intruder seconds later: up to three independent sources naming the zone's
 * most valuable assets, which the default policy scores high, or critical after hours.
 *
 * Correlation folds an event into an incident still open in the same or an adjacent zone of the
 * site (policy correlation.windowMinutes after its last event), so an alert there would open
 * nothing new. The cadence therefore only breaks into a zone clear of its own recent alerts (and of
 * the scenarios the caller reports through `occupy`), choosing the one that leaves most of the
 * chain free, then the site that waited longest, restricted zones three times as likely. When no
 * zone of the chain is clear, the alert waits for the first to clear (`waitedMs`): the chain's
 * zones bound the pace (docs/demo.md has the figures). Pure: the same (config, seed, start) and the
 * same `occupy` calls give the same alerts.
 */
export class AlertCadence {
  private readonly rng: Rng;
  private readonly slots: AlertSlot[];
  private readonly windowMs: number;
  /** Site + zone -> last event of the cadence's alert there (ms). */
  private readonly lastAt = new Map<string, number>();
  /** Site -> when the cadence last alerted it (ms). */
  private readonly siteLast = new Map<string, number>();
  private nextAt: number;
  private count = 0;

  constructor(
    config: Config,
    private readonly seed: number,
    start: Date,
  ) {
    const startMs = start.getTime();
    if (!Number.isFinite(startMs)) throw new RangeError('AlertCadence: invalid start');
    this.rng = new Rng(hashSeed(seed, 'cadence', startMs));
    this.windowMs = config.policy.correlation.windowMinutes * MINUTE;
    this.slots = [];
    for (const site of config.sites) {
      const ctx = new SiteCtx(site, config.organization.currency);
      const adjacency = new Map<string, Set<string>>(site.zones.map((z) => [z.id, new Set(z.adjacent)]));
      for (const z of site.zones) for (const a of z.adjacent) adjacency.get(a)?.add(z.id);
      for (const zone of site.zones) {
        const door = site.devices.find((d) => d.zone === zone.id && d.kind === 'card_reader') ?? site.devices.find((d) => d.zone === zone.id && d.kind === 'door_contact');
        const sensor = site.devices.find((d) => d.zone === zone.id && d.kind === 'motion_sensor') ?? site.devices.find((d) => d.kind === 'alarm_panel');
        const assets = (ctx.assetsByZone.get(zone.id) ?? []).slice(0, 2).map((a) => a.id);
        // Worth breaking into: restricted, or holding assets; reachable by a door or an alarm sensor.
        if (!(zone.restricted || assets.length > 0) || !(door || sensor)) continue;
        this.slots.push({ ctx, zone, adjacent: adjacency.get(zone.id) ?? new Set(), door, sensor, assets });
      }
    }
    this.nextAt = startMs + this.gap();
  }

  private gap(): number {
    return this.rng.int(ALERT_GAP_SECONDS[0], ALERT_GAP_SECONDS[1]) * SECOND;
  }

  /** Marks a zone as alerted until `lastEventMs` (the opening burst's forced door, say). */
  occupy(site: string, zone: string, lastEventMs: number): void {
    this.lastAt.set(`${site}\u0000${zone}`, lastEventMs);
    this.siteLast.set(site, Math.max(this.siteLast.get(site) ?? -Infinity, lastEventMs));
  }

  /** When the next alert starts (ms). */
  get next(): number {
    return this.nextAt;
  }

  /** Whether two slots of a site would fold into one incident (the same zone, or adjacent zones). */
  private near(a: AlertSlot, site: string, zone: string): boolean {
    return a.ctx.site.id === site && (a.zone.id === zone || a.adjacent.has(zone));
  }

  /** When an alert at this slot would open an incident of its own: no recent alert in the zone or next to it (ms). */
  private clearFrom(slot: AlertSlot): number {
    let from = -Infinity;
    for (const [key, last] of this.lastAt) {
      const [site, zone] = key.split('\u0000');
      if (this.near(slot, site, zone)) from = Math.max(from, last + this.windowMs + MINUTE);
    }
    return from;
  }

  /**
   * The alerts that start before `untilMs`, in order. An alert whose time comes while every zone of
   * the chain still has an incident of the cadence open waits for the first zone to clear (its
   * `waitedMs` says how long) rather than fold into an incident already alerted.
   */
  takeUntil(untilMs: number): PlannedAlert[] {
    const out: PlannedAlert[] = [];
    while (this.nextAt < untilMs && this.slots.length > 0) {
      const due = this.nextAt;
      const clearAt = Math.min(...this.slots.map((sl) => this.clearFrom(sl)));
      const at = Math.max(due, clearAt);
      if (at >= untilMs) break; // still waiting: asked again at the next step
      out.push({ ...this.plan(at), waitedMs: at - due });
      this.nextAt = at + this.gap();
    }
    return out;
  }

  private plan(at: number): Omit<PlannedAlert, 'waitedMs'> {
    const free = this.slots.filter((sl) => this.clearFrom(sl) <= at);
    // Packing: the zone that leaves most of the chain free (blocks the fewest other free zones),
    // then the site that waited longest, then restricted zones three times as likely.
    const blocks = (sl: AlertSlot) => free.filter((o) => o !== sl && this.near(o, sl.ctx.site.id, sl.zone.id)).length;
    const fewest = Math.min(...free.map(blocks));
    const packed = free.filter((sl) => blocks(sl) === fewest);
    const siteWait = (sl: AlertSlot) => this.siteLast.get(sl.ctx.site.id) ?? -Infinity;
    const longest = Math.min(...packed.map(siteWait));
    const slot = this.rng.weighted(
      packed.filter((sl) => siteWait(sl) === longest),
      (sl) => (sl.zone.restricted ? 3 : 1),
    );
    const { ctx, zone, door, sensor, assets } = slot;
    const site = ctx.site.id;
    const timed: Timed[] = [];
    const kind: PlannedAlert['kind'] = door && this.rng.chance(0.7) ? 'forced_door' : 'intrusion_alarm';
    let t = at;
    if (kind === 'forced_door' && door) {
      timed.push(mk(t, 'access_control', 'door_forced', site, { zone: zone.id, device: door.id, assets }, { doorState: 'forced_open' }));
      t += this.rng.int(4, 15) * SECOND;
    }
    if (sensor) timed.push(mk(t, 'alarm', 'intrusion', site, { zone: zone.id, device: sensor.id, assets }, { partition: 'interior', armed: true }));
    const camAt = t + this.rng.int(8, 30) * SECOND;
    const cams = ctx.camerasByZone.get(zone.id) ?? [];
    if (cams.length > 0) {
      const cam = this.rng.pick(cams);
      timed.push(mk(camAt, 'cctv', 'person_detected', site, { zone: zone.id, device: cam.id, assets }, { label: 'person', confidence: round2(this.rng.float(0.8, 0.98)) }));
    }
    const k = this.count++;
    const events = tag(timed, kind).map((x, i) => {
      x.ev.sourceEventId = `sim-alert-${this.seed >>> 0}-${at}-${k}-${i}`;
      return x.ev;
    });
    const lastMs = Math.max(...timed.map((x) => x.ms));
    this.occupy(site, zone.id, lastMs);
    this.siteLast.set(site, at);
    return { at, site, zone: zone.id, kind, events };
  }
}

// ---------------------------------------------------------------------------------------------
// Site model for the simulator (indexes built once per run)

/** A generated event and its instant in ms (sorting by number is cheaper than by text). */
export interface Timed {
  ms: number;
  ev: SecurityEvent;
}

/** A door into a zone that a forced-door scenario can break. */
export interface DoorTarget {
  zone: ZoneConfig;
  /** The card reader (or door contact) on the door into the zone. */
  door: DeviceConfig;
}

/** A card reader, the zone it opens and who may open it. */
export interface ReaderTarget {
  reader: DeviceConfig;
  zone: ZoneConfig;
  /** Active personnel whose clearances open this door. */
  eligible: PersonConfig[];
}

/** A camera that is down from `from` to `to` (ms): it sends nothing meanwhile. */
export interface Outage {
  camera: string;
  from: number;
  to: number;
}

/** The incident scenarios a day plan picks from (a camera outage is planned separately). */
export type ScenarioKind =
  | 'forced_door'
  | 'eas_gate_alarm'
  | 'pos_void_spree'
  | 'glass_break'
  | 'tailgating'
  | 'access_denied_burst'
  | 'shrink_discrepancy';

/** Relative frequency of each scenario among those a site can have. */
export const SCENARIO_WEIGHTS: Record<ScenarioKind, number> = {
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
export class SiteCtx {
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
// Event construction

/** A SecurityEvent with the simulator's fixed key order (sourceEventId is stamped by the caller). */
export function mk(
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
export function minorOfHundredths(hundredths: number, currency: string): bigint {
  return toMinor(scaledToDecimal(BigInt(Math.max(0, Math.round(hundredths))), 2), currency);
}

/** An event amount: minor units as the currency's decimal string ("1234.50" USD, "1235" JPY); no floating point touches money. */
export function money(minor: bigint, currency: string): { value: string; currency: string } {
  return { value: fromMinor(minor, currency), currency };
}

/** Rounds a score or confidence to two decimals (not money). */
export function round2(x: number): number {
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
export function forcedDoor(
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
export function glassBreak(ctx: SiteCtx, rng: Rng, at: number, online: (cam: string, ms: number) => boolean): Timed[] {
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
export function easGateAlarm(ctx: SiteCtx, rng: Rng, at: number, online: (cam: string, ms: number) => boolean): Timed[] {
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
export function posVoidSpree(
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
export function cameraOutage(ctx: SiteCtx, rng: Rng, at: number, latestBack: number): { events: Timed[]; outage: Outage } {
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
export function tailgating(ctx: SiteCtx, rng: Rng, at: number, r: ReaderTarget, p: PersonConfig, online: (cam: string, ms: number) => boolean): Timed[] {
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
export function accessDeniedBurst(ctx: SiteCtx, rng: Rng, at: number): Timed[] {
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
export function shrinkDiscrepancy(ctx: SiteCtx, rng: Rng, at: number): Timed[] {
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
