/**
 * Read model of notifications: each alert with its delivery state and attempt history. The list
 * pages newest first with keyset cursors on (created_at, id), like the other lists; an incident's
 * own notifications read oldest first, as its history.
 */
import type { Queryable } from '../db.js';
import { Where } from '../where.js';
import { CURSOR_AT_SQL, decodeCursor, encodeCursor, iso, scopeSites, type Page, type SiteScope } from './page.js';

/** A notification as the API shows it. */
export interface NotificationView {
  id: string;
  incidentId: string;
  /** The site of the notification's incident. */
  site: string | null;
  channel: string;
  kind: string;
  level: number;
  recipient: string;
  address: string;
  subject: string | null;
  body: string;
  status: string;
  attempts: number;
  error: string | null;
  providerId: string | null;
  digestId: string | null;
  createdAt: string;
  sentAt: string | null;
  acknowledgedAt: string | null;
  history: { attempt: number; startedAt: string; finishedAt: string | null; outcome: string; detail: string | null }[];
}

/** Filters of the notification list. */
export interface NotificationFilter {
  incident?: string;
  status?: string;
  channel?: string;
  /** Notifications of incidents at these sites. */
  sites?: readonly string[];
  limit: number;
  cursor?: string;
}

interface NotificationRow {
  id: string; incident_id: string; site: string | null; channel: string; kind: string; level: number; recipient: string; address: string; subject: string | null; body: string;
  status: string; attempts: number; error: string | null; provider_id: string | null; digest_id: string | null; created_at: Date; sent_at: Date | null; acknowledged_at: Date | null;
  cursor_at: string;
}

const NOTIFICATION_COLUMNS = `n.id, n.incident_id, (SELECT i.site FROM incidents i WHERE i.id = n.incident_id) AS site, n.channel, n.kind, n.level, n.recipient, n.address, n.subject, n.body, n.status, n.attempts, n.error, n.provider_id, n.digest_id,
  n.created_at, n.sent_at, n.acknowledged_at, ${CURSOR_AT_SQL('n.created_at')} AS cursor_at`;

/** Notifications within the caller's scope, newest first by (created_at, id), with their attempt history. */
export async function listNotifications(q: Queryable, f: NotificationFilter, scope: SiteScope): Promise<Page<NotificationView>> {
  const w = new Where();
  // Incident alerts only: report emails (incident_id NULL, migration 0014) show in their job's runs.
  w.add('n.incident_id IS NOT NULL');
  w.eq('n.incident_id', f.incident);
  w.eq('n.status', f.status);
  w.eq('n.channel', f.channel);
  const sites = scopeSites(f.sites, scope);
  if (sites) w.add(`n.incident_id IN (SELECT id FROM incidents WHERE site = ANY(${w.p([...sites])}::text[]))`);
  if (f.cursor) {
    const [at, id] = decodeCursor(f.cursor, 'string');
    w.add(`(n.created_at, n.id) < (${w.p(at)}::timestamptz, ${w.p(id)}::text)`);
  }
  const r = await q.query<NotificationRow>(`SELECT ${NOTIFICATION_COLUMNS} FROM notifications n ${w.sql()} ORDER BY n.created_at DESC, n.id DESC LIMIT ${w.p(f.limit + 1)}`, w.params);
  const more = r.rows.length > f.limit;
  const rows = more ? r.rows.slice(0, f.limit) : r.rows;
  const last = rows[rows.length - 1];
  return { items: await withHistory(q, rows), nextCursor: more && last ? encodeCursor(last.cursor_at, last.id) : null };
}

/** The notifications of one incident, oldest first, at most `limit` (the incident detail). */
export async function incidentNotifications(q: Queryable, incidentId: string, limit = 500): Promise<NotificationView[]> {
  const r = await q.query<NotificationRow>(`SELECT ${NOTIFICATION_COLUMNS} FROM notifications n WHERE n.incident_id = $1 ORDER BY n.created_at, n.id LIMIT $2`, [incidentId, limit]);
  return withHistory(q, r.rows);
}

/** Adds each notification's attempt history. */
async function withHistory(q: Queryable, rows: NotificationRow[]): Promise<NotificationView[]> {
  const r = { rows };
  const ids = r.rows.map((x) => x.id);
  const hist = new Map<string, NotificationView['history']>();
  if (ids.length > 0) {
    const a = await q.query<{ notification_id: string; attempt: number; started_at: Date; finished_at: Date | null; outcome: string; detail: string | null }>(
      `SELECT notification_id, attempt, started_at, finished_at, outcome, detail FROM notification_attempts WHERE notification_id = ANY($1::text[]) ORDER BY attempt`,
      [ids],
    );
    for (const x of a.rows) {
      const list = hist.get(x.notification_id) ?? [];
      list.push({ attempt: Number(x.attempt), startedAt: x.started_at.toISOString(), finishedAt: iso(x.finished_at), outcome: x.outcome, detail: x.detail });
      hist.set(x.notification_id, list);
    }
  }
  return r.rows.map((n) => ({
    id: n.id,
    incidentId: n.incident_id,
    site: n.site,
    channel: n.channel,
    kind: n.kind,
    level: Number(n.level),
    recipient: n.recipient,
    address: n.address,
    subject: n.subject,
    body: n.body,
    status: n.status,
    attempts: Number(n.attempts),
    error: n.error,
    providerId: n.provider_id,
    digestId: n.digest_id,
    createdAt: n.created_at.toISOString(),
    sentAt: iso(n.sent_at),
    acknowledgedAt: iso(n.acknowledged_at),
    history: hist.get(n.id) ?? [],
  }));
}
