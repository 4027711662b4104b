/**
 * Read model of the asset registry: each asset with its status and its count of recent incidents
 * (what the high-risk rule needs).
 */
import { normalizeAmount } from '../../domain/money.js';
import type { Queryable } from '../db.js';
import { Where } from '../where.js';

/** A registry row with its count of recent incidents (policy.highRisk.recentDays). */
export interface AssetRow {
  id: string;
  site: string;
  zone: string;
  name: string;
  category: string;
  value: string;
  currency: string;
  vulnerability: number;
  sensitiveData: boolean;
  status: string;
  recentIncidents: number;
}

/** The asset registry (sites in `sites`, or all), with incidents that touched each asset since `since`. */
export async function listAssetRows(q: Queryable, sites: readonly string[] | undefined, since: Date): Promise<AssetRow[]> {
  const w = new Where();
  const sinceP = w.p(since);
  w.anyOf('a.site', sites);
  const r = await q.query<{
    id: string; site: string; zone: string; name: string; category: string; value: string; currency: string;
    vulnerability: number; sensitive_data: boolean; status: string; recent: number;
  }>(
    `SELECT a.id, a.site, a.zone, a.name, a.category, a.value::text AS value, a.currency, a.vulnerability, a.sensitive_data, a.status,
            coalesce(ia.n, 0)::int AS recent
       FROM assets a
       LEFT JOIN (SELECT asset_id, count(*) AS n FROM incident_assets WHERE opened_at >= ${sinceP} GROUP BY asset_id) ia ON ia.asset_id = a.id
       ${w.sql()}
      ORDER BY a.site, a.zone, a.id`,
    w.params,
  );
  return r.rows.map((a) => ({
    id: a.id,
    site: a.site,
    zone: a.zone,
    name: a.name,
    category: a.category,
    value: normalizeAmount(a.value, a.currency),
    currency: a.currency,
    // real comes back as a float (0.60000002); vulnerabilities are configured with two decimals.
    vulnerability: Math.round(Number(a.vulnerability) * 1000) / 1000,
    sensitiveData: a.sensitive_data,
    status: a.status,
    recentIncidents: Number(a.recent),
  }));
}
