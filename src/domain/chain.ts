/**
 * An indexed, read-only view of the configured chain (sites, zones, assets, devices, people) so
 * the rules can look things up in O(1). Built once from the configuration; pure data.
 */
import type { AssetConfig, Config, DeviceConfig, PersonConfig, SiteConfig, ZoneConfig } from '../config/schema.js';

export interface SiteModel {
  site: SiteConfig;
  zones: Map<string, ZoneConfig>;
  /** Zone id -> ids of adjacent zones (made symmetric). */
  adjacency: Map<string, Set<string>>;
  assetsByZone: Map<string, AssetConfig[]>;
  /** Zone id -> devices that sit in or cover the zone. */
  devicesByZone: Map<string, DeviceConfig[]>;
  /** Zone centroid on the site plan (metres), when the zone has a polygon. */
  centroids: Map<string, [number, number]>;
}

export interface Chain {
  config: Config;
  sites: Map<string, SiteModel>;
  assets: Map<string, AssetConfig & { site: string }>;
  devices: Map<string, DeviceConfig & { site: string }>;
  badges: Map<string, PersonConfig & { site: string }>;
}

/** Builds the indexed chain from a validated configuration. */
export function buildChain(config: Config): Chain {
  const chain: Chain = { config, sites: new Map(), assets: new Map(), devices: new Map(), badges: new Map() };
  for (const site of config.sites) {
    const model: SiteModel = {
      site,
      zones: new Map(site.zones.map((z) => [z.id, z])),
      adjacency: new Map(site.zones.map((z) => [z.id, new Set<string>()])),
      assetsByZone: new Map(),
      devicesByZone: new Map(),
      centroids: new Map(),
    };
    for (const z of site.zones) {
      for (const a of z.adjacent) {
        model.adjacency.get(z.id)?.add(a);
        model.adjacency.get(a)?.add(z.id);
      }
      if (z.polygon) model.centroids.set(z.id, centroid(z.polygon));
    }
    for (const a of site.assets) {
      push(model.assetsByZone, a.zone, a);
      chain.assets.set(a.id, { ...a, site: site.id });
    }
    for (const d of site.devices) {
      for (const z of new Set([d.zone, ...d.covers])) push(model.devicesByZone, z, d);
      chain.devices.set(d.id, { ...d, site: site.id });
    }
    for (const p of site.personnel) chain.badges.set(p.badge, { ...p, site: site.id });
    chain.sites.set(site.id, model);
  }
  return chain;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Area-weighted centroid of a simple polygon (falls back to the vertex mean when degenerate). */
export function centroid(poly: readonly (readonly [number, number])[]): [number, number] {
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x0, y0] = poly[i];
    const [x1, y1] = poly[(i + 1) % poly.length];
    const cross = x0 * y1 - x1 * y0;
    a += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  if (Math.abs(a) < 1e-9) {
    const n = poly.length;
    return [poly.reduce((s, p) => s + p[0], 0) / n, poly.reduce((s, p) => s + p[1], 0) / n];
  }
  return [cx / (3 * a), cy / (3 * a)];
}

/** Distance from a point to a polygon's boundary, or 0 when inside (metres). */
export function distanceToPolygon(p: readonly [number, number], poly: readonly (readonly [number, number])[]): number {
  if (pointInPolygon(p, poly)) return 0;
  let best = Infinity;
  for (let i = 0; i < poly.length; i++) best = Math.min(best, distanceToSegment(p, poly[i], poly[(i + 1) % poly.length]));
  return best;
}

/** Ray-casting point-in-polygon test. */
export function pointInPolygon(p: readonly [number, number], poly: readonly (readonly [number, number])[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function distanceToSegment(p: readonly [number, number], a: readonly [number, number], b: readonly [number, number]): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const partsCache = new Map<string, Intl.DateTimeFormat>();

/** Local wall-clock time of an instant in a time zone: weekday, minutes since midnight, "HH:MM". */
export function localTime(instant: Date, timeZone: string): LocalTime {
  // Intl formatting costs microseconds and ingest asks per event: remember the last minutes seen.
  // (Every zone offset in use is a whole number of minutes, so a UTC minute is one local minute.)
  const key = `${timeZone}|${Math.floor(instant.getTime() / 60_000)}`;
  const hit = minuteCache.get(key);
  if (hit) return hit;
  const value = computeLocalTime(instant, timeZone);
  if (minuteCache.size >= 4096) minuteCache.clear();
  minuteCache.set(key, value);
  return value;
}

/** Local wall-clock time: weekday, minutes since midnight, "HH:MM" and the local date. */
export interface LocalTime {
  day: (typeof WEEKDAYS)[number];
  minutes: number;
  hhmm: string;
  date: string;
}

const minuteCache = new Map<string, LocalTime>();

function computeLocalTime(instant: Date, timeZone: string): LocalTime {
  let fmt = partsCache.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    partsCache.set(timeZone, fmt);
  }
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(instant)) parts[p.type] = p.value;
  const h = Number(parts.hour) % 24;
  const m = Number(parts.minute);
  return {
    day: parts.weekday.slice(0, 3).toLowerCase() as (typeof WEEKDAYS)[number],
    minutes: h * 60 + m,
    hhmm: `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`,
    date: `${parts.year}-${parts.month}-${parts.day}`,
  };
}

/** Minutes since midnight of "HH:MM". */
export function hhmmToMinutes(s: string): number {
  const [h, m] = s.split(':').map(Number);
  return h * 60 + m;
}

/**
 * True when the instant is within the window [open, close) on an allowed day, in local time.
 * A window whose close is before its open runs past midnight (e.g. 22:00-06:00).
 */
export function withinHours(
  local: { day: string; minutes: number },
  hours: { open: string; close: string; days?: readonly string[] },
): boolean {
  if (hours.days && !hours.days.includes(local.day)) return false;
  const open = hhmmToMinutes(hours.open);
  const close = hhmmToMinutes(hours.close);
  if (open === close) return true;
  return open < close ? local.minutes >= open && local.minutes < close : local.minutes >= open || local.minutes < close;
}
