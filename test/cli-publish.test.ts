/**
 * `vigil publish` as a user runs it (the compiled CLI) against a real nats-server private to this
 * file, with a Vigil consuming the subject (sources.nats): the counts it reports are right, the
 * events arrive in the store, a re-run publishes only duplicates that the stream drops, and a bad
 * row is named with its row and reason (exit 1) while the good rows go out.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../src/config/loader.js';
import { natsSourceSchema, type NatsSourceConfig } from '../src/config/schema.js';
import { createService, type Service } from '../src/service.js';
import { deadLetterStreamName } from '../src/sources/live/nats-jetstream.js';
import { startNatsServer, type NatsServer } from './helpers/nats-server.js';
import { BIN } from './helpers/server-process.js';

const data = (p: string) => fileURLToPath(new URL(`../../shared/data/${p}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-publish-'));
let broker: NatsServer;
let nc: NatsConnection;
let service: Service;
let cfg: NatsSourceConfig;

/** Runs the CLI without blocking this process (the consumer keeps running meanwhile). */
function vigil(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, VIGIL_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const status = () => service.sources.list().find((s) => s.id === 'nats')!;
const streamMessages = async () => (await (await jetstreamManager(nc)).streams.info(cfg.stream)).state.messages;

beforeAll(async () => {
  broker = await startNatsServer();
  nc = await connect({ servers: broker.url });
  const tag = randomBytes(4).toString('hex');
  cfg = natsSourceSchema.parse({ url: broker.url, stream: `P_${tag}`, subject: `vigil.p${tag}.events`, durable: `vigil-p${tag}` });
  service = await createService({ config: { ...loadDemoConfig(), sources: { csvProfiles: {}, nats: cfg } }, dataDir: 'memory://', startRunner: true });
  await waitFor('the consumer to connect (and create its stream)', () => status().state === 'connected');
});
afterAll(async () => {
  await service?.close();
  if (nc) {
    const jsm = await jetstreamManager(nc);
    for (const s of [cfg.stream, deadLetterStreamName(cfg.stream)]) await jsm.streams.delete(s).catch(() => undefined);
    await nc.close();
  }
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil publish', () => {
  it('publishes a generated NDJSON file once; a re-run is all duplicates; a bad row is named', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) {
      const occurredAt = new Date(Date.parse('2026-11-21T09:00:00Z') + i * 60_000).toISOString();
      // Every fourth event has no sourceEventId: publish gives it one from its content.
      lines.push(JSON.stringify({ source: 'access_control', type: 'access_granted', ...(i % 4 === 0 ? {} : { sourceEventId: `pub-${i}` }), occurredAt, site: 'store-101', zone: 'entrance', badge: `b-${i}` }));
    }
    lines.splice(10, 0, JSON.stringify({ source: 'access_control', type: 'door_teleported', occurredAt: '2026-11-21T09:00:00Z', site: 'store-101' }));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);

    const first = await vigil('publish', file, '--nats', broker.url, '--subject', cfg.subject);
    expect(first.stdout).toContain('41 record(s) read, 40 published, 0 duplicate(s) (already in the stream), 0 skipped (not events), 1 rejected');
    expect(first.stdout).toMatch(/row 11: type: unknown type "door_teleported" for source access_control/);
    expect(first.status).toBe(1);
    await waitFor('40 events stored', () => status().counts.accepted === 40);
    const stored = Number((await service.db.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE source = 'access_control' AND occurred_at >= '2026-11-21T09:00:00Z' AND occurred_at < '2026-11-21T10:00:00Z'")).rows[0].n);
    expect(stored).toBe(40);
    expect(await streamMessages()).toBe(40);

    const again = await vigil('publish', file, '--nats', broker.url, '--subject', cfg.subject);
    expect(again.stdout).toContain('41 record(s) read, 0 published, 40 duplicate(s) (already in the stream)');
    expect(await streamMessages()).toBe(40);
    expect(status().counts).toMatchObject({ accepted: 40, rejected: 0 });
  });

  it('publishes the real UCI Online Retail sample (cancellations become pos events) and they arrive', async () => {
    const before = status().counts.accepted;
    const inStream = await streamMessages();
    const r = await vigil('publish', data('retail/online-retail-2010-12-sample.csv'), '--profile', 'uci-online-retail', '--site', 'store-101', '--nats', broker.url, '--subject', cfg.subject);
    expect(r.status).toBe(0);
    const m = /(\d+) record\(s\) read, (\d+) published, 0 duplicate\(s\) \(already in the stream\), (\d+) skipped \(not events\), 0 rejected/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    const [read, published, skipped] = m!.slice(1).map(Number);
    expect(read + skipped).toBe(9999); // every data row of the sample, as an event or skipped
    expect(published).toBe(read);
    expect(published).toBeGreaterThan(0);
    expect(await streamMessages()).toBe(inStream + published);
    await waitFor('every published event stored', () => status().counts.accepted === before + published);
    const stored = Number((await service.db.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE 'uci-%'")).rows[0].n);
    expect(stored).toBe(published);

    const again = await vigil('publish', data('retail/online-retail-2010-12-sample.csv'), '--profile', 'uci-online-retail', '--site', 'store-101', '--nats', broker.url, '--subject', cfg.subject);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`${read} record(s) read, 0 published, ${published} duplicate(s)`);
  });

  it('says so when no stream captures the subject', async () => {
    const file = join(dir, 'one.ndjson');
    writeFileSync(file, `${JSON.stringify({ source: 'cctv', type: 'motion', occurredAt: '2026-11-21T09:00:00Z', site: 'store-101' })}\n`);
    const r = await vigil('publish', file, '--nats', broker.url, '--subject', `nobody.listens.${randomBytes(3).toString('hex')}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no JetStream stream captures subject nobody\.listens\./);
  });
});
