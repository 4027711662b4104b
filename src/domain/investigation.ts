/**
 * Step 9's rules, pure: whether policy wants an investigation task for an incident, when it is
 * due (the band's SLA in the site's time zone), who gets it (the site's investigators in turn),
 * and its evidence checklist (clip windows of the cameras that see the incident's zones or touched
 * assets, the badge events around it, the POS transactions behind it).
 */
import type { Policy } from '../config/schema.js';
import { sectorContains, sectorOf, sectorTouchesPolygon, type Pt } from './coverage.js';
import { fromMinor, toMinor } from './money.js';
import type { SiteModel } from './site-model.js';
import { BANDS, type Band } from './types.js';
import { wallClockToInstant, zoneOffsetMs } from './local-time.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// Whether a task is wanted

/** Policy's answer: a task, with why; or none, with why not. */
export type TaskDecision = { want: true; reason: string } | { want: false; reason: string };

/** A task from `minBand` up, and for the listed incident types at any band. */
export function wantsInvestigation(p: Policy['investigation'], inc: { band: string; type: string }): TaskDecision {
  const rank = (b: string) => BANDS.indexOf(b as Band);
  if (rank(inc.band) >= rank(p.minBand)) return { want: true, reason: `band ${inc.band} is at or above ${p.minBand}` };
  if ((p.types as readonly string[]).includes(inc.type)) return { want: true, reason: `every ${inc.type} incident is investigated` };
  return { want: false, reason: `band ${inc.band} is below the investigation threshold (${p.minBand}) and ${inc.type} is not investigated at every band (${p.types.join(', ') || 'no type'})` };
}

// ---------------------------------------------------------------------------------------------
// Due date

/**
 * When a task is due: `hours` after `start`, counted in the site's time zone. Whole days are
 * counted on the local calendar at the same wall-clock time (a 72-hour SLA from Friday 10:00 is
 * Monday 10:00 local, whether or not the clocks changed in between, so the elapsed time is 71, 72
 * or 73 hours); the hours left over are elapsed time (8 hours from 00:30 on the night the clocks
 * go forward is 09:30 local). A wall-clock time the clocks skip is moved forward by the gap; one
 * that happens twice is the earlier (local-time.ts, wallClockToInstant).
 */
export function dueAt(start: Date, hours: number, timeZone: string): Date {
  if (!(hours > 0)) return new Date(start.getTime());
  const days = Math.floor(hours / 24);
  const restMs = Math.round((hours - days * 24) * HOUR);
  let base = start;
  if (days > 0) {
    const local = new Date(start.getTime() + zoneOffsetMs(start, timeZone));
    // The same local wall-clock time `days` calendar days later (Date.UTC rolls the month over).
    const later = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + days));
    const wall = {
      year: later.getUTCFullYear(),
      month: later.getUTCMonth() + 1,
      day: later.getUTCDate(),
      hour: local.getUTCHours(),
      minute: local.getUTCMinutes(),
      second: local.getUTCSeconds(),
      ms: start.getTime() - Math.floor(start.getTime() / 1000) * 1000,
    };
    base = wallClockToInstant(wall, timeZone) ?? new Date(start.getTime() + days * DAY);
  }
  return new Date(base.getTime() + restMs);
}

/** The SLA hours of a band. */
export function slaHours(p: Policy['sla'], band: string): number {
  return p.investigationDueHours[(BANDS as readonly string[]).includes(band) ? (band as Band) : 'low'];
}

// ---------------------------------------------------------------------------------------------
// Assignment in turn

/**
 * The investigator whose turn it is: the candidates sorted by id, the `turn`-th of them (mod their
 * number). The store keeps one counter per site (task_rotation), so the n-th automatic assignment
 * at a site goes to the next investigator whatever happened in between. Undefined when there is nobody.
 */
export function investigatorInTurn(candidates: readonly string[], turn: number): string | undefined {
  const ids = [...new Set(candidates)].sort();
  if (ids.length === 0) return undefined;
  const n = ids.length;
  return ids[((Math.trunc(turn) % n) + n) % n];
}

// ---------------------------------------------------------------------------------------------
// The evidence checklist

/** A camera clip to pull: which camera, from when to when, and why it is on the list. */
export interface ClipItem {
  id: string;
  kind: 'clip';
  camera: string;
  from: string;
  to: string;
  /** Zones of the incident the camera's field of view reaches. */
  zones: string[];
  /** Touched assets whose position the camera sees. */
  assets: string[];
  /** geometry: field of view against the zone polygon / asset position; declared: the camera's configured zone/covers (no geometry to compute with); event: the camera recorded one of the incident's events. */
  basis: 'geometry' | 'declared' | 'event';
  /** The NVR's own footage of the incident's events from this camera (Frigate's snapshot and clip), when the source links it. */
  footage?: FootageRef[];
  done: boolean;
}

/** Footage an NVR holds for one event (links from the event's details). */
export interface FootageRef {
  eventId: string;
  at: string;
  /** The NVR's id of the event (Frigate's event id). */
  nvrEventId: string;
  clip: string | null;
  snapshot: string | null;
}

/** An incident event that links footage: the camera and the event's `details.footage`. */
export interface FootageEventInput {
  eventId: string;
  at: string;
  device: string | null;
  footage: unknown;
}

/**
 * Puts the footage the incident's events link (details.footage: { frigateId, clip, snapshot }) on
 * the clip item of the camera that recorded it; a camera without a clip item gets one for the
 * window (basis `event`). Links that are not http(s) URLs are left out. Pure.
 */
export function withFootage(items: readonly ChecklistItem[], events: readonly FootageEventInput[], window: { from: string; to: string }): ChecklistItem[] {
  const out = items.map((i) => (i.kind === 'clip' ? { ...i } : i));
  for (const e of events) {
    if (!e.device || typeof e.footage !== 'object' || e.footage === null) continue;
    const f = e.footage as Record<string, unknown>;
    const link = (v: unknown) => (typeof v === 'string' && /^https?:\/\//.test(v) ? v : null);
    const clip = link(f.clip);
    const snapshot = link(f.snapshot);
    const nvrEventId = typeof f.frigateId === 'string' ? f.frigateId : typeof f.id === 'string' ? f.id : null;
    if (!nvrEventId || (!clip && !snapshot)) continue;
    let item = out.find((i): i is ClipItem => i.kind === 'clip' && i.camera === e.device);
    if (!item) {
      item = { id: `clip:${e.device}`, kind: 'clip', camera: e.device, from: window.from, to: window.to, zones: [], assets: [], basis: 'event', done: false };
      out.push(item);
    }
    const list = (item.footage = [...(item.footage ?? [])]);
    if (!list.some((r) => r.nvrEventId === nvrEventId)) list.push({ eventId: e.eventId, at: e.at, nvrEventId, clip, snapshot });
  }
  return out;
}

/** One badge event around the incident. */
export interface BadgeEventRef {
  eventId: string;
  seq: number;
  at: string;
  type: string;
  zone: string | null;
  badge: string;
  /** The badge holder from the site's personnel, when known. */
  person: string | null;
  name: string | null;
  device: string | null;
}

/** The badge events at the site, in the incident's zones and their neighbours, around its events. */
export interface BadgeEventsItem {
  id: 'badge_events';
  kind: 'badge_events';
  from: string;
  to: string;
  zones: string[];
  /** How many there were; `events` holds at most the policy's maxBadgeEvents of them (oldest first). */
  count: number;
  events: BadgeEventRef[];
  /** The window had closed when the events were gathered: the list is final (else it is gathered again once it closes). */
  complete: boolean;
  done: boolean;
}

/** One POS transaction behind the incident: its events (lines) and their amount. */
export interface PosTransactionRef {
  transaction: string;
  workstation: string | null;
  operator: string | null;
  types: string[];
  eventIds: string[];
  at: string;
  amount: string | null;
  currency: string | null;
}

/** The POS transactions of a POS incident. */
export interface PosTransactionsItem {
  id: 'pos_transactions';
  kind: 'pos_transactions';
  transactions: PosTransactionRef[];
  /** Sum of the amounts per currency (exact decimals). */
  totals: { currency: string; amount: string }[];
  done: boolean;
}

/** An item a person added by hand. */
export interface NoteItem {
  id: string;
  kind: 'item';
  text: string;
  done: boolean;
}

export type ChecklistItem = ClipItem | BadgeEventsItem | PosTransactionsItem | NoteItem;

/** What the checklist is built from. */
export interface EvidenceInput {
  site: SiteModel;
  zones: readonly string[];
  /** Ids of the assets the incident touched (the positions come from `assetPositions`). */
  assets: readonly string[];
  assetPositions: ReadonlyMap<string, Pt | undefined>;
  firstEventAt: Date;
  lastEventAt: Date;
  clipPaddingMinutes: number;
}

/**
 * The cameras of the site whose field of view covers one of the zones (the sector reaches into the
 * zone's polygon) or one of the touched assets (the asset's position is inside the sector), each as
 * a clip window from the first event minus the padding to the last event plus it. A camera without
 * a position and field of view, or a zone without a polygon, falls back to the camera's declared
 * zone and `covers` (basis `declared`). Sorted by camera id.
 */
export function clipItems(e: EvidenceInput): ClipItem[] {
  const pad = e.clipPaddingMinutes * 60_000;
  const from = new Date(e.firstEventAt.getTime() - pad).toISOString();
  const to = new Date(e.lastEventAt.getTime() + pad).toISOString();
  const out: ClipItem[] = [];
  const cameras = e.site.site.devices.filter((d) => d.kind === 'camera').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const cam of cameras) {
    const sector = sectorOf(cam);
    const zones: string[] = [];
    let byGeometry = false;
    for (const z of e.zones) {
      const poly = e.site.zones.get(z)?.polygon;
      if (sector && poly) {
        if (sectorTouchesPolygon(sector, poly)) {
          zones.push(z);
          byGeometry = true;
        }
      } else if (cam.zone === z || cam.covers.includes(z)) zones.push(z);
    }
    const assets = sector
      ? e.assets.filter((a) => {
          const p = e.assetPositions.get(a);
          return p !== undefined && sectorContains(sector, p);
        })
      : [];
    if (zones.length === 0 && assets.length === 0) continue;
    out.push({ id: `clip:${cam.id}`, kind: 'clip', camera: cam.id, from, to, zones, assets, basis: byGeometry || assets.length > 0 ? 'geometry' : 'declared', done: false });
  }
  return out;
}

/** The zones whose badge events matter: the incident's zones and every zone adjacent to one. */
export function badgeZones(site: SiteModel, zones: readonly string[]): string[] {
  const all = new Set<string>(zones);
  for (const z of zones) for (const a of site.adjacency.get(z) ?? []) all.add(a);
  return [...all].sort();
}

/** The badge-event window: the incident's first event minus, last event plus, the minutes. */
export function badgeWindow(first: Date, last: Date, minutes: number): { from: Date; to: Date } {
  return { from: new Date(first.getTime() - minutes * 60_000), to: new Date(last.getTime() + minutes * 60_000) };
}

/** A POS event as the checklist reads it. */
export interface PosEventInput {
  eventId: string;
  at: string;
  type: string;
  device: string | null;
  sourceEventId: string | null;
  amount: string | null;
  currency: string | null;
  details: Record<string, unknown>;
}

/**
 * The POS transactions behind the events: grouped by workstation and transaction id (details
 * `transaction`, else POSLog's `sequence`, else the event's source id), with their line types,
 * events and the exact sum of their amounts. Oldest first. Undefined when there is no POS event.
 */
export function posTransactionsItem(events: readonly PosEventInput[]): PosTransactionsItem | undefined {
  if (events.length === 0) return undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
  const groups = new Map<string, { ref: PosTransactionRef; minor: bigint | null }>();
  const totals = new Map<string, bigint>();
  for (const ev of events) {
    const workstation = str(ev.details.workstation) ?? ev.device;
    const transaction = str(ev.details.transaction) ?? str(ev.details.sequence) ?? ev.sourceEventId ?? ev.eventId;
    const key = `${workstation ?? ''}\u0000${transaction}`;
    let g = groups.get(key);
    if (!g) {
      g = { ref: { transaction, workstation, operator: str(ev.details.operator), types: [], eventIds: [], at: ev.at, amount: null, currency: ev.currency }, minor: null };
      groups.set(key, g);
    }
    if (!g.ref.types.includes(ev.type)) g.ref.types.push(ev.type);
    g.ref.eventIds.push(ev.eventId);
    if (ev.at < g.ref.at) g.ref.at = ev.at;
    if (ev.amount !== null && ev.currency) {
      const minor = toMinor(ev.amount, ev.currency);
      if (g.ref.currency === null || g.ref.currency === ev.currency) {
        g.ref.currency = ev.currency;
        g.minor = (g.minor ?? 0n) + minor;
        g.ref.amount = fromMinor(g.minor, ev.currency);
      }
      totals.set(ev.currency, (totals.get(ev.currency) ?? 0n) + minor);
    }
  }
  const transactions = [...groups.values()].map((g) => g.ref).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.transaction < b.transaction ? -1 : 1));
  return {
    id: 'pos_transactions',
    kind: 'pos_transactions',
    transactions,
    totals: [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, minor]) => ({ currency, amount: fromMinor(minor, currency) })),
    done: false,
  };
}

/** True when two checklists say the same (key order aside: the store's jsonb reorders keys). */
export function sameChecklist(a: readonly ChecklistItem[], b: readonly ChecklistItem[]): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Merges a freshly gathered checklist into the stored one (the incident grew): every fresh item
 * takes its place with the stored item's done flag; stored items the fresh list no longer has
 * (hand-added items, a camera that no longer qualifies) are kept as they were.
 */
export function mergeChecklist(stored: readonly ChecklistItem[], fresh: readonly ChecklistItem[]): ChecklistItem[] {
  const old = new Map(stored.map((i) => [i.id, i]));
  const out: ChecklistItem[] = fresh.map((i) => ({ ...i, done: old.get(i.id)?.done ?? i.done }) as ChecklistItem);
  const ids = new Set(fresh.map((i) => i.id));
  for (const i of stored) if (!ids.has(i.id)) out.push(i);
  return out;
}
