/**
 * Frigate over MQTT through a real broker (a private Mosquitto per test file, so it can be
 * restarted), the real store on both stores and real HTTP: the documented Frigate event becomes
 * one event however often and in whatever sequence it arrives; a broker restart loses nothing; a
 * malformed message is counted rejected and the source stays connected; GET /api/v1/sources and
 * /metrics show the source; recording state and availability reach the equipment audit; the
 * investigation task's checklist links Frigate's clip; a silent source records its cameras offline once.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildServer } from '../src/api/server.js';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import type { Config } from '../src/config/schema.js';
import { createService, type Service } from '../src/service.js';
import { FrigateSource } from '../src/sources/live/frigate-mqtt.js';
import { MOSQUITTO, PrivateMosquitto } from './helpers/mosquitto.js';
import { TEST_STORES } from './helpers/stores.js';

const EXAMPLE_FILE = fileURLToPath(new URL('../../shared/data/frigate/events-doc-example.json', import.meta.url));
const exampleText = readFileSync(EXAMPLE_FILE, 'utf8');
const example = JSON.parse(exampleText) as { type: string; before: Record<string, unknown>; after: Record<string, unknown> };
const EXAMPLE_ID = example.after.id as string;
const ADMIN = 'frigate-mqtt-admin-token';
const API = 'http://nvr.test:5000';

function config(brokerUrl: string, prefix: string, policy: Record<string, unknown> = {}): Config {
  const demo = YAML.parse(readFileSync(BUNDLED.demo, 'utf8')) as Record<string, unknown>;
  return parseConfig({
    ...demo,
    sources: {
      frigate: {
        url: brokerUrl,
        topicPrefix: prefix,
        clientId: `vigil-test-${prefix}`,
        cameras: { front_door: 'cam-101-ent', office: 'cam-101-co' },
        zones: { yard: 'entrance', driveway: 'entrance', office_floor: 'cash-office' },
        apiUrl: API,
        loiterSeconds: 60,
      },
    },
    policy: { ...((demo.policy as Record<string, unknown>) ?? {}), investigation: { types: ['theft', 'fraud', 'suspicious_activity'] }, ...policy },
  });
}

async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const publisher = async (url: string): Promise<MqttClient> => {
  const c = mqtt.connect(url, { clientId: `pub-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 100, clean: true });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
};
const pub = (c: MqttClient, topic: string, payload: string) => c.publishAsync(topic, payload, { qos: 1 });
const withType = (type: string, after: Record<string, unknown> = {}) => JSON.stringify({ ...example, type, after: { ...example.after, ...after } });

describe.skipIf(!MOSQUITTO && !process.env.CI).each(TEST_STORES)('Frigate over MQTT on $name', (store) => {
  const broker = new PrivateMosquitto();
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let client: MqttClient;
  let drop: () => Promise<void> = async () => {};
  const prefix = `frig-${store.name}-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    await broker.start();
    const s = await store.fresh();
    drop = s.drop;
    // The broker URL carries credentials (anonymous broker: they are accepted and must never be shown).
    const url = `mqtt://vigil:s3cret-pw@127.0.0.1:${broker.port}`;
    service = await createService({ config: config(url, prefix, { sources: { silentAfterSeconds: 3600, checkEverySeconds: 60 } }), dataDir: s.dataDir, databaseUrl: s.databaseUrl, adminToken: ADMIN, startRunner: true });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    await until('the source to connect', () => service.sources.list()[0]?.state === 'connected');
    client = await publisher(broker.url);
  });
  afterAll(async () => {
    await client?.endAsync(true);
    await app?.close();
    await service?.close();
    await broker.dispose();
    await drop();
  });

  const status = () => service.sources.list().find((s) => s.id === 'frigate')!;
  const handled = () => {
    const c = status().counts;
    return c.accepted + c.duplicate + c.rejected;
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await service.db.query<{ n: number }>(sql, params)).rows[0]!.n);
  const call = async (path: string) => {
    const res = await fetch(base + path, { headers: { authorization: `Bearer ${ADMIN}` } });
    return { status: res.status, text: await res.text() };
  };

  it('the documented event becomes one event: published three times, then as new, update, end', async () => {
    const before = handled();
    for (let i = 0; i < 3; i++) await pub(client, `${prefix}/events`, exampleText);
    await pub(client, `${prefix}/events`, withType('new'));
    await pub(client, `${prefix}/events`, withType('update', { score: 0.91 }));
    await pub(client, `${prefix}/events`, withType('end', { end_time: 1607123970.1 }));
    await until('six messages handled', () => handled() - before >= 6);
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE source = 'cctv' AND source_event_id = $1`, [`frigate-${EXAMPLE_ID}`])).toBe(1);
    const row = (await service.db.query<{ type: string; zone: string; device: string; details: Record<string, unknown> }>(`SELECT type, zone, device, details FROM events WHERE source_event_id = $1`, [`frigate-${EXAMPLE_ID}`])).rows[0]!;
    expect(row).toMatchObject({ type: 'person_detected', zone: 'entrance', device: 'cam-101-ent' });
    expect(row.details.footage).toEqual({ frigateId: EXAMPLE_ID, snapshot: `${API}/api/events/${EXAMPLE_ID}/snapshot.jpg`, clip: `${API}/api/events/${EXAMPLE_ID}/clip.mp4` });
    expect(status().counts).toMatchObject({ accepted: 1, duplicate: 5 });
  });

  it('a broker restart in the middle loses nothing: messages queued by the publisher while it was down all arrive', async () => {
    await broker.stop();
    await until('the source to notice', () => status().state !== 'connected');
    const ids = Array.from({ length: 12 }, (_, i) => `1763440000.${String(i).padStart(6, '0')}-restart`);
    // Published while the broker is down: the publisher queues them (QoS 1) until it is back.
    const sent = ids.map((id, i) => pub(client, `${prefix}/events`, withType(i % 2 === 0 ? 'new' : 'update', { id, start_time: 1763440000 + i, frame_time: 1763440001 + i })));
    await broker.start();
    await Promise.all(sent);
    await until('the source to reconnect', () => status().state === 'connected');
    await until('every restart event stored', async () => (await count(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE 'frigate-%-restart'`)) === ids.length);
    // And exactly once each.
    expect(await count(`SELECT count(DISTINCT source_event_id)::int AS n FROM events WHERE source_event_id LIKE 'frigate-%-restart'`)).toBe(ids.length);
  });

  it('a malformed message is counted rejected, and the source stays connected and keeps reading', async () => {
    const before = status().counts;
    await pub(client, `${prefix}/events`, '{"type": "new", "after": ');
    await pub(client, `${prefix}/events`, JSON.stringify({ type: 'new', after: { id: 'x', camera: 'garage', label: 'person', start_time: 1 } }));
    await pub(client, `${prefix}/office/recordings/state`, 'SIDEWAYS');
    await until('three rejections', () => status().counts.rejected - before.rejected >= 3);
    expect(status().state).toBe('connected');
    await pub(client, `${prefix}/events`, withType('new', { id: '1763440100.000001-after-bad' }));
    await until('the next good message stored', async () => (await count(`SELECT count(*)::int AS n FROM events WHERE source_event_id = 'frigate-1763440100.000001-after-bad'`)) === 1);
    expect(status().counts.rejected - before.rejected).toBe(3);
  });

  it('GET /api/v1/sources and /metrics show the state and counts, never the credentials', async () => {
    const r = await call('/api/v1/sources');
    expect(r.status).toBe(200);
    expect(r.text).not.toContain('s3cret-pw');
    const body = JSON.parse(r.text) as { items: { id: string; state: string; counts: Record<string, number>; lastMessageAt: string | null; silentSeconds: number | null; detail: Record<string, unknown> }[] };
    const f = body.items.find((s) => s.id === 'frigate')!;
    expect(f).toMatchObject({ state: 'connected', counts: status().counts, detail: { broker: `mqtt://127.0.0.1:${broker.port}`, topics: expect.arrayContaining([`${prefix}/events`]) } });
    expect(f.counts.accepted).toBeGreaterThanOrEqual(14);
    expect(f.counts.rejected).toBe(3);
    expect(f.lastMessageAt).not.toBeNull();
    expect(typeof f.silentSeconds).toBe('number');
    const noAuth = await fetch(base + '/api/v1/sources');
    expect(noAuth.status).toBe(401);
    const m = await (await fetch(base + '/metrics')).text();
    expect(m).toContain('vigil_source_up{source="frigate",state="connected"} 1');
    expect(m).toContain('vigil_source_up{source="frigate",state="reconnecting"} 0');
    expect(m).toMatch(/vigil_source_messages_total\{source="frigate",outcome="rejected"\} 3/);
    expect(m).toMatch(/vigil_source_last_message_age_seconds\{source="frigate"\} \d/);
  });

  it('recordings/state and available become the device events the equipment audit reads', async () => {
    const audit = async () => JSON.parse((await call('/api/v1/devices/audit?site=store-101')).text) as { items: { devices: { id: string; status: string; online: boolean | null; recording: boolean | null }[] }[] };
    const device = async (id: string) => (await audit()).items[0]!.devices.find((d) => d.id === id)!;
    await pub(client, `${prefix}/office/recordings/state`, 'OFF');
    await until('the office camera not recording', async () => (await device('cam-101-co')).status === 'not_recording');
    await pub(client, `${prefix}/office/recordings/state`, 'ON');
    await pub(client, `${prefix}/available`, 'offline');
    await until('both cameras offline', async () => (await device('cam-101-co')).status === 'offline' && (await device('cam-101-ent')).status === 'offline');
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE source = 'device' AND type IN ('recording_off', 'recording_on') AND device = 'cam-101-co'`)).toBe(2);
    await pub(client, `${prefix}/available`, 'online');
    await until('both cameras back', async () => (await device('cam-101-co')).status === 'online' && (await device('cam-101-ent')).status === 'online');
  });

  it("the investigation task's evidence checklist carries Frigate's clip link", async () => {
    // A person in the cash office at 01:50 New York time (after hours, restricted zone).
    const id = '1763448600.123456-office';
    const start = Date.parse('2026-11-18T06:50:00Z') / 1000;
    await pub(client, `${prefix}/events`, withType('new', { id, camera: 'office', current_zones: ['office_floor'], entered_zones: ['office_floor'], start_time: start, frame_time: start }));
    const incidentId = await until('the incident', async () => (await service.db.query<{ incident_id: string | null }>(`SELECT incident_id FROM events WHERE source_event_id = $1`, [`frigate-${id}`])).rows[0]?.incident_id ?? undefined);
    const task = await until('the investigation task', async () => {
      const r = JSON.parse((await call('/api/v1/tasks')).text) as { items: { incidentId: string | null; checklist: { kind: string; camera?: string; footage?: { clip: string | null; snapshot: string | null; nvrEventId: string }[] }[] }[] };
      return r.items.find((t) => t.incidentId === incidentId);
    });
    const clip = task.checklist.find((c) => c.kind === 'clip' && c.camera === 'cam-101-co')!;
    expect(clip.footage).toEqual([expect.objectContaining({ nvrEventId: id, clip: `${API}/api/events/${id}/clip.mp4`, snapshot: `${API}/api/events/${id}/snapshot.jpg` })]);
  });
});

describe.skipIf(!MOSQUITTO && !process.env.CI).each(TEST_STORES)('a silent Frigate source on $name', (store) => {
  const broker = new PrivateMosquitto();
  let service: Service;
  let drop: () => Promise<void> = async () => {};
  const prefix = `frig-silent-${store.name}-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    await broker.start();
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: config(broker.url, prefix, { sources: { silentAfterSeconds: 1, checkEverySeconds: 0.1 } }), dataDir: s.dataDir, databaseUrl: s.databaseUrl, startRunner: true });
  });
  afterAll(async () => {
    await service?.close();
    await broker.dispose();
    await drop();
  });

  const silenceEvents = async () => (await service.db.query<{ device: string; type: string }>(`SELECT device, type FROM events WHERE source = 'device' AND source_event_id LIKE 'vigil-source-%' ORDER BY seq`)).rows;

  it('records each mapped camera offline once per silence, and online when Frigate is heard again', async () => {
    await until('the silence recorded', async () => (await silenceEvents()).length >= 2, 600);
    // Many more checks run meanwhile; the silence is still recorded once.
    await new Promise((r) => setTimeout(r, 600));
    expect((await silenceEvents()).map((e) => `${e.device}:${e.type}`).sort()).toEqual(['cam-101-co:offline', 'cam-101-ent:offline']);
    const c = await publisher(broker.url);
    await pub(c, `${prefix}/stats`, '{"service":{"uptime":1}}');
    await c.endAsync();
    await until('the cameras back online', async () => (await silenceEvents()).filter((e) => e.type === 'online').length === 2);
  });
});

describe.skipIf(!MOSQUITTO && !process.env.CI).each(TEST_STORES)('Vigil away while Frigate publishes, on $name', (store) => {
  const broker = new PrivateMosquitto();
  let dataDir: string | undefined;
  let databaseUrl: string | undefined;
  let drop: () => Promise<void> = async () => {};
  let cleanup = async () => {};
  const prefix = `frig-away-${store.name}-${Math.random().toString(36).slice(2, 8)}`;
  const open = () => createService({ config: config(broker.url, prefix, { sources: { silentAfterSeconds: 3600, checkEverySeconds: 60 } }), ...(dataDir ? { dataDir } : {}), ...(databaseUrl ? { databaseUrl } : {}), startRunner: true });

  beforeAll(async () => {
    await broker.start();
    const s = await store.fresh();
    drop = s.drop;
    databaseUrl = s.databaseUrl;
    if (store.name === 'pglite') {
      // A store on disk, so a second service opens what the first wrote.
      const { mkdtemp, rm } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      dataDir = await mkdtemp(join(tmpdir(), 'vigil-frigate-away-'));
      cleanup = () => rm(dataDir!, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await broker.dispose();
    await drop();
    await cleanup();
  });

  it('the persistent session keeps what Frigate published while Vigil was stopped, and the restarted service stores it once', async () => {
    const first = await open();
    await until('the first service to connect', () => first.sources.list()[0]?.state === 'connected');
    await first.close();
    const c = await publisher(broker.url);
    const ids = Array.from({ length: 8 }, (_, i) => `1763450000.${String(i).padStart(6, '0')}-away`);
    for (const [i, id] of ids.entries()) await pub(c, `${prefix}/events`, withType('new', { id, start_time: 1763450000 + i }));
    await c.endAsync();
    const second = await open();
    try {
      const stored = async () => Number((await second.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE 'frigate-%-away'`)).rows[0]!.n);
      await until('every event published while away', async () => (await stored()) === ids.length);
      expect(second.sources.list()[0]!.counts.accepted).toBe(ids.length);
    } finally {
      await second.close();
    }
  });
});

describe.skipIf(!MOSQUITTO && !process.env.CI).each(TEST_STORES)('the store failing under the Frigate source, on $name', (store) => {
  const broker = new PrivateMosquitto();
  let service: Service;
  let source: FrigateSource;
  let drop: () => Promise<void> = async () => {};
  const prefix = `frig-fail-${store.name}-${Math.random().toString(36).slice(2, 8)}`;
  let failures = 0;

  beforeAll(async () => {
    await broker.start();
    const s = await store.fresh();
    drop = s.drop;
    const cfg = config(broker.url, prefix, { sources: { silentAfterSeconds: 3600, checkEverySeconds: 60 } });
    service = await createService({ config: { ...cfg, sources: { csvProfiles: {} } }, dataDir: s.dataDir, databaseUrl: s.databaseUrl });
    // The store refuses the first three commits for a reason of its own (not the events').
    source = new FrigateSource(cfg.sources.frigate!, {
      org: service.org,
      refs: service.pipeline.refs,
      ingest: async (events) => {
        if (failures < 3) {
          failures++;
          throw new Error('connection to the store lost');
        }
        return service.pipeline.ingest(events);
      },
      log: service.log,
      policy: cfg.policy,
    });
    await source.start();
    await until('the source to connect', () => source.tracker.status().state === 'connected');
  });
  afterAll(async () => {
    await source?.stop();
    await service?.close();
    await broker.dispose();
    await drop();
  });

  it('retries the message until it is stored, and the messages behind it wait: nothing lost, nothing twice', async () => {
    const c = await publisher(broker.url);
    const ids = ['1763460000.000001-fail', '1763460000.000002-fail', '1763460000.000003-fail'];
    for (const id of ids) await pub(c, `${prefix}/events`, withType('new', { id }));
    await c.endAsync();
    const stored = async () => (await service.db.query<{ source_event_id: string }>(`SELECT source_event_id FROM events WHERE source_event_id LIKE 'frigate-%-fail' ORDER BY seq`)).rows.map((r) => r.source_event_id);
    await until('all three stored', async () => (await stored()).length === 3);
    expect(failures).toBe(3);
    // In the order they were published, once each.
    expect(await stored()).toEqual(ids.map((id) => `frigate-${id}`));
    expect(source.tracker.status().counts).toEqual({ accepted: 3, duplicate: 0, rejected: 0 });
  });
});

describe.skipIf(!MOSQUITTO && !process.env.CI)('a broker that refuses the Frigate source', () => {
  // No anonymous clients and no password file: every connection is refused.
  const broker = new PrivateMosquitto(['allow_anonymous false']);
  let service: Service;

  beforeAll(async () => {
    await broker.start();
    service = await createService({ config: config(`mqtt://vigil:wrong-pw@127.0.0.1:${broker.port}`, 'frig-refused', { sources: { silentAfterSeconds: 3600, checkEverySeconds: 60 } }), dataDir: 'memory://', startRunner: true });
  });
  afterAll(async () => {
    await service?.close();
    await broker.dispose();
  });

  it('reads failed with the reason, without the password, and the service runs on', async () => {
    const s = await until('the refusal', () => {
      const st = service.sources.list()[0]!;
      return st.state === 'failed' ? st : undefined;
    });
    expect(s.reason).toMatch(/not authori[sz]ed/i);
    expect(JSON.stringify(s)).not.toContain('wrong-pw');
    expect((await service.db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
