/**
 * The equipment page: each site's devices with their state, and its plan with the camera cones,
 * the coverage per zone and the blind spots (high-risk assets no working camera sees) marked.
 */
import { fmtAgo, humanize, r1 } from '../format.js';
import type { DeviceAudit } from '../investigation-model.js';
import type { SiteItem } from '../model.js';
import type { DashboardState } from '../store.js';
import { useApi } from './use-api.js';

export function EquipmentPage({ state: s }: { state: DashboardState }) {
  const sites = [...s.sites.values()];
  return (
    <section class="page" aria-labelledby="equipment-title">
      <div class="page-head">
        <h2 id="equipment-title">Equipment</h2>
        <span class="small muted">device state, camera coverage and blind spots per site</span>
      </div>
      {sites.length === 0 ? <p class="empty">No site plans loaded.</p> : null}
      {sites.map((site) => (
        <SiteAudit key={site.id} site={site} />
      ))}
    </section>
  );
}

function SiteAudit({ site }: { site: SiteItem }) {
  const audit = useApi<{ items: DeviceAudit[] }>(`/devices/audit?site=${encodeURIComponent(site.id)}`, 30_000);
  const a = audit.data?.items.find((x) => x.site === site.id) ?? null;
  const offline = a?.devices.filter((d) => !d.online) ?? [];
  return (
    <article class="card equipment-site" data-site={site.id}>
      <h3>
        {site.name}
        <span class="small muted">{a ? `${a.devices.length} devices · ${offline.length} offline · ${a.blindSpots.length} blind spots` : audit.loading ? 'loading…' : ''}</span>
      </h3>
      {audit.error ? <p class="err small">{audit.error}</p> : null}
      {a ? (
        <div class="two-col">
          <CoveragePlan site={site} audit={a} />
          <div>
            <table class="mini">
              <thead>
                <tr>
                  <th>Device</th>
                  <th>Kind</th>
                  <th>State</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {[...a.devices]
                  .sort((x, y) => Number(x.online) - Number(y.online) || x.id.localeCompare(y.id))
                  .map((d) => (
                    <tr key={d.id} data-device={d.id} data-online={String(d.online)}>
                      <td class="mono">{d.id}</td>
                      <td>{humanize(d.kind)}</td>
                      <td>
                        <span class={`chip ${d.online ? (d.recording === false ? 'band-medium' : 'band-low') : 'band-critical'}`}>{d.online ? (d.recording === false ? 'not recording' : 'online') : 'offline'}</span>
                      </td>
                      <td class="small">{d.lastSeenAt ? fmtAgo(d.lastSeenAt) : '—'}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
            <h4>Coverage per zone</h4>
            <ul class="bars">
              {a.coverage.map((c) => (
                <li key={c.zone}>
                  <span class="lbl">{site.zones.find((z) => z.id === c.zone)?.name ?? c.zone}</span>
                  <span class="bar" aria-hidden="true">
                    <span style={{ width: `${Math.round(c.share * 100)}%` }} />
                  </span>
                  <span class="small">{Math.round(c.share * 100)} %</span>
                </li>
              ))}
            </ul>
            {a.blindSpots.length > 0 ? (
              <>
                <h4>Blind spots</h4>
                <ul class="findings">
                  {a.blindSpots.map((b) => (
                    <li key={b.asset} class="finding sev-high" data-blind-spot={b.asset}>
                      {b.name ?? b.asset}
                      {b.zone ? <span class="small muted"> · {site.zones.find((z) => z.id === b.zone)?.name ?? b.zone}</span> : null}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </div>
        </div>
      ) : null}
    </article>
  );
}

/** The site plan with zones shaded by coverage, camera cones (working ones solid) and blind spots. */
function CoveragePlan({ site, audit }: { site: SiteItem; audit: DeviceAudit }) {
  const pts = site.zones.flatMap((z) => z.polygon ?? []);
  if (pts.length === 0) return <p class="small muted">This site has no plan.</p>;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 2;
  const W = x1 - x0 + 2 * pad;
  const H = y1 - y0 + 2 * pad;
  // Plan y grows north; SVG y grows down.
  const X = (x: number) => r1(x - x0 + pad);
  const Y = (y: number) => r1(y1 - y + pad);
  const share = new Map(audit.coverage.map((c) => [c.zone, c.share]));
  const state = new Map(audit.devices.map((d) => [d.id, d]));
  const blind = new Set(audit.blindSpots.map((b) => b.asset));
  return (
    <svg viewBox={`0 0 ${r1(W)} ${r1(H)}`} class="coverage-plan" role="img" aria-label={`Plan of ${site.name} with camera coverage`}>
      {site.zones.map((z) =>
        z.polygon ? (
          <polygon key={z.id} points={z.polygon.map((p) => `${X(p[0])},${Y(p[1])}`).join(' ')} class="zone" style={{ fillOpacity: String(0.08 + 0.5 * (share.get(z.id) ?? 0)) }}>
            <title>{`${z.name}: ${Math.round((share.get(z.id) ?? 0) * 100)} % covered`}</title>
          </polygon>
        ) : null,
      )}
      {site.devices.map((d) => {
        if (!d.position || !d.fov) return null;
        const st = state.get(d.id);
        const working = st ? st.online && st.recording !== false : true;
        const a0 = ((d.fov.direction - d.fov.angle / 2) * Math.PI) / 180;
        const a1 = ((d.fov.direction + d.fov.angle / 2) * Math.PI) / 180;
        const [px, py] = d.position;
        const r = d.fov.range;
        const large = d.fov.angle > 180 ? 1 : 0;
        const path =
          d.fov.angle >= 360
            ? `M ${X(px - r)} ${Y(py)} a ${r} ${r} 0 1 0 ${2 * r} 0 a ${r} ${r} 0 1 0 ${-2 * r} 0`
            : `M ${X(px)} ${Y(py)} L ${X(px + r * Math.cos(a0))} ${Y(py + r * Math.sin(a0))} A ${r} ${r} 0 ${large} 0 ${X(px + r * Math.cos(a1))} ${Y(py + r * Math.sin(a1))} Z`;
        return (
          <g key={d.id} data-camera={d.id}>
            <path d={path} class={working ? 'cone' : 'cone down'}>
              <title>{`${d.id}: ${working ? 'working' : 'offline or not recording'}`}</title>
            </path>
            <circle cx={X(px)} cy={Y(py)} r={0.6} class={working ? 'cam' : 'cam down'} />
          </g>
        );
      })}
      {site.assets.map((as) =>
        as.position ? (
          <g key={as.id} data-asset={as.id}>
            <rect x={X(as.position[0]) - 0.7} y={Y(as.position[1]) - 0.7} width={1.4} height={1.4} class={blind.has(as.id) ? 'asset blind' : 'asset'} />
            {blind.has(as.id) ? <circle cx={X(as.position[0])} cy={Y(as.position[1])} r={1.8} class="blind-ring" /> : null}
            <title>{`${as.name}${blind.has(as.id) ? ': no working camera sees it' : ''}`}</title>
          </g>
        ) : null,
      )}
    </svg>
  );
}
