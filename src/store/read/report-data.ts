/**
 * Everything an incident report is built from, in one read (step 8): the incident in the CONTRACT
 * shape (events, assets, score history, journal, notifications with their delivery state,
 * patrols), and the records the later steps keep about it: case notes, tasks, asset status
 * changes, access-log and equipment findings, and the audit trail (the chain of custody). The
 * tables of steps 9-13 are read by the columns migration 0008 declares; they may be empty.
 */
import type { Queryable } from '../db.js';
import { getIncident, type IncidentDetail } from './incidents.js';
import { iso } from './page.js';

/** A case note. */
export interface NoteData {
  seq: number;
  at: string;
  author: string;
  kind: string;
  text: string;
}

/** An investigation or maintenance task of the incident. */
export interface TaskData {
  id: string;
  kind: string;
  title: string;
  status: string;
  assignee: string | null;
  dueAt: string | null;
  createdAt: string;
  completedAt: string | null;
  checklist: unknown[];
  comments: { seq: number; at: string; author: string; text: string }[];
}

/** A change of an asset's status made because of the incident. */
export interface AssetStatusChangeData {
  seq: number;
  assetId: string;
  from: string;
  to: string;
  at: string;
  actor: string;
  reason: string;
}

/** An access-log finding of the incident (step 12). */
export interface AccessFindingData {
  id: string;
  rule: string;
  badge: string | null;
  person: string | null;
  zone: string | null;
  at: string;
  severity: string;
  summary: string;
  evidence: number[];
  details: Record<string, unknown>;
}

/** An equipment finding of the incident (step 13). */
export interface EquipmentFindingData {
  id: string;
  deviceId: string | null;
  finding: string;
  summary: string;
  details: Record<string, unknown>;
  foundAt: string;
}

/** An audit record about the incident or one of its patrols. */
export interface AuditData {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

/** A risk recalculation step 11 recorded for this incident (its values then, so the report does not drift as risk decays). */
export interface RiskData {
  scope: string;
  id: string;
  likelihood: number;
  impact: number;
  score: number;
  band: string;
  recurring: boolean;
  computedAt: string;
}

/** What a report is built from. */
export interface ReportData {
  incident: IncidentDetail;
  outcome: string | null;
  notes: NoteData[];
  tasks: TaskData[];
  assetStatusChanges: AssetStatusChangeData[];
  risk: RiskData[];
  accessFindings: AccessFindingData[];
  equipmentFindings: EquipmentFindingData[];
  audit: AuditData[];
}

/** Most events a report lists (the count says how many there were in all). */
export const REPORT_MAX_EVENTS = 500;

/**
 * Gathers an incident's report data, or undefined when there is no such incident (or it is out of
 * `scope`). Sequential on purpose: `q` may be a transaction, which runs one statement at a time.
 */
export async function gatherReportData(q: Queryable, incidentId: string, scope: readonly string[] | null = null): Promise<ReportData | undefined> {
  const incident = await getIncident(q, incidentId, scope, { maxEvents: REPORT_MAX_EVENTS });
  if (!incident) return undefined;
  const outcome = (await q.query<{ outcome: string | null }>(`SELECT outcome FROM incidents WHERE id = $1`, [incidentId])).rows[0]?.outcome ?? null;
  const notes = await q.query<{ seq: number; at: Date; author: string; kind: string; text: string }>(
    `SELECT seq, at, author, kind, text FROM incident_notes WHERE incident_id = $1 ORDER BY seq`,
    [incidentId],
  );
  const tasks = await q.query<{
    id: string; kind: string; title: string; status: string; assignee: string | null; due_at: Date | null; created_at: Date; completed_at: Date | null; checklist: unknown[];
  }>(`SELECT id, kind, title, status, assignee, due_at, created_at, completed_at, checklist FROM tasks WHERE incident_id = $1 ORDER BY created_at, id`, [incidentId]);
  const taskIds = tasks.rows.map((t) => t.id);
  const comments =
    taskIds.length === 0
      ? []
      : (
          await q.query<{ task_id: string; seq: number; at: Date; author: string; text: string }>(
            `SELECT task_id, seq, at, author, text FROM task_comments WHERE task_id = ANY($1::text[]) ORDER BY task_id, seq`,
            [taskIds],
          )
        ).rows;
  const changes = await q.query<{ seq: number; asset_id: string; from_status: string; to_status: string; at: Date; actor: string; reason: string }>(
    `SELECT seq, asset_id, from_status, to_status, at, actor, reason FROM asset_status_changes WHERE incident_id = $1 ORDER BY seq`,
    [incidentId],
  );
  const access = await q.query<{
    id: string; rule: string; badge: string | null; person: string | null; zone: string | null; at: Date; severity: string; summary: string; evidence: (number | string)[]; details: Record<string, unknown>;
  }>(`SELECT id, rule, badge, person, zone, at, severity, summary, evidence, details FROM access_findings WHERE incident_id = $1 ORDER BY at, id`, [incidentId]);
  const equipment = await q.query<{ id: string; device_id: string | null; finding: string; summary: string; details: Record<string, unknown>; found_at: Date }>(
    `SELECT id, device_id, finding, summary, details, found_at FROM equipment_findings WHERE incident_id = $1 ORDER BY device_id NULLS LAST, id`,
    [incidentId],
  );
  const risk = await q.query<{ scope: string; scope_id: string; likelihood: number; impact: number; score: number; band: string; recurring: boolean; computed_at: Date }>(
    `SELECT scope, scope_id, likelihood, impact, score, band, recurring, computed_at FROM risk_history WHERE incident_id = $1 ORDER BY CASE scope WHEN 'site' THEN 0 WHEN 'zone' THEN 1 ELSE 2 END, scope_id`,
    [incidentId],
  );
  // Patrols without an incident are audited under their own id; the incident's are under it.
  const targets = [incidentId, ...incident.patrols.map((p) => p.id)];
  const audit = await q.query<{ seq: number; at: Date; actor: string; action: string; target: string | null; details: Record<string, unknown> }>(
    `SELECT seq, at, actor, action, target, details FROM audit_log WHERE target = ANY($1::text[]) ORDER BY seq`,
    [targets],
  );
  return {
    incident,
    outcome,
    notes: notes.rows.map((n) => ({ seq: Number(n.seq), at: n.at.toISOString(), author: n.author, kind: n.kind, text: n.text })),
    tasks: tasks.rows.map((t) => ({
      id: t.id,
      kind: t.kind,
      title: t.title,
      status: t.status,
      assignee: t.assignee,
      dueAt: iso(t.due_at),
      createdAt: t.created_at.toISOString(),
      completedAt: iso(t.completed_at),
      checklist: Array.isArray(t.checklist) ? t.checklist : [],
      comments: comments.filter((c) => c.task_id === t.id).map((c) => ({ seq: Number(c.seq), at: c.at.toISOString(), author: c.author, text: c.text })),
    })),
    risk: risk.rows.map((r) => ({ scope: r.scope, id: r.scope_id, likelihood: r.likelihood, impact: r.impact, score: r.score, band: r.band, recurring: r.recurring, computedAt: r.computed_at.toISOString() })),
    assetStatusChanges: changes.rows.map((c) => ({ seq: Number(c.seq), assetId: c.asset_id, from: c.from_status, to: c.to_status, at: c.at.toISOString(), actor: c.actor, reason: c.reason })),
    accessFindings: access.rows.map((a) => ({
      id: a.id,
      rule: a.rule,
      badge: a.badge,
      person: a.person,
      zone: a.zone,
      at: a.at.toISOString(),
      severity: a.severity,
      summary: a.summary,
      evidence: (a.evidence ?? []).map(Number),
      details: a.details ?? {},
    })),
    equipmentFindings: equipment.rows.map((e) => ({ id: e.id, deviceId: e.device_id, finding: e.finding, summary: e.summary, details: e.details ?? {}, foundAt: e.found_at.toISOString() })),
    audit: audit.rows.map((a) => ({ seq: Number(a.seq), at: a.at.toISOString(), actor: a.actor, action: a.action, target: a.target, details: a.details ?? {} })),
  };
}
