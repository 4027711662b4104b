/**
 * Admission control on POST /api/v1/events: work in flight is counted from a request's first byte,
 * and past the budget a request is refused with 503 and Retry-After before its body is read. Every
 * event of a 202 is stored, none of a 503, and /healthz and /metrics are never refused.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { postHead, rawConnect, type RawConnection } from './helpers/raw-http.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'admission-admin';
const BUDGET = 300_000;

/** A batch of `n` badge swipes, about 250 bytes each, with ids `<prefix>-<i>`. */
const batch = (prefix: string, n: number) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      source: 'access_control',
      type: 'access_granted',
      sourceEventId: `${prefix}-${i}`,
      occurredAt: new Date(Date.parse('2026-11-20T15:00:00Z') + i * 1000).toISOString(),
      site: 'store-101',
      zone: 'sales-floor',
      details: { note: 'x'.repeat(80) },
    })),
  );

describe.each(TEST_STORES)('ingest admission ($name)', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let url: string;
  let drop: () => Promise<void>;
  const open: RawConnection[] = [];

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: loadDemoConfig(), ...s, adminToken: ADMIN });
    app = await buildServer(service, { admission: { maxInflightBytes: BUDGET } });
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  });
  afterAll(async () => {
    for (const c of open) c.socket.destroy();
    await app?.close();
    await service?.close();
    await drop?.();
  });

  const stored = async (prefix: string) => Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE $1`, [`${prefix}-%`])).rows[0].n);
  const inflight = async () => Number(/^vigil_ingest_inflight_bytes (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...headers }, body, duplex: 'half' } as RequestInit);

  it('refuses with 503 and Retry-After while the budget is taken, stores all of each 202 and nothing of a 503', async () => {
    // A: a 200 KB request whose body arrives halfway and waits; it holds its bytes from its first byte.
    const a = batch('adm-a', 700);
    expect(a.length).toBeGreaterThan(BUDGET / 2);
    const held = await rawConnect(url, postHead('/api/v1/events', { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(a) }));
    open.push(held);
    held.socket.write(a.slice(0, 1000));
    for (let i = 0; i < 100 && (await inflight()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await inflight()).toBe(Buffer.byteLength(a));

    // While A is in flight, five more of the same size are refused, and so is one that declares no length.
    const refused = await Promise.all([1, 2, 3, 4, 5].map((k) => post(batch(`adm-r${k}`, 700))));
    const chunked = await post(
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(batch('adm-c', 700)));
          c.close();
        },
      }),
    );
    for (const r of [...refused, chunked]) {
      expect(r.status).toBe(503);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await r.json()).toMatchObject({ error: { code: 'retryable', message: expect.stringMatching(/overloaded/), details: [] } });
    }
    // The ops endpoints are never refused.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);

    // A finishes and is stored whole.
    held.socket.write(a.slice(1000));
    expect(await held.status(20_000)).toBe(202);

    // Concurrent requests once the budget is free: some may be refused, but whatever a 202 took is stored whole.
    const later = await Promise.all([1, 2, 3, 4].map((k) => post(batch(`adm-l${k}`, 700))));
    const statuses = later.map((r) => r.status);
    expect(statuses.every((s) => s === 202 || s === 503)).toBe(true);
    expect(statuses).toContain(202);
    for (const [k, r] of later.entries()) expect(await stored(`adm-l${k + 1}`), `request ${k + 1}: ${r.status}`).toBe(r.status === 202 ? 700 : 0);
    expect(await stored('adm-a')).toBe(700);
    for (const k of [1, 2, 3, 4, 5]) expect(await stored(`adm-r${k}`)).toBe(0);
    expect(await stored('adm-c')).toBe(0);
    expect(await inflight()).toBe(0);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/vigil_ingest_shed_total\{reason="bytes"\} [1-9]/);
  });
});
