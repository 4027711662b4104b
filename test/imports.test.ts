/**
 * Imports into a running server, through real HTTP on both stores: a 100,000-row access-control
 * export lands whole with its progress shown; a bad row in the middle lands nothing; multipart
 * uploads; bad options refused before any 202; site scope.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/api/auth.js';
import type { ImportView } from '../src/api/routes/imports.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { accessExport } from './helpers/access-export.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'imports-admin-token';
const ROWS = 100_000;

describe.each(TEST_STORES)('imports on $name', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let drop: () => Promise<void> = async () => {};
  let scoped: string;

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: loadDemoConfig(), ...(s.dataDir ? { dataDir: s.dataDir } : {}), ...(s.databaseUrl ? { databaseUrl: s.databaseUrl } : {}), adminToken: ADMIN });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    scoped = (await createApiToken(service.db, { name: 'feeder-102', role: 'ingest', sites: ['store-102'], now: new Date() })).token;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop();
  });

  const post = async (query: string, body: BodyInit, token = ADMIN, type = 'text/csv') => {
    const res = await fetch(`${base}/api/v1/imports${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(typeof body === 'string' ? { 'content-type': type } : {}) }, body });
    return { status: res.status, body: (await res.json()) as ImportView & { error: any } };
  };
  const get = async (id: string, token = ADMIN) => {
    const res = await fetch(`${base}/api/v1/imports/${id}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as ImportView };
  };
  /** Follows an import to its end, keeping every view seen. */
  const follow = async (id: string) => {
    const seen: ImportView[] = [];
    for (;;) {
      const v = (await get(id)).body;
      seen.push(v);
      if (v.state !== 'running') return seen;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const count = async (prefix: string) =>
    Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE $1`, [`generic-access-control-${prefix}%`])).rows[0].n);

  it('a 100,000-row export posted raw lands whole, with its progress shown until done', async () => {
    const text = accessExport(ROWS, 'big');
    const r = await post('?format=csv&profile=generic-access-control&site=store-101', text);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ state: 'running', format: 'csv', profile: 'generic-access-control', site: 'store-101', progress: { bytesTotal: Buffer.byteLength(text) } });
    const seen = await follow(r.body.id);
    // Progress only moves forward, and never past the file.
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].progress.rows).toBeGreaterThanOrEqual(seen[i - 1].progress.rows);
      expect(seen[i].progress.bytes).toBeGreaterThanOrEqual(seen[i - 1].progress.bytes);
    }
    for (const v of seen) expect(v.progress.bytes).toBeLessThanOrEqual(v.progress.bytesTotal);
    const end = seen[seen.length - 1];
    expect(end.state).toBe('done');
    expect(end.progress).toMatchObject({ phase: 'finished', rows: ROWS, bytes: Buffer.byteLength(text), bytesTotal: Buffer.byteLength(text) });
    expect(end.counts).toMatchObject({ read: ROWS, accepted: ROWS, duplicates: 0, rejected: 0 });
    expect(end.problems).toEqual([]);
    expect(await count('big')).toBe(ROWS);
    const types = await service.db.query<{ type: string; n: number; dir: string }>(
      `SELECT type, details->>'direction' AS dir, count(*)::int AS n FROM events WHERE source_event_id LIKE 'generic-access-control-big%' GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const denied = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 7 === 0);
    const tally = (pred: (i: number) => boolean) => Array.from({ length: ROWS }, (_, i) => i).filter(pred).length;
    expect(types.rows).toEqual([
      { type: 'access_denied', dir: 'in', n: denied.filter((i) => i % 2 === 0).length },
      { type: 'access_denied', dir: 'out', n: denied.filter((i) => i % 2 === 1).length },
      { type: 'access_granted', dir: 'in', n: tally((i) => i % 7 !== 0 && i % 2 === 0) },
      { type: 'access_granted', dir: 'out', n: tally((i) => i % 7 !== 0 && i % 2 === 1) },
    ]);
    // The same file again: every row a duplicate, nothing new.
    const again = await post('?format=csv&profile=generic-access-control&site=store-101', text);
    const end2 = (await follow(again.body.id)).pop()!;
    expect(end2.counts).toMatchObject({ accepted: 0, duplicates: ROWS, rejected: 0 });
    expect(await count('big')).toBe(ROWS);
  }, 300_000);

  it('a bad row in the middle of a 100,000-row file lands nothing, and names the row', async () => {
    const text = accessExport(ROWS, 'half', 50_001);
    const r = await post('?profile=generic-access-control&site=store-101&name=export.csv', text);
    expect(r.status).toBe(202);
    const end = (await follow(r.body.id)).pop()!;
    expect(end.state).toBe('failed');
    expect(end.counts).toMatchObject({ read: ROWS, accepted: 0, rejected: 1 });
    expect(end.problems).toEqual([expect.objectContaining({ row: 50_001, path: 'Result', message: expect.stringMatching(/unknown result "Exploded"/) })]);
    expect(end.error).toMatch(/nothing of the file was written/);
    expect(await count('half')).toBe(0);
    // The table keeps what happened.
    const row = (await service.db.query<{ state: string; rejected: number }>(`SELECT state, rejected::int AS rejected FROM imports WHERE id = $1`, [r.body.id])).rows[0];
    expect(row).toEqual({ state: 'failed', rejected: 1 });
  }, 300_000);

  it('takes a multipart upload with its fields, and reports what a POSLog held', async () => {
    const xml = readFileSync(fileURLToPath(new URL('../../shared/data/poslog/SMALL.xml', import.meta.url)));
    const form = new FormData();
    form.set('site', 'store-101');
    form.set('file', new Blob([xml], { type: 'application/xml' }), 'SMALL.xml');
    const r = await post('', form);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ format: 'poslog', fileName: 'SMALL.xml', site: 'store-101' });
    const end = (await follow(r.body.id)).pop()!;
    expect(end.state).toBe('done');
    const transactions = (xml.toString().match(/<Transaction>/g) ?? []).length;
    expect(end.kinds.transactions).toBe(transactions);
    expect(Object.values(end.skippedWhy).reduce((n, w) => n + w.count, 0)).toBe(end.counts.skipped);
    const list = await fetch(`${base}/api/v1/imports`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await list.json()) as { items: ImportView[] }).items[0].id).toBe(r.body.id);
  });

  it('refuses bad options before any 202, and honours the site scope', async () => {
    const bad = await post('?profile=nope&site=store-101', 'a,b\n1,2\n');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: 'profile', message: expect.stringMatching(/generic-access-control/) });
    const site = await post('?site=store-999', accessExport(1, 'x'));
    expect(site.status).toBe(400);
    const empty = await post('?site=store-101', '');
    expect(empty.status).toBe(400);
    // A feeder of store-102 may not import for store-101 ...
    const foreign = await post('?profile=generic-access-control&site=store-101', accessExport(3, 'scope'), scoped);
    expect(foreign.status).toBe(403);
    // ... and rows of a file that name store-101 are rejected with their rows.
    const rows = 'Timestamp,Badge,Door,Result,Direction,Event ID,Site\n2026-11-16T14:00:00Z,B-1,cr-101-sr,granted,in,s1,store-101\n';
    const r = await post('?profile=generic-access-control', rows, scoped);
    expect(r.status).toBe(202);
    const end = (await follow(r.body.id)).pop()!;
    expect(end.state).toBe('failed');
    expect(end.problems[0]).toMatchObject({ row: 2, message: expect.stringMatching(/store-102/) });
    // Someone else's import is not found for a scoped caller.
    expect((await get(end.id, scoped)).status).toBe(200);
    const admins = (await post('?format=csv&profile=generic-access-control&site=store-101', accessExport(1, 'own'))).body.id;
    expect((await get(admins, scoped)).status).toBe(404);
  });
});
