/**
 * Assessing the incidents a batch touched (domain/assessment: high-risk assets, severity, loss)
 * against the store facts of their sites, and writing them with their score history, touched
 * assets and the links of the batch's events to them in one statement. An assessment that throws does not stop the batch: the incident is
 * stored with its events and the workflow's assessment steps are left to the runner.
 */
import { assessIncident, type Assessment } from '../domain/assessment.js';
import { riskAt } from '../domain/risk.js';
import type { OrgModel } from '../domain/site-model.js';
import { loadSitesContext, type SitesContext } from '../store/assessment-context.js';
import type { Queryable } from '../store/db.js';
import { upsertAssessedIncidents, type AssessedIncidentRow, type IncidentAssetRow, type IncidentRow, type ScoreRow } from '../store/incidents.js';
import type { TouchedIncident } from './correlate.js';

/** One touched incident after assessment (what the workflow's inline run receives). */
export interface AssessedTouch {
  touched: TouchedIncident;
  assessment?: Assessment;
  failure?: string;
  /** The incident as written, locked by the write for the rest of the transaction (what a response step would read). */
  incident?: IncidentRow;
}

/**
 * Assesses and writes the touched incidents of a batch, and points the batch's events at them
 * (`links`). `failAssessment` is a test hook.
 */
export async function assessAndWriteIncidents(
  tx: Queryable,
  org: OrgModel,
  list: readonly TouchedIncident[],
  sites: string[],
  now: Date,
  links: readonly { seq: number; incident: string }[],
  failAssessment?: (incidentId: string) => boolean,
  /** The context when correlation already read it. */
  context?: SitesContext,
): Promise<AssessedTouch[]> {
  const policy = org.config.policy;
  const ctx = context ?? (await loadSitesContext(tx, org, sites, now));
  const currency = org.config.organization.currency;
  const rows: AssessedIncidentRow[] = [];
  const scores: ScoreRow[] = [];
  const assetRows: IncidentAssetRow[] = [];
  const out: AssessedTouch[] = [];
  const newZoneCounts = new Map<string, number>();
  for (const t of list) {
    // Recurrence: incidents of the zone before this one, counting those this batch opened earlier.
    const zoneKey = `${t.ref.site}|${t.agg.zone ?? ''}`;
    const inBatch = newZoneCounts.get(zoneKey) ?? 0;
    const prior = Math.max(0, (ctx.zoneCounts.get(zoneKey) ?? 0) + inBatch - (t.isNew ? 0 : 1));
    if (t.isNew) newZoneCounts.set(zoneKey, inBatch + 1);
    let assessment: Assessment | undefined;
    let failure: string | undefined;
    try {
      if (failAssessment?.(t.ref.id)) throw new Error('assessment failed (injected)');
      const stored = ctx.zoneRisk.get(zoneKey);
      const zoneRisk = stored ? riskAt(stored, now, policy.risk) : undefined;
      assessment = assessIncident(t.agg, org, policy, { devicesDown: ctx.devicesDown, priorIncidentsInZone: prior, assetRecentIncidents: ctx.assetRecentIncidents, ...(zoneRisk ? { zoneRisk } : {}) });
    } catch (e) {
      failure = (e as Error).message;
    }
    rows.push({
      id: t.ref.id,
      site: t.ref.site,
      zone: t.agg.zone ?? null,
      zones: t.agg.zones,
      type: t.agg.type,
      opened_at: t.openedAt,
      first_event_at: t.agg.firstEventAt,
      last_event_at: t.agg.lastEventAt,
      event_count: t.agg.eventCount,
      sources: t.agg.sources,
      score: assessment?.severity.score ?? null,
      band: assessment?.severity.band ?? null,
      severity: assessment ? assessment.severity : null,
      loss: assessment ? assessment.loss : null,
      net_loss: assessment?.loss.net ?? null,
      currency,
      assets: assessment ? { touched: assessment.assets, adjacentHighRisk: assessment.adjacentHighRisk } : null,
      context: { agg: t.agg, group: t.ref.group, ...(t.ref.device ? { device: t.ref.device } : {}) },
    });
    if (assessment) {
      t.scoreSeq += 1;
      scores.push({ incident_id: t.ref.id, seq: t.scoreSeq, score: assessment.severity.score, band: assessment.severity.band, factors: assessment.severity.factors, policy_version: assessment.severity.policyVersion, event_count: t.agg.eventCount, computed_at: now.toISOString() });
      for (const a of assessment.assets) assetRows.push({ incident_id: t.ref.id, asset_id: a.id, relation: a.relation, opened_at: t.openedAt });
    }
    out.push({ touched: t, ...(assessment ? { assessment } : {}), ...(failure !== undefined ? { failure } : {}) });
  }
  const written = new Map((await upsertAssessedIncidents(tx, rows, scores, assetRows, links)).map((r) => [r.id, r]));
  for (const a of out) {
    const row = written.get(a.touched.ref.id);
    if (row) a.incident = row;
  }
  return out;
}
