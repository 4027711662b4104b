/**
 * The site map (metres, x east, y north), drawn in CSS pixels so its text stays at the body size
 * at every width and every zoom: zones coloured by their current risk (restricted ones hatched,
 * the incident's outlined in its band colour), cameras with their field of view (a toggle), the
 * other devices (the ones that reported an event of the incident ringed), assets sized by value
 * (high-risk ones ringed), guards at their live positions with their names, each patrol under
 * way drawn as the walk from the guard to the target through the estimated doorways (the
 * dispatcher's own walking model), a scale bar and north, and the incident's location pulsing
 * (still under prefers-reduced-motion).
 *
 * Pan: drag, or the arrow keys when the map has the focus. Zoom: the wheel, a pinch, the + and −
 * buttons or keys, 0 or the reset button. Zone geometry is the domain's own (centroid,
 * point-in-polygon, walking distance); labels are placed so they do not overlap.
 */
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { centroid, pointInPolygon } from '../../../src/domain/geometry.js';
import { walkingDistance } from '../../../src/domain/guard-dispatch.js';
import type { SiteModel } from '../../../src/domain/site-model.js';
import type { PatrolView } from '../../../src/store/read/patrols.js';
import { clamp, fmtMoney, humanize, r1 } from '../format.js';
import { BAND_COLOUR, bandOf, type Incident, type IncidentAsset, type Point, type SiteItem } from '../model.js';
import type { DashboardState } from '../store.js';
import { bodyFontPx, textWidth, useMeasuredWidth } from './chart-size.js';
import { ACTIVE_PATROL, useLiveConnected, useSiteLive, type SiteLive } from './live.js';
import { zoneName } from './names.js';

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

interface WantedLabel {
  name: string;
  x: number;
  y: number;
  r: number;
  rank: number;
  value: number;
}

/**
 * Places labels without overlap (with each other, the dots and the zone names): right of the dot,
 * else left, above or below; a label that fits nowhere is left out (the dot keeps its tooltip and
 * the asset list names it).
 */
function placeLabels(wanted: WantedLabel[], W: number, H: number, obstacles: Box[], fs: number, cls = 'halo'): VNode[] {
  const placed: Box[] = [...obstacles, ...wanted.map((l) => ({ x0: l.x - l.r, y0: l.y - l.r, x1: l.x + l.r, y1: l.y + l.r }))];
  const fits = (b: Box) => b.x0 >= 2 && b.x1 <= W - 2 && b.y0 >= 2 && b.y1 <= H - 2 && !placed.some((p) => !(b.x1 < p.x0 || b.x0 > p.x1 || b.y1 < p.y0 || b.y0 > p.y1));
  const out: VNode[] = [];
  const up = fs * 0.75;
  const down = fs * 0.3;
  for (const l of [...wanted].sort((a, b) => b.rank - a.rank || b.value - a.value)) {
    const text = l.name.length > 26 ? `${l.name.slice(0, 25)}…` : l.name;
    const w = textWidth(text, fs) + 4;
    const candidates: { x: number; y: number; anchor: string; box: Box }[] = [
      { x: l.x + l.r + 5, y: l.y + down, anchor: 'start', box: { x0: l.x + l.r + 5, y0: l.y - up, x1: l.x + l.r + 5 + w, y1: l.y + down + 2 } },
      { x: l.x - l.r - 5, y: l.y + down, anchor: 'end', box: { x0: l.x - l.r - 5 - w, y0: l.y - up, x1: l.x - l.r - 5, y1: l.y + down + 2 } },
      { x: l.x, y: l.y - l.r - 5, anchor: 'middle', box: { x0: l.x - w / 2, y0: l.y - l.r - 5 - fs, x1: l.x + w / 2, y1: l.y - l.r - 3 } },
      { x: l.x, y: l.y + l.r + fs + 2, anchor: 'middle', box: { x0: l.x - w / 2, y0: l.y + l.r + 3, x1: l.x + w / 2, y1: l.y + l.r + fs + 5 } },
    ];
    const c = candidates.find((k) => fits(k.box));
    if (!c) continue;
    placed.push(c.box);
    out.push(
      <text key={`${l.name}-${l.x}-${l.y}`} x={r1(c.x)} y={r1(c.y)} font-weight={600} text-anchor={c.anchor} class={cls}>
        {text}
      </text>,
    );
  }
  return out;
}

/** A round step for the scale bar: 1, 2 or 5 times a power of ten. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** The plan's zones with an outline. */
function outlinedZones(site: SiteItem) {
  return site.zones.filter((z): z is typeof z & { polygon: Point[] } => Array.isArray(z.polygon) && z.polygon.length >= 3);
}

/** The part of the site model the walking-distance rule reads (zones and their adjacency), from the API's site plan. */
function walkModel(site: SiteItem): SiteModel {
  const zones = new Map(site.zones.map((z) => [z.id, z]));
  const adjacency = new Map(site.zones.map((z) => [z.id, new Set<string>()]));
  for (const z of site.zones)
    for (const a of z.adjacent) {
      adjacency.get(z.id)?.add(a);
      adjacency.get(a)?.add(z.id);
    }
  // The API's zone carries every field walkingDistance reads (id, polygon); the rest of the model is not used by it.
  return { zones, adjacency } as unknown as SiteModel;
}

const walkModels = new WeakMap<SiteItem, SiteModel>();
function modelOf(site: SiteItem): SiteModel {
  let m = walkModels.get(site);
  if (!m) walkModels.set(site, (m = walkModel(site)));
  return m;
}

/** A stored route as points: `[[x, y], ...]` or `[{ point: [x, y] }, ...]`. */
function routePoints(route: unknown): Point[] {
  if (!Array.isArray(route)) return [];
  const out: Point[] = [];
  for (const r of route) {
    const p = Array.isArray(r) ? r : r && typeof r === 'object' && Array.isArray((r as { point?: unknown }).point) ? (r as { point: unknown[] }).point : undefined;
    if (p && typeof p[0] === 'number' && typeof p[1] === 'number') out.push([p[0], p[1]]);
  }
  return out;
}

/**
 * The path a patrol is drawn along: its stored route (checkpoint patrols), else the walk from the
 * guard's live position (or post) to the target through the doorways.
 */
export function patrolPath(site: SiteItem, p: PatrolView, guardAt: Point | null): Point[] {
  const route = routePoints(p.route);
  if (route.length >= 2) return route;
  if (!guardAt || !p.target) return [];
  return walkingDistance(modelOf(site), guardAt, [p.target[0], p.target[1]]).path.map((q) => [q[0], q[1]] as Point);
}

/** Where an incident is on the plan: its first touched asset with a position, else its zone's centre. */
export function incidentPoint(site: SiteItem, inc: { zone: string | null; assets?: { id: string }[] | null }): Point | null {
  for (const a of inc.assets ?? []) {
    const pos = site.assets.find((x) => x.id === a.id)?.position;
    if (pos) return pos;
  }
  const z = site.zones.find((x) => x.id === inc.zone);
  return z?.polygon && z.polygon.length >= 3 ? centroid(z.polygon) : null;
}

/** An incident to mark on the map (pulsing). */
export interface MapIncident {
  id: string;
  zone: string | null;
  band: string | null;
  type: string;
  assets?: { id: string }[] | null;
}

interface View {
  z: number;
  tx: number;
  ty: number;
}
const HOME: View = { z: 1, tx: 0, ty: 0 };
const MAX_ZOOM = 8;

export interface SiteMapProps {
  site: SiteItem;
  state: DashboardState;
  live: SiteLive;
  /** The incident of the detail pane: its zone outlined, its assets and devices marked. */
  incident?: Incident | null;
  /** Incidents to pulse (the map page's open incidents; the detail pane's own incident). */
  pulses?: MapIncident[];
  /** Only these patrols' paths are drawn (the incident's, the guard's own); all under way otherwise. */
  patrolIds?: readonly string[];
  /** Largest height in CSS pixels. */
  maxHeight?: number;
  /** Opens an incident (a click on its pulse). */
  onIncident?: (id: string) => void;
  /** An id prefix for the SVG's defs (several maps on one page). */
  idPrefix?: string;
  /** Points (metres) the first view frames (the guard's walk); the whole plan otherwise. */
  focus?: Point[];
  /** Whether the camera cones show at first. */
  conesAtFirst?: boolean;
  /** Smallest height in CSS pixels: a wide plan on a narrow screen opens zoomed in to fill it. */
  minHeight?: number;
}

/** The interactive site map. */
export function SiteMap({ site, state: s, live, incident: d, pulses = [], patrolIds, maxHeight = 560, onIncident, idPrefix = 'map', focus, conesAtFirst = true, minHeight = 0 }: SiteMapProps) {
  const [wrapRef, measured] = useMeasuredWidth(600, 240);
  // null: the home view (the whole plan, or zoomed to fill a tall frame).
  const [view0, setViewState] = useState<View | null>(null);
  const homeRef = useRef<View>(HOME);
  const [cones, setCones] = useState(conesAtFirst);
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const svgRef = useRef<SVGSVGElement | null>(null);
  // Once the user pans or zooms, the map no longer reframes itself.
  const moved = useRef(false);
  const setView = (v: View | null | ((old: View) => View)) => {
    moved.current = true;
    setViewState((old) => (typeof v === 'function' ? v(old ?? homeRef.current) : v));
  };
  const connected = useLiveConnected();
  const focusKey = focus && focus.length > 0 ? focus.map((p) => `${r1(p[0])},${r1(p[1])}`).join(' ') : '';
  // A new site starts at the whole plan.
  useEffect(() => {
    moved.current = false;
    setViewState(null);
  }, [site.id]);
  // The plan's frame as last drawn (set while rendering, read by the effect below).
  const layout = useRef<{ ox: number; oy: number; minX: number; maxY: number; k0: number; pad: number; W: number; H: number; bottom: number } | null>(null);
  // The first view frames the focus points (at most 3x), until the user moves the map.
  useEffect(() => {
    const l = layout.current;
    if (moved.current || !l || !focus || focus.length === 0) return;
    const xs = focus.map((p) => l.ox + (p[0] - l.minX) * l.k0);
    const ys = focus.map((p) => l.oy + l.pad + (l.maxY - p[1]) * l.k0);
    const margin = 40;
    const [x0, x1, y0, y1] = [Math.min(...xs) - margin, Math.max(...xs) + margin, Math.min(...ys) - margin, Math.max(...ys) + margin];
    const inner = l.H - l.bottom;
    const nz = clamp(Math.min(l.W / (x1 - x0), inner / (y1 - y0)), 1, 3);
    const tx = clamp(l.W / 2 - ((x0 + x1) / 2) * nz, l.W * (1 - nz), 0);
    const ty = clamp(inner / 2 - ((y0 + y1) / 2) * nz, inner * (1 - nz), 0);
    setViewState({ z: nz, tx, ty });
  }, [focusKey, measured, site.id]);

  const zones = outlinedZones(site);
  if (zones.length === 0)
    return (
      <div ref={wrapRef}>
        <p class="muted">No zone outlines are configured for this site.</p>
      </div>
    );
  const fs = bodyFontPx();
  const incidentZones = new Set(d ? (d.zones?.length ? d.zones : [d.zone]).filter((z): z is string => !!z) : []);
  const touched = new Map((d?.assets ?? []).map((a) => [a.id, a]));
  const adjacentHigh = new Map((d?.adjacentHighRisk ?? []).map((a) => [a.id, a]));
  const eventDevices = new Set((d?.events ?? []).map((e) => e.device).filter(Boolean));
  const currency = d?.loss?.currency || 'USD';
  const zname = (id: string | null | undefined) => zoneName(s, site.id, id);

  // Plan bounds in metres: the zone outlines.
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const z of zones)
    for (const [px, py] of z.polygon) {
      minX = Math.min(minX, px);
      maxX = Math.max(maxX, px);
      minY = Math.min(minY, py);
      maxY = Math.max(maxY, py);
    }
  const spanX = Math.max(1, maxX - minX);
  const spanY = Math.max(1, maxY - minY);
  const W = measured;
  const pad = 10;
  const bottom = Math.round(fs * 2);
  const k0 = Math.min((W - 2 * pad) / spanX, (maxHeight - pad - bottom) / spanY);
  const Hfit = Math.round(spanY * k0 + pad + bottom);
  const H = Math.max(Hfit, Math.round(Math.min(minHeight, maxHeight)));
  const ox = (W - spanX * k0) / 2;
  const oy = (H - Hfit) / 2;
  // Home: the whole plan; in a frame taller than the plan, zoomed (at most 3x) to fill its height.
  const z0 = H > Hfit ? clamp((H - bottom - pad) / Math.max(1, Hfit - bottom - pad), 1, 3) : 1;
  const home: View = z0 === 1 ? HOME : { z: z0, tx: (W / 2) * (1 - z0), ty: ((H - bottom) / 2) * (1 - z0) };
  homeRef.current = home;
  const view = view0 ?? home;
  const { z, tx, ty } = view;
  const k = k0 * z;
  const X = (x: number) => r1((ox + (x - minX) * k0) * z + tx);
  const Y = (y: number) => r1((oy + pad + (maxY - y) * k0) * z + ty);
  const P = (pt: Point) => `${X(pt[0])},${Y(pt[1])}`;
  // What is in view, in metres (the inverse of X and Y over the frame above the scale bar).
  const view0x = minX + (-tx / z - ox) / k0;
  const view1x = minX + ((W - tx) / z - ox) / k0;
  const viewTopY = maxY - (-ty / z - oy - pad) / k0;
  const viewBotY = maxY - ((H - bottom - ty) / z - oy - pad) / k0;

  layout.current = { ox, oy, minX, maxY, k0, pad, W, H, bottom };

  const zoomAt = (factor: number, sx = W / 2, sy = H / 2) =>
    setView((v) => {
      const nz = clamp(v.z * factor, 1, MAX_ZOOM);
      const f = nz / v.z;
      return bound({ z: nz, tx: sx - (sx - v.tx) * f, ty: sy - (sy - v.ty) * f });
    });
  // The plan may not leave the frame by more than half of it.
  const bound = (v: View): View => ({ z: v.z, tx: clamp(v.tx, W * (0.5 - v.z), W / 2), ty: clamp(v.ty, H * (0.5 - v.z), H / 2) });
  const panBy = (dx: number, dy: number) => setView((v) => bound({ ...v, tx: v.tx + dx, ty: v.ty + dy }));
  const local = (e: { clientX: number; clientY: number }) => {
    const r = svgRef.current?.getBoundingClientRect();
    return r ? { x: e.clientX - r.left, y: e.clientY - r.top } : { x: W / 2, y: H / 2 };
  };

  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    pointers.current.set(e.pointerId, local(e));
  };
  const onPointerMove = (e: PointerEvent) => {
    const map = pointers.current;
    const before = map.get(e.pointerId);
    if (!before) return;
    const now = local(e);
    if (map.size === 1) {
      panBy(now.x - before.x, now.y - before.y);
    } else if (map.size === 2) {
      // Pinch: scale by the change of the two fingers' distance, about their midpoint; pan by the midpoint's move.
      const other = [...map.entries()].find(([id]) => id !== e.pointerId)![1];
      const d0 = Math.hypot(before.x - other.x, before.y - other.y);
      const d1 = Math.hypot(now.x - other.x, now.y - other.y);
      const m0 = { x: (before.x + other.x) / 2, y: (before.y + other.y) / 2 };
      const m1 = { x: (now.x + other.x) / 2, y: (now.y + other.y) / 2 };
      if (d0 > 0) zoomAt(d1 / d0, m1.x, m1.y);
      panBy(m1.x - m0.x, m1.y - m0.y);
    }
    map.set(e.pointerId, now);
  };
  const onPointerEnd = (e: PointerEvent) => {
    pointers.current.delete(e.pointerId);
  };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    const at = local(e);
    zoomAt(Math.exp(-clamp(e.deltaY, -200, 200) * 0.002), at.x, at.y);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const step = 40;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => panBy(step, 0),
      ArrowRight: () => panBy(-step, 0),
      ArrowUp: () => panBy(0, step),
      ArrowDown: () => panBy(0, -step),
      '+': () => zoomAt(1.25),
      '=': () => zoomAt(1.25),
      '-': () => zoomAt(0.8),
      '0': () => setView(null),
    };
    const fn = keys[e.key];
    if (!fn) return;
    e.preventDefault();
    fn();
  };

  const hatch = `${idPrefix}-restricted-hatch`;
  const clip = `${idPrefix}-clip`;
  const band = bandOf(d?.severity?.band);
  const bandCol = band ? BAND_COLOUR[band] : '#5cb3ff';

  // Zones (coloured by their risk now) and their names (a name is an obstacle for the other labels).
  const zoneLabelBoxes: Box[] = [];
  const zoneShapes: VNode[] = [];
  const zoneLabels: VNode[] = [];
  for (const zn of zones) {
    const hit = incidentZones.has(zn.id);
    const risk = bandOf(live.zoneRisk.get(zn.id));
    const pts = zn.polygon.map(P).join(' ');
    zoneShapes.push(
      <g key={zn.id} data-zone={zn.id} data-highlight={hit ? 'true' : 'false'} data-restricted={zn.restricted ? 'true' : 'false'} data-risk-band={risk ?? 'none'}>
        <title>{`${zn.name}${zn.restricted ? ' (restricted)' : ''}${hit ? ' — incident zone' : ''}${risk ? `; risk ${risk}` : ''}; ${humanize(zn.kind)}; adjacent: ${(zn.adjacent ?? []).map(zname).join(', ') || 'none'}`}</title>
        <polygon points={pts} fill="#1a2535" stroke="#3b4e68" stroke-width={1} />
        {risk ? <polygon points={pts} fill={BAND_COLOUR[risk]} fill-opacity={0.2} stroke="none" /> : null}
        {zn.restricted ? <polygon points={pts} fill={`url(#${hatch})`} stroke="none" /> : null}
        {hit ? <polygon points={pts} fill={bandCol} fill-opacity={0.22} stroke={bandCol} stroke-width={3} stroke-linejoin="round" class="zone-hit" /> : null}
      </g>,
    );

    // The part of the zone's box that is in view (zoomed in, a zone's corner may be off screen).
    const zx = zn.polygon.map((p) => p[0]);
    const zy = zn.polygon.map((p) => p[1]);
    const bx0 = Math.max(Math.min(...zx), view0x);
    const bx1 = Math.min(Math.max(...zx), view1x);
    const byTop = Math.min(Math.max(...zy), viewTopY);
    const byBot = Math.max(Math.min(...zy), viewBotY);
    if ((bx1 <= bx0 || byTop <= byBot) && !hit) continue;
    const widthPx = (bx1 - bx0) * k;
    const heightPx = (byTop - byBot) * k;
    if (heightPx < fs + 2 && !hit) continue;
    const maxChars = Math.floor((widthPx - 8) / (fs * 0.56));
    // Too narrow for a useful name at this zoom: the zone keeps its tooltip; zooming in shows it.
    if (maxChars < 4 && !hit) continue;
    // The incident's zone keeps its whole name (it may run over its neighbour; the halo keeps it legible).
    const name = !hit && zn.name.length > maxChars ? `${zn.name.slice(0, Math.max(1, maxChars - 1))}…` : zn.name;
    const corner: Point = [bx0 + 4 / k, byTop - 4 / k];
    const atCorner = pointInPolygon(corner, zn.polygon);
    const [lx, ly] = atCorner ? corner : centroid(zn.polygon);
    const tw = textWidth(name, fs) * (hit ? 1.1 : 1);
    zoneLabelBoxes.push(atCorner ? { x0: X(lx) + 2, y0: Y(ly) + 2, x1: X(lx) + 2 + tw, y1: Y(ly) + fs + 4 } : { x0: X(lx) - tw / 2, y0: Y(ly) - fs, x1: X(lx) + tw / 2, y1: Y(ly) + 3 });
    zoneLabels.push(
      <text key={zn.id} x={r1(X(lx) + (atCorner ? 2 : 0))} y={r1(Y(ly) + (atCorner ? fs + 1 : 0))} text-anchor={atCorner ? 'start' : 'middle'} class={`halo${hit ? '' : ' muted-t'}`} font-weight={hit ? 700 : 400}>
        {name}
      </text>,
    );
  }

  // Camera fields of view (clipped to the plan), then the devices.
  const fovs: VNode[] = [];
  const devices: VNode[] = [];
  for (const dev of site.devices ?? []) {
    if (!dev.position) continue;
    const [px, py] = dev.position;
    const involved = eventDevices.has(dev.id);
    const coversIncident = incidentZones.has(dev.zone) || (dev.covers ?? []).some((c) => incidentZones.has(c));
    if (cones && dev.kind === 'camera' && dev.fov) {
      const { direction, angle, range } = dev.fov;
      const rr = range * k;
      const look = {
        fill: '#5cb3ff',
        'fill-opacity': coversIncident ? 0.22 : 0.1,
        stroke: '#5cb3ff',
        'stroke-opacity': coversIncident ? 0.7 : 0.3,
        'stroke-width': 1,
        'data-fov': dev.id,
      };
      if (angle >= 360) fovs.push(<circle key={dev.id} cx={X(px)} cy={Y(py)} r={r1(rr)} {...look} />);
      else {
        const a1 = ((direction - angle / 2) * Math.PI) / 180;
        const a2 = ((direction + angle / 2) * Math.PI) / 180;
        // Plan angles are counter-clockwise with y up; the screen's y points down.
        const p1 = [X(px) + rr * Math.cos(a1), Y(py) - rr * Math.sin(a1)];
        const p2 = [X(px) + rr * Math.cos(a2), Y(py) - rr * Math.sin(a2)];
        const large = angle > 180 ? 1 : 0;
        fovs.push(<path key={dev.id} d={`M${X(px)},${Y(py)} L${r1(p1[0])},${r1(p1[1])} A${r1(rr)},${r1(rr)} 0 ${large} 0 ${r1(p2[0])},${r1(p2[1])} Z`} {...look} />);
      }
    }
    const label = `${humanize(dev.kind)} ${dev.id} in ${zname(dev.zone)}${dev.fov ? ` (facing ${dev.fov.direction}°, ${dev.fov.angle}° wide, ${dev.fov.range} m)` : ''}${involved ? ' — reported an event of this incident' : ''}`;
    devices.push(
      <g key={dev.id} data-device={dev.id} data-involved={involved ? 'true' : 'false'}>
        <title>{label}</title>
        {involved ? <circle cx={X(px)} cy={Y(py)} r={8} fill="none" stroke="#ffffff" stroke-width={2} /> : null}
        {dev.kind === 'camera' ? (
          <circle cx={X(px)} cy={Y(py)} r={4} fill="#5cb3ff" stroke="#0d131c" stroke-width={1.5} />
        ) : (
          <rect x={X(px) - 3} y={Y(py) - 3} width={6} height={6} fill={involved ? '#ffffff' : '#93a4b8'} stroke="#0d131c" stroke-width={1} transform={`rotate(45 ${X(px)} ${Y(py)})`} />
        )}
      </g>,
    );
  }

  // Assets: dots sized by value; involved ones coloured, high-risk ones ringed.
  const assets = (site.assets ?? []).filter((a): a is typeof a & { position: Point } => !!a.position);
  const maxValue = Math.max(1, ...assets.map((a) => Number(a.value) || 0));
  const labelWanted: WantedLabel[] = [];
  const dotScale = clamp(Math.sqrt(z), 1, 2);
  const assetDots = assets.map((a) => {
    const t = touched.get(a.id);
    const adj = adjacentHigh.get(a.id);
    const info = t ?? adj;
    const high = (info ? !!info.highRisk || !!adj : false) || live.highRiskAssets.has(a.id);
    const r = (3 + 7 * Math.sqrt((Number(a.value) || 0) / maxValue)) * dotScale;
    const [ax, ay] = a.position;
    const fill = t ? (high ? '#ef4b55' : '#e6b422') : adj ? '#b38cff' : high ? '#f2811d' : '#6b7b90';
    const reasons = info?.highRiskReasons?.length ? ` · high risk: ${info.highRiskReasons.join('; ')}` : high ? ' · high risk' : '';
    const riskBand = live.assetRisk.get(a.id);
    const tip = `${a.name} (${a.id}) · ${humanize(a.category)} · ${fmtMoney(a.value, currency)}${t ? ` · involved (${t.relation || 'touched'})` : adj ? ' · high-risk, adjacent zone' : ''}${reasons}${riskBand ? ` · risk ${riskBand}` : ''}${t?.status ? ` · status ${t.status}` : ''}`;
    if (t || adj || (high && z >= 1.5)) labelWanted.push({ name: a.name, x: X(ax), y: Y(ay), r, rank: (t ? 2 : 0) + (high ? 1 : 0), value: Number(a.value) || 0 });
    return (
      <g key={a.id} data-asset={a.id} data-touched={t ? 'true' : 'false'} data-high-risk={high ? 'true' : 'false'}>
        <title>{tip}</title>
        {high ? <circle cx={X(ax)} cy={Y(ay)} r={r1(r + 4)} fill="none" stroke="#ef4b55" stroke-width={2} stroke-dasharray={t?.relation === 'named' ? undefined : '3 2'} /> : null}
        <circle cx={X(ax)} cy={Y(ay)} r={r1(r)} fill={fill} fill-opacity={t || adj || high ? 0.95 : 0.6} stroke="#0d131c" stroke-width={1.5} />
      </g>
    );
  });

  // Guards at their live positions (the configured post until the server knows better).
  const liveGuards = new Map(live.guards.map((g) => [g.id, g]));
  const guardAt = (id: string | null): Point | null => {
    if (!id) return null;
    const g = liveGuards.get(id);
    return g?.position ?? site.guards.find((x) => x.id === id)?.position ?? null;
  };
  const patrolOf = new Map<string, PatrolView>();
  for (const p of live.patrols) if (p.guardId && ACTIVE_PATROL.has(p.status) && !patrolOf.has(p.guardId)) patrolOf.set(p.guardId, p);
  const guardList = site.guards.map((g) => ({ id: g.id, name: g.name, onShift: liveGuards.get(g.id)?.onShift ?? g.onShift, status: liveGuards.get(g.id)?.status ?? null, at: guardAt(g.id) }));
  for (const g of live.guards) if (!site.guards.some((x) => x.id === g.id)) guardList.push({ id: g.id, name: g.name, onShift: g.onShift, status: g.status, at: g.position });
  const guardLabels: WantedLabel[] = [];
  const guards = guardList.flatMap((g) => {
    if (!g.at) return [];
    const x = X(g.at[0]);
    const y = Y(g.at[1]);
    const p = patrolOf.get(g.id);
    const doing = p ? humanize(p.status) : g.onShift ? humanize(g.status ?? 'on shift') : 'off shift';
    guardLabels.push({ name: g.name, x, y, r: 8, rank: 3, value: 0 });
    return [
      <g key={g.id} data-guard={g.id} data-position={`${g.at[0]},${g.at[1]}`} data-x={x} data-y={y} data-on-shift={g.onShift ? 'true' : 'false'}>
        <title>{`Guard ${g.name}: ${doing}${p ? ` (patrol ${p.id})` : ''}`}</title>
        <circle cx={x} cy={y} r={11} fill="#0d131c" fill-opacity={0.7} stroke="none" />
        <path d={`M${x},${r1(y - 8)} L${r1(x + 7)},${r1(y + 6)} L${r1(x - 7)},${r1(y + 6)} Z`} fill={g.onShift ? '#38c7b5' : 'none'} stroke="#38c7b5" stroke-width={2} />
      </g>,
    ];
  });

  // Patrols under way: the path walked, ending at the target.
  const wantedPatrols = live.patrols.filter((p) => (patrolIds ? patrolIds.includes(p.id) : ACTIVE_PATROL.has(p.status)));
  const paths = wantedPatrols.flatMap((p) => {
    const pts = patrolPath(site, p, guardAt(p.guardId));
    if (pts.length < 2) return [];
    const end = pts[pts.length - 1];
    const active = ACTIVE_PATROL.has(p.status);
    return [
      <g key={p.id} data-patrol={p.id} data-patrol-status={p.status} data-guard-id={p.guardId ?? ''}>
        <title>{`Patrol ${p.id} (${humanize(p.status)})${p.zone ? ` to ${zname(p.zone)}` : ''}${p.metres !== null ? `, ${p.metres} m` : ''}`}</title>
        <polyline class="patrol-path" points={pts.map(P).join(' ')} fill="none" stroke={active ? '#38c7b5' : '#93a4b8'} stroke-width={3} stroke-dasharray="7 5" stroke-linejoin="round" stroke-linecap="round" />
        <circle cx={X(end[0])} cy={Y(end[1])} r={5} fill={active ? '#38c7b5' : '#93a4b8'} stroke="#0d131c" stroke-width={1.5} />
      </g>,
    ];
  });

  // The incidents' locations, pulsing.
  const pulseMarks = pulses.flatMap((inc) => {
    const at = incidentPoint(site, inc);
    if (!at) return [];
    const b = bandOf(inc.band);
    const col = b ? BAND_COLOUR[b] : '#5cb3ff';
    const x = X(at[0]);
    const y = Y(at[1]);
    const open = onIncident ? () => onIncident(inc.id) : undefined;
    return [
      <g
        key={inc.id}
        data-incident-pulse={inc.id}
        class={open ? 'pulse-mark clickable' : 'pulse-mark'}
        onClick={open}
        {...(open
          ? {
              role: 'button',
              tabindex: 0,
              'aria-label': `Open ${humanize(inc.type)}${b ? ` (${b})` : ''} in ${zname(inc.zone)}`,
              onKeyDown: (e: KeyboardEvent) => {
                if (e.key !== 'Enter' && e.key !== ' ') return;
                e.preventDefault();
                e.stopPropagation();
                open();
              },
              // A tap on the mark opens it rather than starting a pan.
              onPointerDown: (e: PointerEvent) => e.stopPropagation(),
            }
          : {})}
      >
        <title>{`${humanize(inc.type)}${b ? ` (${b})` : ''} in ${zname(inc.zone)}${open ? ' — click to open' : ''}`}</title>
        <circle cx={x} cy={y} r={16} fill="none" stroke={col} stroke-width={3} class="pulse" />
        <circle cx={x} cy={y} r={6} fill={col} stroke="#0d131c" stroke-width={1.5} />
      </g>,
    ];
  });

  const labels = placeLabels([...guardLabels, ...labelWanted], W, H - bottom, [...zoneLabelBoxes], fs);

  // Scale bar and north arrow (fixed to the frame, the bar follows the zoom).
  const step = niceStep(spanX / z, 5);
  const sbY = H - Math.round(fs * 0.6);
  const nx = W - 16;
  const zoomText = `${Math.round(z * 100)} %`;

  return (
    <div class="site-map" data-site={site.id} data-live={connected ? 'connected' : 'polling'}>
      <div class="map-tools" role="toolbar" aria-label="Map controls">
        <button type="button" class="map-zoom-in" aria-label="Zoom in" onClick={() => zoomAt(1.4)} disabled={z >= MAX_ZOOM}>
          +
        </button>
        <button type="button" class="map-zoom-out" aria-label="Zoom out" onClick={() => zoomAt(1 / 1.4)} disabled={z <= 1}>
          −
        </button>
        <button type="button" class="map-reset" onClick={() => setView(null)} disabled={view0 === null}>
          Reset
        </button>
        <button type="button" class="map-cones" aria-pressed={cones ? 'true' : 'false'} onClick={() => setCones((c) => !c)}>
          Camera cones
        </button>
        <span class="small muted map-zoom" aria-live="polite">
          {zoomText}
        </span>
      </div>
      <div class="plan-wrap" ref={wrapRef}>
        <svg
          ref={svgRef}
          viewBox={`0 0 ${W} ${H}`}
          width={W}
          height={H}
          class="chart px-text site-plan"
          role="img"
          tabindex={0}
          data-zoom={r1(z * 100) / 100}
          data-pan={`${Math.round(tx)},${Math.round(ty)}`}
          aria-label={`Site map of ${site.name}${d ? `: incident in ${[...incidentZones].map(zname).join(', ')}; ${touched.size} asset(s) involved` : ''}. Arrow keys pan, + and − zoom, 0 resets.`}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerEnd}
          onPointerCancel={onPointerEnd}
          onWheel={onWheel}
          onKeyDown={onKeyDown}
        >
          <defs>
            <pattern id={hatch} width={7} height={7} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
              <rect width={2} height={7} fill="#a77bbd" fill-opacity={0.45} />
            </pattern>
            <clipPath id={clip}>
              <rect x={X(minX)} y={Y(maxY)} width={r1(spanX * k)} height={r1(spanY * k)} />
            </clipPath>
          </defs>
          <g class="zones">{zoneShapes}</g>
          <g class="fov" clip-path={`url(#${clip})`} data-cones={cones ? 'on' : 'off'}>
            {fovs}
          </g>
          <g class="zone-labels" pointer-events="none">
            {zoneLabels}
          </g>
          <g class="devices">{devices}</g>
          <g class="assets">{assetDots}</g>
          <g class="patrols">{paths}</g>
          <g class="pulses">{pulseMarks}</g>
          <g class="guards">{guards}</g>
          <g class="map-labels" pointer-events="none">
            {labels}
          </g>
          <rect x={0} y={H - bottom} width={W} height={bottom} fill="#0d131c" fill-opacity={0.85} />
          <line x1={pad} x2={r1(pad + step * k)} y1={sbY - fs * 0.35} y2={sbY - fs * 0.35} stroke="#93a4b8" stroke-width={2} />
          <text x={r1(pad + step * k + 6)} y={sbY} class="muted-t">
            {`${step} m`}
          </text>
          <path d={`M${nx},${H - bottom + 2} L${nx + 5},${H - 4} L${nx},${H - 7} L${nx - 5},${H - 4} Z`} fill="#93a4b8">
            <title>north</title>
          </path>
          <text x={nx - 10} y={sbY} text-anchor="end" class="muted-t">
            N
          </text>
        </svg>
      </div>
    </div>
  );
}

/** The map's legend. */
export function MapLegend({ incident }: { incident?: Incident | null }) {
  const band = bandOf(incident?.severity?.band);
  const bandCol = band ? BAND_COLOUR[band] : '#5cb3ff';
  return (
    <ul class="legend">
      {incident ? (
        <li>
          <span class="sw" style={{ '--sw': bandCol }} />
          incident zone
        </li>
      ) : null}
      <li>
        <span class="sw" style={{ '--sw': BAND_COLOUR.high }} />
        zone risk (low → critical)
      </li>
      <li>
        <span class="sw hatch" />
        restricted zone
      </li>
      <li>
        <span class="sw round ring" style={{ '--sw': '#ef4b55' }} />
        high-risk asset
      </li>
      {incident ? (
        <li>
          <span class="sw round" style={{ '--sw': '#e6b422' }} />
          asset involved
        </li>
      ) : null}
      <li>
        <span class="sw round" style={{ '--sw': '#6b7b90' }} />
        asset (size = value)
      </li>
      <li>
        <span class="sw" style={{ '--sw': 'rgba(92,179,255,0.45)' }} />
        camera view
      </li>
      <li>
        <span class="sw" style={{ '--sw': '#38c7b5' }} />
        guard, patrol path
      </li>
    </ul>
  );
}

/** The incident detail's card: the map of the incident's site, then the assets involved. */
export function SitePlan({ d, site, sitesLoaded, state: s }: { d: Incident; site: SiteItem | undefined; sitesLoaded: boolean; state: DashboardState }) {
  const live = useSiteLive(site ? site.id : null);
  if (!site) return <p class="muted">{sitesLoaded ? `No site plan for ${d.site}.` : 'Loading the site plan…'}</p>;
  const touched = new Map((d.assets ?? []).map((a) => [a.id, a]));
  const adjacentHigh = new Map((d.adjacentHighRisk ?? []).map((a) => [a.id, a]));
  const currency = d.loss?.currency || 'USD';
  // The incident's own patrols: the live list of the site, else the incident's copy.
  const own = (d.patrols ?? []).map((p) => p.id);
  const merged: SiteLive = { ...live, patrols: [...live.patrols, ...(d.patrols ?? []).filter((p) => !live.patrols.some((q) => q.id === p.id))] };
  const list: IncidentAsset[] = [...touched.values(), ...adjacentHigh.values()];
  return (
    <div>
      <SiteMap
        site={site}
        state={s}
        live={merged}
        incident={d}
        pulses={[{ id: d.id, zone: d.zone, band: d.severity?.band ?? null, type: d.type, assets: d.assets }]}
        patrolIds={own}
        idPrefix="plan"
      />
      <MapLegend incident={d} />
      {list.length ? (
        <ul class="asset-list" aria-label="Assets involved">
          {list.map((a) => {
            const isTouched = touched.has(a.id);
            return (
              <li key={a.id}>
                <span class="sw round" style={{ '--sw': isTouched ? (a.highRisk ? '#ef4b55' : '#e6b422') : '#b38cff' }} />
                <strong>{a.name || a.id}</strong>
                {a.value ? <span class="num">{fmtMoney(a.value, currency)}</span> : null}
                <span class="rel">{isTouched ? a.relation || 'involved' : 'adjacent'}</span>
                {a.highRisk ? (
                  <span class="hr" title={(a.highRiskReasons ?? []).join('; ')}>
                    high risk
                  </span>
                ) : null}
                {a.status ? <span class="muted small">{humanize(a.status)}</span> : null}
              </li>
            );
          })}
        </ul>
      ) : (
        <p class="muted small">No asset involved.</p>
      )}
    </div>
  );
}
