/**
 * Hostile and malformed input at the HTTP edge: deeply nested JSON, prototype keys, wrong types,
 * oversized details, control characters. Each gets a 400 that says what and where, and nothing is stored.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';

let service: Service;
let app: FastifyInstance;
const auth = { authorization: 'Bearer hostile-admin', 'content-type': 'application/json' };
const good = { source: 'alarm', type: 'intrusion', occurredAt: '2026-11-20T02:00:00-05:00', site: 'store-101', zone: 'stockroom' };

beforeAll(async () => {
  service = await createService({ config: loadDemoConfig(), dataDir: 'memory://', adminToken: 'hostile-admin' });
  app = await buildServer(service);
});
afterAll(async () => {
  await app?.close();
  await service?.close();
});

const stored = async () => Number((await service.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0].n);
const post = (payload: string) => app.inject({ method: 'POST', url: '/api/v1/events', headers: auth, payload });

describe('hostile input', () => {
  it('refuses details nested 100,000 levels deep with a 400, not a crash', async () => {
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const res = await post(`{"source":"alarm","type":"intrusion","occurredAt":"2026-11-20T02:00:00-05:00","site":"store-101","details":${deep}}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe('details');
    expect(await stored()).toBe(0);
  });

  it('refuses __proto__ keys', async () => {
    const res = await post(`{"source":"alarm","type":"intrusion","occurredAt":"2026-11-20T02:00:00-05:00","site":"store-101","__proto__":{"admin":true}}`);
    expect(res.statusCode).toBe(400);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('names every wrong type with its path', async () => {
    const res = await post(JSON.stringify([good, { ...good, site: 101, zone: ['x'], assets: 'safe-1', amount: { value: 'ten', currency: 'usd' } }]));
    expect(res.statusCode).toBe(400);
    const paths = res.json().error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['[1].amount.currency', '[1].assets', '[1].site', '[1].zone']);
    expect(await stored()).toBe(0);
  });

  it('refuses oversized details and unknown fields', async () => {
    const big = await post(JSON.stringify({ ...good, details: { blob: 'x'.repeat(20_000) } }));
    expect(big.statusCode).toBe(400);
    expect(big.json().error.details[0].message).toMatch(/at most 16384 bytes/);
    const extra = await post(JSON.stringify({ ...good, severity: 'critical' }));
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.details[0].message).toMatch(/unknown field\(s\) severity/);
    expect(await stored()).toBe(0);
  });

  it('refuses a NUL character (which the store cannot hold) by its path', async () => {
    const res = await post(JSON.stringify({ ...good, sourceEventId: 'h-0', details: { items: [{ note: 'a\u0000b' }] } }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0]).toMatchObject({ path: 'details.items[0].note', message: expect.stringMatching(/NUL character/) });
    expect(await stored()).toBe(0);
  });

  it('keeps other control characters and markup in details as data', async () => {
    const res = await post(JSON.stringify({ ...good, sourceEventId: 'h-1', details: { note: '<script>alert(1)</script>\u0007\u001b' } }));
    expect(res.statusCode).toBe(202);
    const r = await app.inject({ method: 'GET', url: '/api/v1/events?limit=1', headers: auth });
    expect(r.json().items[0].details.note).toBe('<script>alert(1)</script>\u0007\u001b');
  });
});
