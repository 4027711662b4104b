/**
 * The NATS JetStream ingest bus: a durable pull consumer (explicit acknowledgement) that feeds the
 * ingest pipeline. See docs/sources.md for the operator's view.
 *
 * - A message is acknowledged only after the COMMIT that holds its events: a crash before the
 *   acknowledgement means a redelivery, and a redelivery is a duplicate in the store (every event
 *   has a stable sourceEventId: its own, or its stream message's place, nats-message.ts).
 * - Back-pressure: at most `batch` messages are fetched and in flight at once; the next fetch waits
 *   until they are committed, and waits while the ingest's pending events (the same count the HTTP
 *   admission control refuses on) would take more than BUS_SHARE of the admission budget. An
 *   overloaded ingest (RetryableError) makes the message wait and try again (its acknowledgement
 *   deadline extended), never a nak loop.
 * - An invalid message is published to the dead-letter subject with its validation problems at
 *   once (validating it again would give the same answer) and then terminated. A message that
 *   fails for another reason (a store error) is delivered again with backoff and dead-lettered
 *   after `maxDeliver` deliveries.
 * - The stream is created when missing (capturing `subject`), and so is a stream for the
 *   dead-letter subject when no stream captures it; an existing stream is never changed.
 * - Connection loss: the client reconnects by itself (state `reconnecting`, then `connected`); a
 *   failed setup or a closed connection is retried with backoff (state `failed` with the reason).
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiError, StorageType, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { natsSubjectMatches, type NatsSourceConfig } from '../../config/schema.js';
import { InvalidError, RetryableError, type Problem } from '../../domain/errors.js';
import type { SecurityEvent } from '../../domain/types.js';
import { DEFAULT_ADMISSION, httpLimitsFromEnv } from '../../api/http-limits.js';
import type { IngestPipeline, IngestResult } from '../../ingest/pipeline.js';
import type { Metrics } from '../../ops/metrics.js';
import type { Logger } from '../../ops/log.js';
import type { KnownRefs } from '../event-input.js';
import { afterFailure, deadLetterBody, deadLetterMsgId, decodeMessage, type DeadLetterReason } from './nats-message.js';
import { redactUrl, SourceTracker, type LiveSource } from './source-status.js';

/** The share of the admission budget's pending events the bus may fill: it can wait, HTTP callers cannot. */
export const BUS_SHARE = 0.5;
/** How long one fetch waits for messages before the next is asked for (ms; JetStream's minimum is 1 s). */
const FETCH_EXPIRES_MS = 5000;
/** Waits between setup attempts after a failure (ms), doubling up to the last. */
const SETUP_BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000];
/** How often a message waiting for an overloaded ingest is checked (and its ack deadline extended), ms. */
const BUSY_POLL_MS = 50;
/** When a dead letter could not be published, the message comes back after this (ms). */
const DEAD_LETTER_RETRY_MS = 5000;

/** The default dead-letter subject of a consumer. */
export function defaultDeadLetterSubject(durable: string): string {
  return `vigil.dead-letter.${durable}`;
}

/** The stream created for the dead-letter subject when no stream captures it. */
export function deadLetterStreamName(stream: string): string {
  return `${stream}_DEAD_LETTER`;
}

/** What the source needs from the service. */
export interface NatsSourceDeps {
  /** Stores a message's events (the ingest pipeline): resolves after the commit. */
  ingest(events: readonly SecurityEvent[]): Promise<IngestResult>;
  /** The configured sites and zones (validation names unknown ones like the HTTP API). */
  refs: KnownRefs;
  /** Events validated and not yet committed (the ingest pipeline's count). */
  pendingEvents(): number;
  /** The admission budget of pending events (DEFAULT_ADMISSION.maxPendingEvents or its override). */
  maxPendingEvents: number;
  log: Logger;
  /** Counts refused events (the same counter as the HTTP API's refusals). */
  onRejected?: (n: number) => void;
  /** Test hook: drop the acknowledgement of this delivery (an ack lost on the way) to exercise redelivery. */
  loseAck?: (streamSequence: number, deliveryCount: number) => boolean;
}

/** A setup problem retrying cannot mend by itself (the operator must change the stream or the config). */
class SetupError extends Error {}

/** The NATS JetStream live source (id `nats`). */
export class NatsJetStreamSource implements LiveSource {
  readonly tracker: SourceTracker;
  private readonly deadLetterSubject: string;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private current: ConsumerMessages | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly cfg: NatsSourceConfig,
    private readonly deps: NatsSourceDeps,
    id = 'nats',
  ) {
    this.deadLetterSubject = cfg.deadLetterSubject ?? defaultDeadLetterSubject(cfg.durable);
    this.tracker = new SourceTracker(id, 'nats', {
      url: cfg.url.split(',').map((u) => redactUrl(u.trim())).join(','),
      stream: cfg.stream,
      subject: cfg.subject,
      durable: cfg.durable,
      deadLetterSubject: this.deadLetterSubject,
      maxDeliver: cfg.maxDeliver,
      batch: cfg.batch,
    });
  }

  /** Starts consuming in the background: the service does not wait for the broker. */
  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    this.tracker.setState('connecting');
    this.loop = this.run();
  }

  /** Stops fetching, lets the messages in flight commit and be acknowledged, then closes the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.sleepers) wake();
    await this.current?.close().catch(() => undefined);
    await this.loop;
    this.loop = undefined;
    this.tracker.setState('stopped');
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        await this.session(() => {
          failures = 0;
        });
      } catch (e) {
        if (this.stopping) break;
        const reason = (e as Error).message || String(e);
        this.tracker.setState(e instanceof SetupError ? 'failed' : 'reconnecting', reason);
        this.deps.log.warn({ source: this.tracker.id, err: reason }, 'NATS source: retrying');
        await this.sleep(SETUP_BACKOFF_MS[Math.min(failures++, SETUP_BACKOFF_MS.length - 1)]);
      }
    }
  }

  /** One connection: connect, set up stream and consumer, consume until stopped or the connection fails. */
  private async session(onConnected: () => void): Promise<void> {
    const nc = await connect({
      servers: this.cfg.url.split(',').map((u) => u.trim()),
      name: `vigil-${this.cfg.durable}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      timeout: 5000,
    });
    const watching = this.watch(nc);
    try {
      const jsm = await jetstreamManager(nc);
      await this.ensureStreams(jsm);
      await this.ensureConsumer(jsm);
      const js = jetstream(nc);
      const consumer = await js.consumers.get(this.cfg.stream, this.cfg.durable);
      this.tracker.setState('connected');
      onConnected();
      while (!this.stopping) {
        await this.admitted();
        if (this.stopping) break;
        const msgs = await consumer.fetch({ max_messages: this.cfg.batch, expires: FETCH_EXPIRES_MS });
        this.current = msgs;
        if (this.stopping) await msgs.close();
        for await (const m of msgs) this.track(this.handle(js, m));
        this.current = undefined;
        // The next fetch only once this one's messages are committed (and acknowledged).
        await Promise.allSettled([...this.inflight]);
        if (nc.isClosed()) throw new Error('the connection to NATS closed');
      }
    } finally {
      this.current = undefined;
      await Promise.allSettled([...this.inflight]);
      // Drain sends the acknowledgements still buffered before closing.
      await nc.drain().catch(() => nc.close());
      await watching;
    }
  }

  /** Follows the connection's status into the tracker. */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.tracker.setState('reconnecting', `disconnected from ${redactUrl(`nats://${s.server}`)}`);
      else if (s.type === 'reconnect' && !this.stopping) this.tracker.setState('connected');
      else if (s.type === 'error') this.deps.log.warn({ source: this.tracker.id, err: s.error.message }, 'NATS source: server error');
    }
  }

  private async ensureStreams(jsm: JetStreamManager): Promise<void> {
    const { stream, subject } = this.cfg;
    try {
      const info = await jsm.streams.info(stream);
      const subjects = info.config.subjects ?? [];
      if (!subjects.some((s) => s === subject || natsSubjectMatches(s, subject))) {
        throw new SetupError(`stream ${stream} exists but captures ${subjects.join(', ') || 'no subjects'}, not ${subject}: add the subject to the stream or configure another stream`);
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File });
      this.deps.log.info({ stream, subject }, 'NATS source: stream created');
    }
    let holder: string | undefined;
    try {
      holder = await jsm.streams.find(this.deadLetterSubject);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (holder === stream) throw new SetupError(`stream ${stream} also captures the dead-letter subject ${this.deadLetterSubject}: configure a dead-letter subject outside it`);
    if (!holder) {
      await jsm.streams.add({ name: deadLetterStreamName(stream), subjects: [this.deadLetterSubject], storage: StorageType.File });
      this.deps.log.info({ stream: deadLetterStreamName(stream), subject: this.deadLetterSubject }, 'NATS source: dead-letter stream created');
    }
  }

  private async ensureConsumer(jsm: JetStreamManager): Promise<void> {
    const { stream, durable, subject } = this.cfg;
    const want = { ack_wait: nanos(this.cfg.ackWaitMs), filter_subject: subject, max_ack_pending: Math.max(1000, this.cfg.batch * 4) };
    try {
      const info = await jsm.consumers.info(stream, durable);
      if (info.config.ack_policy !== AckPolicy.Explicit) throw new SetupError(`consumer ${durable} on stream ${stream} does not acknowledge explicitly: delete it or configure another durable`);
      if (info.config.ack_wait !== want.ack_wait || info.config.filter_subject !== subject || info.config.max_ack_pending !== want.max_ack_pending) {
        await jsm.consumers.update(stream, durable, want);
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // Unlimited deliveries on the server: this source decides when a message is dead-lettered, so
      // none is dropped silently by the server while the service is down.
      await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_deliver: -1, ...want });
    }
  }

  /** Waits while the ingest's pending events would take the bus past its share of the admission budget. */
  private async admitted(): Promise<void> {
    const limit = Math.max(this.cfg.batch, Math.floor(this.deps.maxPendingEvents * BUS_SHARE));
    while (!this.stopping && this.deps.pendingEvents() + this.cfg.batch > limit) await this.sleep(BUSY_POLL_MS);
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** One message: decode, store, then acknowledge; or dead-letter; or deliver again later. */
  private async handle(js: JetStreamClient, m: JsMsg): Promise<void> {
    this.tracker.messageArrived();
    const place = { stream: m.info.stream, streamSequence: m.info.streamSequence };
    let decoded;
    try {
      decoded = decodeMessage(m.data, place, this.deps.refs);
    } catch (e) {
      decoded = { problems: [{ path: '', message: `the message could not be read: ${(e as Error).message}` }], items: 1 };
    }
    if ('problems' in decoded) {
      await this.deadLetter(js, m, 'invalid', decoded.problems, undefined, decoded.items);
      return;
    }
    for (;;) {
      try {
        const r = await this.deps.ingest(decoded.events);
        this.tracker.count('accepted', r.accepted);
        this.tracker.count('duplicate', r.duplicates);
        if (!this.deps.loseAck?.(place.streamSequence, m.info.deliveryCount)) m.ack();
        return;
      } catch (e) {
        if (e instanceof InvalidError) {
          await this.deadLetter(js, m, 'invalid', e.problems, undefined, decoded.events.length);
          return;
        }
        if (e instanceof RetryableError && !this.stopping) {
          // The ingest is overloaded: wait for it, holding the message (its deadline extended).
          m.working();
          await this.sleep(Math.min(e.retryAfterMs ?? 1000, this.cfg.ackWaitMs / 2));
          continue;
        }
        if (this.stopping) {
          m.nak();
          return;
        }
        const err = (e as Error).message || String(e);
        const next = afterFailure(m.info.deliveryCount, this.cfg.maxDeliver);
        if (next.action === 'retry') {
          this.deps.log.warn({ source: this.tracker.id, seq: place.streamSequence, delivery: m.info.deliveryCount, err }, 'NATS source: message not stored; delivering it again');
          m.nak(next.delayMs);
        } else {
          await this.deadLetter(js, m, 'failed', [], err, decoded.events.length);
        }
        return;
      }
    }
  }

  /**
   * Publishes the refused message to the dead-letter subject (with a message id, so a second copy
   * after a crash is dropped) and terminates it. When the dead letter cannot be published, the
   * message is not terminated: it is delivered again later rather than lost.
   */
  private async deadLetter(js: JetStreamClient, m: JsMsg, reason: DeadLetterReason, problems: Problem[], error: string | undefined, items: number): Promise<void> {
    const place = { stream: m.info.stream, streamSequence: m.info.streamSequence };
    const h = headers();
    h.set('Vigil-Dead-Letter-Reason', reason);
    h.set('Vigil-Original-Subject', m.subject);
    h.set('Vigil-Original-Stream', place.stream);
    h.set('Vigil-Original-Sequence', String(place.streamSequence));
    h.set('Vigil-Problems', String(problems.length));
    const body = deadLetterBody({ ...place, reason, problems, ...(error !== undefined ? { error } : {}), subject: m.subject, consumer: m.info.consumer, deliveryCount: m.info.deliveryCount, at: new Date().toISOString(), data: m.data });
    try {
      await js.publish(this.deadLetterSubject, body, { msgID: deadLetterMsgId(place), headers: h });
    } catch (e) {
      this.deps.log.error({ source: this.tracker.id, seq: place.streamSequence, err: (e as Error).message }, 'NATS source: dead letter not published; the message will be delivered again');
      m.nak(DEAD_LETTER_RETRY_MS);
      return;
    }
    // No reason text: servers before 2.10 do not read `+TERM <reason>` as a termination.
    m.term();
    this.tracker.count('rejected', items);
    this.deps.onRejected?.(items);
    this.deps.log.warn({ source: this.tracker.id, seq: place.streamSequence, reason, problems: problems.slice(0, 5), err: error }, 'NATS source: message dead-lettered');
  }

  /** Sleeps, or less when the source stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

/** A JetStream "stream/consumer not found" answer. */
function isNotFound(e: unknown): boolean {
  if (e instanceof JetStreamApiError) return e.code === 10059 || e.code === 10014 || e.status === 404;
  return /not found/i.test((e as Error)?.message ?? '');
}

/**
 * The source as the service registers it: fed by the ingest pipeline, held back by the same
 * pending-events budget the HTTP admission control refuses on (VIGIL_INGEST_MAX_PENDING_EVENTS).
 */
export function natsSource(cfg: NatsSourceConfig, pipeline: IngestPipeline, metrics: Metrics, log: Logger): NatsJetStreamSource {
  let maxPendingEvents = DEFAULT_ADMISSION.maxPendingEvents;
  try {
    maxPendingEvents = httpLimitsFromEnv(process.env).admission.maxPendingEvents;
  } catch {
    // `vigil serve` reports a bad environment itself; the default budget holds meanwhile.
  }
  return new NatsJetStreamSource(cfg, {
    ingest: (events) => pipeline.ingest(events),
    refs: pipeline.refs,
    pendingEvents: () => pipeline.pendingEvents,
    maxPendingEvents,
    log,
    onRejected: (n) => metrics.eventsRejected.inc(n),
  });
}
