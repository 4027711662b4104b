/**
 * The `notifications` table group (notifications, notification_attempts): the outbox.
 *
 * A workflow step decides an alert by inserting a row here in its own transaction. The
 * idempotency key (incident, recipient, channel, kind) makes deciding twice a no-op, so a step
 * that runs again after a crash never queues a second alert. The dispatcher (channels/dispatcher.ts)
 * claims, delivers and records through the operations below.
 */
import { randomBytes } from 'node:crypto';
import { timeId } from '../domain/ids.js';
import type { Band } from '../domain/types.js';
import type { Queryable } from './db.js';

export type Channel = 'sms' | 'email' | 'webhook';

export interface OutboxItem {
  /** The incident the message is about; null for one that is not (a task of a site): `ref` names it then. */
  incidentId: string | null;
  /** What a message without an incident belongs to (e.g. `task:<id>`, `weekly:2026-W47`). */
  ref?: string;
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
export function idempotencyKey(i: Pick<OutboxItem, 'incidentId' | 'ref' | 'recipient' | 'channel' | 'kind'>): string {
  return `${i.incidentId ?? i.ref}|${i.recipient}|${i.channel}|${i.kind}`;
}

/** The outbox rows of `items` as the inserts take them (jsonb_to_recordset). */
function outboxRows(items: readonly Omit<OutboxItem, 'body'>[] | readonly OutboxItem[], now: Date) {
  const unnamed = items.find((i) => i.incidentId === null && !i.ref);
  if (unnamed) throw new Error(`an outbox message without an incident needs a ref (${unnamed.kind} to ${unnamed.recipient})`);
  return items.map((i) => ({
    id: timeId('ntf', now.getTime(), randomBytes(4)),
    incident_id: i.incidentId,
    ref: i.ref ?? null,
    idempotency_key: idempotencyKey(i),
    channel: i.channel,
    kind: i.kind,
    recipient: i.recipient,
    address: i.address,
    subject: i.subject ?? null,
    body: 'body' in i ? i.body : null,
    html: i.html ?? null,
    band: i.band ?? null,
    level: i.level ?? 0,
    created_at: now.toISOString(),
    next_attempt_at: now.toISOString(),
  }));
}

/** Queues alerts (once per idempotency key); returns the ids of the rows that were new. */
export async function enqueue(tx: Queryable, items: OutboxItem[], now: Date): Promise<string[]> {
  if (items.length === 0) return [];
  const rows = outboxRows(items, now);
  const r = await tx.query<{ id: string }>(
    `INSERT INTO notifications (id, incident_id, ref, idempotency_key, channel, kind, recipient, address, subject, body, html, band, level, status, created_at, next_attempt_at)
     SELECT id, incident_id, ref, idempotency_key, channel, kind, recipient, address, subject, body, html, band, level, 'queued', created_at, next_attempt_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, incident_id text, ref text, idempotency_key text, channel text, kind text, recipient text, address text,
            subject text, body text, html text, band text, level int, created_at timestamptz, next_attempt_at timestamptz)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING id`,
    [JSON.stringify(rows)],
  );
  return r.rows.map((x) => x.id);
}

/** The columns of a claimed notification (NotificationRow, less `prev_status` and `used`). */
const CLAIMED_COLUMNS = 'n.id, n.incident_id, n.channel, n.kind, n.recipient, n.address, n.subject, n.body, n.html, n.status, n.attempts, n.created_at, n.outcome_unknown';

/**
 * What an SMS row's recipient already used of the rate limit (NotificationRow.used): messages to
 * the same address sent since `windowStart`, or being sent under a lease still running at `now`
 * (both SQL parameters). Null for other channels.
 */
function smsUsedSql(windowStart: string, now: string): string {
  return `CASE WHEN n.channel = 'sms' THEN
         (SELECT count(*)::int FROM notifications x
           WHERE x.channel = 'sms' AND x.address = n.address AND x.id <> n.id
             AND ((x.status IN ('sent', 'acknowledged') AND x.sent_at > ${windowStart}) OR (x.status = 'sending' AND x.locked_until > ${now}))) END`;
}

/**
 * A claim taken as the rows are inserted, for the dispatcher `workerId` (Dispatcher.outboxClaim):
 * the rows go in as `sending` with one attempt and its lease, as claimNotifications would leave
 * them, so the decision, the outbox row and its claim are one write.
 */
export interface OutboxClaim {
  workerId: string;
  now: Date;
  leaseUntil: Date;
  /** Start of the SMS rate-limit window (what each row's `used` counts from). */
  windowStart: Date;
}

/** The emergency alert of one incident (send-emergency-sms): the incident marked alerted and its messages queued. */
export interface EmergencyAlert {
  id: string;
  site: string;
  band: Band;
  /** Acknowledgement codes to try in order (the incident's own code alone when it has one). */
  candidates: readonly string[];
  /** The message text for each candidate code, same order. */
  bodies: readonly string[];
  escalateAt: Date | null;
  items: readonly Omit<OutboxItem, 'body'>[];
  now: Date;
  /** Insert the messages already claimed for this dispatcher (the ingest's fast path). */
  claim?: OutboxClaim;
}

/**
 * Marks an incident alerted at its band and queues its emergency messages, in one statement: its
 * first escalation time (kept if set), an acknowledgement code (kept if set, else the first of
 * `candidates` that no other unresolved incident of the site uses), and one outbox row per item
 * (once per idempotency key) with the body written for that code. Returns the code (null when
 * every candidate was taken: nothing is queued then), the ids of the rows that were new, and, with
 * `claim`, those rows as claimed for delivery.
 */
export async function markAlertedAndQueue(tx: Queryable, a: EmergencyAlert): Promise<{ ackCode: string | null; queued: string[]; claimed: NotificationRow[] }> {
  if (a.candidates.length !== a.bodies.length) throw new Error('markAlertedAndQueue: one body per candidate code');
  const r = await tx.query<NotificationRow & { ack_code: string | null }>(
    `WITH a AS (
       UPDATE incidents SET alerted_band = $4, next_escalation_at = coalesce(next_escalation_at, $5),
              ack_code = coalesce(ack_code, (SELECT c FROM unnest($2::text[]) AS c
                                              WHERE NOT EXISTS (SELECT 1 FROM incidents x WHERE x.site = $3 AND x.ack_code = c AND x.status NOT IN ('resolved', 'archived'))
                                              LIMIT 1))
        WHERE id = $1 RETURNING ack_code),
     q AS (
       INSERT INTO notifications AS n (id, incident_id, ref, idempotency_key, channel, kind, recipient, address, subject, body, html, band, level, status, attempts,
                                       created_at, next_attempt_at, sending_at, locked_until, locked_by)
       SELECT x.id, x.incident_id, x.ref, x.idempotency_key, x.channel, x.kind, x.recipient, x.address, x.subject, ($6::text[])[array_position($2::text[], a.ack_code)],
              x.html, x.band, x.level, CASE WHEN $8::text IS NULL THEN 'queued' ELSE 'sending' END, CASE WHEN $8::text IS NULL THEN 0 ELSE 1 END,
              x.created_at, x.next_attempt_at, $9::timestamptz, $10::timestamptz, $8::text
         FROM jsonb_to_recordset($7::jsonb) AS x(id text, incident_id text, ref text, idempotency_key text, channel text, kind text, recipient text, address text,
              subject text, html text, band text, level int, created_at timestamptz, next_attempt_at timestamptz)
         CROSS JOIN a WHERE a.ack_code IS NOT NULL
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING ${CLAIMED_COLUMNS}, 'queued'::text AS prev_status, CASE WHEN $8::text IS NOT NULL THEN ${smsUsedSql('$11', '$9')} END AS used)
     SELECT a.ack_code, q.* FROM a LEFT JOIN q ON true`,
    [
      a.id,
      a.candidates,
      a.site,
      a.band,
      a.escalateAt,
      a.bodies,
      JSON.stringify(outboxRows(a.items, a.now)),
      a.claim?.workerId ?? null,
      a.claim?.now ?? null,
      a.claim?.leaseUntil ?? null,
      a.claim?.windowStart ?? null,
    ],
  );
  const ackCode = r.rows[0]?.ack_code ?? null;
  const rows = r.rows.filter((x) => x.id !== null && x.id !== undefined).map(({ ack_code: _a, ...n }) => n as NotificationRow);
  return { ackCode, queued: rows.map((x) => x.id), claimed: a.claim ? rows : [] };
}

/** A notification claimed for delivery. */
export interface NotificationRow {
  id: string;
  /** null for a message that belongs to a period, not an incident (the weekly report: see `ref`). */
  incident_id: string | null;
  channel: Channel;
  kind: string;
  recipient: string;
  address: string;
  subject: string | null;
  body: string;
  html: string | null;
  status: string;
  attempts: number;
  created_at: Date;
  /** The status before this claim: `sending` means an earlier attempt's outcome is unknown (a crash). */
  prev_status?: string;
  /** An earlier attempt failed after its request may have reached the provider (reset, timeout). */
  outcome_unknown?: boolean;
  /** SMS: the recipient's messages sent within the rate-limit window or in flight elsewhere, at the claim. */
  used?: number;
}

/**
 * Claims due notifications for `workerId` until `leaseUntil` (status sending, one more attempt),
 * oldest first, up to `limit`, of one channel or any. Each SMS row carries what its recipient already
 * used of the rate limit since `windowStart`, so delivery needs no query before sending. (The
 * ingest's fast path claims as it inserts instead: markAlertedAndQueue with an OutboxClaim.)
 */
export async function claimNotifications(
  q: Queryable,
  p: { now: Date; leaseUntil: Date; workerId: string; limit: number; windowStart: Date; channel?: Channel },
): Promise<NotificationRow[]> {
  const r = await q.query<NotificationRow>(
    `WITH due AS (
       SELECT id, status AS prev_status FROM notifications
        WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until < $1) AND channel = coalesce($6, channel)
        ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
     UPDATE notifications n SET status = 'sending', attempts = n.attempts + 1, sending_at = $1, locked_until = $2, locked_by = $3, updated_at = now()
       FROM due WHERE n.id = due.id
     RETURNING ${CLAIMED_COLUMNS}, due.prev_status, ${smsUsedSql('$5', '$1')} AS used`,
    [p.now, p.leaseUntil, p.workerId, p.limit, p.windowStart, p.channel ?? null],
  );
  return r.rows;
}

/** The recorded outcome of one delivery attempt. */
export interface DeliveryRecord {
  id: string;
  status: 'sent' | 'queued' | 'failed' | 'cancelled';
  attempt: number;
  started: string;
  finished: string;
  provider_id: string | null;
  error: string | null;
  retry_at: string | null;
  outcome: string;
  detail: string;
  /** The attempt may have reached the provider without us learning its answer: settle before sending again. */
  outcome_unknown: boolean;
}

/**
 * Records delivery outcomes of notifications `workerId` holds: their state, the attempt history,
 * and the alerts folded into a digest that was sent. One statement (data-modifying CTEs), so it is
 * atomic on its own and needs no transaction around it: on the embedded store BEGIN and COMMIT are
 * statements of their own, and this runs once per message sent. The dispatcher records each
 * message right after its send, so a crash leaves at most the one in flight unrecorded.
 */
export async function recordDeliveries(q: Queryable, rows: readonly DeliveryRecord[], workerId: string, sentDigests: readonly string[]): Promise<void> {
  await q.query(
    `WITH x AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS x(id text, status text, attempt int, started timestamptz, finished timestamptz, provider_id text, error text, retry_at timestamptz, outcome text, detail text, outcome_unknown boolean)
     ), state AS (
       UPDATE notifications n SET status = x.status,
              sent_at = CASE WHEN x.status = 'sent' THEN x.finished ELSE n.sent_at END,
              provider_id = coalesce(x.provider_id, n.provider_id), error = x.error, next_attempt_at = x.retry_at,
              outcome_unknown = x.outcome_unknown, locked_until = NULL, locked_by = NULL, updated_at = now()
         FROM x WHERE n.id = x.id AND n.locked_by = $2
     ), attempts AS (
       INSERT INTO notification_attempts (notification_id, attempt, started_at, finished_at, outcome, detail)
       SELECT id, attempt, started, finished, outcome, detail FROM x
       ON CONFLICT (notification_id, attempt) DO UPDATE SET finished_at = EXCLUDED.finished_at, outcome = EXCLUDED.outcome, detail = EXCLUDED.detail
     ), folded AS (
       UPDATE notifications SET status = 'folded_sent', updated_at = now() WHERE digest_id = ANY($3::text[]) AND status = 'folded'
     )
     SELECT 1`,
    [JSON.stringify(rows), workerId, sentDigests],
  );
}

/**
 * Which of the provider message ids `sids` another notification already recorded as its own: such
 * a message is never taken as proof that `exceptId` went out (same words to the same person).
 */
export async function providerIdsRecorded(q: Queryable, sids: readonly string[], exceptId: string): Promise<Set<string>> {
  if (sids.length === 0) return new Set();
  const r = await q.query<{ provider_id: string }>(`SELECT provider_id FROM notifications WHERE provider_id = ANY($1::text[]) AND id <> $2`, [sids, exceptId]);
  return new Set(r.rows.map((x) => x.provider_id));
}

/** Makes notifications left `sending` by a dead process claimable now; returns how many. */
export async function releaseSendingNotifications(q: Queryable): Promise<number> {
  const r = await q.query(`UPDATE notifications SET locked_until = NULL, locked_by = NULL WHERE status = 'sending'`);
  return r.rowCount;
}

/** Replaces a notification's body (a digest's text, composed when it goes out). */
export async function setNotificationBody(q: Queryable, id: string, body: string): Promise<void> {
  await q.query(`UPDATE notifications SET body = $2 WHERE id = $1`, [id, body]);
}

/**
 * Folds an SMS into its recipient's digest `kind` (created when missing, serialised per
 * recipient): the digest goes out when the oldest message of the window leaves it. Returns the
 * digest's id.
 */
export async function foldIntoDigest(tx: Queryable, n: Pick<NotificationRow, 'id' | 'incident_id' | 'recipient' | 'address'>, p: { kind: string; windowMs: number; now: Date }): Promise<string> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('vigil-sms:' || $1))`, [n.address]);
  const oldest = await tx.query<{ oldest: Date | null }>(
    `SELECT min(sent_at) AS oldest FROM notifications WHERE channel = 'sms' AND address = $1 AND status IN ('sent', 'acknowledged') AND sent_at > $2`,
    [n.address, new Date(p.now.getTime() - p.windowMs)],
  );
  const due = new Date((oldest.rows[0].oldest ?? p.now).getTime() + p.windowMs + 1000);
  const existing = await tx.query<{ id: string }>(
    `SELECT id FROM notifications WHERE channel = 'sms' AND address = $1 AND kind = $2 AND status IN ('queued', 'sending') ORDER BY created_at, id LIMIT 1`,
    [n.address, p.kind],
  );
  let digestId = existing.rows[0]?.id;
  if (!digestId) {
    const item = { incidentId: n.incident_id ?? '', channel: 'sms' as const, kind: p.kind, recipient: n.recipient, address: n.address, body: '(digest)' };
    await enqueue(tx, [item], p.now);
    digestId = (await tx.query<{ id: string }>(`SELECT id FROM notifications WHERE idempotency_key = $1`, [idempotencyKey(item)])).rows[0].id;
  }
  await tx.query(`UPDATE notifications SET next_attempt_at = greatest(next_attempt_at, $2) WHERE id = $1 AND status = 'queued'`, [digestId, due]);
  await tx.query(`UPDATE notifications SET status = 'folded', digest_id = $2, locked_until = NULL, locked_by = NULL, next_attempt_at = NULL, updated_at = now() WHERE id = $1`, [n.id, digestId]);
  return digestId;
}

/** The alerts folded into a digest, oldest first, with their incidents' type, site and code. */
export async function foldedAlerts(q: Queryable, digestId: string): Promise<{ band: Band | null; type: string; site: string; ack_code: string | null }[]> {
  const r = await q.query<{ band: Band | null; type: string; site: string; ack_code: string | null }>(
    `SELECT coalesce(f.band, i.band) AS band, i.type, i.site, i.ack_code FROM notifications f JOIN incidents i ON i.id = f.incident_id
      WHERE f.digest_id = $1 AND f.status = 'folded' ORDER BY f.created_at`,
    [digestId],
  );
  return r.rows;
}

// Lifecycle (API)

/**
 * Cancels the queued alerts of an incident that somebody taking charge made moot: escalations,
 * and the emergency alerts too when `alsoEmergency` (the incident was resolved). Returns those it cancelled.
 */
export async function cancelMootAlerts(q: Queryable, incidentId: string, opts: { alsoEmergency: boolean }): Promise<{ id: string; channel: string }[]> {
  const r = await q.query<{ id: string; channel: string }>(
    `UPDATE notifications SET status = 'cancelled', next_attempt_at = NULL, updated_at = now()
      WHERE incident_id = $1 AND status = 'queued' AND (kind LIKE 'escalation:%' OR ($2 AND kind LIKE 'emergency:%'))
      RETURNING id, channel`,
    [incidentId, opts.alsoEmergency],
  );
  return r.rows;
}

/** Marks the sent alerts of an incident to one recipient as acknowledged at `at` (an SMS reply "ACK <code>"). */
export async function markAlertsAcknowledged(q: Queryable, incidentId: string, recipient: string, at: Date): Promise<void> {
  await q.query(`UPDATE notifications SET status = 'acknowledged', acknowledged_at = $3, updated_at = now() WHERE incident_id = $1 AND recipient = $2 AND status = 'sent'`, [
    incidentId,
    recipient,
    at,
  ]);
}

// Report emails (step 14): messages that belong to a period, with attachments

/** A file sent with a notification. */
export interface Attachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** An email that belongs to a period rather than an incident (the weekly report). */
export interface ReportEmail {
  /** What it belongs to, e.g. "weekly:2026-W47". */
  ref: string;
  /** e.g. "weekly-report:<scope>". */
  kind: string;
  /** The contact id. */
  recipient: string;
  address: string;
  subject: string;
  body: string;
  html: string;
  attachments: Attachment[];
}

/**
 * Queues report emails with their attachments, once per (ref, recipient, kind): queuing the same
 * email again is a no-op. Returns the ids of the rows that were new.
 */
export async function enqueueReportEmails(tx: Queryable, items: readonly ReportEmail[], now: Date): Promise<string[]> {
  const ids: string[] = [];
  for (const i of items) {
    const id = timeId('ntf', now.getTime(), randomBytes(4));
    const r = await tx.query<{ id: string }>(
      `INSERT INTO notifications (id, incident_id, ref, idempotency_key, channel, kind, recipient, address, subject, body, html, status, created_at, next_attempt_at)
       VALUES ($1, NULL, $2, $3, 'email', $4, $5, $6, $7, $8, $9, 'queued', $10, $10)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
      [id, i.ref, `${i.ref}|${i.recipient}|email|${i.kind}`, i.kind, i.recipient, i.address, i.subject, i.body, i.html, now],
    );
    if (r.rows.length === 0) continue;
    ids.push(id);
    for (const [seq, a] of i.attachments.entries()) {
      await tx.query(`INSERT INTO notification_attachments (notification_id, seq, filename, content_type, content) VALUES ($1, $2, $3, $4, $5)`, [id, seq, a.filename, a.contentType, a.content]);
    }
  }
  return ids;
}

/** The attachments of a notification, in order (only messages without an incident have any: enqueueReportEmails). */
export async function notificationAttachments(q: Queryable, id: string): Promise<Attachment[]> {
  const r = await q.query<{ filename: string; content_type: string; content: Uint8Array }>(
    `SELECT filename, content_type, content FROM notification_attachments WHERE notification_id = $1 ORDER BY seq`,
    [id],
  );
  return r.rows.map((x) => ({ filename: x.filename, contentType: x.content_type, content: Buffer.from(x.content) }));
}
