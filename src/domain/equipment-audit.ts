/**
 * Step 13, the surveillance-equipment audit. Pure: device states, device events and the site plan
 * in; device health, coverage per zone, blind spots and an incident's covering devices out.
 *
 * - Health (`deviceStatus`): a device that never reported is `unknown` and counts as working (no
 *   evidence of a failure; the audit lists it); one whose state says offline, or that has been
 *   silent for policy.equipmentAudit.offlineAfterMinutes, is `offline`; a camera not recording is
 *   `not_recording`; silent for staleAfterMinutes is `stale` (still working, a warning). A camera
 *   with a camera_tamper event in the last tamperLookbackHours is `tampered` and does not count as
 *   working until that time has passed: an obstructed lens still sends heartbeats.
 * - Coverage (`zoneCoverage`): per zone with a polygon, the share of its area that the working
 *   cameras' field-of-view sectors see together (the union), beside the share all configured
 *   cameras would see.
 * - Blind spots (`blindSpots`): high-risk assets that no working camera sees: by position inside a
 *   sector, or for an asset without a position, a sector touching its zone's polygon (a camera
 *   without geometry sees the zones it is in or covers).
 * - An incident (`incidentEquipment`): every device in or covering its zones, and every camera that
 *   sees a touched asset, with whether it was online and recording throughout the incident window.
 */
import type { DeviceConfig, Policy } from '../config/schema.js';
import { sectorContains, sectorOf, sectorTouchesPolygon, unionCoverageShare, type Sector } from './coverage.js';
import type { SiteModel } from './site-model.js';

type EquipmentPolicy = Policy['equipmentAudit'];
const MINUTE = 60_000;

/** A device_state row as the audit reads it (times in epoch ms). */
export interface DeviceStateRow {
  id: string;
  online: boolean;
  recording: boolean;
  lastSeenAt: number | null;
}

export type DeviceHealth = 'online' | 'stale' | 'offline' | 'not_recording' | 'tampered' | 'unknown';

/** One device's current health. */
export interface DeviceStatus {
  id: string;
  site: string;
  kind: DeviceConfig['kind'];
  zone: string;
  status: DeviceHealth;
  online: boolean | null;
  recording: boolean | null;
  lastSeenAt: string | null;
  silentMinutes: number | null;
  /** Offline by silence (no heartbeat for offlineAfterMinutes) rather than by an offline event. */
  silent: boolean;
  tamperedAt: string | null;
  /** Counts for coverage: not offline, not tampered and (cameras) recording. */
  working: boolean;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** A device's health now. `tamperedAt`: its latest camera_tamper event within the lookback. */
export function deviceStatus(device: DeviceConfig, site: string, state: DeviceStateRow | undefined, now: number, p: EquipmentPolicy, tamperedAt?: number | null): DeviceStatus {
  const base = { id: device.id, site, kind: device.kind, zone: device.zone, tamperedAt: iso(tamperedAt) };
  const tampered = tamperedAt !== undefined && tamperedAt !== null && now - tamperedAt <= p.tamperLookbackHours * 60 * MINUTE;
  if (!state) return { ...base, status: tampered ? 'tampered' : 'unknown', online: null, recording: null, lastSeenAt: null, silentMinutes: null, silent: false, working: !tampered };
  const silentMinutes = state.lastSeenAt === null ? null : Math.max(0, Math.floor((now - state.lastSeenAt) / MINUTE));
  const silent = state.online && silentMinutes !== null && silentMinutes >= p.offlineAfterMinutes;
  const online = state.online && !silent;
  const recording = device.kind === 'camera' ? state.recording : true;
  const status: DeviceHealth = !online ? 'offline' : tampered ? 'tampered' : !recording ? 'not_recording' : silentMinutes !== null && silentMinutes >= p.staleAfterMinutes ? 'stale' : 'online';
  return { ...base, status, online, recording: device.kind === 'camera' ? state.recording : null, lastSeenAt: iso(state.lastSeenAt), silentMinutes, silent, working: online && recording && !tampered };
}

/** Coverage of one zone. */
export interface ZoneCoverage {
  zone: string;
  name: string;
  /** Share of the zone's area the working cameras see, 0-1 (3 decimals). */
  share: number;
  /** Share all configured cameras would see. */
  designShare: number;
  /** Cameras whose sector touches the zone, and those of them not working. */
  cameras: string[];
  camerasDown: string[];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The site's cameras with a field of view. */
function sectors(site: SiteModel): { id: string; sector: Sector }[] {
  return site.site.devices.flatMap((d) => {
    const s = d.kind === 'camera' ? sectorOf(d) : undefined;
    return s ? [{ id: d.id, sector: s }] : [];
  });
}

/**
 * Coverage per zone of each site plan, memoised by the set of cameras down: the geometry depends
 * only on the (immutable) site model and which of its cameras work, and it is the costly part of an
 * audit (a grid of samples per zone), so a chain's daily audit computes each site once per outage.
 */
const coverageMemo = new WeakMap<SiteModel, Map<string, ZoneCoverage[]>>();

/** Coverage per zone with a polygon, from the sectors of the cameras `working` says are up. */
export function zoneCoverage(site: SiteModel, working: (deviceId: string) => boolean): ZoneCoverage[] {
  const cams = sectors(site);
  const key = cams.filter((c) => !working(c.id)).map((c) => c.id).join('\n');
  let memo = coverageMemo.get(site);
  if (!memo) coverageMemo.set(site, (memo = new Map()));
  const copies = (zs: ZoneCoverage[]) => zs.map((z) => ({ ...z, cameras: [...z.cameras], camerasDown: [...z.camerasDown] }));
  const known = memo.get(key);
  if (known) return copies(known);
  const out: ZoneCoverage[] = [];
  for (const z of site.site.zones) {
    if (!z.polygon) continue;
    const touching = cams.filter((c) => sectorTouchesPolygon(c.sector, z.polygon!));
    const up = touching.filter((c) => working(c.id));
    const designShare = round3(unionCoverageShare(touching.map((c) => c.sector), z.polygon));
    out.push({
      zone: z.id,
      name: z.name,
      // With every touching camera up the working cameras see what the design does.
      share: up.length === touching.length ? designShare : round3(unionCoverageShare(up.map((c) => c.sector), z.polygon)),
      designShare,
      cameras: touching.map((c) => c.id),
      camerasDown: touching.filter((c) => !working(c.id)).map((c) => c.id),
    });
  }
  // A site has few outage combinations at a time; keep the newest few.
  if (memo.size >= 16) memo.delete(memo.keys().next().value!);
  memo.set(key, out);
  return copies(out);
}

/** The cameras that see an asset: by position in a sector; without a position, those seeing its zone. */
export function camerasSeeing(site: SiteModel, asset: { zone: string; position?: readonly [number, number] | undefined }): string[] {
  const poly = site.zones.get(asset.zone)?.polygon;
  const out: string[] = [];
  for (const d of site.site.devices) {
    if (d.kind !== 'camera') continue;
    const s = sectorOf(d);
    if (s) {
      if (asset.position ? sectorContains(s, asset.position) : poly ? sectorTouchesPolygon(s, poly) : d.zone === asset.zone || d.covers.includes(asset.zone)) out.push(d.id);
    } else if (!asset.position && (d.zone === asset.zone || d.covers.includes(asset.zone))) out.push(d.id);
  }
  return out;
}

/** A high-risk asset no working camera sees. */
export interface BlindSpot {
  asset: string;
  name: string;
  zone: string;
  position: [number, number] | null;
  highRiskReasons: string[];
  /** no_camera: no configured camera sees it; cameras_down: the ones that do are not working. */
  reason: 'no_camera' | 'cameras_down';
  cameras: string[];
}

/** The blind spots among the given high-risk assets. */
export function blindSpots(
  site: SiteModel,
  assets: readonly { id: string; name: string; zone: string; position?: readonly [number, number] | undefined; reasons: string[] }[],
  working: (deviceId: string) => boolean,
): BlindSpot[] {
  const out: BlindSpot[] = [];
  for (const a of assets) {
    const cams = camerasSeeing(site, a);
    if (cams.some(working)) continue;
    out.push({ asset: a.id, name: a.name, zone: a.zone, position: a.position ? [a.position[0], a.position[1]] : null, highRiskReasons: a.reasons, reason: cams.length === 0 ? 'no_camera' : 'cameras_down', cameras: cams });
  }
  return out;
}

/** What is known of a device at the start of a window (latest device events before it). */
export interface InitialState {
  online: boolean | null;
  recording: boolean | null;
  lastSeenAt: number | null;
}

/** A device event in a window (device.* and cctv.camera_tamper). */
export interface DeviceEventLite {
  seq: number;
  source: string;
  type: string;
  at: number;
}

/** A device's state over a window. */
export interface WindowState {
  /** covering_ok | offline | not_recording | tampered | unknown (nothing known of it). */
  finding: 'covering_ok' | 'offline' | 'not_recording' | 'tampered' | 'unknown';
  onlineThroughout: boolean | null;
  recordingThroughout: boolean | null;
  offline: [string, string][];
  notRecording: [string, string][];
  tampered: string[];
  heartbeats: number;
  evidence: number[];
}

/**
 * A device's state through [from, to]: the state at `from` (the latest events before it), then its
 * events in the window; silence longer than offlineAfterMinutes counts as offline from the moment
 * it passed that limit until the device was heard again.
 */
export function windowState(kind: DeviceConfig['kind'], initial: InitialState, events: readonly DeviceEventLite[], from: number, to: number, p: EquipmentPolicy): WindowState {
  const sorted = [...events].filter((e) => e.at >= from && e.at <= to).sort((a, b) => a.at - b.at || a.seq - b.seq);
  const limit = p.offlineAfterMinutes * MINUTE;
  const offline: [number, number][] = [];
  const notRec: [number, number][] = [];
  const tampered: number[] = [];
  let online = initial.online;
  let recording = kind === 'camera' ? initial.recording : true;
  let lastSeen = initial.lastSeenAt;
  let offSince: number | null = online === false ? from : null;
  let recOffSince: number | null = recording === false ? from : null;
  let heartbeats = 0;
  const evidence: number[] = [];
  const silenceUntil = (t: number) => {
    // Heard at t after being online and silent too long: offline from lastSeen + limit.
    if (online && lastSeen !== null && t - lastSeen > limit) offline.push([Math.max(from, lastSeen + limit), t]);
  };
  for (const e of sorted) {
    if (e.source === 'cctv' && e.type === 'camera_tamper') {
      tampered.push(e.at);
      evidence.push(e.seq);
      continue;
    }
    if (e.source !== 'device') continue;
    silenceUntil(e.at);
    lastSeen = e.at;
    if (e.type === 'heartbeat') heartbeats++;
    if (e.type === 'offline') {
      if (online !== false) offSince = e.at;
      online = false;
      evidence.push(e.seq);
    } else if (e.type === 'online' || e.type === 'heartbeat') {
      if (online === false && offSince !== null) offline.push([offSince, e.at]);
      if (online === false) evidence.push(e.seq);
      online = true;
      offSince = null;
    } else if (e.type === 'recording_off' && kind === 'camera') {
      if (recording !== false) recOffSince = e.at;
      recording = false;
      evidence.push(e.seq);
    } else if (e.type === 'recording_on' && kind === 'camera') {
      if (recording === false && recOffSince !== null) notRec.push([recOffSince, e.at]);
      if (recording === false) evidence.push(e.seq);
      recording = true;
      recOffSince = null;
    }
  }
  if (online === false && offSince !== null) offline.push([offSince, to]);
  else silenceUntil(to);
  if (recording === false && recOffSince !== null) notRec.push([recOffSince, to]);
  const known = initial.online !== null || initial.lastSeenAt !== null || sorted.some((e) => e.source === 'device');
  const span = (l: [number, number][]) => l.map(([a, b]) => [new Date(a).toISOString(), new Date(b).toISOString()] as [string, string]);
  const finding: WindowState['finding'] = tampered.length > 0 ? 'tampered' : offline.length > 0 ? 'offline' : notRec.length > 0 ? 'not_recording' : known ? 'covering_ok' : 'unknown';
  return {
    finding,
    onlineThroughout: known ? offline.length === 0 : null,
    recordingThroughout: kind !== 'camera' ? null : known ? notRec.length === 0 : null,
    offline: span(offline),
    notRecording: span(notRec),
    tampered: tampered.map((t) => new Date(t).toISOString()),
    heartbeats,
    evidence,
  };
}

/** A device that covers an incident: what it covers of it. */
export interface CoveringDevice {
  id: string;
  kind: DeviceConfig['kind'];
  zone: string;
  zones: string[];
  assets: string[];
}

/** The devices in or covering the incident's zones, and the cameras that see its touched assets. */
export function coveringDevices(site: SiteModel, zones: readonly string[], assets: readonly { id: string; zone: string; position?: readonly [number, number] | undefined }[]): CoveringDevice[] {
  const by = new Map<string, CoveringDevice>();
  const get = (d: DeviceConfig) => {
    let c = by.get(d.id);
    if (!c) by.set(d.id, (c = { id: d.id, kind: d.kind, zone: d.zone, zones: [], assets: [] }));
    return c;
  };
  for (const z of zones) {
    const poly = site.zones.get(z)?.polygon;
    for (const d of site.site.devices) {
      const s = d.kind === 'camera' ? sectorOf(d) : undefined;
      const inZone = d.zone === z || d.covers.includes(z);
      if (inZone || (s && poly && sectorTouchesPolygon(s, poly))) get(d).zones.push(z);
    }
  }
  for (const a of assets) for (const id of camerasSeeing(site, a)) get(site.site.devices.find((d) => d.id === id)!).assets.push(a.id);
  return [...by.values()].sort((a, b) => (a.kind === b.kind ? a.id.localeCompare(b.id) : a.kind === 'camera' ? -1 : b.kind === 'camera' ? 1 : a.kind.localeCompare(b.kind)));
}
