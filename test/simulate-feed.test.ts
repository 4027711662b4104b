/**
 * `vigil simulate --url`: the simulator feeds a running service over HTTP, and the service stores
 * exactly the simulated events (a second feed of the same window only finds duplicates).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/api/server.js';
import { feedService } from '../src/cli/simulate.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { simulateEvents } from '../src/sim/stream.js';

const config = loadDemoConfig();
let service: Service;
let app: FastifyInstance;
let url = '';

beforeAll(async () => {
  service = await createService({ config, dataDir: 'memory://', adminToken: 'feed-token' });
  app = await buildServer(service);
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await service?.close();
});

describe('simulate --url', () => {
  it('stores the simulated stream once, however often it is fed', async () => {
    const opts = { seed: 5, start: new Date('2026-11-16T00:00:00Z'), end: new Date('2026-11-16T06:00:00Z') };
    const events = simulateEvents(config, opts);
    expect(events.length).toBeGreaterThan(500); // more than one request
    const first = await feedService(url, 'feed-token', events);
    expect(first).toEqual({ sent: events.length, accepted: events.length, duplicates: 0 });
    const again = await feedService(url, 'feed-token', simulateEvents(config, opts));
    expect(again).toEqual({ sent: events.length, accepted: 0, duplicates: events.length });
    const n = await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`);
    expect(Number(n.rows[0].n)).toBe(events.length);
  });

  it('stops with the service message when the token is refused', async () => {
    await expect(feedService(url, 'wrong-token', simulateEvents(config, { seed: 5, start: new Date('2026-11-16T00:00:00Z'), end: new Date('2026-11-16T00:10:00Z') }))).rejects.toThrow(/401/);
  });
});
