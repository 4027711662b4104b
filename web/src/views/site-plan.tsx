/**
 * The site plan (metres, x east, y north): zones (the incident's highlighted in its band colour,
 * restricted ones hatched), cameras with their field of view, the other devices (the ones that
 * reported an event ringed), assets sized by value (the touched ones coloured, high-risk ones
 * ringed), guards, a scale bar and north. Zone geometry is the domain's own (centroid,
 * point-in-polygon); labels are placed so they do not overlap.
 */
import type { VNode } from 'preact';
import { centroid, pointInPolygon } from '../../../src/domain/geometry.js';
import { fmtMoney, humanize, r1 } from '../format.js';
import { BAND_COLOUR, bandOf, type Incident, type IncidentAsset, type Point, type SiteItem } from '../model.js';
import type { DashboardState } from '../store.js';
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
 * Places asset labels without overlap (with each other, the dots and the zone names): right of
 * the dot, else left, above or below; a label that fits nowhere is left out (the dot keeps its
 * tooltip and the asset list names it).
 */
function placeLabels(wanted: WantedLabel[], W: number, H: number, obstacles: Box[]): VNode[] {
  const placed: Box[] = [...obstacles, ...wanted.map((l) => ({ x0: l.x - l.r, y0: l.y - l.r, x1: l.x + l.r, y1: l.y + l.r }))];
  const fits = (b: Box) => b.x0 >= 2 && b.x1 <= W - 2 && b.y0 >= 2 && b.y1 <= H - 2 && !placed.some((p) => !(b.x1 < p.x0 || b.x0 > p.x1 || b.y1 < p.y0 || b.y0 > p.y1));
  const out: VNode[] = [];
  for (const l of [...wanted].sort((a, b) => b.rank - a.rank || b.value - a.value)) {
    const text = l.name.length > 26 ? `${l.name.slice(0, 25)}…` : l.name;
    const w = text.length * 6.4;
    const candidates: { x: number; y: number; anchor: string; box: Box }[] = [
      { x: l.x + l.r + 6, y: l.y + 4, anchor: 'start', box: { x0: l.x + l.r + 6, y0: l.y - 8, x1: l.x + l.r + 6 + w, y1: l.y + 5 } },
      { x: l.x - l.r - 6, y: l.y + 4, anchor: 'end', box: { x0: l.x - l.r - 6 - w, y0: l.y - 8, x1: l.x - l.r - 6, y1: l.y + 5 } },
      { x: l.x, y: l.y - l.r - 6, anchor: 'middle', box: { x0: l.x - w / 2, y0: l.y - l.r - 18, x1: l.x + w / 2, y1: l.y - l.r - 3 } },
      { x: l.x, y: l.y + l.r + 14, anchor: 'middle', box: { x0: l.x - w / 2, y0: l.y + l.r + 3, x1: l.x + w / 2, y1: l.y + l.r + 17 } },
    ];
    const c = candidates.find((k) => fits(k.box));
    if (!c) continue;
    placed.push(c.box);
    out.push(
      <text key={`${l.name}-${l.x}-${l.y}`} x={r1(c.x)} y={r1(c.y)} font-size={11} font-weight={600} text-anchor={c.anchor} class="halo">
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

export function SitePlan({ d, site, sitesLoaded, state: s }: { d: Incident; site: SiteItem | undefined; sitesLoaded: boolean; state: DashboardState }) {
  if (!site) return <p class="muted">{sitesLoaded ? `No site plan for ${d.site}.` : 'Loading the site plan…'}</p>;
  const zones = site.zones.filter((z): z is typeof z & { polygon: Point[] } => Array.isArray(z.polygon) && z.polygon.length >= 3);
  if (zones.length === 0) return <p class="muted">No zone outlines are configured for this site.</p>;
  const incidentZones = new Set((d.zones?.length ? d.zones : [d.zone]).filter((z): z is string => !!z));
  const touched = new Map((d.assets ?? []).map((a) => [a.id, a]));
  const adjacentHigh = new Map((d.adjacentHighRisk ?? []).map((a) => [a.id, a]));
  const eventDevices = new Set((d.events ?? []).map((e) => e.device).filter(Boolean));
  const currency = d.loss?.currency || 'USD';
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
  const W = 600;
  const pad = 16;
  const bottom = 26;
  const k = Math.min((W - 2 * pad) / spanX, 520 / spanY);
  const H = Math.round(spanY * k + pad + bottom);
  const ox = (W - spanX * k) / 2;
  const X = (x: number) => r1(ox + (x - minX) * k);
  const Y = (y: number) => r1(pad + (maxY - y) * k);
  const P = (pt: Point) => `${X(pt[0])},${Y(pt[1])}`;

  const hatch = 'plan-restricted-hatch';
  const clip = 'plan-clip';
  const band = bandOf(d.severity?.band);
  const bandCol = band ? BAND_COLOUR[band] : '#5cb3ff';

  // Zones and their names (a name is an obstacle for the asset labels).
  const zoneLabelBoxes: Box[] = [];
  const zoneShapes: VNode[] = [];
  const zoneLabels: VNode[] = [];
  for (const z of zones) {
    const hit = incidentZones.has(z.id);
    const pts = z.polygon.map(P).join(' ');
    zoneShapes.push(
      <g key={z.id} data-zone={z.id} data-highlight={hit ? 'true' : 'false'} data-restricted={z.restricted ? 'true' : 'false'}>
        <title>{`${z.name}${z.restricted ? ' (restricted)' : ''}${hit ? ' — incident zone' : ''}; ${humanize(z.kind)}; adjacent: ${(z.adjacent ?? []).map(zname).join(', ') || 'none'}`}</title>
        <polygon points={pts} fill={hit ? bandCol : z.restricted ? '#2a2035' : '#1a2535'} fill-opacity={hit ? 0.28 : 1} stroke="#3b4e68" stroke-width={1} />
        {z.restricted ? <polygon points={pts} fill={`url(#${hatch})`} stroke="none" /> : null}
        {hit ? <polygon points={pts} fill="none" stroke={bandCol} stroke-width={3} stroke-linejoin="round" class="zone-hit" /> : null}
      </g>,
    );

    const zx = z.polygon.map((p) => p[0]);
    const zy = z.polygon.map((p) => p[1]);
    const widthPx = (Math.max(...zx) - Math.min(...zx)) * k;
    const fs = 11;
    const maxChars = Math.max(3, Math.floor((widthPx - 8) / (fs * 0.6)));
    // The incident's zone keeps its whole name (it may run over its neighbour; the halo keeps it legible).
    const name = !hit && z.name.length > maxChars ? `${z.name.slice(0, Math.max(1, maxChars - 1))}…` : z.name;
    const corner: Point = [Math.min(...zx) + 4 / k, Math.max(...zy) - 4 / k];
    const atCorner = pointInPolygon(corner, z.polygon);
    const [lx, ly] = atCorner ? corner : centroid(z.polygon);
    const tw = name.length * fs * 0.6;
    zoneLabelBoxes.push(atCorner ? { x0: X(lx) + 2, y0: Y(ly) + 2, x1: X(lx) + 2 + tw, y1: Y(ly) + fs + 4 } : { x0: X(lx) - tw / 2, y0: Y(ly) - fs, x1: X(lx) + tw / 2, y1: Y(ly) + 3 });
    zoneLabels.push(
      <text
        key={z.id}
        x={r1(X(lx) + (atCorner ? 2 : 0))}
        y={r1(Y(ly) + (atCorner ? fs + 2 : 0))}
        font-size={fs}
        text-anchor={atCorner ? 'start' : 'middle'}
        class={`halo${hit ? '' : ' muted-t'}`}
        font-weight={hit ? 700 : 400}
      >
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
    if (dev.kind === 'camera' && dev.fov) {
      const { direction, angle, range } = dev.fov;
      const rr = range * k;
      const look = {
        fill: '#5cb3ff',
        'fill-opacity': coversIncident ? 0.22 : 0.08,
        stroke: '#5cb3ff',
        'stroke-opacity': coversIncident ? 0.7 : 0.25,
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
  const assetDots = assets.map((a) => {
    const t = touched.get(a.id);
    const adj = adjacentHigh.get(a.id);
    const info = t ?? adj;
    const high = info ? !!info.highRisk || !!adj : false;
    const r = 3 + 9 * Math.sqrt((Number(a.value) || 0) / maxValue);
    const [ax, ay] = a.position;
    const fill = t ? (high ? '#ef4b55' : '#e6b422') : adj ? '#b38cff' : '#6b7b90';
    const reasons = info?.highRiskReasons?.length ? ` · high risk: ${info.highRiskReasons.join('; ')}` : '';
    const tip = `${a.name} (${a.id}) · ${humanize(a.category)} · ${fmtMoney(a.value, currency)}${t ? ` · involved (${t.relation || 'touched'})` : adj ? ' · high-risk, adjacent zone' : ''}${reasons}${t?.status ? ` · status ${t.status}` : ''}`;
    if (t || adj) labelWanted.push({ name: a.name, x: X(ax), y: Y(ay), r, rank: (t ? 2 : 0) + (high ? 1 : 0), value: Number(a.value) || 0 });
    return (
      <g key={a.id} data-asset={a.id} data-touched={t ? 'true' : 'false'} data-high-risk={high ? 'true' : 'false'}>
        <title>{tip}</title>
        {t && high ? <circle cx={X(ax)} cy={Y(ay)} r={r1(r + 5)} fill="none" stroke="#ef4b55" stroke-width={2} stroke-dasharray={t.relation === 'named' ? undefined : '3 2'} /> : null}
        <circle cx={X(ax)} cy={Y(ay)} r={r1(r)} fill={fill} fill-opacity={t || adj ? 0.95 : 0.6} stroke="#0d131c" stroke-width={1.5} />
      </g>
    );
  });
  const assetLabels = placeLabels(labelWanted, W, H, zoneLabelBoxes);

  // Guards
  const guards = (site.guards ?? []).flatMap((gd) => {
    if (!gd.position) return [];
    const x = X(gd.position[0]);
    const y = Y(gd.position[1]);
    return [
      <g key={gd.id} data-guard={gd.id}>
        <title>{`Guard ${gd.name}${gd.onShift ? ' (on shift)' : ' (off shift)'}`}</title>
        <path d={`M${x},${r1(y - 7)} L${r1(x + 6)},${r1(y + 5)} L${r1(x - 6)},${r1(y + 5)} Z`} fill={gd.onShift ? '#38c7b5' : 'none'} stroke="#38c7b5" stroke-width={1.5} />
      </g>,
    ];
  });

  // Scale bar and north arrow
  const step = niceStep(spanX, 5);
  const sbY = H - 8;
  const nx = W - 16;

  const list: IncidentAsset[] = [...touched.values(), ...adjacentHigh.values()];
  return (
    <div>
      <div class="plan-wrap">
        <svg
          viewBox={`0 0 ${W} ${H}`}
          class="chart site-plan"
          role="img"
          aria-label={`Site plan of ${site.name}: incident in ${[...incidentZones].map(zname).join(', ')}; ${touched.size} asset(s) involved`}
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
          <g class="fov" clip-path={`url(#${clip})`}>
            {fovs}
          </g>
          <g class="zone-labels" pointer-events="none">
            {zoneLabels}
          </g>
          <g class="devices">{devices}</g>
          <g class="assets">{assetDots}</g>
          <g class="guards">{guards}</g>
          <g class="asset-labels" pointer-events="none">
            {assetLabels}
          </g>
          <line x1={X(minX)} x2={r1(X(minX) + step * k)} y1={sbY} y2={sbY} stroke="#93a4b8" stroke-width={2} />
          <text x={r1(X(minX) + step * k + 6)} y={sbY + 4} font-size={10} class="muted-t">
            {`${step} m`}
          </text>
          <path d={`M${nx},${H - 22} L${nx + 5},${H - 8} L${nx},${H - 11} L${nx - 5},${H - 8} Z`} fill="#93a4b8">
            <title>north</title>
          </path>
          <text x={nx - 10} y={H - 10} font-size={10} text-anchor="end" class="muted-t">
            N
          </text>
        </svg>
      </div>
      <ul class="legend">
        <li>
          <span class="sw" style={{ '--sw': bandCol }} />
          incident zone
        </li>
        <li>
          <span class="sw hatch" />
          restricted zone
        </li>
        <li>
          <span class="sw round" style={{ '--sw': '#ef4b55' }} />
          high-risk asset involved
        </li>
        <li>
          <span class="sw round" style={{ '--sw': '#e6b422' }} />
          asset involved
        </li>
        <li>
          <span class="sw round" style={{ '--sw': '#6b7b90' }} />
          other asset (size = value)
        </li>
        <li>
          <span class="sw" style={{ '--sw': 'rgba(92,179,255,0.45)' }} />
          camera view
        </li>
        <li>
          <span class="sw" style={{ '--sw': '#38c7b5' }} />
          guard
        </li>
      </ul>
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
