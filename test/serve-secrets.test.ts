/**
 * What `vigil serve` keeps out of logs and out of reach: the generated admin token goes to an
 * owner-only file when the output is not a terminal; the demo's SMS credentials are its own per
 * data directory (the published demo token cannot sign an SMS reply); alert links lead to the port
 * the server really listens on; probes get a port of their own when asked for (VIGIL_OPS_PORT).
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioSignature } from '../src/api/routes/response.js';
import { adminTokenLine, useDemoSecrets } from '../src/cli/serve.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'vigil-serve-'));

describe('secrets of vigil serve', () => {
  it('prints the generated admin token on a terminal only, and otherwise writes it to an owner-only file', () => {
    const dir = fresh();
    expect(adminTokenLine('tok-terminal-123', dir, true)).toContain('tok-terminal-123');
    const line = adminTokenLine('tok-piped-456', dir, false);
    expect(line).not.toContain('tok-piped-456');
    expect(line).toContain(join(dir, 'admin-token'));
    expect(readFileSync(join(dir, 'admin-token'), 'utf8').trim()).toBe('tok-piped-456');
    expect(statSync(join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
  });

  it("gives the demo an SMS auth token of its own per data directory, kept across restarts", () => {
    const published = (loadDemoConfig().notify.sms as { authToken: string }).authToken;
    const a = fresh();
    const b = fresh();
    const first = loadDemoConfig();
    useDemoSecrets(first, a);
    const again = loadDemoConfig();
    useDemoSecrets(again, a);
    const other = loadDemoConfig();
    useDemoSecrets(other, b);
    const token = (c: typeof first) => (c.notify.sms as { authToken: string }).authToken;
    expect(token(first)).not.toBe(published);
    expect(token(first).length).toBeGreaterThanOrEqual(24);
    expect(token(again)).toBe(token(first));
    expect(token(other)).not.toBe(token(first));
    expect(statSync(join(a, 'demo-secrets.json')).mode & 0o777).toBe(0o600);
  });
});

describe('a demo server started with its output piped', () => {
  let server: ServerProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = fresh();
    // With an operations port of its own for probes (any free one).
    const env: Record<string, string> = { VIGIL_DATA_DIR: dataDir, VIGIL_OPS_PORT: '0' };
    delete process.env.VIGIL_ADMIN_TOKEN;
    server = await startServer(['--demo'], env);
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps the admin token out of its output, in a file that works as the token', async () => {
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(20);
    expect(server.output()).not.toContain(token);
    expect(server.output()).toContain(join(dataDir, 'admin-token'));
    const r = await fetch(`${server.url}/api/v1/incidents?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
  });

  it('answers probes on its operations port, which serves nothing of the API', async () => {
    const m = /Health:\s+(http:\/\/\S+)\/healthz/.exec(server.output());
    expect(m).not.toBeNull();
    const ops = m![1];
    expect(new URL(ops).port).not.toBe(new URL(server.url).port);
    const h = await fetch(`${ops}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: 'ok', store: 'pglite', role: 'all' });
    expect((await fetch(`${ops}/metrics`)).status).toBe(200);
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect((await fetch(`${ops}/api/v1/incidents`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });

  it('refuses an SMS reply signed with the published demo token', async () => {
    const published = (loadDemoConfig().notify.sms as { authToken: string }).authToken;
    const params = { From: '+15550000100', Body: 'ACK 1234' };
    const url = `${server.url}/webhooks/sms/inbound`;
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(published, url, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(r.status).toBe(403);
  });

  it('links alerts to the address it listens on', async () => {
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const post = await fetch(`${server.url}/api/v1/events`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ source: 'access_control', type: 'door_forced', sourceEventId: 'link-1', occurredAt: '2026-11-20T02:14:00-05:00', site: 'store-101', zone: 'cash-office', assets: ['safe-1'], details: {} }),
    });
    expect(post.status).toBe(202);
    const incident = (await post.json()) as { ids: string[] };
    expect(incident.ids).toHaveLength(1);
    let bodies: string[] = [];
    for (let i = 0; i < 50 && bodies.length === 0; i++) {
      const list = (await (await fetch(`${server.url}/api/v1/notifications?channel=sms`, { headers: auth })).json()) as { items: { body: string; kind: string }[] };
      bodies = list.items.filter((n) => n.kind.startsWith('emergency')).map((n) => n.body);
      if (bodies.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(bodies.length).toBeGreaterThan(0);
    for (const b of bodies) expect(b).toContain(`${server.url}/#incident=`);
  });
});
