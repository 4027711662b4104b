/**
 * Fault test: kill -9 the server in the middle of a large ingest over HTTP, restart it, and find
 * every event that was acknowledged (202) before the kill exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../src/store/db.js';
import { DEMO_CONFIG, startServer, type ServerProcess } from './helpers/server-process.js';

const TOKEN = 'fault-admin-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'vigil-kill-'));
const env = { VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_ADMIN_TOKEN: TOKEN };
let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const zones = ['sales-floor', 'stockroom', 'back-hall', 'cash-office', 'entrance'];
const types: [string, string][] = [['cctv', 'motion'], ['access_control', 'door_forced'], ['alarm', 'intrusion'], ['access_control', 'access_granted'], ['device', 'heartbeat']];

function batch(worker: number, n: number, size: number) {
  return Array.from({ length: size }, (_, k) => {
    const i = n * size + k;
    const [source, type] = types[i % types.length];
    return {
      source, type, sourceEventId: `kill-${worker}-${i}`,
      occurredAt: new Date(Date.parse('2026-11-20T06:00:00Z') + (worker * 100_000 + i) * 1000).toISOString(),
      site: 'store-101', zone: zones[i % zones.length], device: type === 'heartbeat' ? 'cam-101-co' : undefined,
    };
  });
}

describe('kill -9 during ingest', () => {
  it('loses no acknowledged event and stores none twice', async () => {
    server = await startServer(['--config', DEMO_CONFIG], env);
    const acked = new Set<string>();
    let sent = 0;
    let killed = false;
    const worker = async (w: number) => {
      for (let n = 0; n < 400 && !killed; n++) {
        const events = batch(w, n, 25);
        sent += events.length;
        try {
          const res = await fetch(`${server!.url}/api/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify(events),
          });
          if (res.status === 202) for (const e of events) acked.add(e.sourceEventId);
        } catch {
          return; // the server is gone
        }
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    // Kill once a good share of the ingest is acknowledged, while requests are in flight.
    const deadline = Date.now() + 60_000;
    while (acked.size < 1500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    killed = true;
    await server.stop('SIGKILL');
    await Promise.all(workers);
    expect(acked.size).toBeGreaterThanOrEqual(1500);
    expect(sent).toBeGreaterThan(acked.size); // some requests were cut off unanswered

    // Restart: the store recovers and serves.
    server = await startServer(['--config', DEMO_CONFIG], env);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await server.stop('SIGTERM')).toBe(0);
    server = undefined;

    const db = await openDb({ dataDir: env.VIGIL_DATA_DIR });
    try {
      const rows = (await db.query<{ sid: string; n: number }>(`SELECT source_event_id AS sid, count(*)::int AS n FROM events WHERE source_event_id LIKE 'kill-%' GROUP BY source_event_id`)).rows;
      const stored = new Map(rows.map((r) => [r.sid, Number(r.n)]));
      const missing = [...acked].filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
