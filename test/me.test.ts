/**
 * GET /api/v1/me: the caller's name, role, sites and permissions, and the configured guard a
 * principal is (by id or name, case-insensitively, within its sites), on both stores.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createApiToken } from '../src/api/auth.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { TEST_STORES } from './helpers/stores.js';

describe.each(TEST_STORES)('GET /api/v1/me on $name', (store) => {
  let service: Service | undefined;
  let app: FastifyInstance | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await app?.close();
    await service?.close();
    await drop?.();
    app = service = undefined;
  });

  it('names the caller and the guard they are', async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: loadDemoConfig(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, adminToken: 'me-admin' });
    app = await buildServer(service);
    const me = async (token: string) => {
      const res = await app!.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
      return { status: res.statusCode, body: res.json() };
    };
    const token = async (name: string, role: string, sites: string[]) => (await createApiToken(service!.db, { name, role, sites })).token;

    expect((await me('me-admin')).body).toEqual({ name: 'admin', role: 'admin', sites: null, permissions: expect.arrayContaining(['tokens:manage', 'patrols:act']), guard: null });
    // By id, by name (any case), and not outside the token's sites.
    expect((await me(await token('guard-101-2', 'guard', ['store-101']))).body).toMatchObject({ role: 'guard', sites: ['store-101'], permissions: ['read', 'patrols:act', 'notes:write'], guard: { id: 'guard-101-2', name: 'Jordan Lee', site: 'store-101' } });
    expect((await me(await token('sam ortiz', 'guard', ['store-101']))).body.guard).toEqual({ id: 'guard-101-1', name: 'Sam Ortiz', site: 'store-101' });
    expect((await me(await token('Sam Ortiz', 'guard', ['dc-201']))).body.guard).toBeNull();
    expect((await me(await token('night lead', 'security_lead', []))).body).toMatchObject({ role: 'security_lead', sites: null, guard: null });
    // An ingest token reads nothing, itself included; a bad token is 401.
    expect((await me(await token('feeder', 'ingest', ['store-101']))).status).toBe(403);
    expect((await me('not-a-token')).status).toBe(401);
  });
});
