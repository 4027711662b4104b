/**
 * The store facts an incident assessment needs: devices down, recent incidents per zone and per
 * asset. Loaded for several sites at once, in one query, so an ingest batch pays one round trip.
 */
import type { OrgModel } from '../domain/site-model.js';
import type { Queryable } from './db.js';

export interface SitesContext {
  devicesDown: Set<string>;
  /** `${site}|${zone}` -> incidents opened within policy.severity.recurrenceDays. */
  zoneCounts: Map<string, number>;
  /** asset id -> incidents that touched it within policy.highRisk.recentDays. */
  assetRecentIncidents: Map<string, number>;
}

/** Loads the assessment context of the given sites. */
export async function loadSitesContext(tx: Queryable, org: OrgModel, sites: string[], now: Date): Promise<SitesContext> {
  const policy = org.config.policy;
  const assetIds = sites.flatMap((s) => org.sites.get(s)?.site.assets.map((a) => a.id) ?? []);
  const r = await tx.query<{ kind: 'down' | 'zone' | 'asset'; k1: string; k2: string | null; n: number }>(
    `SELECT 'down' AS kind, id AS k1, NULL AS k2, 0 AS n FROM device_state WHERE site = ANY($1::text[]) AND (NOT online OR NOT recording)
     UNION ALL
     SELECT 'zone', site, zone, count(*)::int FROM incidents WHERE site = ANY($1::text[]) AND opened_at >= $2 GROUP BY site, zone
     UNION ALL
     SELECT 'asset', asset_id, NULL, count(*)::int FROM incident_assets WHERE asset_id = ANY($3::text[]) AND opened_at >= $4 GROUP BY asset_id`,
    [sites, new Date(now.getTime() - policy.severity.recurrenceDays * 86_400_000), assetIds, new Date(now.getTime() - policy.highRisk.recentDays * 86_400_000)],
  );
  const ctx: SitesContext = { devicesDown: new Set(), zoneCounts: new Map(), assetRecentIncidents: new Map() };
  for (const row of r.rows) {
    if (row.kind === 'down') ctx.devicesDown.add(row.k1);
    else if (row.kind === 'zone') ctx.zoneCounts.set(`${row.k1}|${row.k2 ?? ''}`, Number(row.n));
    else ctx.assetRecentIncidents.set(row.k1, Number(row.n));
  }
  return ctx;
}
