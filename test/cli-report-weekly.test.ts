/**
 * `vigil report weekly` as a user runs it (the compiled CLI): the report of a week with known
 * incidents in CSV and PDF files with the right totals and a summary line, bad usage exits 2, and
 * while a server holds the embedded store the command says so, and goes through it with --url.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService } from '../src/service.js';
import { BIN, startServer } from './helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-report-weekly-'));
const env = { ...process.env, VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_LOG_LEVEL: 'silent', VIGIL_URL: '', VIGIL_TOKEN: '', VIGIL_ADMIN_TOKEN: '', DATABASE_URL: '' };
const vigil = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 120_000 });
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
const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) ?? '';
const SLOW = 180_000;

beforeAll(async () => {
  // Three incidents in 2026-W47 (New York) and one just before it.
  const service = await createService({ config: loadDemoConfig(), dataDir: join(dir, 'data') });
  const rows: [string, string, string, string, string, string][] = [
    ['inc-1', 'store-101', '2026-11-16T05:00:00Z', '100.10', '0.10', '100.00'],
    ['inc-2', 'store-102', '2026-11-19T12:00:00Z', '1234.56', '234.56', '1000.00'],
    ['inc-3', 'store-101', '2026-11-23T04:59:59Z', '0.30', '0.00', '0.30'],
    ['inc-4', 'store-101', '2026-11-16T04:59:59Z', '500.00', '0.00', '500.00'],
  ];
  for (const [id, site, at, gross, recovered, net] of rows) {
    await service.db.query(
      `INSERT INTO incidents (id, site, zone, type, opened_at, first_event_at, last_event_at, band, loss, net_loss, currency) VALUES ($1, $2, 'cash-office', 'theft', $3, $3, $3, 'high', $4, $5, 'USD')`,
      [id, site, at, JSON.stringify({ currency: 'USD', gross, recovered, net, items: [] }), net],
    );
  }
  await service.close();
}, SLOW);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil report weekly', () => {
  it('writes the CSV and the PDF of a week with the right totals and ends with a summary', async () => {
    const csvFile = join(dir, 'w47.csv');
    const csv = vigil(['report', 'weekly', '--week', '2026-W47', '--format', 'csv', '--out', csvFile]);
    expect(csv.status, csv.stderr).toBe(0);
    expect(csv.stdout).toBe('');
    expect(lastLine(csv.stderr)).toMatch(/^Weekly loss report 2026-W47 \(all sites\): 3 incidents, net USD 1,100\.30; CSV written to .*w47\.csv/);
    const total = readFileSync(csvFile, 'utf8').split('\r\n').find((l) => l.startsWith('total,'));
    expect(total).toBe('total,,,2026-W47,2026-11-16T05:00:00.000Z/2026-11-23T05:00:00.000Z,3,1334.96,234.66,1100.30,,,');

    const pdfFile = join(dir, 'w47.pdf');
    const pdf = vigil(['report', 'weekly', '--week', '2026-W47', '--site', 'store-101', '--format', 'pdf', '--out', pdfFile]);
    expect(pdf.status, pdf.stderr).toBe(0);
    expect(lastLine(pdf.stderr)).toMatch(/\(store-101\): 2 incidents, net USD 100\.30/);
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(readFileSync(pdfFile))), { mergePages: true });
    expect(text).toContain('USD 100.30');
    expect(text).toContain('USD 100.40');

    const json = vigil(['report', 'weekly', '--week', '2026-W47']);
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).totals).toEqual({ incidents: 3, gross: '1334.96', recovered: '234.66', net: '1100.30' });
  }, SLOW);

  it('refuses bad usage with exit 2', () => {
    const week = vigil(['report', 'weekly', '--week', '2026-W54']);
    expect(week.status).toBe(2);
    expect(week.stderr).toMatch(/--week.*2026 has weeks 01-53/);
    expect(vigil(['report', 'weekly', '--format', 'xml']).status).toBe(2);
    expect(vigil(['report', 'weekly', '--site', 'nowhere']).status).toBe(2);
  }, SLOW);

  it('says which server holds the embedded store, and goes through it with --url', async () => {
    const admin = 'weekly-cli-admin-token';
    const server = await startServer(['--config', join(process.cwd(), 'src/config/demo.yaml')], { VIGIL_DATA_DIR: env.VIGIL_DATA_DIR, VIGIL_ADMIN_TOKEN: admin });
    try {
      const held = await vigilAsync(['report', 'weekly', '--week', '2026-W47']);
      expect(held.status).toBe(1);
      expect(held.stderr).toMatch(/in use by `vigil serve`/);
      const through = await vigilAsync(['report', 'weekly', '--week', '2026-W47', '--url', server.url, '--token', admin]);
      expect(through.status, through.stderr).toBe(0);
      expect(JSON.parse(through.stdout).totals.net).toBe('1100.30');
      expect(lastLine(through.stderr)).toMatch(/3 incidents, net USD 1,100\.30/);
    } finally {
      await server.stop();
    }
  }, SLOW);
});
