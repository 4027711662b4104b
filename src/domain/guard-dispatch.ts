/**
 * Step 7 (assign security guard patrol): who goes, how far they walk on the site plan, and in
 * which order a checkpoint patrol visits zones. Pure functions: no I/O, no clock, no randomness;
 * the instant is always passed in.
 *
 * Site-plan model (assumptions, stated once here and relied on below):
 * - Zone polygons are in metres. Inside one zone a guard walks in a straight line (zones are
 *   treated as open rooms; for a non-convex zone this underestimates the walk).
 * - Between two ADJACENT zones a guard passes through one doorway. The plan does not draw doors,
 *   so the doorway is estimated: the midpoint of the longest shared wall segment when the two
 *   polygons share an edge, otherwise the midpoint of the closest pair of boundary points.
 * - Walls everywhere else: zones that are not adjacent cannot be crossed directly, so a walk
 *   may have to detour through a chain of doorways.
 * - Points outside every polygon (a guard in the car park, a site without polygons) and
 *   disconnected plans fall back to the straight-line distance, flagged `method: 'straight'`.
 */
import type { SiteModel } from './site-model.js';
import { distanceToPolygon, pointInPolygon } from './geometry.js';
import { WEEKDAYS, inWeeklyWindow, localTime, weeklyWindow } from './local-time.js';

type Point = [number, number];
type Poly = readonly (readonly [number, number])[];

/** Tolerance (metres) for "on the boundary" and for collinear walls: 1 mm on a site plan. */
const TOL = 1e-3;

/** Default walking speed of a guard (m/s): a brisk walk, not a run. */
export const DEFAULT_WALKING_SPEED_MPS = 1.4;

const dist = (a: readonly [number, number], b: readonly [number, number]): number => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** The zone whose polygon contains p (strict interior first, then within 1 mm of a boundary; config order breaks ties). */
export function zoneOfPoint(model: SiteModel, p: [number, number]): string | undefined {
  // Strict containment first so a point on a shared wall still lands in exactly one zone.
  for (const z of model.zones.values()) if (z.polygon && pointInPolygon(p, z.polygon)) return z.id;
  for (const z of model.zones.values()) if (z.polygon && distanceToPolygon(p, z.polygon) <= TOL) return z.id;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Doorways

interface Doorway {
  zones: [string, string];
  point: Point;
}

const doorwayCache = new WeakMap<SiteModel, Doorway[]>();

/** Doorways of every adjacent pair of zones that both have polygons (memoised per model). */
function doorways(model: SiteModel): Doorway[] {
  const cached = doorwayCache.get(model);
  if (cached) return cached;
  const ids = [...model.zones.keys()];
  const out: Doorway[] = [];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const a = model.zones.get(ids[i])!;
      const b = model.zones.get(ids[j])!;
      if (!a.polygon || !b.polygon || !model.adjacency.get(a.id)?.has(b.id)) continue;
      out.push({ zones: [a.id, b.id], point: doorwayPoint(a.polygon, b.polygon) });
    }
  }
  doorwayCache.set(model, out);
  return out;
}

/** Estimated door between two polygons: middle of the longest shared wall, else middle of the closest boundary points. */
function doorwayPoint(a: Poly, b: Poly): Point {
  return sharedWallMidpoint(a, b) ?? closestBoundaryMidpoint(a, b);
}

function sharedWallMidpoint(a: Poly, b: Poly): Point | undefined {
  let best: { len: number; mid: Point } | undefined;
  for (let i = 0; i < a.length; i++) {
    const p = a[i];
    const q = a[(i + 1) % a.length];
    const L = dist(p, q);
    if (L <= TOL) continue;
    const ux = (q[0] - p[0]) / L;
    const uy = (q[1] - p[1]) / L;
    for (let j = 0; j < b.length; j++) {
      const r = b[j];
      const s = b[(j + 1) % b.length];
      // Both ends of b's edge must lie on the line through a's edge (perpendicular offset ≤ 1 mm).
      const offR = Math.abs((r[0] - p[0]) * uy - (r[1] - p[1]) * ux);
      const offS = Math.abs((s[0] - p[0]) * uy - (s[1] - p[1]) * ux);
      if (offR > TOL || offS > TOL) continue;
      const tr = (r[0] - p[0]) * ux + (r[1] - p[1]) * uy;
      const ts = (s[0] - p[0]) * ux + (s[1] - p[1]) * uy;
      const lo = Math.max(0, Math.min(tr, ts));
      const hi = Math.min(L, Math.max(tr, ts));
      if (hi - lo <= TOL) continue;
      if (!best || hi - lo > best.len) {
        const t = (lo + hi) / 2;
        best = { len: hi - lo, mid: [p[0] + ux * t, p[1] + uy * t] };
      }
    }
  }
  return best?.mid;
}

function closestBoundaryMidpoint(a: Poly, b: Poly): Point {
  let best = { d: Infinity, mid: [a[0][0], a[0][1]] as Point };
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      const c = closestBetweenSegments(a[i], a[(i + 1) % a.length], b[j], b[(j + 1) % b.length]);
      if (c.d < best.d) best = { d: c.d, mid: [(c.p[0] + c.q[0]) / 2, (c.p[1] + c.q[1]) / 2] };
    }
  }
  return best.mid;
}

function closestOnSegment(p: readonly [number, number], a: readonly [number, number], b: readonly [number, number]): Point {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return [a[0] + t * dx, a[1] + t * dy];
}

/** Closest pair of points between segments pq and rs (in 2-D, an endpoint is involved unless they cross). */
function closestBetweenSegments(
  p: readonly [number, number],
  q: readonly [number, number],
  r: readonly [number, number],
  s: readonly [number, number],
): { d: number; p: Point; q: Point } {
  const cross = (o: readonly [number, number], a: readonly [number, number], b: readonly [number, number]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const d1 = cross(p, q, r);
  const d2 = cross(p, q, s);
  const d3 = cross(r, s, p);
  const d4 = cross(r, s, q);
  if (d1 * d2 < 0 && d3 * d4 < 0) {
    const t = d3 / (d3 - d4);
    const x: Point = [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
    return { d: 0, p: x, q: x };
  }
  const cands: { d: number; p: Point; q: Point }[] = [];
  for (const [pt, a, b, first] of [
    [p, r, s, true],
    [q, r, s, true],
    [r, p, q, false],
    [s, p, q, false],
  ] as const) {
    const c = closestOnSegment(pt, a, b);
    const own: Point = [pt[0], pt[1]];
    cands.push(first ? { d: dist(own, c), p: own, q: c } : { d: dist(own, c), p: c, q: own });
  }
  return cands.reduce((m, c) => (c.d < m.d ? c : m));
}

// ---------------------------------------------------------------------------------------------
// Walking distance

/** Walking distance on the site plan: straight within a zone, through estimated doorways between adjacent zones (Dijkstra). */
export function walkingDistance(
  model: SiteModel,
  from: [number, number],
  to: [number, number],
): { metres: number; via: string[]; method: 'plan' | 'straight'; path: Point[] } {
  const straight = { metres: dist(from, to), via: [] as string[], method: 'straight' as const, path: [from, to] };
  const fromZone = zoneOfPoint(model, from);
  const toZone = zoneOfPoint(model, to);
  if (fromZone === undefined || toZone === undefined) return straight;
  // Same room: nothing in the way (open-room assumption).
  if (fromZone === toZone) return { metres: dist(from, to), via: [fromZone], method: 'plan', path: [from, to] };

  // Nodes: 0 = from, 1 = to, then one per doorway; two nodes are joined when they lie in/on a common zone.
  const nodes: { point: Point; zones: string[] }[] = [
    { point: from, zones: [fromZone] },
    { point: to, zones: [toZone] },
    ...doorways(model).map((d) => ({ point: d.point, zones: [...d.zones] })),
  ];
  const n = nodes.length;
  const best = new Array<number>(n).fill(Infinity);
  const prev = new Array<number>(n).fill(-1);
  const prevZone = new Array<string>(n).fill('');
  const done = new Array<boolean>(n).fill(false);
  best[0] = 0;
  for (;;) {
    // O(V^2) Dijkstra: a site has a handful of doorways, so no heap is needed.
    let u = -1;
    for (let i = 0; i < n; i++) if (!done[i] && best[i] < Infinity && (u < 0 || best[i] < best[u])) u = i;
    if (u < 0 || u === 1) break;
    done[u] = true;
    for (let v = 0; v < n; v++) {
      if (done[v]) continue;
      const shared = nodes[u].zones.find((z) => nodes[v].zones.includes(z));
      if (shared === undefined) continue;
      const alt = best[u] + dist(nodes[u].point, nodes[v].point);
      if (alt < best[v]) {
        best[v] = alt;
        prev[v] = u;
        prevZone[v] = shared;
      }
    }
  }
  if (best[1] === Infinity) return straight;
  const zones: string[] = [];
  const path: Point[] = [to];
  for (let v = 1; prev[v] >= 0; v = prev[v]) {
    zones.push(prevZone[v]);
    path.push(nodes[prev[v]].point);
  }
  zones.reverse();
  path.reverse();
  const via = zones.filter((z, i) => i === 0 || zones[i - 1] !== z);
  // The points walked: from, the doorways passed, to (the incident report draws the guard's path).
  return { metres: best[1], via, method: 'plan', path };
}

// ---------------------------------------------------------------------------------------------
// Guards

/** A guard as the dispatcher sees it: configuration plus live status. */
export interface GuardState {
  id: string;
  name: string;
  position?: [number, number];
  onShift: boolean;
  status: 'available' | 'assigned' | 'off_duty' | 'unavailable';
  shift?: { days: string[]; start: string; end: string };
}

/** True when the guard's onShift flag is set and, if a shift is given, `at` falls in it in site local time (overnight shifts belong to their start day). */
export function isOnShift(g: GuardState, at: Date, timezone: string): boolean {
  if (!g.onShift) return false;
  if (!g.shift) return true;
  const { days, start, end } = g.shift;
  const local = localTime(at, timezone);
  // start === end reads as a 24-hour shift on the listed days; an overnight shift (fri 22:00-06:00)
  // owns the hours after midnight, so Saturday 02:00 is on a Friday-night shift and Friday 02:00 is not.
  return inWeeklyWindow(weeklyWindow(start, end, days), local.minutes, WEEKDAYS.indexOf(local.day));
}

type Disqualification = 'off shift' | 'already assigned' | 'unavailable' | 'without a known position';

/** Why a guard cannot be dispatched now, or undefined when they can. */
function disqualification(g: GuardState, at: Date, timezone: string): Disqualification | undefined {
  if (g.status === 'off_duty' || !isOnShift(g, at, timezone)) return 'off shift';
  if (g.status === 'assigned') return 'already assigned';
  if (g.status === 'unavailable') return 'unavailable';
  // Without a position we cannot estimate the walk; the dispatcher would be guessing.
  if (!g.position) return 'without a known position';
  return undefined;
}

/** Guards that can be sent now, sorted by id (the tie-break everywhere), and a reason text for those that cannot. */
function qualifiedGuards(model: SiteModel, guards: GuardState[], at: Date): { ok: (GuardState & { position: [number, number] })[]; reason: string } {
  const counts = new Map<Disqualification, number>();
  const ok: (GuardState & { position: [number, number] })[] = [];
  for (const g of guards) {
    const why = disqualification(g, at, model.site.timezone);
    if (why) counts.set(why, (counts.get(why) ?? 0) + 1);
    else ok.push(g as GuardState & { position: [number, number] });
  }
  ok.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const parts = (['off shift', 'already assigned', 'unavailable', 'without a known position'] as const)
    .filter((k) => counts.has(k))
    // "3 guards off shift, 1 already assigned": the noun once, on the first count.
    .map((k, i) => `${counts.get(k)}${i === 0 ? (counts.get(k) === 1 ? ' guard' : ' guards') : ''} ${k}`);
  const reason = guards.length === 0 ? `no guards configured at site ${model.site.id}` : `no guard available: ${parts.join(', ')}`;
  return { ok, reason };
}

/** The available on-shift guard with the shortest walk to the target (ties by id), or why nobody qualified. */
export function chooseGuard(
  model: SiteModel,
  guards: GuardState[],
  target: [number, number],
  at: Date,
  walkingSpeedMps = DEFAULT_WALKING_SPEED_MPS,
): { guard: GuardState; metres: number; etaSeconds: number; via: string[] } | { guard: undefined; reason: string } {
  const { ok, reason } = qualifiedGuards(model, guards, at);
  let best: { guard: GuardState; metres: number; via: string[] } | undefined;
  for (const g of ok) {
    const w = walkingDistance(model, g.position, target);
    // `ok` is sorted by id, so a strict "<" keeps the lowest id on equal distances.
    if (!best || w.metres < best.metres) best = { guard: g, metres: w.metres, via: w.via };
  }
  if (!best) return { guard: undefined, reason };
  return { ...best, etaSeconds: best.metres / walkingSpeedMps };
}

// ---------------------------------------------------------------------------------------------
// Assignment

/**
 * Minimum-cost assignment (Kuhn–Munkres with potentials, O(n²m)) of rows to distinct columns;
 * returns each row's column, or -1 when rows outnumber columns or only forbidden (Infinity) pairs remain.
 */
export function hungarian(cost: number[][]): number[] {
  const n = cost.length;
  if (n === 0) return [];
  const m = cost[0].length;
  let maxAbs = 0;
  for (const row of cost) {
    if (row.length !== m) throw new RangeError('hungarian: expected a rectangular cost matrix');
    for (const c of row) {
      if (Number.isNaN(c) || c === -Infinity) throw new RangeError(`hungarian: invalid cost ${c}`);
      if (c !== Infinity) maxAbs = Math.max(maxAbs, Math.abs(c));
    }
  }
  if (m === 0) return new Array<number>(n).fill(-1);
  // Forbidden pairs cost FORBID, which exceeds any difference between two sums of k = min(n, m)
  // finite costs (≤ 2·k·maxAbs). The optimum therefore first uses as few forbidden pairs as
  // possible (= as many real assignments as possible), then minimises the real cost; rows left
  // on a forbidden pair are reported as -1.
  const k = Math.min(n, m);
  const FORBID = 2 * (k + 1) * (maxAbs + 1);
  const at = (i: number, j: number) => (cost[i][j] === Infinity ? FORBID : cost[i][j]);
  // The potentials algorithm needs rows ≤ columns: solve the transpose otherwise.
  const transpose = n > m;
  const R = transpose ? m : n;
  const C = transpose ? n : m;
  const a = transpose ? (i: number, j: number) => at(j, i) : at;

  // 1-indexed arrays; column 0 is the virtual start column.
  const u = new Array<number>(R + 1).fill(0);
  const v = new Array<number>(C + 1).fill(0);
  const p = new Array<number>(C + 1).fill(0); // p[j] = row matched to column j (0 = none)
  const way = new Array<number>(C + 1).fill(0);
  for (let i = 1; i <= R; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(C + 1).fill(Infinity);
    const used = new Array<boolean>(C + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= C; j++) {
        if (used[j]) continue;
        const cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= C; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const result = new Array<number>(n).fill(-1);
  for (let j = 1; j <= C; j++) {
    if (p[j] === 0) continue;
    const [row, col] = transpose ? [j - 1, p[j] - 1] : [p[j] - 1, j - 1];
    if (cost[row][col] !== Infinity) result[row] = col;
  }
  return result;
}

/** Severity weight of a walk: 1 at severity 0 up to 5 at severity 100, so severe incidents claim the nearer guards. */
export function severityWeight(severity: number): number {
  return 1 + Math.min(100, Math.max(0, severity)) / 25;
}

/**
 * Optimal guard assignment when several incidents compete: minimises Σ metres × (1 + severity/25);
 * with more incidents than guards the least severe go unserved.
 */
export function assignGuards(
  model: SiteModel,
  incidents: { id: string; target: [number, number]; severity: number }[],
  guards: GuardState[],
  at: Date,
  walkingSpeedMps = DEFAULT_WALKING_SPEED_MPS,
): { incidentId: string; guardId?: string; metres?: number; etaSeconds?: number; reason?: string }[] {
  const { ok, reason } = qualifiedGuards(model, guards, at);
  if (ok.length === 0) return incidents.map((inc) => ({ incidentId: inc.id, reason }));
  const walks = incidents.map((inc) => ok.map((g) => walkingDistance(model, g.position, inc.target).metres));
  // Weighted cost: minimising Σ metres·w(severity) is minimising severity-weighted response time;
  // when two incidents compete for one close guard, the one with the larger weight gains more
  // from it and gets it.
  const cost = walks.map((row, i) => row.map((m) => m * severityWeight(incidents[i].severity)));
  const dummies = Math.max(0, incidents.length - ok.length);
  if (dummies > 0) {
    // More incidents than guards: "unserved" columns whose cost grows with the severity rank.
    // P exceeds any possible difference in total walking cost, and leaving a more severe
    // incident unserved instead of a less severe one costs at least P more (dense ranks differ
    // by ≥ 1), so the least severe incidents go unserved first; equal severities are then
    // decided by walking cost. Ranks (not raw severities) keep the numbers well-conditioned.
    const P = 1 + cost.reduce((s, row) => s + Math.max(...row), 0);
    const levels = [...new Set(incidents.map((i) => severityWeight(i.severity)))].sort((x, y) => x - y);
    cost.forEach((row, i) => {
      const rank = levels.indexOf(severityWeight(incidents[i].severity));
      for (let d = 0; d < dummies; d++) row.push(P * (rank + 1));
    });
  }
  const cols = hungarian(cost);
  return incidents.map((inc, i) => {
    const c = cols[i];
    if (c < 0 || c >= ok.length) {
      return {
        incidentId: inc.id,
        reason: `all ${ok.length} available guard${ok.length === 1 ? ' was' : 's were'} assigned to more severe or nearer incidents`,
      };
    }
    const metres = walks[i][c];
    return { incidentId: inc.id, guardId: ok[c].id, metres, etaSeconds: metres / walkingSpeedMps };
  });
}

// ---------------------------------------------------------------------------------------------
// Checkpoint patrols

/** A point inside the zone: its centroid, or for a non-convex zone whose centroid falls outside, the middle of the widest chord at the centroid's height. */
function checkpointPoint(model: SiteModel, zoneId: string): Point | undefined {
  const c = model.centroids.get(zoneId);
  const poly = model.zones.get(zoneId)?.polygon;
  if (!c || !poly) return undefined;
  if (pointInPolygon(c, poly)) return c;
  const y = c[1];
  const xs: number[] = [];
  for (let i = 0; i < poly.length; i++) {
    const [x0, y0] = poly[i];
    const [x1, y1] = poly[(i + 1) % poly.length];
    if (y0 > y !== y1 > y) xs.push(x0 + ((y - y0) * (x1 - x0)) / (y1 - y0));
  }
  xs.sort((a, b) => a - b);
  let best: Point = c;
  let width = 0;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    if (xs[i + 1] - xs[i] > width) {
      width = xs[i + 1] - xs[i];
      best = [(xs[i] + xs[i + 1]) / 2, y];
    }
  }
  return best;
}

/** Patrol route through a checkpoint in each given zone: nearest neighbour from start on walking distance, then 2-opt; zones without a polygon are skipped. */
export function checkpointRoute(model: SiteModel, zoneIds: string[], start: [number, number]): { zone: string; point: [number, number] }[] {
  const stops: { zone: string; point: Point }[] = [];
  for (const z of new Set(zoneIds)) {
    const point = checkpointPoint(model, z);
    if (point) stops.push({ zone: z, point });
  }
  const k = stops.length;
  if (k === 0) return [];
  // Index 0 is the start; 1..k are the stops. Walking distance is symmetric, so fill both halves.
  const pts: Point[] = [start, ...stops.map((s) => s.point)];
  const d: number[][] = pts.map(() => new Array<number>(k + 1).fill(0));
  for (let i = 0; i <= k; i++) {
    for (let j = i + 1; j <= k; j++) d[i][j] = d[j][i] = walkingDistance(model, pts[i], pts[j]).metres;
  }
  // Nearest neighbour (ties: the order given).
  const order = [0];
  const left = new Set(Array.from({ length: k }, (_, i) => i + 1));
  while (left.size > 0) {
    const last = order[order.length - 1];
    let pick = -1;
    for (const j of left) if (pick < 0 || d[last][j] < d[last][pick]) pick = j;
    order.push(pick);
    left.delete(pick);
  }
  // 2-opt on an open path (the start is fixed, the route ends wherever is shortest): reversing
  // order[i..j] replaces edges (i-1,i) and (j,j+1) with (i-1,j) and (i,j+1); no (j,j+1) at the end.
  const EPS = 1e-9;
  let improved = true;
  while (improved) {
    improved = false;
    for (let i = 1; i < k; i++) {
      for (let j = i + 1; j <= k; j++) {
        const a = order[i - 1];
        const b = order[i];
        const c = order[j];
        const e = j < k ? order[j + 1] : -1;
        const before = d[a][b] + (e >= 0 ? d[c][e] : 0);
        const after = d[a][c] + (e >= 0 ? d[b][e] : 0);
        if (after < before - EPS) {
          order.splice(i, j - i + 1, ...order.slice(i, j + 1).reverse());
          improved = true;
        }
      }
    }
  }
  return order.slice(1).map((idx) => stops[idx - 1]);
}
