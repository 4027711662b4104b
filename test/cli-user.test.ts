/**
 * `vigil user` as a user runs it (the compiled CLI): add with --password-stdin or a generated
 * password printed once, list, disable; the store keeps only scrypt hashes; bad usage exits 2.
 * While a server holds the embedded store the command says so, and with --url it goes through
 * that server's API; a user made that way signs in to that server, and a disabled one cannot.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../src/store/db.js';
import { BIN, startServer } from './helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-user-'));
const env = { ...process.env, VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_LOG_LEVEL: 'silent', VIGIL_URL: '', VIGIL_TOKEN: '', VIGIL_ADMIN_TOKEN: '' };
const vigil = (args: string[], input?: string, extra: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000, ...(input !== undefined ? { input } : { stdio: ['ignore', 'pipe', 'pipe'] }) });
const vigilAsync = (args: string[], input?: string, extra: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extra } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) ?? '';
const SLOW = 120_000;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil user', () => {
  it('adds users (password from stdin, or generated and printed once), lists and disables them', async () => {
    const add = vigil(['user', 'add', 'gina', '--role', 'guard', '--sites', 'store-101', '--password-stdin'], 'a guard password\n');
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/Created user "gina": role guard, sites store-101/);
    expect(add.stdout).not.toContain('a guard password');

    const gen = vigil(['user', 'add', 'mia', '--role', 'manager']);
    expect(gen.status, gen.stderr).toBe(0);
    const password = lastLine(gen.stdout);
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(gen.stdout).toMatch(/shown once/);

    const dup = vigil(['user', 'add', 'GINA', '--role', 'guard', '--password-stdin'], 'another password');
    expect(dup.status).toBe(1);
    expect(dup.stderr).toMatch(/GINA.*already exists/);

    const list = vigil(['user', 'list']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/gina\s+guard\s+store-101\s+active\s+never/);
    expect(list.stdout).toMatch(/mia\s+manager\s+\(all sites\)\s+active/);

    const dis = vigil(['user', 'disable', 'gina']);
    expect(dis.status, dis.stderr).toBe(0);
    expect(dis.stdout).toMatch(/Disabled user "gina"/);
    expect(vigil(['user', 'list']).stdout).toMatch(/gina\s+guard\s+store-101\s+disabled/);
    const missing = vigil(['user', 'disable', 'nobody']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/user nobody not found/);

    // The changes are in the audit log, and the audit chain still verifies.
    const verify = vigil(['verify']);
    expect(verify.status, verify.stderr + verify.stdout).toBe(0);

    const db = await openDb({ dataDir: env.VIGIL_DATA_DIR });
    try {
      const audit = (await db.query<{ actor: string; action: string; target: string }>(`SELECT actor, action, target FROM audit_log WHERE action LIKE 'user.%' ORDER BY seq`)).rows;
      expect(audit.map((r) => `${r.action} ${r.target}`)).toEqual(['user.create gina', 'user.create mia', 'user.change gina']);
      expect(audit[0].actor).toBe('vigil user (command line)');
      const dump = JSON.stringify((await db.query(`SELECT * FROM users`)).rows);
      expect(dump).not.toContain('a guard password');
      expect(dump).not.toContain(password);
      expect(dump).toContain('scrypt');
    } finally {
      await db.close();
    }
  }, SLOW);

  it('answers bad usage with exit code 2', () => {
    expect(vigil(['user', 'add', 'x', '--role', 'ingest', '--password-stdin'], 'long enough pw').status).toBe(2);
    expect(vigil(['user', 'add', 'x', '--password-stdin'], 'long enough pw').status).toBe(2);
    expect(vigil(['user', 'add', 'bad name', '--role', 'guard', '--password-stdin'], 'long enough pw').status).toBe(2);
    expect(vigil(['user', 'add', 'x', '--role', 'guard', '--sites', 'Store 1', '--password-stdin'], 'long enough pw').status).toBe(2);
    const short = vigil(['user', 'add', 'x', '--role', 'guard', '--password-stdin'], 'short');
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/at least 10/);
  });

  it('says the running server holds the store, and goes through its API with --url', async () => {
    const admin = 'cli-user-admin';
    const server = await startServer(['--config', join(process.cwd(), 'src/config/demo.yaml')], { VIGIL_DATA_DIR: env.VIGIL_DATA_DIR, VIGIL_ADMIN_TOKEN: admin });
    try {
      // Users exist already: no setup link.
      expect(server.output()).not.toMatch(/First sign-in/);
      const held = await vigilAsync(['user', 'list']);
      expect(held.status).toBe(1);
      expect(held.stderr).toMatch(/in use by `vigil serve`/);
      expect(held.stderr).toContain('--url');

      const add = await vigilAsync(['user', 'add', 'sam', '--role', 'security_lead', '--sites', 'store-102', '--password-stdin', '--url', server.url], 'a lead password\n', { VIGIL_TOKEN: admin });
      expect(add.status, add.stderr).toBe(0);
      const login = (name: string, password: string) =>
        fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
      const res = await login('sam', 'a lead password');
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ name: 'sam', role: 'security_lead', sites: ['store-102'] });

      const list = await vigilAsync(['user', 'list'], undefined, { VIGIL_URL: server.url, VIGIL_TOKEN: admin });
      expect(list.status, list.stderr).toBe(0);
      expect(list.stdout).toMatch(/sam\s+security_lead\s+store-102\s+active/);
      const dis = await vigilAsync(['user', 'disable', 'sam', '--url', server.url, '--token', admin]);
      expect(dis.status, dis.stderr).toBe(0);
      expect((await login('sam', 'a lead password')).status).toBe(401);
      const noToken = await vigilAsync(['user', 'list', '--url', server.url]);
      expect(noToken.status).toBe(1);
      expect(noToken.stderr).toMatch(/token/);
    } finally {
      await server.stop();
    }
  }, SLOW);

  it('prints a one-time setup link on a first run, and it creates the first admin', async () => {
    const fresh = join(dir, 'fresh');
    const server = await startServer(['--config', join(process.cwd(), 'src/config/demo.yaml')], { VIGIL_DATA_DIR: fresh, VIGIL_ADMIN_TOKEN: 'cli-user-admin-2' });
    try {
      // Not a terminal: the link goes to a file readable by its owner only, named in the output.
      expect(server.output()).toMatch(/First sign-in .*: in .*setup-link/);
      const link = readFileSync(join(fresh, 'setup-link'), 'utf8').trim();
      const code = /#setup=([A-Za-z0-9_-]+)$/.exec(link)?.[1];
      expect(link.startsWith(`${server.url}/#setup=`)).toBe(true);
      const res = await fetch(`${server.url}/api/v1/session/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, name: 'owner', password: 'the owner password' }) });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ name: 'owner', role: 'admin' });
      const again = await fetch(`${server.url}/api/v1/session/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, name: 'owner2', password: 'the owner password' }) });
      expect(again.status).toBe(409);
    } finally {
      await server.stop();
    }
  }, SLOW);
});
