/**
 * Who is on the ground: the patrols of an incident (guard, state, ETA) for its detail, and the
 * guards page (on shift, position on the site plan, current patrol), updated live from the stream
 * (patrol.updated, guard.updated).
 */
import { useEffect, useState } from 'preact/hooks';
import { fmtTime, humanize } from '../format.js';
import type { Incident, Page } from '../model.js';
import { onLiveEvent, select, setPage, type DashboardState } from '../store.js';
import { siteName, siteOf, siteTz, zoneName } from './names.js';
import { fmtLeft } from './sla.js';
import { useApi } from './use-api.js';
import { SiteFilter } from './site-filter.js';

type Patrol = Incident['patrols'][number];

interface GuardItem {
  id: string;
  site: string;
  name: string;
  phone?: string;
  position: [number, number] | null;
  onShift: boolean;
  status: string;
  updatedAt: string;
  currentPatrol: { id: string; incidentId: string | null; status: string; zone: string | null; etaSeconds: number | null; assignedAt: string } | null;
}

const guardName = (s: DashboardState, site: string, id: string | null): string => (id ? (siteOf(s, site)?.guards.find((g) => g.id === id)?.name ?? id) : 'no guard');

/** When a guard on the way should arrive: assigned time + ETA (null without an ETA or once there). */
function arrival(p: { status: string; etaSeconds: number | null; assignedAt: string; enRouteAt?: string | null }): number | null {
  if (p.etaSeconds === null || !['assigned', 'acknowledged', 'en_route'].includes(p.status)) return null;
  return Date.parse(p.enRouteAt ?? p.assignedAt) + p.etaSeconds * 1000;
}

/** The patrols of the selected incident. */
export function IncidentPatrols({ d, state: s }: { d: Incident; state: DashboardState }) {
  const tz = siteTz(s, d.site);
  const items = d.patrols ?? [];
  if (items.length === 0) return <p class="muted small">No patrol sent.</p>;
  return (
    <div class="dl-wrap">
    <table class="dl-table" aria-label="Patrols">
      <thead>
        <tr>
          <th scope="col">Guard</th>
          <th scope="col">State</th>
          <th scope="col">ETA</th>
          <th scope="col">Where</th>
          <th scope="col">Assigned</th>
        </tr>
      </thead>
      <tbody>
        {items.map((p: Patrol) => {
          const at = arrival(p);
          return (
            <tr key={p.id} data-patrol={p.id} data-guard={p.guardId ?? ''} data-state={p.status}>
              <td>
                <strong>{guardName(s, d.site, p.guardId)}</strong>
                <div class="small muted">{p.reason}</div>
              </td>
              <td>{humanize(p.status)}</td>
              <td>
                {p.etaSeconds === null ? '—' : `${Math.round(p.etaSeconds / 60)} min`}
                {at ? <div class="small muted">{at > Date.now() ? `arrives in ${fmtLeft(at - Date.now())}` : 'due now'}</div> : null}
                {p.metres !== null ? <div class="small muted">{`${p.metres} m`}</div> : null}
              </td>
              <td>{zoneName(s, p.site, p.zone) || '—'}</td>
              <td>{fmtTime(p.assignedAt, tz, 'seconds')}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
    </div>
  );
}

/** The guards page: every guard of the caller's sites, on shift or not, where, and on which patrol. */
export function GuardsPage({ state: s }: { state: DashboardState }) {
  const [site, setSite] = useState('');
  const [onShiftOnly, setOnShiftOnly] = useState(false);
  const list = useApi<Page<GuardItem>>(`/guards${site ? `?site=${encodeURIComponent(site)}` : ''}`, 15_000);
  useEffect(() => onLiveEvent((kind) => (kind === 'patrol.updated' || kind === 'guard.updated') && list.reload()), [list]);
  const items = (list.data?.items ?? []).filter((g) => !onShiftOnly || g.onShift);
  return (
    <section class="page" aria-labelledby="guards-title">
      <div class="page-head">
        <h2 id="guards-title">Guards</h2>
        <div class="page-filters">
          <SiteFilter id="guards-site" value={site} sites={s.sites.values()} onChange={setSite} />
          <label class="small">
            <input type="checkbox" checked={onShiftOnly} onChange={(e) => setOnShiftOnly(e.currentTarget.checked)} /> on shift only
          </label>
          <span class="small muted">{list.data ? `${items.length} guards` : list.loading ? 'loading…' : ''}</span>
        </div>
      </div>
      {list.error ? <p class="err">{list.error}</p> : null}
      <div class="dl-wrap">
    <table class="dl-table" aria-label="Guards">
        <thead>
          <tr>
            <th scope="col">Guard</th>
            <th scope="col">Site</th>
            <th scope="col">On shift</th>
            <th scope="col">Status</th>
            <th scope="col">Position</th>
            <th scope="col">Current patrol</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {items.map((g) => {
            const p = g.currentPatrol;
            const tz = siteTz(s, g.site);
            return (
              <tr key={g.id} data-guard={g.id} data-on-shift={String(g.onShift)}>
                <td>
                  <strong>{g.name}</strong>
                  {g.phone ? <div class="small muted">{g.phone}</div> : null}
                </td>
                <td>{siteName(s, g.site)}</td>
                <td>{g.onShift ? 'yes' : 'no'}</td>
                <td>{humanize(g.status)}</td>
                <td>{g.position ? `${g.position[0].toFixed(1)}, ${g.position[1].toFixed(1)} m` : '—'}</td>
                <td>
                  {p ? (
                    <>
                      {`${humanize(p.status)}${p.zone ? ` · ${zoneName(s, g.site, p.zone)}` : ''}${p.etaSeconds !== null ? ` · ETA ${Math.round(p.etaSeconds / 60)} min` : ''}`}
                      {p.incidentId ? (
                        <div>
                          <button
                            type="button"
                            class="link kbd-focus"
                            onClick={() => {
                              setPage('incidents');
                              select(p.incidentId!, { focus: true });
                            }}
                          >
                            {`incident ${p.incidentId}`}
                          </button>
                        </div>
                      ) : null}
                    </>
                  ) : (
                    <span class="muted">none</span>
                  )}
                </td>
                <td>{fmtTime(g.updatedAt, tz, 'seconds')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
    </section>
  );
}
