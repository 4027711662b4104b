/**
 * The site plan of an incident report, drawn twice from the report's `sitePlan` (one geometry,
 * two surfaces): as inline SVG for the HTML report and on a pdfkit page for the PDF. Zones as
 * polygons (the incident's zones highlighted, restricted zones hatched grey), assets as dots
 * (high-risk ones red, touched ones ringed), cameras as squares with their field of view as a
 * translucent sector, and each patrol's path as a dashed line ending in an arrow-less dot.
 *
 * Plan coordinates are metres with y to the north; drawings have y down, so y is flipped.
 */
import type { PdfDoc } from './charts.js';
import type { SitePlan } from './incident-report.js';

type Pt = [number, number];

/** Colours shared by both drawings (and the legend). */
export const PLAN_COLOURS = {
  zone: '#f4f6f8',
  zoneStroke: '#8a96a3',
  incident: '#fde2c8',
  incidentStroke: '#d35400',
  restricted: '#e6e6ee',
  asset: '#4a6fa5',
  highRisk: '#c0392b',
  camera: '#2c3e50',
  fov: '#3498db',
  path: '#16a085',
} as const;

/** Maps plan metres into a drawing box (y flipped), keeping the aspect ratio. */
export function planTransform(plan: SitePlan, box: { x: number; y: number; width: number; height: number }, pad = 8): { map: (p: readonly number[]) => Pt; scale: number } {
  const [minX, minY, maxX, maxY] = plan.bounds;
  const w = Math.max(1e-6, maxX - minX);
  const h = Math.max(1e-6, maxY - minY);
  const scale = Math.min((box.width - 2 * pad) / w, (box.height - 2 * pad) / h);
  const ox = box.x + pad + (box.width - 2 * pad - w * scale) / 2;
  const oy = box.y + pad + (box.height - 2 * pad - h * scale) / 2;
  return { scale, map: (p) => [ox + (p[0] - minX) * scale, oy + (maxY - p[1]) * scale] };
}

/** The height a plan takes at a width (aspect ratio kept, clamped to [120, maxHeight]). */
export function planHeight(plan: SitePlan, width: number, maxHeight = 360): number {
  const [minX, minY, maxX, maxY] = plan.bounds;
  const ratio = (maxY - minY) / Math.max(1e-6, maxX - minX);
  return Math.max(120, Math.min(maxHeight, Math.round(width * ratio) + 16));
}

/** A field of view as a polygon in plan metres (the camera, then the arc). */
export function fovPolygon(position: Pt, fov: { direction: number; angle: number; range: number }): Pt[] {
  const angle = Math.min(360, fov.angle);
  const steps = Math.max(4, Math.ceil(angle / 10));
  const start = fov.direction - angle / 2;
  const arc: Pt[] = [];
  for (let i = 0; i <= steps; i++) {
    const a = ((start + (angle * i) / steps) * Math.PI) / 180;
    arc.push([position[0] + fov.range * Math.cos(a), position[1] + fov.range * Math.sin(a)]);
  }
  return angle >= 360 ? arc : [position, ...arc];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (n: number) => n.toFixed(1);
const pts = (ps: Pt[]) => ps.map((p) => `${f(p[0])},${f(p[1])}`).join(' ');

/** The plan as an inline SVG element (width px; the height follows the plan's aspect ratio). */
export function sitePlanSvg(plan: SitePlan, width = 680): string {
  const height = planHeight(plan, width);
  const t = planTransform(plan, { x: 0, y: 0, width, height });
  const c = PLAN_COLOURS;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="site-plan" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Site plan">`,
    `<defs><clipPath id="plan-clip"><rect x="0" y="0" width="${width}" height="${height}"/></clipPath>`,
    `<pattern id="restricted-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${c.restricted}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c5c5d0" stroke-width="2"/></pattern></defs>`,
    `<g clip-path="url(#plan-clip)">`,
  ];
  for (const z of plan.zones) {
    const fill = z.incident ? c.incident : z.restricted ? 'url(#restricted-hatch)' : c.zone;
    const stroke = z.incident ? c.incidentStroke : c.zoneStroke;
    out.push(`<polygon class="zone${z.incident ? ' incident-zone' : ''}" data-zone="${esc(z.id)}" points="${pts(z.polygon.map(t.map))}" fill="${fill}" stroke="${stroke}" stroke-width="${z.incident ? 2.5 : 1}"/>`);
  }
  for (const cam of plan.cameras) {
    if (!cam.fov) continue;
    out.push(`<polygon class="fov" data-camera="${esc(cam.id)}" points="${pts(fovPolygon(cam.position, cam.fov).map(t.map))}" fill="${c.fov}" fill-opacity="${cam.coversIncident ? 0.22 : 0.1}" stroke="${c.fov}" stroke-opacity="0.5" stroke-width="0.8"/>`);
  }
  for (const z of plan.zones) {
    const [x, y] = t.map(centroidOf(z.polygon));
    out.push(`<text x="${f(x)}" y="${f(y)}" font-size="10" text-anchor="middle" fill="${z.incident ? c.incidentStroke : '#555'}"${z.incident ? ' font-weight="bold"' : ''}>${esc(z.name)}</text>`);
  }
  for (const g of plan.guardPaths) {
    if (g.points.length < 2) continue;
    const ps = g.points.map(t.map);
    out.push(`<polyline class="guard-path" data-patrol="${esc(g.patrolId)}" points="${pts(ps)}" fill="none" stroke="${c.path}" stroke-width="2" stroke-dasharray="6 4"/>`);
    const [sx, sy] = ps[0];
    const [ex, ey] = ps[ps.length - 1];
    out.push(`<circle cx="${f(sx)}" cy="${f(sy)}" r="3.5" fill="#fff" stroke="${c.path}" stroke-width="2"/>`, `<circle cx="${f(ex)}" cy="${f(ey)}" r="4" fill="${c.path}"/>`);
    if (g.guardId) out.push(`<text x="${f(sx + 5)}" y="${f(sy - 5)}" font-size="9" fill="${c.path}">${esc(g.guardId)}</text>`);
  }
  for (const cam of plan.cameras) {
    const [x, y] = t.map(cam.position);
    out.push(`<rect class="camera" data-camera="${esc(cam.id)}" x="${f(x - 3.5)}" y="${f(y - 3.5)}" width="7" height="7" fill="${c.camera}"><title>${esc(cam.id)}</title></rect>`);
  }
  for (const a of plan.assets) {
    const [x, y] = t.map(a.position);
    if (a.touched) out.push(`<circle cx="${f(x)}" cy="${f(y)}" r="7" fill="none" stroke="${c.incidentStroke}" stroke-width="1.5"/>`);
    out.push(`<circle class="asset${a.highRisk ? ' high-risk' : ''}" data-asset="${esc(a.id)}" cx="${f(x)}" cy="${f(y)}" r="4" fill="${a.highRisk ? c.highRisk : c.asset}"><title>${esc(a.name)}${a.highRisk ? ' (high risk)' : ''}</title></circle>`);
  }
  out.push('</g></svg>');
  return out.join('');
}

/** The plan's legend, for both drawings. */
export const PLAN_LEGEND: { label: string; colour: string }[] = [
  { label: 'incident zone', colour: PLAN_COLOURS.incidentStroke },
  { label: 'asset', colour: PLAN_COLOURS.asset },
  { label: 'high-risk asset', colour: PLAN_COLOURS.highRisk },
  { label: 'camera and field of view', colour: PLAN_COLOURS.fov },
  { label: "guard's path", colour: PLAN_COLOURS.path },
];

/** Draws the plan on a pdfkit page in the box; returns the height used. `text` makes strings WinAnsi-safe. */
export function drawSitePlan(doc: PdfDoc, plan: SitePlan, box: { x: number; y: number; width: number }, text: (s: string) => string = (s) => s): number {
  const height = planHeight(plan, box.width, 300);
  const t = planTransform(plan, { ...box, height });
  const c = PLAN_COLOURS;
  const poly = (ps: Pt[]) => {
    const m = ps.map(t.map);
    doc.moveTo(m[0][0], m[0][1]);
    for (const p of m.slice(1)) doc.lineTo(p[0], p[1]);
    doc.closePath();
  };
  doc.save();
  doc.rect(box.x, box.y, box.width, height).clip();
  for (const z of plan.zones) {
    poly(z.polygon);
    doc.lineWidth(z.incident ? 2 : 0.8).fillAndStroke(z.incident ? c.incident : z.restricted ? c.restricted : c.zone, z.incident ? c.incidentStroke : c.zoneStroke);
  }
  for (const cam of plan.cameras) {
    if (!cam.fov) continue;
    poly(fovPolygon(cam.position, cam.fov));
    doc.fillOpacity(cam.coversIncident ? 0.22 : 0.1).fill(c.fov).fillOpacity(1);
  }
  doc.font('Helvetica').fontSize(7);
  for (const z of plan.zones) {
    const [x, y] = t.map(centroidOf(z.polygon));
    const label = text(z.name);
    const w = doc.widthOfString(label);
    doc.fillColor(z.incident ? c.incidentStroke : '#555').text(label, x - w / 2, y - 3, { lineBreak: false });
  }
  for (const g of plan.guardPaths) {
    if (g.points.length < 2) continue;
    const ps = g.points.map(t.map);
    doc.moveTo(ps[0][0], ps[0][1]);
    for (const p of ps.slice(1)) doc.lineTo(p[0], p[1]);
    doc.lineWidth(1.5).dash(5, { space: 3 }).stroke(c.path).undash();
    doc.circle(ps[0][0], ps[0][1], 2.5).lineWidth(1.5).fillAndStroke('#ffffff', c.path);
    doc.circle(ps[ps.length - 1][0], ps[ps.length - 1][1], 3).fill(c.path);
    if (g.guardId) doc.fillColor(c.path).fontSize(6.5).text(text(g.guardId), ps[0][0] + 4, ps[0][1] - 9, { lineBreak: false });
  }
  for (const cam of plan.cameras) {
    const [x, y] = t.map(cam.position);
    doc.rect(x - 2.5, y - 2.5, 5, 5).fill(c.camera);
  }
  for (const a of plan.assets) {
    const [x, y] = t.map(a.position);
    if (a.touched) doc.circle(x, y, 5.5).lineWidth(1.2).stroke(c.incidentStroke);
    doc.circle(x, y, 3).fill(a.highRisk ? c.highRisk : c.asset);
  }
  doc.restore();
  // Legend under the plan.
  let lx = box.x;
  const ly = box.y + height + 4;
  doc.font('Helvetica').fontSize(7.5);
  for (const l of PLAN_LEGEND) {
    doc.rect(lx, ly + 1, 7, 7).fill(l.colour);
    doc.fillColor('#333').text(text(l.label), lx + 10, ly, { lineBreak: false });
    lx += 14 + doc.widthOfString(text(l.label)) + 10;
  }
  return height + 16;
}

/** Average of a polygon's vertices (label position). */
function centroidOf(poly: Pt[]): Pt {
  const n = poly.length || 1;
  return [poly.reduce((s, p) => s + p[0], 0) / n, poly.reduce((s, p) => s + p[1], 0) / n];
}
