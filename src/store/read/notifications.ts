/**
 * Read model of notifications: each alert with its delivery state and attempt history.
 */
import type { Queryable } from '../db.js';
import { Where } from '../where.js';
import { iso, type SiteScope } from './page.js';

/** A notification as the API shows it. */
export interface NotificationView {
  id: string;
  incidentId: string;
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

/** Notifications (optionally of one incident), oldest first, with their attempt history. */
export async function listNotifications(q: Queryable, f: { incident?: string; status?: string; channel?: string; limit?: number }, scope: SiteScope): Promise<NotificationView[]> {
  const w = new Where();
  w.eq('n.incident_id', f.incident);
  w.eq('n.status', f.status);
  w.eq('n.channel', f.channel);
  w.anyOf('i.site', scope);
  const r = await q.query<{
    id: string; incident_id: string; channel: string; kind: string; level: number; recipient: string; address: string; subject: string | null; body: string;
    status: string; attempts: number; error: string | null; provider_id: string | null; digest_id: string | null; created_at: Date; sent_at: Date | null; acknowledged_at: Date | null;
  }>(
    `SELECT n.id, n.incident_id, n.channel, n.kind, n.level, n.recipient, n.address, n.subject, n.body, n.status, n.attempts, n.error, n.provider_id, n.digest_id,
            n.created_at, n.sent_at, n.acknowledged_at
       FROM notifications n JOIN incidents i ON i.id = n.incident_id
      ${w.sql()}
      ORDER BY n.created_at, n.id LIMIT ${Math.min(Math.max(f.limit ?? 500, 1), 2000)}`,
    w.params,
  );
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
