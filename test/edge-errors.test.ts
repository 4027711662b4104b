/**
 * Every refusal at the HTTP edge comes in the contract error shape, including those that Node's
 * parser and Fastify's router answer before a route runs (400 bad URL, 408, 414, 431), and
 * text/plain to the events route is 415. /metrics can be open, off or behind its own token.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOps, listenOps } from '../src/api/ops-listener.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { postHead, rawConnect, rawJson } from './helpers/raw-http.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'edge-errors-admin';
const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };
const contract = (code: string) => ({ error: { code, message: expect.any(String), details: [] } });

describe.each(TEST_STORES)('errors at the edge ($name)', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let url: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: loadDemoConfig(), ...s, adminToken: ADMIN });
    app = await buildServer(service, { timeouts: { requestTimeoutMs: 1500, headersTimeoutMs: 1000 } });
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop?.();
  });

  it('answers 415 to text/plain on the events route', async () => {
    const res = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'hello' });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual(contract('unsupported_media_type'));
  });

  it('answers 414 for an over-long path segment and 400 for a malformed URL in the contract shape', async () => {
    const long = await fetch(`${url}/api/v1/incidents/${'a'.repeat(300)}`, { headers: auth });
    expect(long.status).toBe(414);
    expect(await long.json()).toEqual(contract('uri_too_long'));
    const bad = await fetch(`${url}/api/v1/incidents/%E0%A4%A`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual(contract('invalid'));
  });

  it('answers 431 for oversized headers and 408 for a body that never ends, in the contract shape', async () => {
    const big = await rawConnect(url, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
    expect(await big.status()).toBe(431);
    await big.closed;
    expect(rawJson(big.received())).toEqual(contract('headers_too_large'));
    const slow = await rawConnect(url, postHead('/api/v1/events', { ...auth, 'content-type': 'application/json', 'content-length': 1000 }) + '[');
    expect(await slow.status(20_000)).toBe(408);
    await slow.closed;
    expect(rawJson(slow.received())).toEqual(contract('request_timeout'));
  });

  it('serves /metrics open, off, or behind its own token', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    const off = await buildServer(service, { metrics: { mode: 'off' } });
    const tok = await buildServer(service, { metrics: { mode: 'token', token: METRICS_TOKEN } });
    try {
      const r = await off.inject({ method: 'GET', url: '/metrics' });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toEqual(contract('not_found'));
      const none = await tok.inject({ method: 'GET', url: '/metrics' });
      expect(none.statusCode).toBe(401);
      expect(none.json()).toEqual(contract('unauthorized'));
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      // An API token is not the metrics token.
      expect((await tok.inject({ method: 'GET', url: '/metrics', headers: auth })).statusCode).toBe(401);
      const ok = await tok.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('vigil_events_ingested_total');
      expect((await tok.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await off.close();
      await tok.close();
    }
  });

  it('answers /healthz and /metrics on the operations port, and nothing else there', async () => {
    const open = await listenOps(service, { port: 0, host: '127.0.0.1', metrics: { mode: 'on' }, role: 'all' });
    const tok = await listenOps(service, { port: 0, host: '127.0.0.1', metrics: { mode: 'token', token: METRICS_TOKEN }, role: 'api' });
    const off = await listenOps(service, { port: 0, host: '127.0.0.1', metrics: { mode: 'off' }, role: 'api' });
    try {
      // A port of its own, not the API's.
      expect(new URL(open.url).port).not.toBe(new URL(url).port);
      const h = await fetch(`${open.url}/healthz`);
      expect(h.status).toBe(200);
      expect(await h.json()).toEqual({ status: 'ok', store: service.db.kind, role: 'all', checkedMsAgo: expect.any(Number) });
      const m = await fetch(`${open.url}/metrics`);
      expect(m.status).toBe(200);
      expect(await m.text()).toContain('vigil_events_ingested_total');
      // The API is not reachable through it, even with a valid token.
      const api = await fetch(`${open.url}/api/v1/incidents`, { headers: auth });
      expect(api.status).toBe(404);
      expect(await api.json()).toEqual(contract('not_found'));
      expect((await fetch(`${open.url}/healthz`, { method: 'POST', body: '{}' })).status).toBe(404);
      // /metrics behind its own token, or off, as on the API port.
      const none = await fetch(`${tok.url}/metrics`);
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual(contract('unauthorized'));
      expect((await fetch(`${tok.url}/metrics`, { headers: auth })).status).toBe(401);
      expect((await fetch(`${tok.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
      expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
      expect((await fetch(`${off.url}/healthz`)).status).toBe(200);
    } finally {
      for (const o of [open, tok, off]) await closeOps(o);
    }
  });

  it('says unavailable on the operations port when the store stops answering, or answers no more', async () => {
    const log = { warn: () => undefined };
    const failing = { db: { kind: 'pglite', query: async () => Promise.reject(new Error('store gone')) }, log, metrics: service.metrics } as unknown as Service;
    const hanging = { db: { kind: 'pglite', query: () => new Promise(() => undefined) }, log, metrics: service.metrics } as unknown as Service;
    const down = await listenOps(failing, { port: 0, host: '127.0.0.1', metrics: { mode: 'on' }, role: 'all' });
    const stuck = await listenOps(hanging, { port: 0, host: '127.0.0.1', metrics: { mode: 'on' }, role: 'all' });
    try {
      const r = await fetch(`${down.url}/healthz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ status: 'unavailable', store: 'pglite', error: 'the store did not answer' });
      // A store that never answers: no check ever succeeds, and the probe is told so rather than left waiting with it.
      expect((await fetch(`${stuck.url}/healthz`)).status).toBe(503);
    } finally {
      await closeOps(down);
      await closeOps(stuck);
    }
  });
});
