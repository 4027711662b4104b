/**
 * Camera coverage from field-of-view geometry, on the site plan (metres). A camera's view is a
 * circular sector: its position, a direction in degrees counter-clockwise from +x (east), a full
 * opening angle and a range. Used by the investigation task (which cameras saw the zone and the
 * assets: step 9) and the equipment audit (coverage per zone and blind spots: step 13).
 *
 * Areas are exact for polygons against the sector with its arc drawn as a polygon of ARC_STEPS
 * segments per 360 degrees (relative error under 0.1 % of the sector's area).
 */
import { pointInFlatPolygon, pointInPolygon } from './geometry.js';

export type Pt = readonly [number, number];

/** A camera's field of view. */
export interface Sector {
  origin: Pt;
  /** Degrees counter-clockwise from +x. */
  direction: number;
  /** Full opening angle in degrees, (0, 360]. */
  angle: number;
  /** Metres. */
  range: number;
}

const ARC_STEPS = 256;
const EPS = 1e-9;

/** The sector of a device that has a position and a field of view, else undefined. */
export function sectorOf(d: { position?: Pt | null; fov?: { direction: number; angle: number; range: number } | null }): Sector | undefined {
  if (!d.position || !d.fov) return undefined;
  return { origin: d.position, direction: d.fov.direction, angle: d.fov.angle, range: d.fov.range };
}

/** Smallest signed difference a - b in degrees, in (-180, 180]. */
function angleDiff(a: number, b: number): number {
  let d = (((a - b) % 360) + 360) % 360;
  if (d > 180) d -= 360;
  return d;
}

/** True when `p` lies in the sector (edges included). The camera's own position is covered. */
export function sectorContains(s: Sector, p: Pt): boolean {
  return containsXY(s, p[0], p[1]);
}

function containsXY(s: Sector, x: number, y: number): boolean {
  const dx = x - s.origin[0];
  const dy = y - s.origin[1];
  // sqrt rather than Math.hypot: the same value at site-plan scale, several times faster, and this
  // runs for every sample of every zone's coverage grid.
  const dist = Math.sqrt(dx * dx + dy * dy);
  if (dist > s.range + EPS) return false;
  if (dist < EPS || s.angle >= 360) return true;
  const bearing = (Math.atan2(dy, dx) * 180) / Math.PI;
  return Math.abs(angleDiff(bearing, s.direction)) <= s.angle / 2 + 1e-7;
}

/** Signed area of a polygon (counter-clockwise positive). */
export function polygonArea(poly: readonly Pt[]): number {
  let a = 0;
  for (let i = 0; i < poly.length; i++) {
    const [x1, y1] = poly[i]!;
    const [x2, y2] = poly[(i + 1) % poly.length]!;
    a += x1 * y2 - x2 * y1;
  }
  return a / 2;
}

/**
 * The sector as convex polygons (counter-clockwise): one for an opening up to 180 degrees, more
 * pieces for a wider one, so each piece can clip with Sutherland-Hodgman.
 */
export function sectorPieces(s: Sector): Pt[][] {
  const total = Math.min(s.angle, 360);
  const pieces = Math.ceil(total / 180);
  const start = s.direction - total / 2;
  const out: Pt[][] = [];
  for (let k = 0; k < pieces; k++) {
    const a0 = start + (total * k) / pieces;
    const a1 = start + (total * (k + 1)) / pieces;
    const steps = Math.max(2, Math.ceil(((a1 - a0) / 360) * ARC_STEPS));
    const piece: Pt[] = [s.origin];
    for (let i = 0; i <= steps; i++) {
      const a = ((a0 + ((a1 - a0) * i) / steps) * Math.PI) / 180;
      piece.push([s.origin[0] + s.range * Math.cos(a), s.origin[1] + s.range * Math.sin(a)]);
    }
    out.push(piece);
  }
  return out;
}

/** Sutherland-Hodgman: `subject` (any simple polygon) clipped by the convex counter-clockwise `clip`. */
function clipConvex(subject: readonly Pt[], clip: readonly Pt[]): Pt[] {
  let out: Pt[] = [...subject];
  for (let i = 0; i < clip.length && out.length > 0; i++) {
    const a = clip[i]!;
    const b = clip[(i + 1) % clip.length]!;
    if (Math.hypot(b[0] - a[0], b[1] - a[1]) < EPS) continue;
    const inside = (p: Pt) => (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= -EPS;
    const cross = (p: Pt, q: Pt): Pt => {
      const a1 = b[1] - a[1];
      const b1 = a[0] - b[0];
      const c1 = a1 * a[0] + b1 * a[1];
      const a2 = q[1] - p[1];
      const b2 = p[0] - q[0];
      const c2 = a2 * p[0] + b2 * p[1];
      const det = a1 * b2 - a2 * b1;
      return [(b2 * c1 - b1 * c2) / det, (a1 * c2 - a2 * c1) / det];
    };
    const input = out;
    out = [];
    for (let j = 0; j < input.length; j++) {
      const cur = input[j]!;
      const prev = input[(j + input.length - 1) % input.length]!;
      if (inside(cur)) {
        if (!inside(prev)) out.push(cross(prev, cur));
        out.push(cur);
      } else if (inside(prev)) out.push(cross(prev, cur));
    }
  }
  return out;
}

/** Area of `poly` inside the sector (square metres). */
export function coveredArea(s: Sector, poly: readonly Pt[]): number {
  const ccw = polygonArea(poly) < 0 ? [...poly].reverse() : [...poly];
  return sectorPieces(s).reduce((sum, piece) => sum + Math.abs(polygonArea(clipConvex(ccw, piece))), 0);
}

/** Share of the polygon's area that the sector sees, in [0, 1]. */
export function coverageShare(s: Sector, poly: readonly Pt[]): number {
  const total = Math.abs(polygonArea(poly));
  if (total < EPS) return 0;
  return Math.min(1, coveredArea(s, poly) / total);
}

/**
 * Share of the polygon's area that at least one of the sectors sees (the union, not the sum),
 * estimated on a grid of about `samples` points inside the polygon's bounding box.
 */
export function unionCoverageShare(sectors: readonly Sector[], poly: readonly Pt[], samples = 4096): number {
  if (sectors.length === 0) return 0;
  if (sectors.length === 1) return coverageShare(sectors[0]!, poly);
  const xs = Float64Array.from(poly, (p) => p[0]);
  const ys = Float64Array.from(poly, (p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const n = Math.max(8, Math.round(Math.sqrt(samples)));
  let inside = 0;
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const x = x0 + ((i + 0.5) * (x1 - x0)) / n;
    for (let j = 0; j < n; j++) {
      const y = y0 + ((j + 0.5) * (y1 - y0)) / n;
      if (!pointInFlatPolygon(xs, ys, x, y)) continue;
      inside++;
      for (const s of sectors) {
        if (containsXY(s, x, y)) {
          seen++;
          break;
        }
      }
    }
  }
  return inside === 0 ? 0 : seen / inside;
}

/** True when the sector sees any part of the polygon. */
export function sectorTouchesPolygon(s: Sector, poly: readonly Pt[]): boolean {
  if (pointInPolygon(s.origin, poly)) return true;
  return coveredArea(s, poly) > 1e-6;
}
