/**
 * `vigil ingest` while `vigil serve` holds the embedded store: the files go through the server
 * (POST /api/v1/imports) with the same summary and exit codes; a server killed in the middle of an
 * import shows it failed (interrupted) after its restart, with nothing of the file written.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImportView } from '../src/api/routes/imports.js';
import { BIN, DEMO_CONFIG, startServer, type ServerProcess } from './helpers/server-process.js';
import { accessExport } from './helpers/access-export.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-imports-'));
const data = join(dir, 'data');
const admin = 'cli-imports-admin';
const env = { ...process.env, VIGIL_DATA_DIR: data, VIGIL_LOG_LEVEL: 'silent', VIGIL_URL: '', VIGIL_TOKEN: '', VIGIL_ADMIN_TOKEN: '' };

function vigil(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extra } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const api = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${server!.url}${path}`, { ...init, headers: { authorization: `Bearer ${admin}`, ...(init.headers as Record<string, string>) } });
  return { status: res.status, body: (await res.json()) as any };
};

describe('vigil ingest through a running server', () => {
  it('sends the file to the server holding the store, prints the summary, exit 0', async () => {
    server = await startServer(['--config', DEMO_CONFIG], { VIGIL_DATA_DIR: data, VIGIL_ADMIN_TOKEN: admin });
    const file = join(dir, 'badges.csv');
    writeFileSync(file, accessExport(5000, 'cli'));
    // Without a token it says what to do, and writes nothing.
    const refused = await vigil(['ingest', file, '--profile', 'generic-access-control', '--site', 'store-101', '--config', DEMO_CONFIG]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds the embedded store.*needs a token allowed to write events/s);
    const r = await vigil(['ingest', file, '--profile', 'generic-access-control', '--site', 'store-101', '--config', DEMO_CONFIG], { VIGIL_TOKEN: admin });
    expect(r.stderr).toMatch(/sending the files through http:\/\/127\.0\.0\.1/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(csv\\): 5000 record\\(s\\) read, 5000 accepted, 0 duplicate\\(s\\), 0 skipped \\(not events\\), 0 rejected; \\d+ incident\\(s\\) opened; .* via http://127\\.0\\.0\\.1:\\d+ \\(import imp`));
    // Not a terminal: no carriage-return bar on stderr.
    expect(r.stderr).not.toContain('\r');
    const events = await api('/api/v1/events?type=access_granted&limit=1');
    expect(events.body.items).toHaveLength(1);
  }, 120_000);

  it('a rejected row: exit 1, the problem with its row, nothing written', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, accessExport(3000, 'clibad', 1500));
    const r = await vigil(['ingest', file, '--profile', 'generic-access-control', '--site', 'store-101', '--config', DEMO_CONFIG], { VIGIL_TOKEN: admin });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/3000 record\(s\) read, 0 accepted, .* 1 rejected/);
    expect(r.stdout).toMatch(/nothing of .*bad\.csv was written\. Problems:\n {2}- row 1500: Result: unknown result "Exploded"/);
  }, 120_000);

  it('an import running when the server is killed shows failed (interrupted) after the restart, and nothing of it', async () => {
    const file = join(dir, 'big.csv');
    writeFileSync(file, accessExport(100_000, 'kill'));
    const post = await fetch(`${server!.url}/api/v1/imports?profile=generic-access-control&site=store-101&name=big.csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' },
      body: accessExport(100_000, 'kill'),
    });
    expect(post.status).toBe(202);
    const id = ((await post.json()) as ImportView).id;
    // Wait until it is reading rows, then kill the server outright.
    for (;;) {
      const v = (await api(`/api/v1/imports/${id}`)).body as ImportView;
      expect(v.state).toBe('running');
      if (v.progress.rows > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await server!.stop('SIGKILL');
    server = await startServer(['--config', DEMO_CONFIG], { VIGIL_DATA_DIR: data, VIGIL_ADMIN_TOKEN: admin });
    const after = (await api(`/api/v1/imports/${id}`)).body as ImportView;
    expect(after.state).toBe('failed');
    expect(after.error).toMatch(/interrupted/);
    expect(after.counts.accepted).toBe(0);
    const stored = await api('/api/v1/events?limit=500&type=access_granted');
    expect((stored.body.items as { sourceEventId: string }[]).filter((e) => e.sourceEventId.startsWith('generic-access-control-kill'))).toEqual([]);
  }, 300_000);
});
