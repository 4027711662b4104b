/**
 * `vigil report incident` as a user runs it (the compiled CLI), directly on an embedded store: the
 * PDF written with --out is a real PDF whose text holds the incident, and the summary line names
 * the version; JSON goes to stdout without --out; an unknown incident exits 1, a bad format 2.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../src/config/loader.js';
import { reportDigest } from '../src/reports/incident-report.js';
import { createService } from '../src/service.js';
import { BIN, startServer } from './helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-report-'));
const dataDir = join(dir, 'data');
const env = { ...process.env, VIGIL_DATA_DIR: dataDir, VIGIL_LOG_LEVEL: 'silent', VIGIL_URL: '', VIGIL_TOKEN: '', VIGIL_ADMIN_TOKEN: '', DATABASE_URL: '' };
const vigil = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'buffer', timeout: 120_000 });
const vigilAsync = (args: string[], extra: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extra } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
const SLOW = 240_000;
let incidentId = '';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil report incident', () => {
  it('writes an incident report PDF with --out and JSON to stdout', async () => {
    const svc = await createService({ config: loadDemoConfig(), dataDir });
    const r = await svc.pipeline.ingest([
      { source: 'alarm', type: 'intrusion', sourceEventId: 'cli-rep-1', occurredAt: '2026-11-20T07:14:00.000Z', site: 'store-101', zone: 'cash-office', details: {} },
    ]);
    const id = r.incidentsOpened[0];
    incidentId = id;
    await svc.runner.drain();
    await svc.close();

    const out = join(dir, 'report.pdf');
    const pdf = vigil(['report', 'incident', id, '--format', 'pdf', '--out', out]);
    expect(pdf.status, pdf.stderr.toString()).toBe(0);
    expect(pdf.stdout.toString()).toMatch(new RegExp(`^Wrote the report of incident ${id}, version \\d+ \\(pdf, \\d+ bytes, draft, sha256 [0-9a-f]{64}\\) to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true });
    expect(text).toContain(id);
    expect(text).toContain('Store 101 Downtown Manhattan');

    const json = vigil(['report', 'incident', id]);
    expect(json.status, json.stderr.toString()).toBe(0);
    const served = JSON.parse(json.stdout.toString());
    // Nothing changed since the PDF was written: the same version.
    expect(served.version).toBe(Number(/version (\d+)/.exec(pdf.stdout.toString())?.[1]));
    expect(served.digest).toBe(reportDigest(served.content));

    const missing = vigil(['report', 'incident', 'inc-missing']);
    expect(missing.status).toBe(1);
    expect(missing.stderr.toString()).toMatch(/incident inc-missing not found/);
    const usage = vigil(['report', 'incident', id, '--format', 'docx']);
    expect(usage.status).toBe(2);
  }, SLOW);

  it('is refused while a server holds the embedded store, and goes through it with --url', async () => {
    expect(incidentId).not.toBe('');
    const admin = 'report-cli-admin-token';
    const server = await startServer(['--config', join(process.cwd(), 'src/config/demo.yaml')], { VIGIL_DATA_DIR: dataDir, VIGIL_ADMIN_TOKEN: admin, VIGIL_LOG_LEVEL: 'silent' });
    try {
      const held = await vigilAsync(['report', 'incident', incidentId]);
      expect(held.status).toBe(1);
      expect(held.stderr).toMatch(/in use by `vigil serve`.*--url/);
      const out = join(dir, 'via-server.html');
      const via = await vigilAsync(['report', 'incident', incidentId, '--format', 'html', '--out', out, '--url', server.url, '--token', admin]);
      expect(via.status, via.stderr).toBe(0);
      expect(via.stdout).toMatch(new RegExp(`^Wrote the report of incident ${incidentId}, version \\d+ \\(html, \\d+ bytes, draft, sha256 [0-9a-f]{64}\\)`));
      expect(readFileSync(out, 'utf8')).toContain('class="site-plan"');
      const missing = await vigilAsync(['report', 'incident', 'inc-missing', '--url', server.url, '--token', admin]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/404: incident inc-missing not found/);
    } finally {
      await server.stop();
    }
  }, SLOW);
});
