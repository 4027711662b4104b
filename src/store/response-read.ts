/**
 * Read models of the response: notifications with their delivery attempts, patrols and guards.
 * Plain SQL for both stores; scope = the caller's sites (null = all).
 */
import type { Queryable } from './db.js';
import { Where } from './where.js';

export type Scope = readonly string[] | null;

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

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
export async function listNotifications(q: Queryable, f: { incident?: string; status?: string; channel?: string; limit?: number }, scope: Scope): Promise<NotificationView[]> {
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

export interface PatrolView {
  id: string;
  incidentId: string | null;
  site: string;
  kind: string;
  guardId: string | null;
  zone: string | null;
  target: [number, number] | null;
  route: unknown;
  assets: string[];
  reason: string;
  status: string;
  metres: number | null;
  etaSeconds: number | null;
  attempt: number;
  ackDeadline: string | null;
  scheduledFor: string | null;
  assignedAt: string;
  acknowledgedAt: string | null;
  enRouteAt: string | null;
  onSiteAt: string | null;
  completedAt: string | null;
}

/** Patrols, newest first. */
export async function listPatrols(q: Queryable, f: { site?: string; status?: string; incident?: string; id?: string; limit?: number }, scope: Scope): Promise<PatrolView[]> {
  const w = new Where();
  w.eq('id', f.id);
  w.eq('site', f.site);
  w.eq('status', f.status);
  w.eq('incident_id', f.incident);
  w.anyOf('site', scope);
  const r = await q.query<{
    id: string; incident_id: string | null; site: string; kind: string; guard_id: string | null; zone: string | null; target: [number, number] | null; route: unknown;
    assets: string[]; reason: string; status: string; metres: number | null; eta_seconds: number | null; attempt: number; ack_deadline: Date | null; scheduled_for: Date | null;
    assigned_at: Date; acknowledged_at: Date | null; en_route_at: Date | null; on_site_at: Date | null; completed_at: Date | null;
  }>(`SELECT * FROM patrols ${w.sql()} ORDER BY assigned_at DESC, id DESC LIMIT ${Math.min(Math.max(f.limit ?? 200, 1), 1000)}`, w.params);
  return r.rows.map((x) => ({
    id: x.id,
    incidentId: x.incident_id,
    site: x.site,
    kind: x.kind,
    guardId: x.guard_id,
    zone: x.zone,
    target: x.target,
    route: x.route,
    assets: x.assets,
    reason: x.reason,
    status: x.status,
    metres: x.metres === null ? null : Math.round(Number(x.metres) * 10) / 10,
    etaSeconds: x.eta_seconds === null ? null : Number(x.eta_seconds),
    attempt: Number(x.attempt),
    ackDeadline: iso(x.ack_deadline),
    scheduledFor: iso(x.scheduled_for),
    assignedAt: x.assigned_at.toISOString(),
    acknowledgedAt: iso(x.acknowledged_at),
    enRouteAt: iso(x.en_route_at),
    onSiteAt: iso(x.on_site_at),
    completedAt: iso(x.completed_at),
  }));
}

export interface GuardView {
  id: string;
  site: string;
  name: string;
  phone: string;
  position: [number, number] | null;
  onShift: boolean;
  status: string;
  updatedAt: string;
}

/** Guards with their live state. */
export async function listGuards(q: Queryable, f: { site?: string; id?: string }, scope: Scope): Promise<GuardView[]> {
  const w = new Where();
  w.eq('id', f.id);
  w.eq('site', f.site);
  w.anyOf('site', scope);
  const r = await q.query<{ id: string; site: string; name: string; phone: string; position: [number, number] | null; on_shift: boolean; status: string; updated_at: Date }>(
    `SELECT id, site, name, phone, position, on_shift, status, updated_at FROM guards ${w.sql()} ORDER BY site, id`,
    w.params,
  );
  return r.rows.map((g) => ({ id: g.id, site: g.site, name: g.name, phone: g.phone, position: g.position, onShift: g.on_shift, status: g.status, updatedAt: g.updated_at.toISOString() }));
}
