/**
 * End to end: the real `vigil serve` process on a fresh embedded store, driven over HTTP like a
 * user would, then restarted to check that the data is still there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, DEMO_CONFIG, startServer, type ServerProcess } from './helpers/server-process.js';

const TOKEN = 'e2e-admin-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
const env = { VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_ADMIN_TOKEN: TOKEN };
let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const api = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${server!.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  return { status: res.status, body: (await res.json()) as any };
};

describe('vigil serve, end to end', () => {
  it('turns a forced door into an explained critical incident and keeps it across a restart', async () => {
    server = await startServer(['--config', DEMO_CONFIG], env);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/incidents`)).status).toBe(401);

    const door = {
      source: 'access_control', type: 'door_forced', sourceEventId: 'e2e-door-1', occurredAt: '2026-11-20T02:14:00-05:00',
      site: 'store-101', zone: 'cash-office', device: 'cr-101-co', assets: ['safe-1'],
    };
    const posted = await api('/api/v1/events', { method: 'POST', body: JSON.stringify(door) });
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ accepted: 1, duplicates: 0 });
    const again = await api('/api/v1/events', { method: 'POST', body: JSON.stringify(door) });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1, ids: posted.body.ids });

    const motion = { source: 'cctv', type: 'motion', sourceEventId: 'e2e-motion-1', occurredAt: '2026-11-20T14:00:00-05:00', site: 'store-101', zone: 'sales-floor' };
    expect((await api('/api/v1/events', { method: 'POST', body: JSON.stringify(motion) })).status).toBe(202);

    const list = await api('/api/v1/incidents?site=store-101');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const inc = await api(`/api/v1/incidents/${list.body.items[0].id}`);
    expect(inc.body.type).toBe('unauthorized_entry');
    expect(['high', 'critical']).toContain(inc.body.severity.band);
    const factors = Object.fromEntries(inc.body.severity.factors.map((f: any) => [f.name, f]));
    expect(factors.afterHours.value).toBe(1);
    expect(factors.restrictedZone.value).toBe(1);
    expect(inc.body.assets.map((a: any) => a.id)).toContain('safe-1');
    expect(inc.body.loss.currency).toBe('USD');
    expect(inc.body.workflow.slice(0, 5).map((s: any) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done']);

    const bad = await api('/api/v1/events', { method: 'POST', body: JSON.stringify([{ ...door, sourceEventId: 'e2e-bad', occurredAt: 'yesterday' }]) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('[0].occurredAt');

    // A CLI ingest while the server holds the store says so and goes through the server, which
    // refuses a file that is no event file whole (the configuration is not NDJSON): nothing stored.
    const cli = spawnSync(process.execPath, [BIN, 'ingest', DEMO_CONFIG], { env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/`vigil serve` \(pid \d+\) holds the embedded store; sending the files through http:/);

    expect(await server.stop('SIGTERM')).toBe(0);
    server = await startServer(['--config', DEMO_CONFIG], env);
    const after = await api(`/api/v1/incidents/${list.body.items[0].id}`);
    expect(after.status).toBe(200);
    expect(after.body.events.map((e: any) => e.sourceEventId)).toEqual(['e2e-door-1']);
  });
});
