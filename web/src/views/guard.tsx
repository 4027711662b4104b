/**
 * A guard's phone view (`#page=guard`, and what a caller with the role `guard` sees first): their
 * current patrol, where (the zone and a small map with the walk drawn), why (the incident's type,
 * band and the dispatcher's reason), the assets to check, and one button per stage: acknowledge,
 * en route, on site, complete. Each tap is one `POST /api/v1/patrols/{id}/<action>` (permission
 * `patrols:act`); the server's lifecycle table decides what may follow, and the buttons show what it
 * allows. The same stages work by SMS reply (docs/dashboard.md).
 *
 * Which patrols are the guard's: `GET /api/v1/me` names the configured guard the caller is (by id
 * or name); the server already limits the patrols to the caller's sites. A caller who is no
 * configured guard (a lead trying the view) sees every patrol under way at their sites.
 */
import { useEffect, useState } from 'preact/hooks';
import { allowedPatrolActions, type PatrolApiAction } from '../../../src/domain/patrol-lifecycle.js';
import type { PatrolView } from '../../../src/store/read/patrols.js';
import { humanize } from '../format.js';
import { bandOf, type Incident } from '../model.js';
import { errorText, request, type DashboardState } from '../store.js';
import { ACTIVE_PATROL, useSiteLive } from './live.js';
import { zoneName } from './names.js';
import { patrolPath, SiteMap } from './site-plan.js';
import { useApi } from './use-api.js';

/** The caller as `GET /api/v1/me` describes them. */
export interface Me {
  name: string;
  role: string;
  sites: string[] | null;
  permissions: string[];
  guard: { id: string; name: string; site: string } | null;
}

let meCache: { token: unknown; me: Promise<Me> } | null = null;

/** The caller, asked once per sign-in (`key` changes when the session does). */
export function useMe(key: unknown): Me | null {
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    if (!key) return;
    if (!meCache || meCache.token !== key) meCache = { token: key, me: request<Me>('/me') };
    let live = true;
    meCache.me.then((m) => live && setMe(m)).catch(() => {
      meCache = null;
    });
    return () => {
      live = false;
    };
  }, [key]);
  return me;
}

/** The four stages a guard reports, in order, with their button text. */
const STAGES: readonly { action: PatrolApiAction; label: string; done: string }[] = [
  { action: 'acknowledge', label: 'Acknowledge', done: 'Acknowledged' },
  { action: 'en-route', label: 'En route', done: 'On the way' },
  { action: 'on-site', label: 'On site', done: 'On site' },
  { action: 'complete', label: 'Complete', done: 'Completed' },
];
const STAGE_STATUS: Record<PatrolApiAction, string> = { acknowledge: 'acknowledged', 'en-route': 'en_route', 'on-site': 'on_site', complete: 'completed' };
const ORDER = ['assigned', 'acknowledged', 'en_route', 'on_site', 'completed'];

export function GuardPage({ state: s }: { state: DashboardState }) {
  const me = useMe(s.screen === 'app' ? `session-${s.loginShown}` : null);
  const siteId = me?.guard?.site ?? me?.sites?.[0] ?? [...s.sites.keys()][0] ?? null;
  const live = useSiteLive(siteId);
  // The patrol on screen: kept after it is completed, so the guard sees the outcome.
  const [shownId, setShownId] = useState<string | null>(null);
  const [local, setLocal] = useState<PatrolView | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const mine = live.patrols.filter((p) => (me?.guard ? p.guardId === me.guard.id : true) && p.kind === 'response');
  const active = mine.filter((p) => ACTIVE_PATROL.has(p.status));
  const fromList = shownId ? live.patrols.find((p) => p.id === shownId) : undefined;
  const current = local && local.id === shownId && (!fromList || ORDER.indexOf(local.status) > ORDER.indexOf(fromList.status)) ? local : (fromList ?? active[0] ?? null);
  useEffect(() => {
    if (!shownId && active[0]) setShownId(active[0].id);
  }, [shownId, active[0]?.id]);

  const incident = useApi<Incident>(current?.incidentId ? `/incidents/${encodeURIComponent(current.incidentId)}` : null, 15_000);
  const site = siteId ? s.sites.get(siteId) : undefined;

  const tap = async (action: PatrolApiAction) => {
    if (!current || busy) return;
    setBusy(true);
    setMessage({ text: `${STAGES.find((x) => x.action === action)!.label}…`, error: false });
    try {
      const after = await request<PatrolView>(`/patrols/${encodeURIComponent(current.id)}/${action}`, { method: 'POST' });
      setLocal(after ?? { ...current, status: STAGE_STATUS[action] });
      setShownId(current.id);
      setMessage({ text: action === 'complete' ? 'Patrol complete. Thank you.' : `${STAGES.find((x) => x.action === action)!.done}.`, error: false });
      live.reload();
    } catch (e) {
      setMessage({ text: errorText(e), error: true });
      live.reload();
    } finally {
      setBusy(false);
    }
  };

  const heading = (
    <div class="page-head">
      <h2 id="guard-title">My patrol</h2>
      <span class="small muted">{me ? `${me.guard ? me.guard.name : me.name} · ${me.role}` : ''}</span>
    </div>
  );
  if (!live.loaded || !me)
    return (
      <section class="page guard-view" aria-labelledby="guard-title">
        {heading}
        <p class="muted">Loading…</p>
      </section>
    );
  if (!current)
    return (
      <section class="page guard-view" aria-labelledby="guard-title" data-patrol-id="">
        {heading}
        <div class="guard-card">
          <p class="guard-where">No patrol for you right now.</p>
          <p class="muted">A new patrol shows here as soon as it is assigned{me.guard ? '' : ' (you are not a configured guard: patrols of every guard at your sites are listed)'}.</p>
          {live.error ? <p class="err">{live.error}</p> : null}
        </div>
      </section>
    );

  const allowed = new Set(allowedPatrolActions(current.status, 'api'));
  const next = STAGES.find((x) => allowed.has(x.action));
  const reached = ORDER.indexOf(current.status);
  const inc = incident.data;
  const band = bandOf(inc?.severity?.band);
  const zname = zoneName(s, current.site, current.zone);
  const assetNames = current.assets.map((id) => {
    const a = site?.assets.find((x) => x.id === id);
    return { id, name: a?.name ?? id, high: live.highRiskAssets.has(id) || !!inc?.assets?.find((x) => x.id === id && x.highRisk) };
  });
  const others = active.filter((p) => p.id !== current.id);
  // The map opens on the walk: from where the guard is to the target.
  const guardAt = live.guards.find((g) => g.id === current.guardId)?.position ?? site?.guards.find((g) => g.id === current.guardId)?.position ?? null;
  const walk = site ? patrolPath(site, current, guardAt) : [];
  const focus = walk.length > 0 ? walk : current.target ? [current.target] : [];

  return (
    <section class="page guard-view" aria-labelledby="guard-title" data-patrol-id={current.id} data-patrol-status={current.status}>
      {heading}
      <div class="guard-card">
        <p class="small muted">Where</p>
        <p class="guard-where" id="guard-where">
          {zname}
          {site ? <span class="muted">{` · ${site.name}`}</span> : null}
        </p>
        <p class="small">
          {current.metres !== null ? `${current.metres} m walk` : ''}
          {current.etaSeconds !== null ? ` · about ${Math.max(1, Math.round(current.etaSeconds / 60))} min` : ''}
        </p>
        {site ? (
          <SiteMap
            site={site}
            state={s}
            live={{ ...live, patrols: [current, ...live.patrols.filter((p) => p.id !== current.id)] }}
            incident={inc}
            pulses={inc ? [{ id: inc.id, zone: inc.zone, band: inc.severity?.band ?? null, type: inc.type, assets: inc.assets }] : current.zone ? [{ id: current.id, zone: current.zone, band: null, type: 'patrol target' }] : []}
            patrolIds={[current.id]}
            maxHeight={300}
            idPrefix="guard-map"
            focus={focus}
            conesAtFirst={false}
          />
        ) : null}
      </div>
      <div class="guard-card">
        <p class="small muted">Why</p>
        <h2 id="guard-why">
          {inc ? humanize(inc.type) : current.incidentId ? 'Incident' : 'Patrol'}
          {band ? (
            <span class={`chip band-${band}`}>{band}</span>
          ) : null}
        </h2>
        <p id="guard-reason">{current.reason}</p>
        {inc ? <p class="small muted">{`Incident ${inc.id} · ${inc.status} · ${inc.eventCount ?? inc.events?.length ?? 0} event(s)`}</p> : null}
      </div>
      <div class="guard-card">
        <p class="small muted">Check</p>
        {assetNames.length ? (
          <ul class="guard-assets" aria-label="Assets to check">
            {assetNames.map((a) => (
              <li key={a.id} data-asset={a.id}>
                <strong>{a.name}</strong>
                {a.high ? <span class="hr">high risk</span> : null}
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">No particular asset: check the zone.</p>
        )}
      </div>
      <div class="guard-card">
        <p class="guard-status" id="guard-status" data-status={current.status} aria-live="polite">
          {`Status: ${humanize(current.status)}`}
        </p>
        <div class="guard-actions" role="group" aria-label="Report your progress">
          {STAGES.map((st, i) => {
            const done = reached >= i + 1 && reached <= ORDER.length - 1;
            return (
              <button
                key={st.action}
                type="button"
                data-patrol-action={st.action}
                class={st === next ? 'next' : done ? 'done-step' : undefined}
                disabled={busy || !allowed.has(st.action)}
                onClick={() => void tap(st.action)}
              >
                {done ? `✓ ${st.label}` : st.label}
              </button>
            );
          })}
        </div>
        <p class={`guard-msg${message?.error ? ' err' : ''}`} role="status">
          {message?.text ?? ''}
        </p>
        {current.status === 'completed' && others.length ? (
          <button type="button" class="primary" onClick={() => (setShownId(others[0].id), setLocal(null), setMessage(null))}>
            Next patrol
          </button>
        ) : null}
      </div>
    </section>
  );
}
