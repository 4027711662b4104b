/**
 * The risk table group (risk_scores, risk_history; migrations 0008 and 0016): named operations of
 * step 11 and of what reads a zone's risk (the checkpoint patrols). The current score per scope is
 * upserted; every recalculation an incident triggered appends a history row with its inputs, one
 * per (incident, scope). Read models for the API are in read/risk.ts.
 */
import type { RiskAssessment, RiskScope, StoredRisk } from '../domain/risk.js';
import type { Queryable } from './db.js';

/** SQL that formats a timestamptz column as ISO 8601 UTC with milliseconds (null stays null). */
export const RISK_AT_SQL = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** What step 11 reads of its incident. */
export interface RiskIncidentRow {
  site: string;
  zone: string | null;
  zones: string[];
  assets: string[];
}

/** The incident's site, zones and touched assets (null when there is no such incident). */
export async function incidentForRisk(q: Queryable, incidentId: string): Promise<RiskIncidentRow | null> {
  const r = await q.query<{ site: string; zone: string | null; zones: string[]; assets: string[] | null }>(
    `SELECT i.site, i.zone, i.zones, (SELECT array_agg(ia.asset_id ORDER BY ia.asset_id) FROM incident_assets ia WHERE ia.incident_id = i.id) AS assets
       FROM incidents i WHERE i.id = $1`,
    [incidentId],
  );
  const row = r.rows[0];
  return row ? { site: row.site, zone: row.zone, zones: row.zones ?? [], assets: row.assets ?? [] } : null;
}

/**
 * Serialises risk recalculations of a site (a transaction-scoped advisory lock): the second waits
 * for the first to commit and then reads its incidents too, so the last write holds them all.
 */
export async function lockSiteRisk(tx: Queryable, site: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('vigil-risk:' || $1))`, [site]);
}

/** A site incident in the look-back, with the zones of its events. */
export interface SiteIncidentRow {
  id: string;
  opened_at: Date;
  band: string;
  zones: string[];
}

/** The site's incidents opened in [from, to], false alarms left out, with their zones (the primary one included). */
export async function siteIncidentsForRisk(q: Queryable, site: string, from: Date, to: Date): Promise<SiteIncidentRow[]> {
  const r = await q.query<{ id: string; opened_at: Date; band: string; zone: string | null; zones: string[] | null }>(
    `SELECT id, opened_at, band, zone, zones FROM incidents
      WHERE site = $1 AND opened_at >= $2 AND opened_at <= $3 AND (outcome IS NULL OR outcome <> 'false_alarm')`,
    [site, from, to],
  );
  return r.rows.map((x) => ({ id: x.id, opened_at: x.opened_at, band: x.band, zones: [...new Set([...(x.zone ? [x.zone] : []), ...(x.zones ?? [])])] }));
}

/**
 * Per asset: the ids of the incidents that touched it, opened in [from, to] (incident_assets
 * alone, by its (asset_id, opened_at) index; the caller joins them to the site's incidents, which
 * leaves false alarms out).
 */
export async function assetIncidentLinks(q: Queryable, assetIds: readonly string[], from: Date, to: Date): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (assetIds.length === 0) return out;
  const r = await q.query<{ asset_id: string; incident_id: string }>(
    `SELECT asset_id, incident_id FROM incident_assets WHERE asset_id = ANY($1::text[]) AND opened_at >= $2 AND opened_at <= $3`,
    [[...assetIds], from, to],
  );
  for (const x of r.rows) {
    const list = out.get(x.asset_id) ?? [];
    list.push(x.incident_id);
    out.set(x.asset_id, list);
  }
  return out;
}

/** A stored current score, as the step compares against it. */
export interface StoredScoreRow {
  scope: RiskScope;
  scope_id: string;
  likelihood: number;
  impact: number;
  score: number;
  band: string;
  recurring: boolean;
}

/** The site's current scores by `${scope}|${scope_id}`. */
export async function siteRiskScores(q: Queryable, site: string): Promise<Map<string, StoredScoreRow>> {
  const r = await q.query<StoredScoreRow>(`SELECT scope, scope_id, likelihood, impact, score, band, recurring FROM risk_scores WHERE site = $1`, [site]);
  return new Map(r.rows.map((x) => [`${x.scope}|${x.scope_id}`, x]));
}

/** Scopes an incident's recalculation already recorded in the history (`${scope}|${scope_id}`). */
export async function recordedRiskScopes(q: Queryable, incidentId: string): Promise<Set<string>> {
  const r = await q.query<{ scope: string; scope_id: string }>(`SELECT scope, scope_id FROM risk_history WHERE incident_id = $1`, [incidentId]);
  return new Set(r.rows.map((x) => `${x.scope}|${x.scope_id}`));
}

const toRecord = (a: RiskAssessment, at: Date) => ({
  scope: a.scope,
  scope_id: a.id,
  site: a.site,
  likelihood: a.likelihood,
  impact: a.impact,
  score: a.score,
  band: a.band,
  recurring: a.recurring,
  inputs: a.inputs,
  computed_at: at.toISOString(),
  decayed_sum: a.decayedSum,
  recurring_until: a.recurringUntil?.toISOString() ?? null,
});

/** Writes the current scores (one statement). */
export async function upsertRiskScores(tx: Queryable, list: readonly RiskAssessment[], at: Date): Promise<void> {
  if (list.length === 0) return;
  await tx.query(
    `INSERT INTO risk_scores (scope, scope_id, site, likelihood, impact, score, band, recurring, inputs, computed_at, decayed_sum, recurring_until)
     SELECT scope, scope_id, site, likelihood, impact, score, band, recurring, inputs, computed_at, decayed_sum, recurring_until
       FROM jsonb_to_recordset($1::jsonb) AS x(scope text, scope_id text, site text, likelihood int, impact int, score int, band text, recurring boolean,
            inputs jsonb, computed_at timestamptz, decayed_sum double precision, recurring_until timestamptz)
     ON CONFLICT (scope, scope_id) DO UPDATE SET
       site = EXCLUDED.site, likelihood = EXCLUDED.likelihood, impact = EXCLUDED.impact, score = EXCLUDED.score, band = EXCLUDED.band,
       recurring = EXCLUDED.recurring, inputs = EXCLUDED.inputs, computed_at = EXCLUDED.computed_at, decayed_sum = EXCLUDED.decayed_sum,
       recurring_until = EXCLUDED.recurring_until`,
    [JSON.stringify(list.map((a) => toRecord(a, at)))],
  );
}

/** Appends history rows for an incident's recalculation; a (incident, scope) already recorded is left alone. Returns how many were added. */
export async function appendRiskHistory(tx: Queryable, incidentId: string, list: readonly RiskAssessment[], at: Date): Promise<number> {
  if (list.length === 0) return 0;
  const r = await tx.query(
    `INSERT INTO risk_history (scope, scope_id, site, likelihood, impact, score, band, recurring, inputs, incident_id, computed_at, decayed_sum, recurring_until)
     SELECT scope, scope_id, site, likelihood, impact, score, band, recurring, inputs, $2, computed_at, decayed_sum, recurring_until
       FROM jsonb_to_recordset($1::jsonb) AS x(scope text, scope_id text, site text, likelihood int, impact int, score int, band text, recurring boolean,
            inputs jsonb, computed_at timestamptz, decayed_sum double precision, recurring_until timestamptz)
      ORDER BY CASE scope WHEN 'asset' THEN 0 WHEN 'zone' THEN 1 ELSE 2 END, scope_id
     ON CONFLICT (incident_id, scope, scope_id) DO NOTHING`,
    [JSON.stringify(list.map((a) => toRecord(a, at))), incidentId],
  );
  return r.rowCount;
}

/** A stored zone score with what riskAt needs. */
export interface ZoneRiskRow extends StoredRisk {
  site: string;
  zone: string;
  latestIncident: string | null;
}

const ZONE_RISK_COLUMNS = `scope_id, site, impact, decayed_sum, computed_at, recurring_until, inputs->>'latestIncident' AS latest`;
type ZoneRiskDbRow = { scope_id: string; site: string; impact: number; decayed_sum: number; computed_at: Date; recurring_until: Date | null; latest: string | null };
const toZoneRisk = (x: ZoneRiskDbRow): ZoneRiskRow => ({
  site: x.site,
  zone: x.scope_id.slice(x.scope_id.indexOf('/') + 1),
  impact: Number(x.impact),
  decayedSum: Number(x.decayed_sum),
  computedAt: x.computed_at,
  recurringUntil: x.recurring_until,
  latestIncident: x.latest,
});

/** One zone's stored score (null when never assessed). */
export async function zoneRiskScore(q: Queryable, site: string, zone: string): Promise<ZoneRiskRow | null> {
  const r = await q.query<ZoneRiskDbRow>(`SELECT ${ZONE_RISK_COLUMNS} FROM risk_scores WHERE scope = 'zone' AND scope_id = $1`, [`${site}/${zone}`]);
  return r.rows[0] ? toZoneRisk(r.rows[0]) : null;
}

/**
 * Zones that may want a checkpoint patrol at `now`: recurring until after `now`, or stored at
 * `minScore` or above (a stored score only decays, so this is a superset; riskAt decides).
 */
export async function zonesWatchedByRisk(q: Queryable, now: Date, minScore: number): Promise<ZoneRiskRow[]> {
  const r = await q.query<ZoneRiskDbRow>(
    `SELECT ${ZONE_RISK_COLUMNS} FROM risk_scores WHERE scope = 'zone' AND (recurring_until > $1 OR score >= $2) ORDER BY site, scope_id`,
    [now, minScore],
  );
  return r.rows.map(toZoneRisk);
}
