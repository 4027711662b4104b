/**
 * The Map tab (`#page=map`, `&site=` optional): one site's map with every open incident pulsing
 * (a click opens it), zones coloured by risk, the guards at their live positions and the patrols
 * under way drawn through the plan; beside it, the guards and the patrols as lists. The site
 * picker lists the sites the caller may see.
 */
import { useState } from 'preact/hooks';
import { fmtTime, humanize } from '../format.js';
import { bandClass, STATUS_FILTERS, type IncidentSummary, type Page } from '../model.js';
import { select, setPage, type DashboardState } from '../store.js';
import { ACTIVE_PATROL, useSiteLive } from './live.js';
import { zoneName } from './names.js';
import { MapLegend, SiteMap } from './site-plan.js';
import { useApi } from './use-api.js';

const SITE_KEY = 'vigil.mapSite';

function storedSite(): string | null {
  try {
    return localStorage.getItem(SITE_KEY);
  } catch {
    return null;
  }
}

export function SiteMapPage({ state: s }: { state: DashboardState }) {
  const ids = [...s.sites.keys()];
  const [picked, setPicked] = useState<string | null>(storedSite);
  const siteId = picked && s.sites.has(picked) ? picked : (ids[0] ?? null);
  const site = siteId ? s.sites.get(siteId) : undefined;
  const live = useSiteLive(siteId);
  const open = useApi<Page<IncidentSummary>>(siteId ? `/incidents?site=${encodeURIComponent(siteId)}&status=${STATUS_FILTERS.active.join(',')}&limit=50` : null, 5000);
  const incidents = open.data?.items ?? [];
  const tz = site?.timezone;

  const choose = (id: string) => {
    setPicked(id);
    try {
      localStorage.setItem(SITE_KEY, id);
    } catch {
      /* storage blocked */
    }
  };
  const openIncident = (id: string) => {
    setPage('incidents');
    select(id, { focus: true });
  };
  const guardName = (id: string | null) => (id ? (site?.guards.find((g) => g.id === id)?.name ?? live.guards.find((g) => g.id === id)?.name ?? id) : '—');
  const underWay = live.patrols.filter((p) => ACTIVE_PATROL.has(p.status));

  return (
    <section class="page" aria-labelledby="map-title">
      <div class="page-head">
        <h2 id="map-title">Site map</h2>
        <label class="small">
          {'Site '}
          <select id="map-site" value={siteId ?? ''} onChange={(e) => choose((e.currentTarget as HTMLSelectElement).value)}>
            {ids.map((id) => (
              <option key={id} value={id}>
                {s.sites.get(id)?.name ?? id}
              </option>
            ))}
          </select>
        </label>
        <span class="small muted">drag or arrow keys to pan · wheel, pinch or +/− to zoom</span>
      </div>
      {!s.sitesLoaded ? <p class="muted">Loading the site plans…</p> : null}
      {s.sitesLoaded && !site ? <p class="empty">No site plan is configured for the sites you may see.</p> : null}
      {live.error ? <p class="err">{live.error}</p> : null}
      {site ? (
        <div class="map-page">
          <div>
            <SiteMap
              key={site.id}
              site={site}
              state={s}
              live={live}
              pulses={incidents.map((i) => ({ id: i.id, zone: i.zone, band: i.severity?.band ?? null, type: i.type }))}
              onIncident={openIncident}
              maxHeight={640}
              minHeight={Math.min(440, Math.round(window.innerHeight * 0.55))}
            />
            <MapLegend />
          </div>
          <div class="map-side">
            <section aria-labelledby="map-incidents">
              <h3 id="map-incidents">{`Open incidents (${incidents.length})`}</h3>
              {incidents.length === 0 ? <p class="small muted">None.</p> : null}
              <ul>
                {incidents.slice(0, 12).map((i) => (
                  <li key={i.id}>
                    <span class={`chip ${bandClass(i.severity?.band)}`}>{i.severity?.band}</span>
                    <button type="button" class="link" onClick={() => openIncident(i.id)}>
                      {`${humanize(i.type)} · ${zoneName(s, i.site, i.zone)}`}
                    </button>
                    <span class="small muted">{fmtTime(i.openedAt, tz)}</span>
                  </li>
                ))}
              </ul>
            </section>
            <section aria-labelledby="map-guards">
              <h3 id="map-guards">Guards</h3>
              <ul>
                {live.guards.map((g) => {
                  const p = underWay.find((x) => x.guardId === g.id);
                  return (
                    <li key={g.id} data-guard-row={g.id}>
                      <strong>{g.name}</strong>
                      <span class="small muted">{p ? `${humanize(p.status)} → ${zoneName(s, p.site, p.zone)}` : g.onShift ? humanize(g.status) : 'off shift'}</span>
                    </li>
                  );
                })}
              </ul>
            </section>
            <section aria-labelledby="map-patrols">
              <h3 id="map-patrols">{`Patrols under way (${underWay.length})`}</h3>
              {underWay.length === 0 ? <p class="small muted">None.</p> : null}
              <ul>
                {underWay.map((p) => (
                  <li key={p.id} data-patrol-row={p.id}>
                    <span>{`${guardName(p.guardId)}: ${humanize(p.status)}`}</span>
                    <span class="small muted">{`${zoneName(s, p.site, p.zone)}${p.metres !== null ? ` · ${p.metres} m` : ''}`}</span>
                  </li>
                ))}
              </ul>
            </section>
          </div>
        </div>
      ) : null}
    </section>
  );
}
