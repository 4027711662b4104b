/**
 * Read model of the asset registry: each asset with its status, its count of recent incidents
 * (what the high-risk rule needs) and its risk (step 11).
 */
import type { RiskPolicy } from '../../config/schema.js';
import { normalizeAmount } from '../../domain/money.js';
import { riskAt } from '../../domain/risk.js';
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
  /** The asset's risk (step 11) as of the `risk.now` given (else as last computed); null before its first assessment. */
  risk: AssetRisk | null;
}

/** An asset's risk in the registry list. */
export interface AssetRisk {
  likelihood: number;
  impact: number;
  score: number;
  band: string;
  recurring: boolean;
  computedAt: string;
}

/** The asset registry (sites in `sites`, or all), with incidents that touched each asset since `since`. */
export async function listAssetRows(q: Queryable, sites: readonly string[] | undefined, since: Date, risk?: { now: Date; policy: RiskPolicy }): Promise<AssetRow[]> {
  const w = new Where();
  const sinceP = w.p(since);
  w.anyOf('a.site', sites);
  const r = await q.query<{
    id: string; site: string; zone: string; name: string; category: string; value: string; currency: string;
    vulnerability: number; sensitive_data: boolean; status: string; recent: number;
    r_likelihood: number | null; r_impact: number | null; r_score: number | null; r_band: string | null; r_recurring: boolean | null;
    r_at: Date | null; r_sum: number | null; r_until: Date | null;
  }>(
    `SELECT a.id, a.site, a.zone, a.name, a.category, a.value::text AS value, a.currency, a.vulnerability, a.sensitive_data, a.status,
            coalesce(ia.n, 0)::int AS recent,
            r.likelihood AS r_likelihood, r.impact AS r_impact, r.score AS r_score, r.band AS r_band, r.recurring AS r_recurring,
            r.computed_at AS r_at, r.decayed_sum AS r_sum, r.recurring_until AS r_until
       FROM assets a
       LEFT JOIN (SELECT asset_id, count(*) AS n FROM incident_assets WHERE opened_at >= ${sinceP} GROUP BY asset_id) ia ON ia.asset_id = a.id
       LEFT JOIN risk_scores r ON r.scope = 'asset' AND r.scope_id = a.id
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
    risk: assetRisk(a, risk),
  }));
}

function assetRisk(
  a: { r_likelihood: number | null; r_impact: number | null; r_score: number | null; r_band: string | null; r_recurring: boolean | null; r_at: Date | null; r_sum: number | null; r_until: Date | null },
  risk: { now: Date; policy: RiskPolicy } | undefined,
): AssetRisk | null {
  if (a.r_at === null || a.r_impact === null) return null;
  if (risk) {
    const cur = riskAt({ impact: Number(a.r_impact), decayedSum: Number(a.r_sum ?? 0), computedAt: a.r_at, recurringUntil: a.r_until }, risk.now, risk.policy);
    return { likelihood: cur.likelihood, impact: cur.impact, score: cur.score, band: cur.band, recurring: cur.recurring, computedAt: a.r_at.toISOString() };
  }
  return { likelihood: Number(a.r_likelihood), impact: Number(a.r_impact), score: Number(a.r_score), band: a.r_band ?? 'low', recurring: a.r_recurring ?? false, computedAt: a.r_at.toISOString() };
}
