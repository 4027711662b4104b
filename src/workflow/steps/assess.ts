/**
 * Steps 1-4 of the incident workflow: fetch-incident-logs, get-high-risk-assets,
 * calculate-severity, calculate-loss-impact.
 *
 * They normally run inline in the ingest transaction (see ingest/pipeline.ts) and are journaled
 * there as done. When the inline run fails, the rows stay pending and these handlers finish the
 * job from the stored incident aggregate. All four are pure recomputations: running one again
 * overwrites its result with the same value, so they are idempotent.
 */
import type { Assessment, IncidentAggregate } from '../../domain/assessment.js';
import { assessIncident } from '../../domain/assessment.js';
import type { OrgModel } from '../../domain/site-model.js';
import { NotFoundError, PermanentError } from '../../domain/errors.js';
import { loadSitesContext } from '../../store/assessment-context.js';
import type { Queryable } from '../../store/db.js';
import { eventId } from '../../store/event-ids.js';
import type { StepDefinition, StepOutcome } from '../runner.js';

const IDS = ['fetch-incident-logs', 'get-high-risk-assets', 'calculate-severity', 'calculate-loss-impact'] as const;

/** The journal results of steps 1-4 from one assessment. */
function results(agg: IncidentAggregate, a: Assessment, eventSeqs: number[]): Record<string, unknown> {
  return {
    'fetch-incident-logs': {
      eventCount: agg.eventCount,
      sources: agg.sources,
      zones: agg.zones,
      devices: agg.devices,
      badges: agg.badges,
      firstEventAt: agg.firstEventAt,
      lastEventAt: agg.lastEventAt,
      newEvents: eventSeqs.slice(-50).map(eventId),
    },
    'get-high-risk-assets': {
      touched: a.assets,
      highRisk: a.assets.filter((x) => x.highRisk).map((x) => x.id),
      adjacentHighRisk: a.adjacentHighRisk,
    },
    'calculate-severity': a.severity,
    'calculate-loss-impact': a.loss,
  };
}

/** Steps 1-4 as they run inline in the ingest transaction. */
export const INLINE_STEPS = { ids: IDS as readonly string[], results };

/** Loads an incident's aggregate and assesses it against the current store facts. */
async function assessStored(tx: Queryable, org: OrgModel, incidentId: string, now: Date): Promise<{ agg: IncidentAggregate; assessment: Assessment }> {
  const r = await tx.query<{ site: string; zone: string | null; opened_at: Date; context: { agg?: IncidentAggregate } }>(
    `SELECT site, zone, opened_at, context FROM incidents WHERE id = $1 FOR UPDATE`,
    [incidentId],
  );
  const row = r.rows[0];
  if (!row) throw new NotFoundError(`incident ${incidentId}`);
  const agg = row.context.agg;
  if (!agg) throw new PermanentError(`incident ${incidentId} has no event aggregate`);
  if (!org.sites.has(row.site)) throw new PermanentError(`site ${row.site} is not in the configuration`);
  const ctx = await loadSitesContext(tx, org, [row.site], now);
  const earlier = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM incidents WHERE site = $1 AND zone IS NOT DISTINCT FROM $2 AND opened_at >= $3 AND opened_at < $4`,
    [row.site, agg.zone ?? null, new Date(now.getTime() - org.config.policy.severity.recurrenceDays * 86_400_000), row.opened_at],
  );
  const assessment = assessIncident(agg, org, org.config.policy, {
    devicesDown: ctx.devicesDown,
    priorIncidentsInZone: Number(earlier.rows[0]?.n ?? 0),
    assetRecentIncidents: ctx.assetRecentIncidents,
  });
  return { agg, assessment };
}

/** The runner definitions of steps 1-4 (recovery path). */
export function assessSteps(org: OrgModel): StepDefinition[] {
  const step = (id: (typeof IDS)[number], write?: (tx: Queryable, incidentId: string, a: Assessment, agg: IncidentAggregate, now: Date) => Promise<void>): StepDefinition => ({
    id,
    async run({ tx, incidentId, now }): Promise<StepOutcome> {
      const { agg, assessment } = await assessStored(tx, org, incidentId, now);
      if (write) await write(tx, incidentId, assessment, agg, now);
      return { status: 'done', result: results(agg, assessment, [])[id] };
    },
  });
  return [
    step('fetch-incident-logs'),
    step('get-high-risk-assets', async (tx, id, a) => {
      await tx.query(`UPDATE incidents SET assets = $2, updated_at = now() WHERE id = $1`, [id, JSON.stringify({ touched: a.assets, adjacentHighRisk: a.adjacentHighRisk })]);
      await tx.query(
        `INSERT INTO incident_assets (incident_id, asset_id, relation, opened_at)
         SELECT $1, x.id, x.relation, i.opened_at FROM jsonb_to_recordset($2::jsonb) AS x(id text, relation text), incidents i WHERE i.id = $1
         ON CONFLICT (incident_id, asset_id) DO UPDATE SET relation = EXCLUDED.relation`,
        [id, JSON.stringify(a.assets)],
      );
    }),
    step('calculate-severity', async (tx, id, a, agg, now) => {
      await tx.query(`UPDATE incidents SET score = $2, band = $3, severity = $4, updated_at = now(), version = version + 1 WHERE id = $1`, [
        id,
        a.severity.score,
        a.severity.band,
        JSON.stringify(a.severity),
      ]);
      await tx.query(
        `INSERT INTO incident_scores (incident_id, seq, score, band, factors, policy_version, event_count, computed_at)
         SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7 FROM incident_scores WHERE incident_id = $1`,
        [id, a.severity.score, a.severity.band, JSON.stringify(a.severity.factors), a.severity.policyVersion, agg.eventCount, now],
      );
    }),
    step('calculate-loss-impact', async (tx, id, a) => {
      await tx.query(`UPDATE incidents SET loss = $2, net_loss = $3, updated_at = now() WHERE id = $1`, [id, JSON.stringify(a.loss), a.loss.net]);
    }),
  ];
}
