/**
 * Fault test: a real `vigil serve` consuming a NATS JetStream subject (sources.nats) is killed
 * with SIGKILL while messages flow, then started again; every published message is stored exactly
 * once, those the first process stored but never acknowledged included (their redelivery is a
 * duplicate), and the events published without an id (stored under their stream place) too.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { openDb } from '../src/store/db.js';
import { deadLetterStreamName } from '../src/sources/live/nats-jetstream.js';
import { startNatsServer, type NatsServer } from './helpers/nats-server.js';
import { DEMO_CONFIG, startServer, type ServerProcess } from './helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-nats-kill-'));
const env = { VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_ADMIN_TOKEN: 'nats-kill-admin-token-0123456789' };
const tag = randomBytes(4).toString('hex');
const nats = { stream: `K_${tag}`, subject: `vigil.k${tag}.events`, durable: `vigil-k${tag}` };
const TOTAL = 2500;
let broker: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let server: ServerProcess | undefined;
let configFile: string;

beforeAll(async () => {
  broker = await startNatsServer();
  nc = await connect({ servers: broker.url });
  jsm = await jetstreamManager(nc);
  const config = parse(readFileSync(DEMO_CONFIG, 'utf8')) as Record<string, unknown>;
  config.sources = { nats: { url: broker.url, ...nats, batch: 50 } };
  configFile = join(dir, 'vigil.yaml');
  writeFileSync(configFile, stringify(config));
});
afterAll(async () => {
  await server?.stop('SIGKILL');
  if (jsm) for (const s of [nats.stream, deadLetterStreamName(nats.stream)]) await jsm.streams.delete(s).catch(() => undefined);
  await nc?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const acked = async () => (await jsm.consumers.info(nats.stream, nats.durable)).ack_floor.stream_seq;

describe('kill -9 while NATS messages flow', () => {
  it('stores every published message exactly once after the restart', async () => {
    server = await startServer(['--config', configFile], env);
    await waitFor('the stream and consumer', async () => {
      try {
        await jsm.consumers.info(nats.stream, nats.durable);
        return true;
      } catch {
        return false;
      }
    });

    // Publish in the background: every fifth event carries no sourceEventId (its stream place is its id).
    const js = jetstream(nc);
    const keyed: string[] = [];
    const unkeyedSeqs: number[] = [];
    const publisher = (async () => {
      for (let i = 0; i < TOTAL; i++) {
        const withId = i % 5 !== 0;
        const e = {
          source: i % 2 === 0 ? 'cctv' : 'access_control',
          type: i % 2 === 0 ? 'motion' : 'access_granted',
          ...(withId ? { sourceEventId: `nkill-${i}` } : {}),
          occurredAt: new Date(Date.parse('2026-11-22T08:00:00Z') + i * 1000).toISOString(),
          site: 'store-101',
          zone: ['sales-floor', 'stockroom', 'entrance'][i % 3],
          ...(i % 2 === 1 ? { badge: `b-${i % 17}` } : {}),
        };
        const ack = await js.publish(nats.subject, JSON.stringify(e), { msgID: `nkill-msg-${i}` });
        if (withId) keyed.push(`nkill-${i}`);
        else unkeyedSeqs.push(ack.seq);
      }
    })();

    // Kill once a good share is stored and acknowledged, while messages are still flowing.
    await waitFor('400 messages acknowledged', async () => (await acked()) >= 400);
    await server.stop('SIGKILL');
    server = undefined;
    const atKill = await acked();
    await publisher;
    expect(atKill).toBeLessThan(TOTAL); // the kill came in the middle

    // Restart: the durable consumer resumes where the acknowledgements ended.
    server = await startServer(['--config', configFile], env);
    await waitFor('every message acknowledged', async () => {
      const ci = await jsm.consumers.info(nats.stream, nats.durable);
      return ci.num_pending === 0 && ci.num_ack_pending === 0 && ci.ack_floor.stream_seq === TOTAL;
    });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // Nothing was refused on the way.
    expect((await jsm.streams.info(deadLetterStreamName(nats.stream))).state.messages).toBe(0);
    expect(await server.stop('SIGTERM')).toBe(0);
    server = undefined;

    const db = await openDb({ dataDir: env.VIGIL_DATA_DIR });
    try {
      const rows = (await db.query<{ sid: string; n: number }>(`SELECT source_event_id AS sid, count(*)::int AS n FROM events WHERE source_event_id LIKE 'nkill-%' OR source_event_id LIKE $1 GROUP BY source_event_id`, [`nats-${nats.stream}-%`])).rows;
      const stored = new Map(rows.map((r) => [r.sid, Number(r.n)]));
      const expected = [...keyed, ...unkeyedSeqs.map((seq) => `nats-${nats.stream}-${seq}`)];
      expect(expected).toHaveLength(TOTAL);
      expect(expected.filter((id) => !stored.has(id))).toEqual([]);
      expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
      expect(rows).toHaveLength(TOTAL);
    } finally {
      await db.close();
    }
  });
});
