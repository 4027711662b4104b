/**
 * Read models of tasks (investigation and maintenance): the list with its filters and keyset
 * cursor (newest first), one task with its comments, and the tasks of an incident (its detail).
 * `overdue` is judged against the `now` the caller passes (the service's clock).
 */
import { allowedTaskStatuses } from '../../domain/task-lifecycle.js';
import type { ChecklistItem } from '../../domain/investigation.js';
import type { Queryable } from '../db.js';
import { Where } from '../where.js';
import { CURSOR_AT_SQL, decodeCursor, encodeCursor, iso, scopeSites, type Page, type SiteScope } from './page.js';

/** A task as the API shows it. */
export interface TaskView {
  id: string;
  kind: string;
  incidentId: string | null;
  site: string;
  deviceId: string | null;
  title: string;
  status: string;
  /** The statuses a PATCH may move it to from here. */
  allowedStatuses: string[];
  /** A contact id (contacts of the configuration). */
  assignee: string | null;
  dueAt: string | null;
  /** Not done and past its due date. */
  overdue: boolean;
  /** When the overdue notice went out (assignee and the site's managers), once per due date. */
  overdueNotifiedAt: string | null;
  checklist: ChecklistItem[];
  /** Checklist items ticked, of all. */
  progress: { done: number; total: number };
  commentCount: number;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  /** Goes up by one with every change; PATCH may send it back to refuse a change made meanwhile. */
  version: number;
}

/** A comment on a task. */
export interface TaskComment {
  seq: number;
  at: string;
  author: string;
  text: string;
}

/** One task with its comments, oldest first. */
export interface TaskDetail extends TaskView {
  comments: TaskComment[];
}

interface Row {
  id: string;
  kind: string;
  incident_id: string | null;
  site: string;
  device_id: string | null;
  title: string;
  status: string;
  assignee: string | null;
  due_at: Date | null;
  checklist: ChecklistItem[] | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  overdue_notified_at: Date | null;
  version: number;
  comment_count: string;
  cursor_at: string;
}

const SELECT = `SELECT t.id, t.kind, t.incident_id, t.site, t.device_id, t.title, t.status, t.assignee, t.due_at, t.checklist, t.created_at, t.updated_at,
  t.completed_at, t.overdue_notified_at, t.version, (SELECT count(*) FROM task_comments c WHERE c.task_id = t.id) AS comment_count,
  ${CURSOR_AT_SQL('t.created_at')} AS cursor_at FROM tasks t`;

function view(r: Row, now: Date): TaskView {
  const checklist = Array.isArray(r.checklist) ? r.checklist : [];
  return {
    id: r.id,
    kind: r.kind,
    incidentId: r.incident_id,
    site: r.site,
    deviceId: r.device_id,
    title: r.title,
    status: r.status,
    allowedStatuses: allowedTaskStatuses(r.status),
    assignee: r.assignee,
    dueAt: iso(r.due_at),
    overdue: r.status !== 'done' && r.due_at !== null && r.due_at.getTime() < now.getTime(),
    overdueNotifiedAt: iso(r.overdue_notified_at),
    checklist,
    progress: { done: checklist.filter((i) => i.done).length, total: checklist.length },
    commentCount: Number(r.comment_count),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    completedAt: iso(r.completed_at),
    version: Number(r.version),
  };
}

/** Filters of the task list. */
export interface TaskFilter {
  assignees?: readonly string[];
  statuses?: readonly string[];
  sites?: readonly string[];
  kinds?: readonly string[];
  incident?: string;
  /** Only tasks that are (true) or are not (false) overdue at `now`. */
  overdue?: boolean;
  limit: number;
  cursor?: string;
}

/** Tasks, newest first by (created_at, id). */
export async function listTasks(q: Queryable, f: TaskFilter, scope: SiteScope, now: Date): Promise<Page<TaskView>> {
  const w = new Where();
  w.anyOf('t.assignee', f.assignees);
  w.anyOf('t.status', f.statuses);
  w.anyOf('t.site', scopeSites(f.sites, scope));
  w.anyOf('t.kind', f.kinds);
  w.eq('t.incident_id', f.incident);
  if (f.overdue !== undefined) {
    const cond = `(t.status <> 'done' AND t.due_at < ${w.p(now)})`;
    w.add(f.overdue ? cond : `NOT coalesce(${cond}, false)`);
  }
  if (f.cursor) {
    const [at, id] = decodeCursor(f.cursor, 'string');
    w.add(`(t.created_at, t.id) < (${w.p(at)}::timestamptz, ${w.p(id)}::text)`);
  }
  const r = await q.query<Row>(`${SELECT} ${w.sql()} ORDER BY t.created_at DESC, t.id DESC LIMIT ${w.p(f.limit + 1)}`, w.params);
  const more = r.rows.length > f.limit;
  const rows = more ? r.rows.slice(0, f.limit) : r.rows;
  const last = rows[rows.length - 1];
  return { items: rows.map((x) => view(x, now)), nextCursor: more && last ? encodeCursor(last.cursor_at, last.id) : null };
}

/** One task with its comments, or undefined when it does not exist or is outside the scope. */
export async function getTask(q: Queryable, id: string, scope: SiteScope, now: Date): Promise<TaskDetail | undefined> {
  const r = await q.query<Row>(`${SELECT} WHERE t.id = $1`, [id]);
  const row = r.rows[0];
  if (!row || (scope && !scope.includes(row.site))) return undefined;
  const c = await q.query<{ seq: number; at: Date; author: string; text: string }>(`SELECT seq, at, author, text FROM task_comments WHERE task_id = $1 ORDER BY seq`, [id]);
  return { ...view(row, now), comments: c.rows.map((x) => ({ seq: Number(x.seq), at: x.at.toISOString(), author: x.author, text: x.text })) };
}

/** The tasks of an incident, oldest first (the incident detail's `tasks`). */
export async function incidentTasks(q: Queryable, incidentId: string, now: Date): Promise<TaskView[]> {
  const r = await q.query<Row>(`${SELECT} WHERE t.incident_id = $1 ORDER BY t.created_at, t.id`, [incidentId]);
  return r.rows.map((x) => view(x, now));
}
