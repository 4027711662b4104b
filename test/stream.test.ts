/**
 * The live stream (server-sent events): a client connected to /api/v1/stream hears about a new
 * incident, and a site-scoped token hears nothing of other sites.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/api/auth.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';

let service: Service;
let app: FastifyInstance;
let url = '';

beforeAll(async () => {
  service = await createService({ config: loadDemoConfig(), dataDir: 'memory://', adminToken: 'stream-admin' });
  app = await buildServer(service);
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await service?.close();
});

/** Reads server-sent events until `until` says stop or the time runs out. */
async function listen(token: string, ms: number, until: (events: { event: string; data: any }[]) => boolean) {
  const ctrl = new AbortController();
  const res = await fetch(`${url}/api/v1/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events: { event: string; data: any }[] = [];
  const reader = res.body!.getReader();
  const timer = setTimeout(() => ctrl.abort(), ms);
  let buf = '';
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      let k: number;
      while ((k = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, k);
        buf = buf.slice(k + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return events;
}

describe('GET /api/v1/stream', () => {
  it('tells connected clients about new incidents, within their site scope', async () => {
    const { token: scoped } = await createApiToken(service.db, { name: 'dc only', role: 'manager', sites: ['dc-201'] });
    const all = listen('stream-admin', 10_000, (evs) => evs.some((e) => e.event === 'incident.opened'));
    const dcOnly = listen(scoped, 2_500, () => false);
    await new Promise((r) => setTimeout(r, 300)); // both connected
    const r = await service.pipeline.ingest([
      { source: 'access_control', type: 'door_forced', sourceEventId: 'sse-1', occurredAt: '2026-11-20T07:14:00.000Z', site: 'store-101', zone: 'cash-office', details: {} },
    ]);
    const seen = await all;
    expect(seen.find((e) => e.event === 'incident.opened')?.data.incidentId).toBe(r.incidentsOpened[0]);
    expect((await dcOnly).filter((e) => e.data.incidentId === r.incidentsOpened[0])).toEqual([]);
  });
});
