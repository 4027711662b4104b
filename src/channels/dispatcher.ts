/**
 * The outbox dispatcher: delivers queued notifications exactly once per (incident, recipient,
 * channel, kind).
 *
 *   claim  (own statement) queued -> sending, attempts+1, lease      FOR UPDATE SKIP LOCKED
 *   send   the provider call, outside any transaction
 *   record sending -> sent | queued (retry with backoff) | failed
 *
 * A crash between the provider's accept and our record leaves the row `sending`. Whoever claims it
 * next sees it was `sending` before and, for SMS, first asks the provider's message list whether
 * the message went out (same recipient, same body since the row was created): if so it records
 * that message and does not send again. Email carries a fixed Message-ID and webhooks a fixed
 * delivery id for every attempt, so their receivers can drop a repeat after such a crash.
 *
 * SMS are rate-limited per recipient: beyond `perRecipient` within `windowMinutes` an alert is
 * folded into one digest SMS sent when the window allows.
 */
import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import { digestSms } from '../domain/alert-content.js';
import { PermanentError, RetryableError } from '../domain/errors.js';
import type { Band } from '../domain/types.js';
import type { Logger } from '../ops/log.js';
import { WorkLoop } from '../ops/work-loop.js';
import type { Db } from '../store/db.js';
import { enqueue, idempotencyKey } from '../store/outbox.js';
import { backoffMs } from '../workflow/runner.js';
import { SmtpSender } from './email-smtp.js';
import { listSentSms, sendSms, type SentMessage, type TwilioConfig } from './sms-twilio.js';
import { postWebhook } from './webhook.js';

/** The delivery providers; each may be absent when the configuration has none. */
export interface Providers {
  sms?: { send(to: string, body: string): Promise<SentMessage>; list(to: string, since: Date): Promise<SentMessage[]> };
  email?: { send(m: { to: string; subject: string; text: string; html: string; messageId: string }): Promise<string>; close?(): void };
  webhook: { post(url: string, secret: string, body: string, deliveryId: string): Promise<number> };
}

/** Real providers from the configuration's `notify` block. */
export function providersFromConfig(config: Config): Providers {
  const sms = config.notify.sms as TwilioConfig | undefined;
  const email = config.notify.email ? new SmtpSender(config.notify.email) : undefined;
  return {
    ...(sms ? { sms: { send: (to: string, body: string) => sendSms(sms, to, body), list: (to: string, since: Date) => listSentSms(sms, to, since) } } : {}),
    ...(email ? { email: { send: (m: Parameters<SmtpSender['send']>[0]) => email.send(m), close: () => email.close() } } : {}),
    webhook: { post: postWebhook },
  };
}

export interface NotificationRow {
  id: string;
  incident_id: string;
  channel: 'sms' | 'email' | 'webhook';
  kind: string;
  recipient: string;
  address: string;
  subject: string | null;
  body: string;
  html: string | null;
  status: string;
  attempts: number;
  created_at: Date;
  prev_status?: string;
  /** Set when claimed by the ingest transaction: the recipient's SMS sent in the rate-limit window or in flight elsewhere. */
  used?: number;
}

/** What happened to one notification in a delivery pass. */
interface Outcome {
  n: NotificationRow;
  status: 'sent' | 'queued' | 'failed' | 'cancelled';
  started: Date;
  finished: Date;
  detail: string;
  providerId?: string;
  retryAt?: Date;
}

export interface DispatcherOptions {
  now?: () => Date;
  log?: Logger;
  random?: () => number;
  pollMs?: number;
  leaseMs?: number;
  /** Told about every notification whose state changed (live stream). */
  onChange?: (n: { id: string; incidentId: string; channel: string; kind: string; status: string; recipient: string }) => void;
  /** Fault injection for tests: called after a provider accepted an SMS, before it is recorded. */
  afterSmsAccepted?: (n: NotificationRow) => void;
}

export class Dispatcher {
  readonly workerId = `d-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly loop: WorkLoop;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly providers: Providers,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.loop = new WorkLoop(() => this.runDue(), {
      pollMs: opts.pollMs ?? 1000,
      onError: (e) => opts.log?.error({ err: (e as Error).message }, 'dispatch pass failed'),
    });
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /**
   * Makes notifications left `sending` by a dead process claimable now. Only safe when this is the
   * only dispatcher on the store (the embedded store); on a server the lease expiry does it.
   */
  async releaseOrphans(): Promise<number> {
    const r = await this.db.query(`UPDATE notifications SET locked_until = NULL, locked_by = NULL WHERE status = 'sending'`);
    return r.rowCount;
  }

  /** Starts the background loop. */
  start(): void {
    this.loop.start();
  }

  /** Stops the loop and waits for the pass in progress. */
  async stop(): Promise<void> {
    await this.loop.stop();
    this.providers.email?.close?.();
  }

  /** Asks for a pass soon (new work was committed). */
  kick(): void {
    this.loop.kick();
  }

  /** Claims and delivers what is due; returns how many were claimed. */
  async runDue(limit = 50): Promise<number> {
    const now = this.now();
    const r = await this.db.query<NotificationRow>(
      `WITH due AS (
         SELECT id, status AS prev_status FROM notifications
          WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
          ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE notifications n SET status = 'sending', attempts = n.attempts + 1, sending_at = $1, locked_until = $2, locked_by = $3, updated_at = now()
         FROM due WHERE n.id = due.id
       RETURNING n.id, n.incident_id, n.channel, n.kind, n.recipient, n.address, n.subject, n.body, n.html, n.status, n.attempts, n.created_at, due.prev_status`,
      [now, new Date(now.getTime() + (this.opts.leaseMs ?? 30_000)), this.workerId, limit],
    );
    if (r.rows.length === 0) return 0;
    await this.process(r.rows, now);
    return r.rows.length;
  }

  /**
   * Delivers notifications already claimed for this dispatcher (status `sending`, locked by
   * `workerId`), e.g. by the ingest transaction that decided them: the fast path of detection to
   * alert, with no claim round trip.
   */
  async deliverClaimed(rows: NotificationRow[]): Promise<void> {
    if (rows.length > 0) await this.process(rows, this.now());
  }

  private async process(rows: NotificationRow[], now: Date): Promise<void> {
    const r = { rows };
    // Rows claimed by the ingest transaction already say how much of the rate limit is used.
    const known = rows.every((n) => n.used !== undefined);
    if (!known) await yieldToEventLoop(); // see WorkflowRunner.runDue: let waiting requests in first
    const budget = known ? this.budgetFromRows(rows) : await this.smsBudget(r.rows, now);
    // Different recipients in parallel; one recipient's messages in order.
    const byAddress = new Map<string, NotificationRow[]>();
    for (const n of r.rows) byAddress.set(n.address, [...(byAddress.get(n.address) ?? []), n]);
    const outcomes: Outcome[] = [];
    await Promise.all(
      [...byAddress.values()].map(async (list) => {
        for (const n of list) {
          const o = await this.deliver(n, now, budget);
          if (o) outcomes.push(o);
        }
      }),
    );
    await this.recordAll(outcomes);
  }

  /** Runs passes until nothing is due (tests, CLI). */
  async drain(maxPasses = 100): Promise<void> {
    for (let i = 0; i < maxPasses; i++) if ((await this.runDue()) === 0) return;
  }

  /**
   * The rate-limit budget from the counts carried by rows claimed in the ingest transaction. The
   * count was taken in the claiming statement's snapshot, so it leaves out the rows claimed with it;
   * deliver() spends the budget once per message of the batch.
   */
  private budgetFromRows(rows: NotificationRow[]): Map<string, number> {
    const per = this.config.policy.notify.rateLimit.perRecipient;
    const budget = new Map<string, number>();
    for (const n of rows) if (n.channel === 'sms' && !n.kind.startsWith('digest')) budget.set(n.address, per - (n.used ?? 0));
    return budget;
  }

  /**
   * How many more SMS each recipient of the batch may get now (policy rateLimit), in one query:
   * messages sent within the window plus messages other dispatchers hold in flight. Counting
   * in-flight messages keeps several processes under the limit without a lock (at worst they fold
   * one message too many, never send one too many).
   */
  private async smsBudget(rows: NotificationRow[], now: Date): Promise<Map<string, number>> {
    const sms = rows.filter((n) => n.channel === 'sms' && !n.kind.startsWith('digest'));
    const budget = new Map<string, number>();
    if (sms.length === 0) return budget;
    const { perRecipient, windowMinutes } = this.config.policy.notify.rateLimit;
    const addresses = [...new Set(sms.map((n) => n.address))];
    const used = await this.db.query<{ address: string; n: number }>(
      `SELECT address, count(*)::int AS n FROM notifications
        WHERE channel = 'sms' AND address = ANY($1::text[]) AND NOT (id = ANY($2::text[]))
          AND ((status IN ('sent', 'acknowledged') AND sent_at > $3) OR (status = 'sending' AND locked_until > $4))
        GROUP BY address`,
      [addresses, rows.map((n) => n.id), new Date(now.getTime() - windowMinutes * 60_000), now],
    );
    for (const a of addresses) budget.set(a, perRecipient);
    for (const u of used.rows) budget.set(u.address, perRecipient - Number(u.n));
    return budget;
  }

  /** Sends one notification; returns its outcome to record (undefined when it was folded). */
  private async deliver(n: NotificationRow, now: Date, budget: Map<string, number>): Promise<Outcome | undefined> {
    const started = this.now();
    const ok = (detail: string, providerId?: string): Outcome => ({ n, status: 'sent', started, finished: this.now(), detail, ...(providerId ? { providerId } : {}) });
    try {
      if (n.channel === 'sms') {
        if (!this.providers.sms) throw new PermanentError('no SMS provider configured (notify.sms)');
        if (n.prev_status === 'sending') {
          // Ambiguous: we may have sent it before a crash. Ask the provider before sending again.
          const sent = (await this.providers.sms.list(n.address, n.created_at)).find((m) => m.body === n.body);
          if (sent) return ok(`reconciled with provider message ${sent.sid}`, sent.sid);
        }
        const digest = n.kind.startsWith('digest');
        if (!digest) {
          const left = budget.get(n.address) ?? 0;
          if (left <= 0) {
            await this.fold(n, now);
            return undefined;
          }
          budget.set(n.address, left - 1);
        }
        const body = digest ? await this.digestBody(n) : n.body;
        if (body === undefined) return { n, status: 'cancelled', started, finished: this.now(), detail: 'nothing left to digest' };
        if (body !== n.body) await this.db.query(`UPDATE notifications SET body = $2 WHERE id = $1`, [n.id, body]);
        const msg = await this.providers.sms.send(n.address, body);
        this.opts.afterSmsAccepted?.(n);
        return ok(`provider accepted ${msg.sid}`, msg.sid);
      }
      if (n.channel === 'email') {
        if (!this.providers.email) throw new PermanentError('no SMTP server configured (notify.email)');
        const resp = await this.providers.email.send({ to: n.address, subject: n.subject ?? '(no subject)', text: n.body, html: n.html ?? `<pre>${n.body}</pre>`, messageId: `<${n.id}@vigil>` });
        return ok(resp);
      }
      const hook = this.config.notify.webhooks[Number(n.recipient.replace(/^webhook-/, ''))];
      if (!hook) throw new PermanentError(`webhook ${n.recipient} is no longer configured`);
      const status = await this.providers.webhook.post(n.address, hook.secret, n.body, n.id);
      return ok(`HTTP ${status}`);
    } catch (e) {
      const err = e as Error;
      const retryable = err instanceof RetryableError || !(err instanceof PermanentError);
      const retry = this.config.policy.notify.retry;
      const final = !retryable || n.attempts >= retry.maxAttempts;
      const delay = Math.max(backoffMs(n.attempts, retry.baseMs, retry.maxMs, (this.opts.random ?? Math.random)()), err instanceof RetryableError ? err.retryAfterMs ?? 0 : 0);
      // A retry is routine (the notification shows it); only a final failure is worth a warning.
      const line = { notification: n.id, channel: n.channel, attempt: n.attempts, final, err: err.message };
      if (final) this.opts.log?.warn(line, 'delivery failed for good');
      else this.opts.log?.debug(line, 'delivery failed; will retry');
      return { n, status: final ? 'failed' : 'queued', started, finished: this.now(), detail: err.message, ...(final ? {} : { retryAt: new Date(now.getTime() + delay) }) };
    }
  }

  /** Records the outcomes of a batch in one transaction (state, attempt history, digests). */
  private async recordAll(outcomes: Outcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const rows = outcomes.map((o) => ({
      id: o.n.id,
      status: o.status,
      attempt: o.n.attempts,
      started: o.started.toISOString(),
      finished: o.finished.toISOString(),
      provider_id: o.providerId ?? null,
      error: o.status === 'sent' || o.status === 'cancelled' ? null : o.detail.slice(0, 1000),
      retry_at: o.retryAt?.toISOString() ?? null,
      outcome: o.status === 'queued' ? 'retry' : o.status,
      detail: o.detail.slice(0, 500),
    }));
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE notifications n SET status = x.status,
                sent_at = CASE WHEN x.status = 'sent' THEN x.finished ELSE n.sent_at END,
                provider_id = coalesce(x.provider_id, n.provider_id), error = x.error, next_attempt_at = x.retry_at,
                locked_until = NULL, locked_by = NULL, updated_at = now()
           FROM jsonb_to_recordset($1::jsonb) AS x(id text, status text, finished timestamptz, provider_id text, error text, retry_at timestamptz)
          WHERE n.id = x.id AND n.locked_by = $2`,
        [JSON.stringify(rows), this.workerId],
      );
      await tx.query(
        `INSERT INTO notification_attempts (notification_id, attempt, started_at, finished_at, outcome, detail)
         SELECT id, attempt, started, finished, outcome, detail
           FROM jsonb_to_recordset($1::jsonb) AS x(id text, attempt int, started timestamptz, finished timestamptz, outcome text, detail text)
         ON CONFLICT (notification_id, attempt) DO UPDATE SET finished_at = EXCLUDED.finished_at, outcome = EXCLUDED.outcome, detail = EXCLUDED.detail`,
        [JSON.stringify(rows)],
      );
      const digests = outcomes.filter((o) => o.status === 'sent' && o.n.kind.startsWith('digest')).map((o) => o.n.id);
      if (digests.length > 0) await tx.query(`UPDATE notifications SET status = 'folded_sent', updated_at = now() WHERE digest_id = ANY($1::text[]) AND status = 'folded'`, [digests]);
    });
    for (const o of outcomes) this.opts.onChange?.({ id: o.n.id, incidentId: o.n.incident_id, channel: o.n.channel, kind: o.n.kind, status: o.status, recipient: o.n.recipient });
  }

  /** Folds an SMS into its recipient's digest for the current window (created when missing). */
  private async fold(n: NotificationRow, now: Date): Promise<void> {
    const windowMs = this.config.policy.notify.rateLimit.windowMinutes * 60_000;
    const kind = `digest:${n.address}:${Math.floor(now.getTime() / windowMs)}`;
    await this.db.transaction(async (tx) => {
      // One digest per recipient and window: its creation is serialised per recipient.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('vigil-sms:' || $1))`, [n.address]);
      const oldest = await tx.query<{ oldest: Date | null }>(
        `SELECT min(sent_at) AS oldest FROM notifications WHERE channel = 'sms' AND address = $1 AND status IN ('sent', 'acknowledged') AND sent_at > $2`,
        [n.address, new Date(now.getTime() - windowMs)],
      );
      // The digest goes out when the oldest message of the window leaves it (a slot frees up).
      const due = new Date((oldest.rows[0].oldest ?? now).getTime() + windowMs + 1000);
      const existing = await tx.query<{ id: string }>(
        `SELECT id FROM notifications WHERE channel = 'sms' AND address = $1 AND kind = $2 AND status IN ('queued', 'sending') ORDER BY created_at, id LIMIT 1`,
        [n.address, kind],
      );
      let digestId = existing.rows[0]?.id;
      if (!digestId) {
        await enqueue(tx, [{ incidentId: n.incident_id, channel: 'sms', kind, recipient: n.recipient, address: n.address, body: '(digest)' }], now);
        digestId = (await tx.query<{ id: string }>(`SELECT id FROM notifications WHERE idempotency_key = $1`, [idempotencyKey({ incidentId: n.incident_id, recipient: n.recipient, channel: 'sms', kind })])).rows[0].id;
      }
      await tx.query(`UPDATE notifications SET next_attempt_at = greatest(next_attempt_at, $2) WHERE id = $1 AND status = 'queued'`, [digestId, due]);
      await tx.query(`UPDATE notifications SET status = 'folded', digest_id = $2, locked_until = NULL, locked_by = NULL, next_attempt_at = NULL, updated_at = now() WHERE id = $1`, [n.id, digestId]);
    });
    this.opts.onChange?.({ id: n.id, incidentId: n.incident_id, channel: n.channel, kind: n.kind, status: 'folded', recipient: n.recipient });
  }

  /** The digest's body from the alerts folded into it (undefined when none remain). */
  private async digestBody(n: NotificationRow): Promise<string | undefined> {
    const r = await this.db.query<{ band: Band | null; type: string; site: string; ack_code: string | null }>(
      `SELECT coalesce(f.band, i.band) AS band, i.type, i.site, i.ack_code FROM notifications f JOIN incidents i ON i.id = f.incident_id
        WHERE f.digest_id = $1 AND f.status = 'folded' ORDER BY f.created_at`,
      [n.id],
    );
    if (r.rows.length === 0) return undefined;
    const names = new Map(this.config.sites.map((s) => [s.id, s.name]));
    return digestSms(
      r.rows.map((x) => ({ band: (x.band ?? 'high') as Band, type: x.type, siteName: names.get(x.site) ?? x.site, ...(x.ack_code ? { ackCode: x.ack_code } : {}) })),
      this.config.policy.notify.rateLimit.windowMinutes,
    );
  }
}
