/**
 * The assessment of a stored incident, for the assessment steps (1-4) on the runner's path: when
 * the inline run in the ingest transaction could not assess an incident, each of those steps loads
 * the stored aggregate and assesses it again against the current store facts. Pure recomputation:
 * running it again gives the same value.
 */
import { assessIncident, type Assessment, type IncidentAggregate } from '../domain/assessment.js';
import { PermanentError } from '../domain/errors.js';
import { riskAt } from '../domain/risk.js';
import type { OrgModel } from '../domain/site-model.js';
import { loadSitesContext } from '../store/assessment-context.js';
import type { Queryable } from '../store/db.js';
import { countIncidentsInZone, lockIncidentAggregate } from '../store/incidents.js';

/** Loads an incident's aggregate (locked) and assesses it. */
export async function assessStoredIncident(tx: Queryable, org: OrgModel, incidentId: string, now: Date): Promise<{ agg: IncidentAggregate; assessment: Assessment }> {
  const row = await lockIncidentAggregate(tx, incidentId);
  const agg = row.agg;
  if (!agg) throw new PermanentError(`incident ${incidentId} has no event aggregate`);
  if (!org.sites.has(row.site)) throw new PermanentError(`site ${row.site} is not in the configuration`);
  const ctx = await loadSitesContext(tx, org, [row.site], now);
  const prior = await countIncidentsInZone(tx, { site: row.site, zone: agg.zone ?? null, from: new Date(now.getTime() - org.config.policy.severity.recurrenceDays * 86_400_000), before: row.opened_at });
  const stored = ctx.zoneRisk.get(`${row.site}|${agg.zone ?? ''}`);
  const zoneRisk = stored ? riskAt(stored, now, org.config.policy.risk) : undefined;
  const assessment = assessIncident(agg, org, org.config.policy, { devicesDown: ctx.devicesDown, priorIncidentsInZone: prior, assetRecentIncidents: ctx.assetRecentIncidents, ...(zoneRisk ? { zoneRisk } : {}) });
  return { agg, assessment };
}
