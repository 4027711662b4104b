/**
 * The `tasks` table group (tasks, task_comments, task_rotation): investigation tasks (step 9) and
 * maintenance tasks (step 13 inserts those through its own operation; everything here works on
 * both kinds). Writes are single statements guarded by the task's version or status, so a change
 * made meanwhile is a conflict, never a lost update. Also the reads of other tables that gathering
 * a task's evidence needs (the incident, its POS events, the badge events around it). Read models
 * for the API are in read/tasks.ts.
 */
import type { ChecklistItem } from '../domain/investigation.js';
import type { Queryable } from './db.js';

/** A task as stored. */
export interface TaskRecord {
  id: string;
  kind: string;
  incident_id: string | null;
  site: string;
  device_id: string | null;
  title: string;
  status: string;
  assignee: string | null;
  due_at: Date | null;
  checklist: ChecklistItem[];
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  overdue_notified_at: Date | null;
  version: number;
}

/** A task to insert. */
export interface NewTask {
  id: string;
  kind: 'investigation' | 'maintenance';
  incidentId: string | null;
  site: string;
  deviceId: string | null;
  title: string;
  assignee: string | null;
  dueAt: Date | null;
  checklist: readonly ChecklistItem[];
  now: Date;
}

const COLUMNS = 'id, kind, incident_id, site, device_id, title, status, assignee, due_at, checklist, created_at, updated_at, completed_at, overdue_notified_at, version';

function normal(r: TaskRecord): TaskRecord {
  return { ...r, version: Number(r.version), checklist: Array.isArray(r.checklist) ? r.checklist : [] };
}

/** Inserts a task (status open) unless one with its id exists; true when it was new. */
export async function insertTask(tx: Queryable, t: NewTask): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO tasks (id, kind, incident_id, site, device_id, title, status, assignee, due_at, checklist, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9::jsonb, $10, $10)
     ON CONFLICT (id) DO NOTHING RETURNING 1`,
    [t.id, t.kind, t.incidentId, t.site, t.deviceId, t.title, t.assignee, t.dueAt, JSON.stringify(t.checklist), t.now],
  );
  return r.rows.length > 0;
}

/** One task, locked for the caller's transaction (undefined when there is none). */
export async function lockTask(tx: Queryable, id: string): Promise<TaskRecord | undefined> {
  const r = await tx.query<TaskRecord>(`SELECT ${COLUMNS} FROM tasks WHERE id = $1 FOR UPDATE`, [id]);
  return r.rows[0] ? normal(r.rows[0]) : undefined;
}

/** The tasks of an incident (optionally of one kind), oldest first. */
export async function tasksOfIncident(q: Queryable, incidentId: string, kind?: string): Promise<TaskRecord[]> {
  const r = await q.query<TaskRecord>(
    `SELECT ${COLUMNS} FROM tasks WHERE incident_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY created_at, id`,
    [incidentId, kind ?? null],
  );
  return r.rows.map(normal);
}

/** What a change to a task sets; absent fields stay. */
export interface TaskChange {
  status?: string;
  assignee?: string | null;
  dueAt?: Date | null;
  checklist?: readonly ChecklistItem[];
  title?: string;
  /** Set with status done, cleared (null) on reopening. */
  completedAt?: Date | null;
  /** Clears the overdue flag (a new due date: the task can be overdue, and notified, again). */
  clearOverdue?: boolean;
}

/**
 * Applies a change to a task at `version` (the version it was read at), one more version; false
 * when the task is gone or its version moved meanwhile (someone else changed it).
 */
export async function updateTask(tx: Queryable, id: string, version: number, c: TaskChange, now: Date): Promise<boolean> {
  const r = await tx.query(
    `UPDATE tasks SET
       status = coalesce($3, status),
       assignee = CASE WHEN $4::boolean THEN $5 ELSE assignee END,
       due_at = CASE WHEN $6::boolean THEN $7::timestamptz ELSE due_at END,
       checklist = coalesce($8::jsonb, checklist),
       title = coalesce($9, title),
       completed_at = CASE WHEN $10::boolean THEN $11::timestamptz ELSE completed_at END,
       overdue_notified_at = CASE WHEN $12::boolean THEN NULL ELSE overdue_notified_at END,
       updated_at = $13, version = version + 1
     WHERE id = $1 AND version = $2 RETURNING 1`,
    [
      id,
      version,
      c.status ?? null,
      c.assignee !== undefined,
      c.assignee ?? null,
      c.dueAt !== undefined,
      c.dueAt ?? null,
      c.checklist ? JSON.stringify(c.checklist) : null,
      c.title ?? null,
      c.completedAt !== undefined,
      c.completedAt ?? null,
      c.clearOverdue === true,
      now,
    ],
  );
  return r.rows.length > 0;
}

/** Appends a comment to a task (lock the task first: the number is the next one); returns its number. */
export async function addTaskComment(tx: Queryable, p: { taskId: string; at: Date; author: string; text: string }): Promise<number> {
  const r = await tx.query<{ seq: number }>(
    `INSERT INTO task_comments (task_id, seq, at, author, text)
     SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4 FROM task_comments WHERE task_id = $1
     RETURNING seq`,
    [p.taskId, p.at, p.author, p.text],
  );
  return Number(r.rows[0]!.seq);
}

/**
 * The site's next turn of the investigator rotation: 0 for the first automatic assignment, then
 * 1, 2, ... The upsert locks the site's row until the caller commits, so two processes never get
 * the same turn.
 */
export async function nextRotationTurn(tx: Queryable, site: string): Promise<number> {
  const r = await tx.query<{ turn: string }>(
    `INSERT INTO task_rotation (site, turn) VALUES ($1, 0)
     ON CONFLICT (site) DO UPDATE SET turn = task_rotation.turn + 1 RETURNING turn`,
    [site],
  );
  return Number(r.rows[0]!.turn);
}

/** Ids of the tasks past due, not done and not yet notified as overdue, most overdue first. */
export async function overdueTaskIds(q: Queryable, now: Date, limit = 100): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    `SELECT id FROM tasks WHERE status <> 'done' AND due_at < $1 AND overdue_notified_at IS NULL ORDER BY due_at, id LIMIT $2`,
    [now, limit],
  );
  return r.rows.map((x) => x.id);
}

/**
 * Ids of the open investigation tasks whose badge-event window has closed since their evidence
 * was gathered (the list is to be gathered again, now final).
 */
export async function tasksWithClosedEvidenceWindow(q: Queryable, now: Date, limit = 100): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    `SELECT id FROM tasks t
      WHERE t.kind = 'investigation' AND t.status <> 'done' AND t.incident_id IS NOT NULL
        AND CASE WHEN jsonb_typeof(t.checklist) = 'array' THEN
              EXISTS (SELECT 1 FROM jsonb_array_elements(t.checklist) i
                       WHERE i->>'kind' = 'badge_events' AND i->>'complete' = 'false' AND (i->>'to')::timestamptz <= $1)
            ELSE false END
      ORDER BY t.created_at, t.id LIMIT $2`,
    [now, limit],
  );
  return r.rows.map((x) => x.id);
}

/** Flags a task as notified overdue (no version change: people's edits are not disturbed). */
export async function markTaskOverdueNotified(tx: Queryable, id: string, at: Date): Promise<void> {
  await tx.query(`UPDATE tasks SET overdue_notified_at = $2 WHERE id = $1`, [id, at]);
}

// ---------------------------------------------------------------------------------------------
// Evidence: what the checklist is gathered from (reads of incidents and events)

/** An incident as the investigation task reads it. */
export interface IncidentForTask {
  id: string;
  site: string;
  zone: string | null;
  zones: string[];
  type: string;
  band: string;
  status: string;
  opened_at: Date;
  first_event_at: Date;
  last_event_at: Date;
  /** Ids of the touched assets (incidents.assets.touched). */
  touched: string[];
}

/** The incident behind a task, or undefined. */
export async function incidentForTask(q: Queryable, id: string): Promise<IncidentForTask | undefined> {
  const r = await q.query<Omit<IncidentForTask, 'touched'> & { assets: unknown }>(
    `SELECT id, site, zone, zones, type, band, status, opened_at, first_event_at, last_event_at, assets FROM incidents WHERE id = $1`,
    [id],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  const stored = row.assets as { touched?: { id: string }[] } | unknown[] | null;
  const touched = stored && !Array.isArray(stored) ? (stored.touched ?? []).map((a) => String(a.id)) : [];
  const { assets: _a, ...rest } = row;
  return { ...rest, zones: rest.zones ?? [], touched };
}

/** A badge event as the checklist reads it. */
export interface BadgeEventRow {
  seq: number;
  occurred_at: Date;
  type: string;
  zone: string | null;
  badge: string;
  device: string | null;
}

/**
 * Access-control events with a badge at `site` in `zones` within [from, to], oldest first, at most
 * `limit`, with how many there were in all.
 */
export async function badgeEventsAround(q: Queryable, p: { site: string; zones: readonly string[]; from: Date; to: Date; limit: number }): Promise<{ count: number; rows: BadgeEventRow[] }> {
  const where = `site = $1 AND occurred_at >= $2 AND occurred_at <= $3 AND source = 'access_control' AND badge IS NOT NULL AND zone = ANY($4::text[])`;
  const args = [p.site, p.from, p.to, [...p.zones]];
  const rows = await q.query<BadgeEventRow>(`SELECT seq, occurred_at, type, zone, badge, device FROM events WHERE ${where} ORDER BY occurred_at, seq LIMIT $5`, [...args, p.limit]);
  const count = rows.rows.length < p.limit ? rows.rows.length : Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE ${where}`, args)).rows[0]!.n);
  return { count, rows: rows.rows.map((x) => ({ ...x, seq: Number(x.seq) })) };
}

/** A POS event of an incident. */
export interface PosEventRow {
  seq: number;
  occurred_at: Date;
  type: string;
  device: string | null;
  source_event_id: string | null;
  amount: string | null;
  currency: string | null;
  details: Record<string, unknown>;
}

/** The POS events of an incident, oldest first (at most `limit`). */
/** An incident's camera events that link NVR footage (details.footage), oldest first. */
export async function incidentFootageEvents(q: Queryable, incidentId: string, limit = 200): Promise<{ seq: number; occurred_at: Date; device: string | null; footage: unknown }[]> {
  const r = await q.query<{ seq: number; occurred_at: Date; device: string | null; footage: unknown }>(
    `SELECT seq, occurred_at, device, details->'footage' AS footage FROM events
      WHERE incident_id = $1 AND source = 'cctv' AND details->'footage' IS NOT NULL ORDER BY occurred_at, seq LIMIT $2`,
    [incidentId, limit],
  );
  return r.rows.map((x) => ({ ...x, seq: Number(x.seq) }));
}

export async function incidentPosEvents(q: Queryable, incidentId: string, limit = 1000): Promise<PosEventRow[]> {
  const r = await q.query<PosEventRow>(
    `SELECT seq, occurred_at, type, device, source_event_id, amount::text AS amount, currency, details FROM events
      WHERE incident_id = $1 AND source = 'pos' ORDER BY occurred_at, seq LIMIT $2`,
    [incidentId, limit],
  );
  return r.rows.map((x) => ({ ...x, seq: Number(x.seq) }));
}
