/**
 * The store facts an incident assessment needs: devices down, recent incidents per zone and per
 * asset. Loaded for several sites at once so an ingest batch pays three queries, not three per incident.
 */
import type { Chain } from '../domain/chain.js';
import type { Queryable } from './db.js';

export interface SitesContext {
  devicesDown: Set<string>;
  /** `${site}|${zone}` -> incidents opened within policy.severity.recurrenceDays. */
  zoneCounts: Map<string, number>;
  /** asset id -> incidents that touched it within policy.highRisk.recentDays. */
  assetRecentIncidents: Map<string, number>;
}

/** Loads the assessment context of the given sites. */
export async function loadSitesContext(tx: Queryable, chain: Chain, sites: string[], now: Date): Promise<SitesContext> {
  const policy = chain.config.policy;
  const down = await tx.query<{ id: string }>(`SELECT id FROM device_state WHERE site = ANY($1) AND (NOT online OR NOT recording)`, [sites]);
  const zoneCounts = await tx.query<{ site: string; zone: string | null; n: number }>(
    `SELECT site, zone, count(*)::int AS n FROM incidents WHERE site = ANY($1) AND opened_at >= $2 GROUP BY site, zone`,
    [sites, new Date(now.getTime() - policy.severity.recurrenceDays * 86_400_000)],
  );
  const assetIds = sites.flatMap((s) => chain.sites.get(s)?.site.assets.map((a) => a.id) ?? []);
  const assetCounts = assetIds.length
    ? await tx.query<{ asset_id: string; n: number }>(
        `SELECT asset_id, count(*)::int AS n FROM incident_assets WHERE asset_id = ANY($1) AND opened_at >= $2 GROUP BY asset_id`,
        [assetIds, new Date(now.getTime() - policy.highRisk.recentDays * 86_400_000)],
      )
    : { rows: [] };
  return {
    devicesDown: new Set(down.rows.map((r) => r.id)),
    zoneCounts: new Map(zoneCounts.rows.map((r) => [`${r.site}|${r.zone ?? ''}`, Number(r.n)])),
    assetRecentIncidents: new Map(assetCounts.rows.map((r) => [r.asset_id, Number(r.n)])),
  };
}
