/**
 * The store facts an incident assessment needs: devices down, recent incidents per zone and per
 * asset, and the zones' risk (step 11). Loaded for several sites at once, in one query, so an ingest batch pays one round trip.
 */
import type { OrgModel } from '../domain/site-model.js';
import type { StoredRisk } from '../domain/risk.js';
import type { Queryable } from './db.js';
import { openIncidentsSql, type OpenIncidentRow } from './incidents.js';
import { RISK_AT_SQL } from './risk.js';

export interface SitesContext {
  devicesDown: Set<string>;
  /** `${site}|${zone}` -> incidents opened within policy.severity.recurrenceDays. */
  zoneCounts: Map<string, number>;
  /** asset id -> incidents that touched it within policy.highRisk.recentDays. */
  assetRecentIncidents: Map<string, number>;
  /** `${site}|${zone}` -> the zone's stored risk score (step 11), for domain/risk.ts riskAt. */
  zoneRisk: Map<string, StoredRisk>;
}

/** The context's query: parameters $1 sites, $2 recurrence start, $3 asset ids, $4 recent-incidents start. */
const CONTEXT_SQL = `SELECT 'down' AS kind, id AS k1, NULL AS k2, 0 AS n FROM device_state WHERE site = ANY($1::text[]) AND (NOT online OR NOT recording)
     UNION ALL
     SELECT 'zone', site, zone, count(*)::int FROM incidents WHERE site = ANY($1::text[]) AND opened_at >= $2 GROUP BY site, zone
     UNION ALL
     SELECT 'asset', asset_id, NULL, count(*)::int FROM incident_assets WHERE asset_id = ANY($3::text[]) AND opened_at >= $4 GROUP BY asset_id
     UNION ALL
     SELECT 'risk', scope_id, json_build_object('impact', impact, 'sum', decayed_sum, 'at', ${RISK_AT_SQL('computed_at')}, 'until', ${RISK_AT_SQL('recurring_until')})::text, 0
       FROM risk_scores WHERE site = ANY($1::text[]) AND scope = 'zone'`;

type ContextRow = { kind: 'down' | 'zone' | 'asset' | 'risk' | 'open'; k1: string; k2: string | null; n: number };

function contextParams(org: OrgModel, sites: string[], now: Date): unknown[] {
  const policy = org.config.policy;
  const assetIds = sites.flatMap((s) => org.sites.get(s)?.site.assets.map((a) => a.id) ?? []);
  return [sites, new Date(now.getTime() - policy.severity.recurrenceDays * 86_400_000), assetIds, new Date(now.getTime() - policy.highRisk.recentDays * 86_400_000)];
}

function contextOf(rows: readonly ContextRow[]): SitesContext {
  const ctx: SitesContext = { devicesDown: new Set(), zoneCounts: new Map(), assetRecentIncidents: new Map(), zoneRisk: new Map() };
  for (const row of rows) {
    if (row.kind === 'down') ctx.devicesDown.add(row.k1);
    else if (row.kind === 'zone') ctx.zoneCounts.set(`${row.k1}|${row.k2 ?? ''}`, Number(row.n));
    else if (row.kind === 'risk') {
      // scope_id is '<site>/<zone>'.
      const cut = row.k1.indexOf('/');
      const v = JSON.parse(row.k2 ?? '{}') as { impact: number; sum: number; at: string; until: string | null };
      ctx.zoneRisk.set(`${row.k1.slice(0, cut)}|${row.k1.slice(cut + 1)}`, { impact: Number(v.impact), decayedSum: Number(v.sum), computedAt: new Date(v.at), recurringUntil: v.until ? new Date(v.until) : null });
    } else if (row.kind === 'asset') ctx.assetRecentIncidents.set(row.k1, Number(row.n));
  }
  return ctx;
}

/** Loads the assessment context of the given sites. */
export async function loadSitesContext(tx: Queryable, org: OrgModel, sites: string[], now: Date): Promise<SitesContext> {
  // The zones' risk rides in the same round trip: its few fields as JSON text in k2.
  const r = await tx.query<ContextRow>(CONTEXT_SQL, contextParams(org, sites, now));
  return contextOf(r.rows);
}

/**
 * The sites' unresolved incidents in the correlation window (openIncidentsForCorrelation) and
 * their assessment context (loadSitesContext) in one statement: each incident as JSON text in k2.
 * Only for a batch that changes no device state first (the context reads it).
 */
export async function loadOpenIncidentsAndContext(tx: Queryable, org: OrgModel, sites: string[], since: Date, now: Date): Promise<{ open: OpenIncidentRow[]; ctx: SitesContext }> {
  const r = await tx.query<ContextRow>(
    `${CONTEXT_SQL}
     UNION ALL
     SELECT 'open', NULL, row_to_json(o)::text, 0 FROM (${openIncidentsSql('$1::text[]', '$5')}) o`,
    [...contextParams(org, sites, now), since],
  );
  const open: OpenIncidentRow[] = [];
  for (const row of r.rows) {
    if (row.kind !== 'open') continue;
    const o = JSON.parse(row.k2!) as Omit<OpenIncidentRow, 'opened_at'> & { opened_at: string };
    open.push({ ...o, opened_at: new Date(o.opened_at), score_seq: Number(o.score_seq) });
  }
  return { open, ctx: contextOf(r.rows) };
}
