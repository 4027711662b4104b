/**
 * The NATS JetStream source against a real nats-server (private to this file) and the real store
 * (embedded always, PostgreSQL when VIGIL_TEST_DATABASE_URL is set): published messages become
 * events exactly once, a redelivery stores nothing twice, a poison message lands in the
 * dead-letter subject with its problems while the consumer goes on, a message the store keeps
 * failing is dead-lettered after maxDeliver deliveries, and a broker restart loses nothing.
 */
import { randomBytes } from 'node:crypto';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../src/config/loader.js';
import { natsSourceSchema, type NatsSourceConfig } from '../src/config/schema.js';
import { RetryableError } from '../src/domain/errors.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, type Service } from '../src/service.js';
import { deadLetterStreamName, NatsJetStreamSource, type NatsSourceDeps } from '../src/sources/live/nats-jetstream.js';
import { validateEvents } from '../src/sources/event-input.js';
import { startNatsServer, type NatsServer } from './helpers/nats-server.js';
import { TEST_STORES } from './helpers/stores.js';

const demo = loadDemoConfig();
let broker: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  broker = await startNatsServer();
  nc = await connect({ servers: broker.url });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await nc?.close();
  await broker?.close();
});

/** Polls until `cond` holds (a hang guard, not a timing assertion). */
async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A fresh stream, subject and durable for one test. */
function natsConfig(extra: Partial<NatsSourceConfig> = {}): NatsSourceConfig {
  const tag = randomBytes(4).toString('hex');
  return natsSourceSchema.parse({
    url: broker.url,
    stream: `T_${tag}`,
    subject: `vigil.t${tag}.events`,
    durable: `vigil-${tag}`,
    deadLetterSubject: `vigil.t${tag}.dead`,
    ...extra,
  });
}

const streamsMade: string[] = [];
afterAll(async () => {
  for (const s of streamsMade) await jsm.streams.delete(s).catch(() => undefined);
});

let t0 = Date.parse('2026-11-20T14:00:00Z');
function event(extra: Record<string, unknown> = {}): Record<string, unknown> {
  t0 += 1000;
  return { source: 'cctv', type: 'motion', occurredAt: new Date(t0).toISOString(), site: 'store-101', zone: 'sales-floor', ...extra };
}

async function publish(subject: string, body: unknown, msgID?: string) {
  return js.publish(subject, typeof body === 'string' ? body : JSON.stringify(body), msgID ? { msgID } : {});
}

/** Reads every message of a stream (an ephemeral consumer) as JSON. */
async function readStream(stream: string, expected: number): Promise<{ headers: Record<string, string>; body: Record<string, unknown> }[]> {
  const ci = await jsm.consumers.add(stream, { ack_policy: AckPolicy.None, inactive_threshold: 30_000_000_000 });
  const c = await js.consumers.get(stream, ci.name);
  const out: { headers: Record<string, string>; body: Record<string, unknown> }[] = [];
  const deadline = Date.now() + 30_000;
  while (out.length < expected && Date.now() < deadline) {
    const msgs = await c.fetch({ max_messages: expected - out.length, expires: 1000 });
    for await (const m of msgs) {
      const h: Record<string, string> = {};
      for (const k of m.headers?.keys() ?? []) h[k] = m.headers!.get(k);
      out.push({ headers: h, body: m.json() });
    }
  }
  return out;
}

describe.each(TEST_STORES)('NATS JetStream source on $name', (store) => {
  let service: Service;
  let drop: () => Promise<void>;
  let cfg: NatsSourceConfig;
  const sources: NatsJetStreamSource[] = [];

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    cfg = natsConfig();
    service = await createService({ config: { ...demo, sources: { csvProfiles: {}, nats: cfg } }, dataDir: s.dataDir, databaseUrl: s.databaseUrl, startRunner: true });
    streamsMade.push(cfg.stream, deadLetterStreamName(cfg.stream));
  });
  afterAll(async () => {
    for (const s of sources) await s.stop();
    await service?.close();
    await drop?.();
  });

  const countStored = async (pattern: string) =>
    (await service.db.query<{ sid: string; n: number }>('SELECT source_event_id AS sid, count(*)::int AS n FROM events WHERE source_event_id LIKE $1 GROUP BY source_event_id', [pattern])).rows.map((r) => ({ sid: r.sid, n: Number(r.n) }));

  /** Another source on its own stream, fed by this service's pipeline, with test hooks. */
  function ownSource(c: NatsSourceConfig, extra: Partial<NatsSourceDeps> = {}): NatsJetStreamSource {
    const src = new NatsJetStreamSource(
      c,
      { ingest: (e) => service.pipeline.ingest(e), refs: service.pipeline.refs, pendingEvents: () => service.pipeline.pendingEvents, maxPendingEvents: 10_000, log: service.log, ...extra },
      `nats-${c.durable}`,
    );
    sources.push(src);
    streamsMade.push(c.stream, deadLetterStreamName(c.stream));
    return src;
  }

  it('is registered with the service, connects, and creates its stream and durable consumer', async () => {
    const status = () => service.sources.list().find((s) => s.id === 'nats');
    await waitFor('the source to connect', () => status()?.state === 'connected');
    expect(status()).toMatchObject({ kind: 'nats', reason: null, detail: { stream: cfg.stream, subject: cfg.subject, durable: cfg.durable, deadLetterSubject: cfg.deadLetterSubject } });
    const ci = await jsm.consumers.info(cfg.stream, cfg.durable);
    expect(ci.config.ack_policy).toBe(AckPolicy.Explicit);
    expect(ci.config.durable_name).toBe(cfg.durable);
  });

  it('stores every published message exactly once; re-published and repeated ones are duplicates', async () => {
    const tag = `${store.name}-once`;
    // 20 keyed events, 5 without a sourceEventId, and one message carrying three events (NDJSON).
    for (let i = 0; i < 20; i++) await publish(cfg.subject, event({ sourceEventId: `${tag}-${i}` }), `m-${tag}-${i}`);
    for (let i = 0; i < 5; i++) await publish(cfg.subject, event());
    const nd = [0, 1, 2].map((k) => JSON.stringify(event({ sourceEventId: `${tag}-nd-${k}` }))).join('\n');
    await publish(cfg.subject, nd);
    const status = () => service.sources.list().find((s) => s.id === 'nats')!;
    await waitFor('28 events accepted', () => status().counts.accepted === 28);
    expect(status().counts).toEqual({ accepted: 28, duplicate: 0, rejected: 0 });
    expect(status().lastMessageAt).not.toBeNull();
    const keyed = await countStored(`${tag}-%`);
    expect(keyed).toHaveLength(23);
    expect(keyed.filter((r) => r.n !== 1)).toEqual([]);
    // The events without an id got their stream message's place as their id.
    const unkeyed = await countStored(`nats-${cfg.stream}-%`);
    expect(unkeyed).toHaveLength(5);

    // The same message id again: the stream drops it.
    const again = await publish(cfg.subject, event({ sourceEventId: `${tag}-0` }), `m-${tag}-0`);
    expect(again.duplicate).toBe(true);
    // The same events under new message ids (past the stream's duplicate window): the store drops them.
    for (let i = 0; i < 4; i++) await publish(cfg.subject, event({ sourceEventId: `${tag}-${i}` }), `m2-${tag}-${i}`);
    await waitFor('4 duplicates', () => status().counts.duplicate === 4);
    expect(status().counts).toEqual({ accepted: 28, duplicate: 4, rejected: 0 });
    expect((await countStored(`${tag}-%`)).filter((r) => r.n !== 1)).toEqual([]);
    await waitFor('nothing pending', async () => {
      const ci = await jsm.consumers.info(cfg.stream, cfg.durable);
      return ci.num_pending === 0 && ci.num_ack_pending === 0;
    });
  });

  it('a message whose acknowledgement was lost is delivered again and stored once', async () => {
    const c = natsConfig({ ackWaitMs: 1000 });
    // The first acknowledgement of every message is lost: the server delivers each again after ack_wait.
    const src = ownSource(c, { loseAck: (_seq, delivery) => delivery === 1 });
    await src.start();
    await waitFor('connected', () => src.tracker.status().state === 'connected');
    for (let i = 0; i < 4; i++) await publish(c.subject, event()); // no sourceEventId: the stream place is the id
    await publish(c.subject, [event({ sourceEventId: `${store.name}-lost-a` }), event({ sourceEventId: `${store.name}-lost-b` })]);
    await waitFor('every message delivered twice', () => src.tracker.status().counts.duplicate === 6);
    expect(src.tracker.status().counts).toEqual({ accepted: 6, duplicate: 6, rejected: 0 });
    const stored = [...(await countStored(`nats-${c.stream}-%`)), ...(await countStored(`${store.name}-lost-%`))];
    expect(stored.map((r) => r.sid).sort()).toEqual([`${store.name}-lost-a`, `${store.name}-lost-b`, ...[1, 2, 3, 4].map((n) => `nats-${c.stream}-${n}`)].sort());
    expect(stored.filter((r) => r.n !== 1)).toEqual([]);
    await waitFor('all acknowledged', async () => (await jsm.consumers.info(c.stream, c.durable)).num_ack_pending === 0);
  });

  it('a poison message lands in the dead-letter subject with its problems, and the consumer goes on', async () => {
    const status = () => service.sources.list().find((s) => s.id === 'nats')!;
    const before = status().counts;
    const bad = { source: 'cctv', type: 'teleport', occurredAt: '2026-02-31T10:00:00Z', site: 'store-999' };
    await publish(cfg.subject, bad);
    await publish(cfg.subject, '{"source": "cctv", oops');
    await publish(cfg.subject, event({ sourceEventId: `${store.name}-after-poison` }));
    await waitFor('the valid event after the poison', () => status().counts.accepted === before.accepted + 1);
    await waitFor('two rejected', () => status().counts.rejected === before.rejected + 2);

    const letters = await readStream(deadLetterStreamName(cfg.stream), 2);
    expect(letters).toHaveLength(2);
    const [first, second] = letters;
    expect(first.headers['Vigil-Dead-Letter-Reason']).toBe('invalid');
    expect(first.headers['Vigil-Original-Subject']).toBe(cfg.subject);
    expect(first.body.reason).toBe('invalid');
    expect(first.body.payload).toBe(JSON.stringify(bad));
    // The same problems the HTTP API would list for this event.
    let expected: unknown;
    try {
      validateEvents([bad], { pathOf: () => '', refs: service.pipeline.refs });
    } catch (e) {
      expected = (e as { problems: unknown }).problems;
    }
    expect(first.body.problems).toEqual(expected);
    expect((first.body.problems as { path: string }[]).map((p) => p.path).sort()).toEqual(['occurredAt', 'site', 'type']);
    expect(second.body.payload).toBe('{"source": "cctv", oops');
    expect((second.body.problems as { message: string }[])[0].message).toMatch(/^expected a JSON value/);
    expect(await countStored(`${store.name}-after-poison`)).toEqual([{ sid: `${store.name}-after-poison`, n: 1 }]);
    // Terminated: nothing is waiting for an acknowledgement or a redelivery.
    await waitFor('nothing pending', async () => {
      const ci = await jsm.consumers.info(cfg.stream, cfg.durable);
      return ci.num_pending === 0 && ci.num_ack_pending === 0;
    });
  });

  it('waits while the ingest is busy instead of fetching, and while it is overloaded instead of naking', async () => {
    const c = natsConfig();
    let busy = true;
    let polls = 0;
    let overloads = 2;
    const deliveries: number[] = [];
    const src = ownSource(c, {
      // The ingest's pending events: past the bus's share of the budget while `busy`.
      pendingEvents: () => {
        polls++;
        return busy ? 9_000 : service.pipeline.pendingEvents;
      },
      ingest: async (events: readonly SecurityEvent[]) => {
        deliveries.push(1);
        // The group commit's own overload answer, twice.
        if (overloads-- > 0) throw new RetryableError('ingest is overloaded (test)', 100);
        return service.pipeline.ingest(events);
      },
    });
    await src.start();
    await waitFor('connected', () => src.tracker.status().state === 'connected');
    for (let i = 0; i < 3; i++) await publish(c.subject, event({ sourceEventId: `${store.name}-busy-${i}` }));
    const seen = polls;
    await waitFor('the gate to have looked again and again', () => polls >= seen + 10);
    let ci = await jsm.consumers.info(c.stream, c.durable);
    expect([ci.num_pending, ci.num_ack_pending]).toEqual([3, 0]); // nothing fetched
    expect(deliveries).toEqual([]);
    busy = false;
    await waitFor('all three stored', () => src.tracker.status().counts.accepted === 3);
    ci = await jsm.consumers.info(c.stream, c.durable);
    expect(ci.num_redelivered).toBe(0);
    expect(ci.delivered.consumer_seq).toBe(3); // each message delivered once: the overload waited, never nak'd
    expect(deliveries).toHaveLength(5);
  });

  it('a message the store keeps failing is delivered maxDeliver times, then dead-lettered with the error', async () => {
    const c = natsConfig({ maxDeliver: 2 });
    let flakyFailures = 0;
    const deliveries = new Map<string, number>();
    const src = ownSource(c, {
      ingest: async (events: readonly SecurityEvent[]) => {
        const id = events[0].sourceEventId!;
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
        if (id.endsWith('-broken')) throw new Error('the store refused the write');
        if (id.endsWith('-flaky') && flakyFailures++ === 0) throw new Error('connection reset');
        return service.pipeline.ingest(events);
      },
    });
    await src.start();
    await waitFor('connected', () => src.tracker.status().state === 'connected');
    await publish(c.subject, event({ sourceEventId: `${store.name}-broken` }));
    await publish(c.subject, event({ sourceEventId: `${store.name}-flaky` }));
    await waitFor('the broken one rejected and the flaky one accepted', () => {
      const n = src.tracker.status().counts;
      return n.rejected === 1 && n.accepted === 1;
    });
    expect(deliveries.get(`${store.name}-broken`)).toBe(2);
    expect(deliveries.get(`${store.name}-flaky`)).toBe(2);
    const [letter] = await readStream(deadLetterStreamName(c.stream), 1);
    expect(letter.body).toMatchObject({ reason: 'failed', error: 'the store refused the write', deliveryCount: 2, problems: [] });
    expect(await countStored(`${store.name}-broken`)).toEqual([]);
    expect(await countStored(`${store.name}-flaky`)).toEqual([{ sid: `${store.name}-flaky`, n: 1 }]);
  });
});

describe('NATS JetStream source across a broker restart', () => {
  it('reports reconnecting, comes back, and loses nothing', async () => {
    const s = await TEST_STORES[0].fresh();
    const c = natsConfig();
    streamsMade.push(c.stream, deadLetterStreamName(c.stream));
    const service = await createService({ config: { ...demo, sources: { csvProfiles: {}, nats: c } }, dataDir: s.dataDir, startRunner: true });
    try {
      const status = () => service.sources.list().find((x) => x.id === 'nats')!;
      await waitFor('connected', () => status().state === 'connected');
      for (let i = 0; i < 10; i++) await publish(c.subject, event({ sourceEventId: `restart-${i}` }));
      await waitFor('10 accepted', () => status().counts.accepted === 10);
      await broker.kill('SIGKILL');
      await waitFor('reconnecting', () => status().state === 'reconnecting');
      expect(status().reason).toMatch(/disconnected/);
      await broker.restart();
      await waitFor('connected again', () => status().state === 'connected');
      // The test's own connection reconnects too; then publish more.
      await waitFor('test client reconnected', async () => {
        try {
          await nc.flush();
          return true;
        } catch {
          return false;
        }
      });
      for (let i = 10; i < 20; i++) await publish(c.subject, event({ sourceEventId: `restart-${i}` }));
      await waitFor('20 accepted', () => status().counts.accepted === 20);
      const rows = (await service.db.query<{ n: number }>("SELECT count(DISTINCT source_event_id)::int AS n, count(*)::int AS total FROM events WHERE source_event_id LIKE 'restart-%'")).rows[0] as unknown as { n: number; total: number };
      expect(Number(rows.n)).toBe(20);
      expect(Number(rows.total)).toBe(20);
    } finally {
      await service.close();
      await s.drop();
    }
  });
});
