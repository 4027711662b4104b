/**
 * Frigate NVR over MQTT, the I/O part: a persistent MQTT session (clean: false, a stable client
 * id, QoS 1 subscriptions) to the broker Frigate publishes to. Each message is mapped by
 * frigate-mapping.ts and its events go through the ingest pipeline (validation, dedup by
 * (source, sourceEventId), correlation and the workflow) like any HTTP-posted event.
 *
 * Messages are taken one at a time (mqtt.js `handleMessage`), and a QoS 1 message is acknowledged
 * only after its events are committed: a crash or a broker restart in between makes the broker
 * deliver it again, and the store's dedup makes the repeat harmless. If the store refuses for a
 * reason other than the events themselves, the message is retried with backoff and the next ones
 * wait (back-pressure onto the broker's queue). A malformed message is logged, counted rejected
 * and acknowledged: it can never become right by being delivered again.
 *
 * Reconnects back off from 1 s doubling to 30 s. A source that hears nothing (Frigate sends its
 * stats every minute) for `policy.sources.silentAfterSeconds` records `device.offline` for its
 * cameras, once per silence, and `device.online` when it hears Frigate again.
 */
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { FrigateSourceConfig, Policy } from '../../config/schema.js';
import { InvalidError } from '../../domain/errors.js';
import type { OrgModel } from '../../domain/site-model.js';
import type { SecurityEvent } from '../../domain/types.js';
import type { IngestResult } from '../../ingest/pipeline.js';
import type { Logger } from '../../ops/log.js';
import type { Metrics } from '../../ops/metrics.js';
import type { KnownRefs } from '../event-input.js';
import { FrigateMapper, frigateMapping, frigateTopics } from './frigate-mapping.js';
import { redactUrl, SourceTracker, type LiveSource } from './source-status.js';

const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30_000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

/** What the Frigate source needs from the service. */
export interface FrigateSourceDeps {
  org: OrgModel;
  refs: KnownRefs;
  ingest(events: readonly SecurityEvent[]): Promise<IngestResult>;
  log: Logger;
  metrics?: Metrics;
  policy: Pick<Policy, 'sources' | 'equipmentAudit'>;
  now?: () => Date;
}

/** The default client id: stable for one configuration, so restarts resume the broker's session. */
export function defaultClientId(cfg: FrigateSourceConfig): string {
  return `vigil-frigate-${cfg.topicPrefix.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Frigate over MQTT as a live source of the service. */
export class FrigateSource implements LiveSource {
  readonly tracker: SourceTracker;
  private readonly mapper: FrigateMapper;
  private readonly topics: string[];
  private readonly clientId: string;
  private client: MqttClient | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private backoff = RECONNECT_MIN_MS;
  /** When the last message (or the start) was heard: silence is measured from here. */
  private lastHeard: Date;
  /** Set while a silence has been reported: the start of that silence. */
  private silentSince: Date | undefined;
  private sleeping: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(
    private readonly cfg: FrigateSourceConfig,
    private readonly deps: FrigateSourceDeps,
  ) {
    const now = deps.now ?? (() => new Date());
    // Heartbeats twice per stale limit keep Frigate's cameras fresh in the equipment audit.
    this.mapper = new FrigateMapper(frigateMapping(cfg, deps.org, deps.policy.equipmentAudit.staleAfterMinutes * 30), deps.refs);
    this.topics = frigateTopics(this.mapper.mapping.prefix);
    this.clientId = cfg.clientId ?? defaultClientId(cfg);
    this.tracker = new SourceTracker('frigate', 'frigate', { broker: redactUrl(cfg.url), clientId: this.clientId, topics: this.topics, cameras: Object.keys(cfg.cameras).length, ...(cfg.apiUrl ? { apiUrl: redactUrl(cfg.apiUrl) } : {}) }, now);
    this.lastHeard = now();
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Connects in the background (a broker that is down does not stop the service: the source reconnects). */
  async start(): Promise<void> {
    this.stopping = false;
    this.lastHeard = this.now();
    this.tracker.setState('connecting');
    const client = mqtt.connect(this.cfg.url, {
      clientId: this.clientId,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: RECONNECT_MIN_MS,
      connectTimeout: 10_000,
      resubscribe: true,
      // A refused connection (credentials, client id) is retried with the same backoff.
      reconnectOnConnackError: true,
    });
    this.client = client;
    // One message at a time; the QoS 1 acknowledgement goes out when the callback is called.
    client.handleMessage = (packet: IPublishPacket, callback: (err?: Error) => void) => {
      this.onMessage(packet).then(
        () => callback(),
        (e: unknown) => {
          // Only a stop ends a message unacknowledged: the broker's session keeps it for next time.
          this.deps.log.warn({ source: 'frigate', err: (e as Error).message }, 'frigate message left unacknowledged');
        },
      );
    };
    client.on('connect', (connack) => {
      this.backoff = RECONNECT_MIN_MS;
      client.options.reconnectPeriod = RECONNECT_MIN_MS;
      this.tracker.setState('connected');
      this.deps.log.info({ source: 'frigate', broker: redactUrl(this.cfg.url), sessionPresent: connack.sessionPresent }, 'frigate source connected');
      // A resumed session keeps its subscriptions; subscribing again is harmless and covers a new one.
      client.subscribe(this.topics, { qos: 1 }, (err, granted) => {
        if (err) {
          this.tracker.setState('reconnecting', `subscribe failed: ${err.message}`);
          return;
        }
        const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
        if (refused.length > 0) this.tracker.setState('failed', `the broker refused the subscriptions ${refused.join(', ')}`);
      });
    });
    client.on('reconnect', () => {
      // A refusal stays `failed` (with its reason) until a connection succeeds.
      const st = this.tracker.status();
      if (st.state !== 'failed') this.tracker.setState('reconnecting', st.reason ?? 'connection lost');
    });
    client.on('close', () => {
      if (this.stopping) return;
      if (this.tracker.status().state === 'connected') this.tracker.setState('reconnecting', 'connection lost');
      // Back off: each failed attempt doubles the wait, up to the limit; a good connect resets it.
      client.options.reconnectPeriod = this.backoff;
      this.backoff = Math.min(this.backoff * 2, RECONNECT_MAX_MS);
    });
    client.on('error', (e) => {
      const reason = redactReason(e.message, this.cfg.url);
      // Refused credentials or a bad client id do not mend by retrying often; the backoff still retries.
      this.tracker.setState(/not authori[sz]ed|bad user ?name or password|identifier rejected/i.test(reason) ? 'failed' : 'reconnecting', reason);
      this.deps.log.warn({ source: 'frigate', err: reason }, 'frigate source connection problem');
    });
    this.silenceTimer = setInterval(() => void this.checkSilence(), this.deps.policy.sources.checkEverySeconds * 1000);
    this.silenceTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.silenceTimer) clearInterval(this.silenceTimer);
    this.silenceTimer = undefined;
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.resolve();
    }
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(true).catch(() => undefined);
    this.tracker.setState('stopped');
  }

  /** One message: map it, ingest its events, count the outcome. Resolves when it may be acknowledged. */
  private async onMessage(packet: IPublishPacket): Promise<void> {
    const now = this.now();
    this.tracker.messageArrived();
    this.lastHeard = now;
    if (this.silentSince) {
      const began = this.silentSince;
      this.silentSince = undefined;
      await this.ingestRetrying(this.mapper.resumedEvents(began, now));
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    let outcome;
    try {
      outcome = this.mapper.handle(packet.topic, payload, now);
    } catch (e) {
      outcome = { kind: 'invalid' as const, problems: [{ path: '', message: `cannot read the message: ${(e as Error).message}` }] };
    }
    switch (outcome.kind) {
      case 'alive':
        return;
      case 'ignored':
        this.count('ignored');
        return;
      case 'repeat':
        this.count('duplicate');
        return;
      case 'invalid':
        this.count('rejected');
        this.deps.log.warn({ source: 'frigate', topic: packet.topic, problems: outcome.problems }, 'frigate message refused');
        return;
      case 'events': {
        const r = await this.ingestRetrying(outcome.events);
        if (r === 'invalid') this.count('rejected');
        else if (r && r.accepted > 0) this.count('accepted');
        else this.count('duplicate');
      }
    }
  }

  private count(outcome: 'accepted' | 'duplicate' | 'rejected' | 'ignored'): void {
    if (outcome !== 'ignored') this.tracker.count(outcome);
    this.deps.metrics?.sourceMessages.inc({ source: 'frigate', outcome });
  }

  /**
   * Ingests, retrying with backoff while the store fails for reasons of its own; the events'
   * own problems (an InvalidError) are final. Throws only when the source stops meanwhile.
   */
  private async ingestRetrying(events: readonly SecurityEvent[]): Promise<IngestResult | 'invalid' | undefined> {
    if (events.length === 0) return undefined;
    let wait = RETRY_MIN_MS;
    for (;;) {
      try {
        return await this.deps.ingest(events);
      } catch (e) {
        if (e instanceof InvalidError) {
          this.deps.log.warn({ source: 'frigate', problems: e.problems }, 'frigate events refused');
          return 'invalid';
        }
        if (this.stopping) throw e;
        this.deps.log.error({ source: 'frigate', err: (e as Error).message, retryInMs: wait }, 'frigate events not stored; retrying');
        await this.sleep(wait);
        if (this.stopping) throw new Error('stopped before the events were stored');
        wait = Math.min(wait * 2, RETRY_MAX_MS);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, resolve };
    });
  }

  /** Reports a silence past the policy once (device.offline of the source's cameras). */
  async checkSilence(): Promise<void> {
    if (this.stopping || this.silentSince) return;
    const now = this.now();
    const limit = this.deps.policy.sources.silentAfterSeconds;
    if (now.getTime() - this.lastHeard.getTime() < limit * 1000) return;
    const began = this.lastHeard;
    this.silentSince = began;
    this.deps.log.warn({ source: 'frigate', lastMessageAt: began.toISOString(), silentSeconds: limit }, 'frigate source silent: its cameras are recorded offline');
    try {
      await this.deps.ingest(this.mapper.silenceEvents(began, limit, now));
    } catch (e) {
      // Not recorded: look again at the next check.
      this.silentSince = undefined;
      this.deps.log.error({ source: 'frigate', err: (e as Error).message }, 'frigate silence not recorded');
    }
  }
}

/** An error message without the broker's credentials. */
function redactReason(message: string, url: string): string {
  try {
    const u = new URL(url);
    let m = message;
    if (u.password) m = m.split(u.password).join('***');
    if (u.username) m = m.split(u.username).join('***');
    return m;
  } catch {
    return message;
  }
}
