/**
 * The notification outbox: a workflow step decides an alert by inserting a row here in its own
 * transaction. The idempotency key (incident, recipient, channel, kind) makes deciding twice a
 * no-op, so a step that runs again after a crash never queues a second alert.
 */
import { randomBytes } from 'node:crypto';
import { timeId } from '../domain/ids.js';
import type { Queryable } from './db.js';

export type Channel = 'sms' | 'email' | 'webhook';

export interface OutboxItem {
  incidentId: string;
  channel: Channel;
  /** emergency:<band> | escalation:<level> | management:<band> | executive:<band> | patrol:<id> | no_guard | webhook:<event> | digest */
  kind: string;
  /** Who: a contact id, guard id or webhook index. */
  recipient: string;
  /** Where: phone number, email address or URL. */
  address: string;
  subject?: string;
  body: string;
  html?: string;
  band?: string;
  level?: number;
}

/** The idempotency key of an alert. */
export function idempotencyKey(i: Pick<OutboxItem, 'incidentId' | 'recipient' | 'channel' | 'kind'>): string {
  return `${i.incidentId}|${i.recipient}|${i.channel}|${i.kind}`;
}

/** Queues alerts (once per idempotency key); returns the ids of the rows that were new. */
export async function enqueue(tx: Queryable, items: OutboxItem[], now: Date): Promise<string[]> {
  if (items.length === 0) return [];
  const rows = items.map((i) => ({
    id: timeId('ntf', now.getTime(), randomBytes(4)),
    incident_id: i.incidentId,
    idempotency_key: idempotencyKey(i),
    channel: i.channel,
    kind: i.kind,
    recipient: i.recipient,
    address: i.address,
    subject: i.subject ?? null,
    body: i.body,
    html: i.html ?? null,
    band: i.band ?? null,
    level: i.level ?? 0,
    created_at: now.toISOString(),
    next_attempt_at: now.toISOString(),
  }));
  const r = await tx.query<{ id: string }>(
    `INSERT INTO notifications (id, incident_id, idempotency_key, channel, kind, recipient, address, subject, body, html, band, level, status, created_at, next_attempt_at)
     SELECT id, incident_id, idempotency_key, channel, kind, recipient, address, subject, body, html, band, level, 'queued', created_at, next_attempt_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, incident_id text, idempotency_key text, channel text, kind text, recipient text, address text,
            subject text, body text, html text, band text, level int, created_at timestamptz, next_attempt_at timestamptz)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING id`,
    [JSON.stringify(rows)],
  );
  return r.rows.map((x) => x.id);
}

// Lifecycle (API)

/**
 * Cancels the queued alerts of an incident that somebody taking charge made moot: escalations,
 * and the emergency alerts too when `alsoEmergency` (the incident was resolved).
 */
export async function cancelMootAlerts(q: Queryable, incidentId: string, opts: { alsoEmergency: boolean }): Promise<void> {
  await q.query(
    `UPDATE notifications SET status = 'cancelled', next_attempt_at = NULL, updated_at = now()
      WHERE incident_id = $1 AND status = 'queued' AND (kind LIKE 'escalation:%' OR ($2 AND kind LIKE 'emergency:%'))`,
    [incidentId, opts.alsoEmergency],
  );
}

/** Marks the sent alerts of an incident to one recipient as acknowledged at `at` (an SMS reply "ACK <code>"). */
export async function markAlertsAcknowledged(q: Queryable, incidentId: string, recipient: string, at: Date): Promise<void> {
  await q.query(`UPDATE notifications SET status = 'acknowledged', acknowledged_at = $3, updated_at = now() WHERE incident_id = $1 AND recipient = $2 AND status = 'sent'`, [
    incidentId,
    recipient,
    at,
  ]);
}
