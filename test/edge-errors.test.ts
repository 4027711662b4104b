/**
 * Every refusal at the HTTP edge comes in the contract error shape, including those that Node's
 * parser and Fastify's router answer before a route runs (400 bad URL, 408, 414, 431), and
 * text/plain to the events route is 415. /metrics can be open, off or behind its own token.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
