/**
 * GET /api/v1/jobs through real HTTP on both stores: the scheduled jobs with their cron, time zone,
 * window and next fire time, and the runs the journal holds (a run done by the scheduler shows up
 * with its window, attempts and result). Bearer auth as everywhere under /api.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'jobs-test-admin-token';

describe.each(TEST_STORES)('GET /api/v1/jobs on $name', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let drop: () => Promise<void> = async () => {};
  let clock = new Date('2026-11-20T10:30:00Z'); // 05:30 in New York, before the 06:00 run

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: loadDemoConfig(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, adminToken: ADMIN, now: () => clock });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop();
  });

  const get = async (path: string, token: string | null = ADMIN) => {
    const res = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('needs a token', async () => {
    const r = await get('/api/v1/jobs', null);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  });

  it('lists the checkpoint-patrol job with its schedule and no runs before its first window', async () => {
    // No scheduler has run yet (the service's loops are not started here).
    const r = await get('/api/v1/jobs');
    expect(r.status).toBe(200);
    expect(r.body.nextCursor).toBeNull();
    const job = r.body.items.find((j: { id: string }) => j.id === 'plan-checkpoint-patrols');
    expect(job).toMatchObject({ cron: '0 6 * * *', timezone: 'America/New_York', window: 'day', nextRunAt: '2026-11-20T11:00:00.000Z', runs: [] });
    expect(job.title).toMatch(/checkpoint/i);
  });

  it('shows a run the scheduler did, with its window, attempts and result', async () => {
    clock = new Date('2026-11-20T11:05:00Z');
    await service.scheduler.drain();
    const r = await get('/api/v1/jobs?runs=5');
    const job = r.body.items.find((j: { id: string }) => j.id === 'plan-checkpoint-patrols');
    expect(job.nextRunAt).toBe('2026-11-21T11:00:00.000Z');
    expect(job.runs).toHaveLength(1);
    expect(job.runs[0]).toMatchObject({ window: '2026-11-20', status: 'done', attempts: 1, dueAt: '2026-11-20T11:00:00.000Z', finishedAt: '2026-11-20T11:05:00.000Z', result: { zones: 0, planned: [] }, error: null });
  });

  it('lists every problem of a bad query', async () => {
    const r = await get('/api/v1/jobs?runs=0&x=1');
    expect(r.status).toBe(400);
    expect(r.body.error.details.length).toBeGreaterThanOrEqual(2);
  });
});
