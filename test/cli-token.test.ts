/**
 * `vigil token` as a user runs it (the compiled CLI): a token is printed once on the last line
 * and stored only as its hash; list and revoke; a duplicate name and an unknown name exit 1, bad
 * usage exits 2. While a server holds the embedded store the command says so and exits 1, and with
 * --url it goes through that server's API instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/service.js';
import { openDb } from '../src/store/db.js';
import { BIN, startServer } from './helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-token-'));
const env = { ...process.env, VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_LOG_LEVEL: 'silent', VIGIL_URL: '', VIGIL_TOKEN: '', VIGIL_ADMIN_TOKEN: '' };
const vigil = (args: string[], extra: Record<string, string> = {}) => spawnSync(process.execPath, [BIN, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 });
/** The same, asynchronously (while a server runs in another child of this process). */
const vigilAsync = (args: string[], extra: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extra } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) ?? '';
/** Each command opens the embedded store in a new process (a few seconds on a loaded machine). */
const SLOW = 120_000;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil token', () => {
  it('creates a token once, stores only its hash, lists and revokes it', async () => {
    const made = vigil(['token', 'create', 'east-feed', '--role', 'ingest', '--sites', 'store-101', '--expires', '30d']);
    expect(made.status, made.stderr).toBe(0);
    const token = lastLine(made.stdout);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(made.stdout).toMatch(/shown once/i);

    const dup = vigil(['token', 'create', 'east-feed', '--role', 'guard']);
    expect(dup.status).toBe(1);
    expect(dup.stderr).toMatch(/east-feed.*already/);
    expect(dup.stdout).toBe('');

    const list = vigil(['token', 'list']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/east-feed\s+ingest\s+store-101\s+active/);
    expect(list.stdout).not.toContain(token);

    const revoke = vigil(['token', 'revoke', 'east-feed']);
    expect(revoke.status, revoke.stderr).toBe(0);
    expect(revoke.stdout).toMatch(/Revoked token "east-feed"/);

    // The store holds the hash, never the token, and the revocation.
    const db = await openDb({ dataDir: env.VIGIL_DATA_DIR });
    try {
      const rows = (await db.query<{ name: string; token_hash: string; role: string; sites: string[]; expires_at: Date | null; revoked_at: Date | null }>(`SELECT name, token_hash, role, sites, expires_at, revoked_at FROM api_tokens`)).rows;
      expect(rows.map((r) => [r.name, r.token_hash, r.role, r.sites])).toEqual([['east-feed', hashToken(token), 'ingest', ['store-101']]]);
      const days = (rows[0].expires_at!.getTime() - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThanOrEqual(30);
      expect(rows[0].revoked_at).not.toBeNull();
      const dump = JSON.stringify((await db.query(`SELECT * FROM api_tokens`)).rows);
      expect(dump).not.toContain(token);
    } finally {
      await db.close();
    }
  }, SLOW);

  it('answers bad usage with exit code 2', () => {
    expect(vigil(['token', 'create', 'x', '--role', 'wizard']).status).toBe(2);
    expect(vigil(['token', 'create', 'x']).status).toBe(2);
    expect(vigil(['token', 'create', 'x', '--role', 'guard', '--expires', 'soon']).status).toBe(2);
    expect(vigil(['token', 'create', 'x', '--role', 'guard', '--sites', 'Store 1']).status).toBe(2);
  });

  it('says the running server holds the store, and goes through its API with --url', async () => {
    const admin = 'cli-token-admin';
    const server = await startServer(['--config', join(process.cwd(), 'src/config/demo.yaml')], { VIGIL_DATA_DIR: env.VIGIL_DATA_DIR, VIGIL_ADMIN_TOKEN: admin });
    try {
      const held = await vigilAsync(['token', 'create', 'ci', '--role', 'auditor']);
      expect(held.status).toBe(1);
      expect(held.stderr).toMatch(/in use by `vigil serve`/);
      expect(held.stderr).toContain('--url');

      const made = await vigilAsync(['token', 'create', 'ci', '--role', 'auditor', '--url', server.url], { VIGIL_TOKEN: admin });
      expect(made.status, made.stderr).toBe(0);
      const token = lastLine(made.stdout);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const res = await fetch(`${server.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);

      const dup = await vigilAsync(['token', 'create', 'ci', '--role', 'auditor', '--url', server.url, '--token', admin]);
      expect(dup.status).toBe(1);
      expect(dup.stderr).toMatch(/already/);
      const list = await vigilAsync(['token', 'list'], { VIGIL_URL: server.url, VIGIL_TOKEN: admin });
      expect(list.status, list.stderr).toBe(0);
      expect(list.stdout).toMatch(/ci\s+auditor\s+\(all sites\)\s+active/);
      const revoke = await vigilAsync(['token', 'revoke', 'ci'], { VIGIL_URL: server.url, VIGIL_TOKEN: admin });
      expect(revoke.status, revoke.stderr).toBe(0);
      expect((await fetch(`${server.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
      const again = await vigilAsync(['token', 'revoke', 'ci'], { VIGIL_URL: server.url, VIGIL_TOKEN: admin });
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/active token named ci not found/);
      const noToken = await vigilAsync(['token', 'list', '--url', server.url]);
      expect(noToken.status).toBe(1);
      expect(noToken.stderr).toMatch(/token/);
    } finally {
      await server.stop();
    }
  }, SLOW);
});
