/**
 * Read models of incidents: the list, the lifecycle state, one incident in the CONTRACT shape
 * (with its events, score history, workflow journal, notifications and patrols), and the lookups
 * of the CAP feed and the live stream.
 */
import { InvalidError } from '../../domain/errors.js';
import { normalizeAmount } from '../../domain/money.js';
import type { Queryable } from '../db.js';
import { accessFindingsOfIncident, equipmentFindingsOfIncident, type AccessFindingView, type EquipmentFinding } from '../findings.js';
import { Where } from '../where.js';
import { listNotes, type NoteView } from '../notes.js';
import { incidentEvents, type EventItem } from './events.js';
import { incidentNotifications, type NotificationView } from './notifications.js';
import { CURSOR_AT_SQL, decodeCursor, encodeCursor, iso, scopeSites, type Page, type SiteScope } from './page.js';
import { listPatrols, type PatrolView } from './patrols.js';
import { incidentTasks, type TaskView } from './tasks.js';

/** One incident in a list: the fields of the detail that a list shows. */
export interface IncidentSummary {
  id: string;
  site: string;
  zone: string | null;
  zones: string[];
  type: string;
  status: string;
  openedAt: string;
  firstEventAt: string;
  lastEventAt: string;
  updatedAt: string;
  eventCount: number;
  sources: string[];
  severity: { score: number; band: string };
  loss: { currency: string; net: string; gross: string | null };
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** The person the incident is assigned to (a contact id), null when unassigned. */
  assignee: string | null;
  assignedAt: string | null;
}

/** An incidents row as the read models select it. */
interface IncidentRow {
  id: string;
  site: string;
  zone: string | null;
  zones: string[];
  type: string;
  status: string;
  opened_at: Date;
  first_event_at: Date;
  last_event_at: Date;
  updated_at: Date;
  event_count: number;
  sources: string[];
  score: number;
  band: string;
  net_loss: string;
  currency: string;
  gross_loss: string | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  assignee: string | null;
  assigned_at: Date | null;
  version: number;
  cursor_at: string;
  band_rank: number;
}

/** A band's place in the priority order: critical 0 .. low 3 (the expression of migration 0018's index). */
export const BAND_RANK_SQL = `(CASE band WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END)`;

const INCIDENT_COLUMNS = `id, site, zone, zones, type, status, opened_at, first_event_at, last_event_at, updated_at, event_count, sources,
  score, band, net_loss::text AS net_loss, currency, loss->>'gross' AS gross_loss, acknowledged_at, acknowledged_by, resolved_at, resolved_by,
  assignee, assigned_at, version, ${CURSOR_AT_SQL('opened_at')} AS cursor_at, ${BAND_RANK_SQL} AS band_rank`;

function toSummary(r: IncidentRow): IncidentSummary {
  return {
    id: r.id,
    site: r.site,
    zone: r.zone,
    zones: r.zones ?? [],
    type: r.type,
    status: r.status,
    openedAt: r.opened_at.toISOString(),
    firstEventAt: r.first_event_at.toISOString(),
    lastEventAt: r.last_event_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    eventCount: Number(r.event_count),
    sources: r.sources ?? [],
    // real comes back as a float (87.30000305); scores carry one decimal.
    severity: { score: Math.round(Number(r.score) * 10) / 10, band: r.band },
    loss: { currency: r.currency, net: normalizeAmount(r.net_loss, r.currency), gross: r.gross_loss },
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: iso(r.resolved_at),
    resolvedBy: r.resolved_by,
    assignee: r.assignee,
    assignedAt: iso(r.assigned_at),
  };
}

/** Filters of the incident list. Times apply to opened_at: from inclusive, to exclusive. No status filter: every status but archived. */
export interface IncidentFilter {
  statuses?: readonly string[];
  sites?: readonly string[];
  bands?: readonly string[];
  types?: readonly string[];
  from?: Date;
  to?: Date;
  /** Assigned to one of these people; the name `none` stands for "unassigned". */
  assignees?: readonly string[];
  /**
   * Search: the incident id (exact, or a prefix), a zone id, an asset id or name (touched by the
   * incident), or a badge id of one of its events. Case-insensitive, whole values except the id prefix.
   */
  q?: string;
  /** `opened`: newest first (the default). `priority`: band high to low, then oldest first. */
  sort?: IncidentSort;
  limit: number;
  cursor?: string;
}

/** The orders of the incident list. */
export const INCIDENT_SORTS = ['opened', 'priority'] as const;
export type IncidentSort = (typeof INCIDENT_SORTS)[number];

/** The value standing for "no assignee" in the assignee filter. */
export const UNASSIGNED = 'none';

/**
 * Incidents, newest first by (opened_at, id), or by priority: (band rank, opened_at, id)
 * ascending. Both are keyset-paginated; a priority cursor carries the band rank with the id
 * (`p<rank>:<id>`), so a cursor of one order is refused by the other as not one of its own.
 */
export async function listIncidents(q: Queryable, f: IncidentFilter, scope: SiteScope): Promise<Page<IncidentSummary>> {
  const w = new Where();
  w.anyOf('status', f.statuses);
  // Archived incidents have left the active views: only a status filter that names them lists them.
  if (!f.statuses) w.add(`status <> 'archived'`);
  w.anyOf('site', scopeSites(f.sites, scope));
  w.anyOf('band', f.bands);
  w.anyOf('type', f.types);
  if (f.assignees) {
    const named = f.assignees.filter((a) => a !== UNASSIGNED);
    const conds = [...(named.length > 0 ? [`assignee = ANY(${w.p(named)}::text[])`] : []), ...(f.assignees.includes(UNASSIGNED) ? ['assignee IS NULL'] : [])];
    w.add(conds.length > 0 ? `(${conds.join(' OR ')})` : 'false');
  }
  if (f.from) w.add(`opened_at >= ${w.p(f.from)}`);
  if (f.to) w.add(`opened_at < ${w.p(f.to)}`);
  const term = f.q?.trim().toLowerCase();
  if (term) {
    const t = w.p(term);
    const prefix = w.p(`${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    w.add(
      `(lower(id) LIKE ${prefix} OR lower(zone) = ${t} OR ${t} = ANY(SELECT lower(z) FROM unnest(zones) AS z)` +
        ` OR EXISTS (SELECT 1 FROM incident_assets ia JOIN assets a ON a.id = ia.asset_id WHERE ia.incident_id = incidents.id AND (lower(a.id) = ${t} OR lower(a.name) = ${t}))` +
        ` OR EXISTS (SELECT 1 FROM events e WHERE e.incident_id = incidents.id AND lower(e.badge) = ${t}))`,
    );
  }
  const priority = f.sort === 'priority';
  if (f.cursor) {
    const [at, key] = decodeCursor(f.cursor, 'string');
    if (priority) {
      const m = /^p([0-3]):(.+)$/s.exec(key);
      if (!m) throw new InvalidError([{ path: 'cursor', message: 'expected a cursor returned as nextCursor by this list with sort=priority' }]);
      w.add(`(${BAND_RANK_SQL}, opened_at, id) > (${w.p(Number(m[1]))}::int, ${w.p(at)}::timestamptz, ${w.p(m[2])}::text)`);
    } else {
      if (/^p[0-3]:/.test(key)) throw new InvalidError([{ path: 'cursor', message: 'expected a cursor returned as nextCursor by this list without sort=priority' }]);
      w.add(`(opened_at, id) < (${w.p(at)}::timestamptz, ${w.p(key)}::text)`);
    }
  }
  const order = priority ? `${BAND_RANK_SQL}, opened_at, id` : 'opened_at DESC, id DESC';
  const r = await q.query<IncidentRow>(`SELECT ${INCIDENT_COLUMNS} FROM incidents ${w.sql()} ORDER BY ${order} LIMIT ${w.p(f.limit + 1)}`, w.params);
  const more = r.rows.length > f.limit;
  const rows = more ? r.rows.slice(0, f.limit) : r.rows;
  const last = rows[rows.length - 1];
  const cursorKey = (x: IncidentRow) => (priority ? `p${Number(x.band_rank)}:${x.id}` : x.id);
  return { items: rows.map(toSummary), nextCursor: more && last ? encodeCursor(last.cursor_at, cursorKey(last)) : null };
}

/** The lifecycle state of an incident (for transitions). */
export interface IncidentState {
  id: string;
  site: string;
  status: string;
  version: number;
  assignee: string | null;
}

/** The lifecycle state of an incident, or undefined when it does not exist or is out of scope. */
export async function incidentState(q: Queryable, id: string, scope: SiteScope, forUpdate = false): Promise<IncidentState | undefined> {
  const r = await q.query<IncidentState>(`SELECT id, site, status, version, assignee FROM incidents WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  const row = r.rows[0];
  if (!row || (scope && !scope.includes(row.site))) return undefined;
  return { ...row, version: Number(row.version) };
}

/** One factor of a severity score. */
export interface FactorView {
  name: string;
  value: number;
  weight: number;
  contribution: number;
  detail?: string;
}

/** One workflow step of an incident, from its journal row. */
export interface WorkflowStepView {
  step: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  nextRunAt: string | null;
  error: string | null;
  reason: string | null;
  result: unknown;
}

/** An asset touched by an incident, with its current registry status. */
export interface IncidentAssetView {
  id: string;
  status: string | null;
  [k: string]: unknown;
}

/** The CONTRACT incident shape. */
export interface IncidentDetail extends Omit<IncidentSummary, 'severity' | 'loss'> {
  severity: { score: number; band: string; policyVersion: string | null; factors: FactorView[] };
  severityHistory: { seq: number; score: number; band: string; policyVersion: string; eventCount: number; computedAt: string; factors: FactorView[] }[];
  loss: Record<string, unknown> | null;
  events: EventItem[];
  assets: IncidentAssetView[];
  adjacentHighRisk: IncidentAssetView[];
  workflow: WorkflowStepView[];
  notifications: NotificationView[];
  patrols: PatrolView[];
  tasks: TaskView[];
  accessFindings: AccessFindingView[];
  equipmentFindings: EquipmentFinding[];
  resolution: string | null;
  /** How the incident ended (set by resolve; domain/case-notes.ts OUTCOMES), null while unresolved. */
  outcome: string | null;
  /** The case-note timeline, oldest first. */
  notes: NoteView[];
  version: number;
}

/** One incident in the CONTRACT shape, or undefined when it does not exist or is out of scope. */
export async function getIncident(q: Queryable, id: string, scope: SiteScope, opts: { maxEvents?: number; now?: Date } = {}): Promise<IncidentDetail | undefined> {
  const r = await q.query<IncidentRow & { severity: IncidentDetail['severity'] | null; loss: Record<string, unknown> | null; assets: unknown; resolution: string | null; outcome: string | null }>(
    `SELECT ${INCIDENT_COLUMNS}, severity, loss, assets, resolution, outcome FROM incidents WHERE id = $1`,
    [id],
  );
  const row = r.rows[0];
  if (!row || (scope && !scope.includes(row.site))) return undefined;
  // Sequential on purpose: `q` may be a transaction, which runs one statement at a time.
  const scores = await q.query<{ seq: number; score: number; band: string; factors: FactorView[]; policy_version: string; event_count: number; computed_at: Date }>(
    `SELECT seq, score, band, factors, policy_version, event_count, computed_at FROM incident_scores WHERE incident_id = $1 ORDER BY seq`,
    [id],
  );
  const events = await incidentEvents(q, id, opts.maxEvents ?? 500);
  const steps = await q.query<{
    step: string; status: string; attempts: number; started_at: Date | null; finished_at: Date | null; next_run_at: Date | null;
    error: string | null; reason: string | null; result: unknown;
  }>(`SELECT step, status, attempts, started_at, finished_at, next_run_at, error, reason, result FROM workflow_steps WHERE incident_id = $1 ORDER BY ord`, [id]);
  // incidents.assets is {touched, adjacentHighRisk} once assessed ('[]' before the first assessment).
  const stored = row.assets as { touched?: Record<string, unknown>[]; adjacentHighRisk?: Record<string, unknown>[] } | unknown[] | null;
  const touched = stored && !Array.isArray(stored) ? stored.touched ?? [] : [];
  const adjacent = stored && !Array.isArray(stored) ? stored.adjacentHighRisk ?? [] : [];
  const ids = [...new Set([...touched, ...adjacent].map((a) => String(a.id)))];
  const statuses = new Map<string, string>();
  if (ids.length > 0) {
    const s = await q.query<{ id: string; status: string }>(`SELECT id, status FROM assets WHERE id = ANY($1::text[])`, [ids]);
    for (const a of s.rows) statuses.set(a.id, a.status);
  }
  const withStatus = (a: Record<string, unknown>): IncidentAssetView => ({ ...a, id: String(a.id), status: statuses.get(String(a.id)) ?? null });
  const summary = toSummary(row);
  const round1 = (x: number) => Math.round(Number(x) * 10) / 10;
  return {
    ...summary,
    severity: row.severity
      ? { score: row.severity.score, band: row.severity.band, policyVersion: row.severity.policyVersion, factors: row.severity.factors }
      : { score: summary.severity.score, band: summary.severity.band, policyVersion: null, factors: [] },
    severityHistory: scores.rows.map((s) => ({
      seq: Number(s.seq),
      score: round1(s.score),
      band: s.band,
      policyVersion: s.policy_version,
      eventCount: Number(s.event_count),
      computedAt: s.computed_at.toISOString(),
      factors: s.factors,
    })),
    loss: row.loss,
    events,
    assets: touched.map(withStatus),
    adjacentHighRisk: adjacent.map(withStatus),
    workflow: steps.rows.map((s) => ({
      step: s.step,
      status: s.status,
      attempts: Number(s.attempts),
      startedAt: iso(s.started_at),
      finishedAt: iso(s.finished_at),
      nextRunAt: iso(s.next_run_at),
      error: s.error,
      reason: s.reason,
      result: s.result ?? null,
    })),
    notifications: await incidentNotifications(q, id),
    patrols: await listPatrols(q, { incident: id }, null),
    // Investigation (step 9) and maintenance tasks of the incident; overdue as of opts.now.
    tasks: await incidentTasks(q, id, opts.now ?? new Date()),
    // Steps 12 and 13 (store/findings.ts).
    accessFindings: await accessFindingsOfIncident(q, id),
    equipmentFindings: await equipmentFindingsOfIncident(q, id),
    resolution: row.resolution,
    outcome: row.outcome,
    notes: await listNotes(q, id),
    version: Number(row.version),
  };
}

/** Ids of the incidents that raised an alert (CAP feed), most recently updated first. */
export async function listAlertedIncidentIds(q: Queryable, limit: number, scope: SiteScope): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    `SELECT id FROM incidents WHERE alerted_band IS NOT NULL ${scope ? 'AND site = ANY($2::text[])' : ''} ORDER BY updated_at DESC LIMIT $1`,
    scope ? [limit, scope] : [limit],
  );
  return r.rows.map((x) => x.id);
}

/** The site of an incident, or undefined when there is no such incident. */
export async function incidentSite(q: Queryable, id: string): Promise<string | undefined> {
  const r = await q.query<{ site: string }>(`SELECT site FROM incidents WHERE id = $1`, [id]);
  return r.rows[0]?.site;
}
