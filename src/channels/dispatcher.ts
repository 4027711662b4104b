/**
 * The outbox dispatcher: delivers queued notifications exactly once per (incident, recipient,
 * channel, kind).
 *
 *   claim  (own statement) queued -> sending, attempts+1, lease      FOR UPDATE SKIP LOCKED
 *   send   the provider call, outside any transaction
 *   record sending -> sent | queued (retry with backoff) | failed     one statement per message
 *                                                                     (its CTEs), right after its send
 *
 * A claimed batch is delivered in lanes, one per address (a recipient's messages in order). Each
 * outcome is written as soon as its send returns, so a crash leaves unrecorded only what was in
 * flight. How much that is depends on the channel:
 *
 * - SMS run in up to `smsLanes` lanes at once (policy notify.delivery): an SMS a crash left
 *   unrecorded is settled against the provider's message list before it is sent again, so lanes
 *   cost no duplicate.
 * - Email and webhooks cannot be settled (SMTP and a webhook have no "did you get it" to ask), so
 *   whatever was in flight at a crash goes again. They go `emailWebhookInFlight` at a time (default
 *   one) across the whole process, every batch and fast path alike: at most one email or webhook
 *   goes twice per crash, with the same Message-ID or X-Vigil-Delivery id. One pooled SMTP
 *   connection keeps that one-at-a-time fast.
 *
 * Such a message's outcome is unknown. So is that of a send that failed after its request may have
 * reached the provider (reset, timeout: OutcomeUnknownError, kept on the row as `outcome_unknown`
 * so it survives a restart). Whoever attempts such a notification next, for SMS, first asks the
 * provider's message list whether the message went out (same recipient, same body, sent since the
 * row was created, not another notification's message): if so it records that message and does not
 * send again. Email carries a fixed Message-ID and webhooks a fixed delivery id for every attempt,
 * so their receivers can drop a repeat.
 *
 * SMS are rate-limited per recipient: beyond `perRecipient` within `windowMinutes` an alert is
 * folded into one digest SMS sent when the window allows.
 */
import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import { digestSms } from '../domain/alert-content.js';
import { OutcomeUnknownError, PermanentError } from '../domain/errors.js';
import { decideRetry } from '../domain/retry.js';
import type { Band } from '../domain/types.js';
import type { Logger } from '../ops/log.js';
import { WorkLoop } from '../ops/work-loop.js';
import type { Db, Queryable } from '../store/db.js';
import {
  claimNotifications,
  foldedAlerts,
  foldIntoDigest,
  notificationAttachments,
  providerIdsRecorded,
  recordDeliveries,
  releaseSendingNotifications,
  setNotificationBody,
  type Attachment,
  type NotificationRow,
  type OutboxClaim,
} from '../store/notifications.js';
import { SmtpSender } from './email-smtp.js';
import { listSentSms, sendSms, type SentMessage, type TwilioConfig } from './sms-twilio.js';
import { postWebhook } from './webhook.js';

/** The delivery providers; each may be absent when the configuration has none. */
export interface Providers {
  sms?: { send(to: string, body: string): Promise<SentMessage>; list(to: string, since: Date): Promise<SentMessage[]> };
  email?: { send(m: { to: string; subject: string; text: string; html: string; messageId: string; attachments?: Attachment[] }): Promise<string>; close?(): void };
  webhook: { post(url: string, secret: string, body: string, deliveryId: string): Promise<number> };
}

/** Real providers from the configuration's `notify` block. */
export function providersFromConfig(config: Config): Providers {
  const sms = config.notify.sms as TwilioConfig | undefined;
  // One pooled SMTP connection per email allowed in flight.
  const email = config.notify.email ? new SmtpSender(config.notify.email, config.policy.notify.delivery?.emailWebhookInFlight ?? 1) : undefined;
  return {
    ...(sms ? { sms: { send: (to: string, body: string) => sendSms(sms, to, body), list: (to: string, since: Date) => listSentSms(sms, to, since) } } : {}),
    ...(email ? { email: { send: (m: Parameters<SmtpSender['send']>[0]) => email.send(m), close: () => email.close() } } : {}),
    webhook: { post: postWebhook },
  };
}

export type { NotificationRow } from '../store/notifications.js';

/** What happened to one notification in a delivery pass. */
interface Outcome {
  n: NotificationRow;
  status: 'sent' | 'queued' | 'failed' | 'cancelled';
  started: Date;
  finished: Date;
  detail: string;
  providerId?: string;
  retryAt?: Date;
  /** The attempt may have reached the provider without us learning the answer. */
  outcomeUnknown?: boolean;
}

/** SMS recipient lanes of a batch delivered at once (policy notify.delivery.smsLanes overrides it). */
export const DEFAULT_DELIVERY_LANES = 8;

/**
 * A send is started only while at least this much of the claim's lease is left, so it is recorded
 * before the lease runs out and another dispatcher (PostgreSQL) could claim and send it too: above
 * the longest a send may take (the SMTP socket timeout, 20 s; half the lease when that is shorter).
 * A message whose lease is too short stays claimed and is taken again when the lease expires.
 */
export const SEND_LEASE_MARGIN_MS = 20_000;

/** Up to `width` workers that take address lists off `lists` and deliver each list in order. */
function pool(lists: NotificationRow[][], width: number, each: (n: NotificationRow) => Promise<void>): Promise<void>[] {
  const waiting = [...lists];
  return Array.from({ length: Math.max(0, Math.min(waiting.length, width)) }, async () => {
    for (let list = waiting.shift(); list; list = waiting.shift()) for (const n of list) await each(n);
  });
}

/** A counting semaphore: at most `width` holders at once, the rest wait in order. */
class Gate {
  private held = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly width: number) {}

  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.held >= this.width) await new Promise<void>((r) => this.waiting.push(r));
    else this.held++;
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.held--;
    }
  }
}

/**
 * How far the provider's clock may be behind ours when settling an SMS: a provider message dated up
 * to this long before the notification was created may still be it (Twilio dates to the second).
 */
export const SETTLE_CLOCK_SKEW_MS = 60_000;

export interface DispatcherOptions {
  now?: () => Date;
  log?: Logger;
  random?: () => number;
  pollMs?: number;
  leaseMs?: number;
  /** SMS recipient lanes at once (default policy notify.delivery.smsLanes). */
  lanes?: number;
  /**
   * Emails and webhooks in flight at once in this process (default policy
   * notify.delivery.emailWebhookInFlight, 1): what a crash can send twice.
   */
  emailWebhookInFlight?: number;
  /** Told about every notification whose state changed (live stream). */
  onChange?: (n: { id: string; incidentId: string | null; channel: string; kind: string; status: string; recipient: string }) => void;
  /** Fault injection for tests: called after a provider accepted an SMS, before it is recorded. */
  afterSmsAccepted?: (n: NotificationRow) => void;
}

export class Dispatcher {
  readonly workerId = `d-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly loop: WorkLoop;
  /** Every email and webhook send of this process, with its record, passes through here. */
  private readonly unsettled: Gate;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly providers: Providers,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.unsettled = new Gate(opts.emailWebhookInFlight ?? config.policy.notify.delivery?.emailWebhookInFlight ?? 1);
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
    return releaseSendingNotifications(this.db);
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
    const rows = await this.claim(this.db, { limit });
    if (rows.length === 0) return 0;
    await yieldToEventLoop(); // see WorkflowRunner.runDue: let waiting requests in first
    await this.process(rows, this.now());
    return rows.length;
  }

  /** The claim of due notifications (of one channel, or any), on the store or inside a caller's transaction. */
  async claim(q: Queryable, p: { limit?: number; channel?: NotificationRow['channel'] } = {}): Promise<NotificationRow[]> {
    const now = this.now();
    return claimNotifications(q, {
      now,
      leaseUntil: new Date(now.getTime() + (this.opts.leaseMs ?? 30_000)),
      workerId: this.workerId,
      limit: p.limit ?? 1000,
      windowStart: new Date(now.getTime() - this.config.policy.notify.rateLimit.windowMinutes * 60_000),
      ...(p.channel ? { channel: p.channel } : {}),
    });
  }

  /**
   * A claim for this dispatcher that the caller takes as it inserts the rows (the ingest's fast
   * path: the inline run queues the emergency SMS already claimed, and deliverClaimed sends them
   * after the commit). Same lease and rate-limit window as `claim`.
   */
  outboxClaim(): OutboxClaim {
    const now = this.now();
    return {
      workerId: this.workerId,
      now,
      leaseUntil: new Date(now.getTime() + (this.opts.leaseMs ?? 30_000)),
      windowStart: new Date(now.getTime() - this.config.policy.notify.rateLimit.windowMinutes * 60_000),
    };
  }

  /**
   * Delivers notifications already claimed for this dispatcher (status `sending`, locked by
   * `workerId`), e.g. by the ingest transaction that queued them claimed (outboxClaim): the fast
   * path of detection to alert, with no claim round trip.
   */
  async deliverClaimed(rows: NotificationRow[]): Promise<void> {
    if (rows.length > 0) await this.process(rows, this.now());
  }

  private async process(rows: NotificationRow[], now: Date): Promise<void> {
    const budget = this.budgetFromRows(rows);
    const leaseMs = this.opts.leaseMs ?? 30_000;
    const lastStart = now.getTime() + leaseMs - Math.min(SEND_LEASE_MARGIN_MS, leaseMs / 2);
    // One lane per address: a recipient's messages in order, each recorded before the next is sent.
    const sms = new Map<string, NotificationRow[]>();
    const others = new Map<string, NotificationRow[]>();
    for (const n of rows) {
      const lanes = n.channel === 'sms' ? sms : others;
      lanes.set(n.address, [...(lanes.get(n.address) ?? []), n]);
    }
    const smsWidth = this.opts.lanes ?? this.config.policy.notify.delivery?.smsLanes ?? DEFAULT_DELIVERY_LANES;
    const one = async (n: NotificationRow) => {
      if (this.now().getTime() > lastStart) {
        // Too little of the lease left to be sure the outcome is recorded while we hold it.
        this.opts.log?.debug({ notification: n.id, channel: n.channel }, 'lease nearly over; left for the next claim');
        return;
      }
      const o = await this.deliver(n, now, budget);
      // A lane whose record fails stops: its other messages stay claimed (`sending`) and are
      // settled by whoever claims them next, rather than sent with no record of it.
      if (o) await this.record(o);
    };
    const lanes = await Promise.allSettled([
      ...pool([...sms.values()], smsWidth, one),
      // Emails and webhooks: as many lanes as the gate lets through, so a batch never holds a
      // lane it cannot use; the gate bounds them across concurrent batches too.
      ...pool([...others.values()], this.unsettled.width, (n) => this.unsettled.run(() => one(n))),
    ]);
    const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Runs passes until nothing is due (tests, CLI). */
  async drain(maxPasses = 100): Promise<void> {
    for (let i = 0; i < maxPasses; i++) if ((await this.runDue()) === 0) return;
  }

  /**
   * How many more SMS each recipient of the batch may get now (policy rateLimit), from the counts
   * the claim carries: messages sent within the window plus messages other dispatchers hold in
   * flight. Counting in-flight messages keeps several processes under the limit without a lock (at
   * worst they fold one message too many, never send one too many). The count was taken in the
   * claiming statement's snapshot, so it leaves out the rows claimed with it; deliver() spends the
   * budget once per message of the batch.
   */
  private budgetFromRows(rows: NotificationRow[]): Map<string, number> {
    const per = this.config.policy.notify.rateLimit.perRecipient;
    const budget = new Map<string, number>();
    for (const n of rows) if (n.channel === 'sms' && !n.kind.startsWith('digest')) budget.set(n.address, per - (n.used ?? 0));
    return budget;
  }

  /** Sends one notification; returns its outcome to record (undefined when it was folded). */
  private async deliver(n: NotificationRow, now: Date, budget: Map<string, number>): Promise<Outcome | undefined> {
    const started = this.now();
    let unsettled = false;
    const ok = (detail: string, providerId?: string): Outcome => ({ n, status: 'sent', started, finished: this.now(), detail, ...(providerId ? { providerId } : {}) });
    try {
      if (n.channel === 'sms') {
        if (!this.providers.sms) throw new PermanentError('no SMS provider configured (notify.sms)');
        if (n.prev_status === 'sending' || n.outcome_unknown) {
          // Ambiguous: an earlier attempt may have reached the provider (a crash, a lost answer).
          // Ask the provider before sending again; until it answers, the outcome stays unknown.
          unsettled = true;
          const sent = await this.settleSms(n);
          if (sent) return ok(`reconciled with provider message ${sent.sid}`, sent.sid);
          unsettled = false;
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
        if (body !== n.body) await setNotificationBody(this.db, n.id, body);
        const msg = await this.providers.sms.send(n.address, body);
        this.opts.afterSmsAccepted?.(n);
        return ok(`provider accepted ${msg.sid}`, msg.sid);
      }
      if (n.channel === 'email') {
        if (!this.providers.email) throw new PermanentError('no SMTP server configured (notify.email)');
        // Only messages without an incident (the weekly report's PDF) carry attachments: incident alerts skip the read.
        const attachments = n.incident_id === null ? await notificationAttachments(this.db, n.id) : [];
        const resp = await this.providers.email.send({ to: n.address, subject: n.subject ?? '(no subject)', text: n.body, html: n.html ?? `<pre>${n.body}</pre>`, messageId: `<${n.id}@vigil>`, ...(attachments.length ? { attachments } : {}) });
        return ok(resp);
      }
      const hook = this.config.notify.webhooks[Number(n.recipient.replace(/^webhook-/, ''))];
      if (!hook) throw new PermanentError(`webhook ${n.recipient} is no longer configured`);
      const status = await this.providers.webhook.post(n.address, hook.secret, n.body, n.id);
      return ok(`HTTP ${status}`);
    } catch (e) {
      const err = e as Error;
      const outcomeUnknown = unsettled || err instanceof OutcomeUnknownError;
      const d = decideRetry(err, n.attempts, this.config.policy.notify.retry, (this.opts.random ?? Math.random)());
      const final = !d.retry;
      const delay = d.retry ? d.delayMs : 0;
      // A retry is routine (the notification shows it); only a final failure is worth a warning.
      const line = { notification: n.id, channel: n.channel, attempt: n.attempts, final, outcomeUnknown, err: err.message };
      if (final) this.opts.log?.warn(line, 'delivery failed for good');
      else this.opts.log?.debug(line, 'delivery failed; will retry');
      return {
        n,
        status: final ? 'failed' : 'queued',
        started,
        finished: this.now(),
        detail: err.message,
        outcomeUnknown,
        ...(final ? {} : { retryAt: new Date(now.getTime() + delay) }),
      };
    }
  }

  /**
   * The provider's message that is this SMS, if it went out: same recipient and body, dated since
   * the notification was created (give or take the clocks' skew), and not already recorded as
   * another notification's (a different alert with the same words).
   */
  private async settleSms(n: NotificationRow): Promise<SentMessage | undefined> {
    const since = n.created_at.getTime() - SETTLE_CLOCK_SKEW_MS;
    const candidates = (await this.providers.sms!.list(n.address, n.created_at)).filter((m) => {
      if (m.body !== n.body) return false;
      const at = m.dateSent ? Date.parse(m.dateSent) : NaN;
      return Number.isNaN(at) || at >= since; // undated: the provider's own day filter has to do
    });
    if (candidates.length === 0) return undefined;
    const taken = await providerIdsRecorded(this.db, candidates.map((m) => m.sid), n.id);
    return candidates.find((m) => !taken.has(m.sid));
  }

  /** Records one outcome in one statement (state, attempt history, the digest's alerts). */
  private async record(o: Outcome): Promise<void> {
    const row = {
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
      outcome_unknown: o.outcomeUnknown === true,
    };
    const digests = o.status === 'sent' && o.n.kind.startsWith('digest') ? [o.n.id] : [];
    await recordDeliveries(this.db, [row], this.workerId, digests);
    this.opts.onChange?.({ id: o.n.id, incidentId: o.n.incident_id, channel: o.n.channel, kind: o.n.kind, status: o.status, recipient: o.n.recipient });
  }

  /** Folds an SMS into its recipient's digest for the current window (created when missing). */
  private async fold(n: NotificationRow, now: Date): Promise<void> {
    const windowMs = this.config.policy.notify.rateLimit.windowMinutes * 60_000;
    const kind = `digest:${n.address}:${Math.floor(now.getTime() / windowMs)}`;
    // One digest per recipient and window: its creation is serialised per recipient.
    await this.db.transaction((tx) => foldIntoDigest(tx, n, { kind, windowMs, now }));
    this.opts.onChange?.({ id: n.id, incidentId: n.incident_id, channel: n.channel, kind: n.kind, status: 'folded', recipient: n.recipient });
  }

  /** The digest's body from the alerts folded into it (undefined when none remain). */
  private async digestBody(n: NotificationRow): Promise<string | undefined> {
    const r = { rows: await foldedAlerts(this.db, n.id) };
    if (r.rows.length === 0) return undefined;
    const names = new Map(this.config.sites.map((s) => [s.id, s.name]));
    return digestSms(
      r.rows.map((x) => ({ band: (x.band ?? 'high') as Band, type: x.type, siteName: names.get(x.site) ?? x.site, ...(x.ack_code ? { ackCode: x.ack_code } : {}) })),
      this.config.policy.notify.rateLimit.windowMinutes,
    );
  }
}
