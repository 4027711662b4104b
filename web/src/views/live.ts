/**
 * `useSiteLive(site)`: a site's guards, patrols, zone and asset risk and high-risk assets,
 * loaded from the API, kept current by `guard.updated` and `patrol.updated` messages, and
 * reloaded every 20 s in case a message was missed while disconnected.
 */
import { useEffect, useState } from 'preact/hooks';
import type { GuardView } from '../../../src/store/read/guards.js';
import type { PatrolView } from '../../../src/store/read/patrols.js';
import type { RiskItem } from '../investigation-model.js';
import { onLive } from '../live-stream.js';
import type { Page } from '../model.js';
import { request } from '../store.js';

export { useLiveConnected } from '../live-stream.js';

/** Patrol statuses still under way (a guard is sent and has not finished). */
export const ACTIVE_PATROL = new Set(['assigned', 'acknowledged', 'en_route', 'on_site']);

/** What the map draws live for one site. */
export interface SiteLive {
  guards: GuardView[];
  patrols: PatrolView[];
  /** Zone id -> risk band now. */
  zoneRisk: Map<string, string>;
  /** Asset id -> risk band now. */
  assetRisk: Map<string, string>;
  highRiskAssets: Set<string>;
  loaded: boolean;
  error: string | null;
  /** Reloads everything now (after a patrol action). */
  reload(): void;
}

interface AssetItem {
  id: string;
  highRisk: boolean;
}

/** A site's live state for the map; null `site` loads nothing. */
export function useSiteLive(site: string | null): SiteLive {
  const [guards, setGuards] = useState<GuardView[]>([]);
  const [patrols, setPatrols] = useState<PatrolView[]>([]);
  const [risk, setRisk] = useState<RiskItem[]>([]);
  const [high, setHigh] = useState<Set<string>>(new Set());
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);

  useEffect(() => {
    if (!site) return;
    let live = true;
    const q = encodeURIComponent(site);
    const loadPatrols = () =>
      request<Page<PatrolView>>(`/patrols?site=${q}&limit=100`).then((r) => {
        if (live) setPatrols(r.items ?? []);
      });
    const loadAll = () => {
      const jobs = [
        request<Page<GuardView>>(`/guards?site=${q}`).then((r) => live && setGuards(r.items ?? [])),
        loadPatrols(),
        request<Page<RiskItem>>(`/risk?site=${q}&scope=zone,asset&limit=1000`)
          .then((r) => live && setRisk(r.items ?? []))
          .catch(() => live && setRisk([])),
        request<Page<AssetItem>>(`/assets?site=${q}&highRisk=true`)
          .then((r) => live && setHigh(new Set((r.items ?? []).filter((a) => a.highRisk).map((a) => a.id))))
          .catch(() => live && setHigh(new Set())),
      ];
      Promise.all(jobs)
        .then(() => live && (setError(null), setLoaded(true)))
        .catch((e: unknown) => live && (setError(e instanceof Error ? e.message : String(e)), setLoaded(true)));
    };
    loadAll();
    const timer = setInterval(loadAll, 20_000);
    let patrolTimer: ReturnType<typeof setTimeout> | undefined;
    const off = onLive((m) => {
      if (!live || m.data.site !== site) return;
      if (m.kind === 'guard.updated') {
        const d = m.data as { id?: string; position?: [number, number] | null; status?: string; onShift?: boolean };
        setGuards((list) =>
          list.map((g) =>
            g.id === d.id
              ? { ...g, ...(d.position !== undefined ? { position: d.position } : {}), ...(d.status ? { status: d.status } : {}), ...(typeof d.onShift === 'boolean' ? { onShift: d.onShift } : {}) }
              : g,
          ),
        );
      } else if (m.kind === 'patrol.updated' || m.kind === 'step.finished' || m.kind.startsWith('incident.')) {
        // A patrol moved, or a step (assign-guard-patrol) may have sent one: reload them, at most every 300 ms.
        clearTimeout(patrolTimer);
        patrolTimer = setTimeout(() => void loadPatrols().catch(() => undefined), 300);
      }
    });
    return () => {
      live = false;
      clearInterval(timer);
      clearTimeout(patrolTimer);
      off();
    };
  }, [site, n]);

  const zoneRisk = new Map<string, string>();
  const assetRisk = new Map<string, string>();
  for (const r of risk) {
    if (r.scope === 'zone') zoneRisk.set(r.id.split('/')[1] ?? r.id, r.band);
    else if (r.scope === 'asset') assetRisk.set(r.id, r.band);
  }
  return { guards, patrols, zoneRisk, assetRisk, highRiskAssets: high, loaded, error, reload: () => setN((x) => x + 1) };
}
