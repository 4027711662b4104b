/**
 * The `incidents` table group (incidents, incident_scores, incident_assets): named operations.
 * The ingest path writes assessed incidents in one statement; the workflow steps and the
 * response monitor read and change one incident at a time (locked for their transaction); the
 * API's lifecycle actions write the status the lifecycle table (domain/incident-lifecycle.ts)
 * decided. Read models for the API are in read/incidents.ts.
 */
import type { IncidentAggregate } from '../domain/assessment.js';
import { NotFoundError } from '../domain/errors.js';
import type { IncidentStatus } from '../domain/incident-lifecycle.js';
import type { Band, IncidentType, Loss, Severity } from '../domain/types.js';
import type { Queryable } from './db.js';

// ---------------------------------------------------------------------------------------------
// Ingest: correlation state and the assessed write

/** An unresolved incident as correlation sees it. */
export interface OpenIncidentRow {
  id: string;
  site: string;
  zones: string[];
  type: IncidentType;
  band: Band;
  context: { agg: IncidentAggregate; group: 'pos' | 'physical'; device?: string };
  opened_at: Date;
  /** Highest score-history sequence number so far. */
  score_seq: number;
}

/**
 * The query of openIncidentsForCorrelation, with its sites and its `since` at the given
 * parameters (assessment-context.ts runs it in the same statement as the assessment context).
 */
export function openIncidentsSql(sites: string, since: string): string {
  return `SELECT id, site, zones, type, band, context, opened_at,
            (SELECT coalesce(max(seq), 0) FROM incident_scores s WHERE s.incident_id = i.id) AS score_seq
       FROM incidents i
      WHERE site = ANY(${sites}) AND status IN ('open', 'acknowledged', 'investigating') AND last_event_at >= ${since}`;
}

/** Unresolved incidents of the sites whose last event is at or after `since` (the correlation window). */
export async function openIncidentsForCorrelation(tx: Queryable, sites: readonly string[], since: Date): Promise<OpenIncidentRow[]> {
  const r = await tx.query<OpenIncidentRow>(openIncidentsSql('$1', '$2'), [sites, since]);
  return r.rows;
}

/** One incident as the ingest path writes it (a null severity keeps the stored assessment). */
export interface AssessedIncidentRow {
  id: string;
  site: string;
  zone: string | null;
  zones: string[];
  type: string;
  opened_at: string;
  first_event_at: string;
  last_event_at: string;
  event_count: number;
  sources: string[];
  score: number | null;
  band: string | null;
  severity: Severity | null;
  loss: Loss | null;
  net_loss: string | null;
  currency: string;
  assets: unknown;
  context: unknown;
}

/** A score-history row. */
export interface ScoreRow {
  incident_id: string;
  seq: number;
  score: number;
  band: string;
  factors: unknown;
  policy_version: string;
  event_count: number;
  computed_at: string;
}

/** An incident-asset link. */
export interface IncidentAssetRow {
  incident_id: string;
  asset_id: string;
  relation: string;
  opened_at: string;
}

/**
 * Inserts or updates assessed incidents with their score history and touched assets, and points
 * the batch's events at their incidents (`links`), in one statement. Returns each written
 * incident as the response steps read it (IncidentRow): the row is locked by this write until the
 * transaction ends, so a step later in the same transaction may take it from here instead of
 * reading it again.
 */
export async function upsertAssessedIncidents(
  tx: Queryable,
  rows: readonly AssessedIncidentRow[],
  scores: readonly ScoreRow[],
  assets: readonly IncidentAssetRow[],
  links: readonly { seq: number; incident: string }[] = [],
): Promise<IncidentRow[]> {
  const r = await tx.query<IncidentRow>(
    `WITH inc AS (
       INSERT INTO incidents (id, site, zone, zones, type, status, opened_at, first_event_at, last_event_at, updated_at, event_count, sources,
                              score, band, severity, loss, net_loss, currency, assets, context)
       SELECT id, site, zone, zones, type, 'open', opened_at, first_event_at, last_event_at, now(), event_count, sources,
              coalesce(score, 0), coalesce(band, 'low'), severity, loss, coalesce(net_loss, 0), currency, coalesce(assets, '[]'::jsonb), context
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, site text, zone text, zones text[], type text, opened_at timestamptz, first_event_at timestamptz,
              last_event_at timestamptz, event_count int, sources text[], score real, band text, severity jsonb, loss jsonb, net_loss numeric,
              currency text, assets jsonb, context jsonb)
       ON CONFLICT (id) DO UPDATE SET
         zone = EXCLUDED.zone, zones = EXCLUDED.zones, type = EXCLUDED.type, first_event_at = EXCLUDED.first_event_at,
         last_event_at = EXCLUDED.last_event_at, updated_at = now(), event_count = EXCLUDED.event_count, sources = EXCLUDED.sources,
         score = CASE WHEN EXCLUDED.severity IS NULL THEN incidents.score ELSE EXCLUDED.score END,
         band = CASE WHEN EXCLUDED.severity IS NULL THEN incidents.band ELSE EXCLUDED.band END,
         severity = coalesce(EXCLUDED.severity, incidents.severity), loss = coalesce(EXCLUDED.loss, incidents.loss),
         net_loss = CASE WHEN EXCLUDED.loss IS NULL THEN incidents.net_loss ELSE EXCLUDED.net_loss END,
         assets = CASE WHEN EXCLUDED.severity IS NULL THEN incidents.assets ELSE EXCLUDED.assets END,
         context = EXCLUDED.context, version = incidents.version + 1
       RETURNING ${RESPONSE_COLUMNS.replace(/\bi\./g, '')}),
     scores AS (
       INSERT INTO incident_scores (incident_id, seq, score, band, factors, policy_version, event_count, computed_at)
       SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(incident_id text, seq int, score real, band text, factors jsonb, policy_version text, event_count int, computed_at timestamptz)
       ON CONFLICT DO NOTHING RETURNING 1),
     touched AS (
       INSERT INTO incident_assets (incident_id, asset_id, relation, opened_at)
       SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(incident_id text, asset_id text, relation text, opened_at timestamptz)
       ON CONFLICT (incident_id, asset_id) DO UPDATE SET relation = EXCLUDED.relation RETURNING 1),
     -- seq = ANY keeps this on the primary key (a join with unnest can make the planner scan the table).
     linked AS (
       UPDATE events e SET incident_id = ($5::text[])[array_position($4::bigint[], e.seq)] WHERE e.seq = ANY($4::bigint[]) RETURNING 1)
     SELECT * FROM inc`,
    [JSON.stringify(rows), JSON.stringify(scores), JSON.stringify(assets), links.map((l) => l.seq), links.map((l) => l.incident)],
  );
  return r.rows;
}

// ---------------------------------------------------------------------------------------------
// Assessment steps (1-4) on the runner's path

/** The stored aggregate of an incident, locked for the transaction. */
export async function lockIncidentAggregate(tx: Queryable, id: string): Promise<{ site: string; zone: string | null; opened_at: Date; agg?: IncidentAggregate }> {
  const r = await tx.query<{ site: string; zone: string | null; opened_at: Date; context: { agg?: IncidentAggregate } }>(
    `SELECT site, zone, opened_at, context FROM incidents WHERE id = $1 FOR UPDATE`,
    [id],
  );
  const row = r.rows[0];
  if (!row) throw new NotFoundError(`incident ${id}`);
  return { site: row.site, zone: row.zone, opened_at: row.opened_at, ...(row.context.agg ? { agg: row.context.agg } : {}) };
}

/** How many incidents of a site's zone (null: no zone) were opened in [from, before). */
export async function countIncidentsInZone(q: Queryable, p: { site: string; zone: string | null; from: Date; before?: Date }): Promise<number> {
  const zone = p.zone === null ? 'zone IS NULL' : 'zone = $4';
  const r = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM incidents WHERE site = $1 AND ${zone} AND opened_at >= $2 AND ($3::timestamptz IS NULL OR opened_at < $3)`,
    [p.site, p.from, p.before ?? null, ...(p.zone === null ? [] : [p.zone])],
  );
  return Number(r.rows[0]?.n ?? 0);
}

/** Records the assets an incident touches (step 2). */
export async function setIncidentAssets(tx: Queryable, id: string, assets: { touched: readonly { id: string; relation: string }[]; adjacentHighRisk: unknown }): Promise<void> {
  await tx.query(`UPDATE incidents SET assets = $2, updated_at = now() WHERE id = $1`, [id, JSON.stringify(assets)]);
  await tx.query(
    `INSERT INTO incident_assets (incident_id, asset_id, relation, opened_at)
     SELECT $1, x.id, x.relation, i.opened_at FROM jsonb_to_recordset($2::jsonb) AS x(id text, relation text), incidents i WHERE i.id = $1
     ON CONFLICT (incident_id, asset_id) DO UPDATE SET relation = EXCLUDED.relation`,
    [id, JSON.stringify(assets.touched)],
  );
}

/** Records an incident's severity and appends it to the score history (step 3). */
export async function setIncidentSeverity(tx: Queryable, id: string, severity: Severity, eventCount: number, now: Date): Promise<void> {
  await tx.query(`UPDATE incidents SET score = $2, band = $3, severity = $4, updated_at = now(), version = version + 1 WHERE id = $1`, [id, severity.score, severity.band, JSON.stringify(severity)]);
  await tx.query(
    `INSERT INTO incident_scores (incident_id, seq, score, band, factors, policy_version, event_count, computed_at)
     SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7 FROM incident_scores WHERE incident_id = $1`,
    [id, severity.score, severity.band, JSON.stringify(severity.factors), severity.policyVersion, eventCount, now],
  );
}

/**
 * Records a recovery (an asset recovered for the incident, step 10): the incident's aggregate with
 * the recovery among its inputs, so every later assessment keeps it, and the loss recomputed from it.
 */
export async function setIncidentRecovery(tx: Queryable, id: string, agg: IncidentAggregate, loss: Loss): Promise<void> {
  await tx.query(
    `UPDATE incidents SET context = jsonb_set(context, '{agg}', $2::jsonb), loss = $3, net_loss = $4, updated_at = now(), version = version + 1 WHERE id = $1`,
    [id, JSON.stringify(agg), JSON.stringify(loss), loss.net],
  );
}

/** Records an incident's loss estimate (step 4). */
export async function setIncidentLoss(tx: Queryable, id: string, loss: Loss): Promise<void> {
  await tx.query(`UPDATE incidents SET loss = $2, net_loss = $3, updated_at = now() WHERE id = $1`, [id, JSON.stringify(loss), loss.net]);
}

// ---------------------------------------------------------------------------------------------
// Response steps (5-7) and the response monitor

/** An incident as the response steps and the monitor read it. */
export interface IncidentRow {
  id: string;
  site: string;
  zone: string | null;
  zones: string[];
  type: string;
  status: string;
  band: Band;
  score: number;
  severity: Severity | null;
  loss: Loss | null;
  assets: { touched?: { id: string; name: string; zone?: string; value: string; relation: string; highRisk: boolean }[] } | null;
  first_event_at: Date;
  ack_code: string | null;
  escalation_level: number;
}

const RESPONSE_COLUMNS = 'i.id, i.site, i.zone, i.zones, i.type, i.status, i.band, i.score, i.severity, i.loss, i.assets, i.first_event_at, i.ack_code, i.escalation_level';

/** Loads an incident for a response step, locked for the step's transaction. */
export async function lockIncidentForResponse(tx: Queryable, id: string): Promise<IncidentRow> {
  const r = await tx.query<IncidentRow>(`SELECT ${RESPONSE_COLUMNS} FROM incidents i WHERE i.id = $1 FOR UPDATE`, [id]);
  if (!r.rows[0]) throw new NotFoundError(`incident ${id}`);
  return r.rows[0];
}

/** Reads an incident as the response steps see it, with its outcome, without locking it (steps that change other rows). */
export async function readIncidentForStep(q: Queryable, id: string): Promise<IncidentRow & { outcome: string | null }> {
  const r = await q.query<IncidentRow & { outcome: string | null }>(`SELECT ${RESPONSE_COLUMNS}, i.outcome FROM incidents i WHERE i.id = $1`, [id]);
  if (!r.rows[0]) throw new NotFoundError(`incident ${id}`);
  return r.rows[0];
}

/** Other unresolved incidents of a site whose guard-patrol step is still due (they compete for guards). */
export async function incidentsWaitingForGuard(tx: Queryable, site: string, exceptId: string, limit = 20): Promise<IncidentRow[]> {
  const r = await tx.query<IncidentRow>(
    `SELECT ${RESPONSE_COLUMNS}
       FROM incidents i JOIN workflow_steps w ON w.incident_id = i.id AND w.step = 'assign-guard-patrol'
      WHERE i.site = $1 AND i.id <> $2 AND w.status IN ('pending', 'running') AND w.next_run_at IS NOT NULL AND i.status NOT IN ('resolved', 'archived')
      LIMIT $3`,
    [site, exceptId, limit],
  );
  return r.rows;
}

/**
 * Incidents due for escalation: open, below `maxLevels`, whose current level's alerts went out
 * before `sentBefore` and nobody acknowledged (candidates come from the next_escalation_at index).
 */
export async function incidentsDueForEscalation(q: Queryable, p: { now: Date; sentBefore: Date; maxLevels: number; limit?: number }): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    `SELECT i.id FROM incidents i
      WHERE i.next_escalation_at <= $3 AND i.status = 'open' AND i.escalation_level < $1
        AND (SELECT max(n.sent_at) FROM notifications n
              WHERE n.incident_id = i.id AND n.level = i.escalation_level AND (n.kind LIKE 'emergency:%' OR n.kind LIKE 'escalation:%')) < $2
      ORDER BY i.next_escalation_at LIMIT $4`,
    [p.maxLevels, p.sentBefore, p.now, p.limit ?? 100],
  );
  return r.rows.map((x) => x.id);
}

/** Takes incidents someone took charge of, or at the last level, out of the escalation sweep. */
export async function clearSettledEscalations(q: Queryable, now: Date, maxLevels: number): Promise<void> {
  await q.query(`UPDATE incidents SET next_escalation_at = NULL WHERE next_escalation_at <= $1 AND (status <> 'open' OR escalation_level >= $2)`, [now, maxLevels]);
}

/** Records an escalation level and when the next one is due (null: none). */
export async function setEscalationLevel(tx: Queryable, id: string, level: number, nextAt: Date | null): Promise<void> {
  await tx.query(`UPDATE incidents SET escalation_level = $2, next_escalation_at = $3, updated_at = now() WHERE id = $1`, [id, level, nextAt]);
}

/** Zones with at least `min` incidents opened since `since`, per site (checkpoint planning). */
export async function zonesWithRepeatedIncidents(q: Queryable, since: Date, min: number): Promise<{ site: string; zone: string; incidents: number; latest: string }[]> {
  const r = await q.query<{ site: string; zone: string; incidents: number; latest: string }>(
    `SELECT site, zone, count(*)::int AS incidents, max(id) AS latest FROM incidents
      WHERE opened_at >= $1 AND zone IS NOT NULL GROUP BY site, zone HAVING count(*) >= $2 ORDER BY site, zone`,
    [since, min],
  );
  return r.rows;
}

// ---------------------------------------------------------------------------------------------
// Lifecycle (API)
//
// A status change is an optimistic update guarded by the status it was checked against (not by
// the row version: events keep arriving while a guard acknowledges, and an ingest that bumps the
// version must not make the click fail). Each returns false when the status changed meanwhile.

/** A status change of an incident, guarded by the status the transition was checked against. */
export interface IncidentStatusChange {
  id: string;
  from: string;
  to: IncidentStatus;
}

/** Moves an incident to `to` and records who acknowledged it and when; false when it was no longer `from`. */
export async function markIncidentAcknowledged(q: Queryable, c: IncidentStatusChange & { at: Date; actor: string }): Promise<boolean> {
  const r = await q.query(
    `UPDATE incidents SET status = $3, acknowledged_at = $4, acknowledged_by = $5, updated_at = now(), version = version + 1 WHERE id = $1 AND status = $2`,
    [c.id, c.from, c.to, c.at, c.actor],
  );
  return r.rowCount > 0;
}

/**
 * Moves an incident to `to` and records who resolved it, when, how (the resolve note) and with
 * which outcome (domain/case-notes.ts); false when it was no longer `from`.
 */
export async function markIncidentResolved(q: Queryable, c: IncidentStatusChange & { at: Date; actor: string; resolution: string | null; outcome: string | null }): Promise<boolean> {
  const r = await q.query(
    `UPDATE incidents SET status = $3, resolved_at = $4, resolved_by = $5, resolution = $6, outcome = $7, updated_at = now(), version = version + 1 WHERE id = $1 AND status = $2`,
    [c.id, c.from, c.to, c.at, c.actor, c.resolution, c.outcome],
  );
  return r.rowCount > 0;
}

/** Moves an incident to `to` and clears its resolution and outcome; false when it was no longer `from`. */
export async function markIncidentReopened(q: Queryable, c: IncidentStatusChange): Promise<boolean> {
  const r = await q.query(
    `UPDATE incidents SET status = $3, resolved_at = NULL, resolved_by = NULL, resolution = NULL, outcome = NULL, updated_at = now(), version = version + 1 WHERE id = $1 AND status = $2`,
    [c.id, c.from, c.to],
  );
  return r.rowCount > 0;
}

/** An incident an SMS reply "ACK <code>" may acknowledge. */
export interface AckCodeMatch {
  id: string;
  site: string;
  status: string;
  acknowledgedBy: string | null;
}

/** The unresolved incidents whose alert carried this ack code (any site), newest first. */
export async function findUnresolvedIncidentsByAckCode(q: Queryable, code: string): Promise<AckCodeMatch[]> {
  const r = await q.query<{ id: string; site: string; status: string; acknowledged_by: string | null }>(
    `SELECT id, site, status, acknowledged_by FROM incidents WHERE ack_code = $1 AND status NOT IN ('resolved', 'archived') ORDER BY opened_at DESC`,
    [code],
  );
  return r.rows.map((x) => ({ id: x.id, site: x.site, status: x.status, acknowledgedBy: x.acknowledged_by }));
}

/**
 * Sets (or clears, with null) the person an incident is assigned to, when it is still at version
 * `version` (read in the same transaction); false when it changed meanwhile.
 */
export async function markIncidentAssigned(q: Queryable, c: { id: string; version: number; assignee: string | null; at: Date }): Promise<boolean> {
  const r = await q.query(
    `UPDATE incidents SET assignee = $3, assigned_at = $4, updated_at = now(), version = version + 1 WHERE id = $1 AND version = $2`,
    [c.id, c.version, c.assignee, c.assignee === null ? null : c.at],
  );
  return r.rowCount > 0;
}
