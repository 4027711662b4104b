/**
 * `vigil report incident` as a user runs it (the compiled CLI), directly on an embedded store: the
 * PDF written with --out is a real PDF whose text holds the incident, and the summary line names
 * the version; JSON goes to stdout without --out; an unknown incident exits 1, a bad format 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../src/config/loader.js';
import { reportDigest } from '../src/reports/incident-report.js';
import { createService } from '../src/service.js';
import { BIN } from './helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-report-'));
const dataDir = join(dir, 'data');
const env = { ...process.env, VIGIL_DATA_DIR: dataDir, VIGIL_LOG_LEVEL: 'silent', VIGIL_URL: '', VIGIL_TOKEN: '', VIGIL_ADMIN_TOKEN: '', DATABASE_URL: '' };
const vigil = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'buffer', timeout: 120_000 });
const SLOW = 180_000;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil report incident', () => {
  it('writes an incident report PDF with --out and JSON to stdout', async () => {
    const svc = await createService({ config: loadDemoConfig(), dataDir });
    const r = await svc.pipeline.ingest([
      { source: 'alarm', type: 'intrusion', sourceEventId: 'cli-rep-1', occurredAt: '2026-11-20T07:14:00.000Z', site: 'store-101', zone: 'cash-office', details: {} },
    ]);
    const id = r.incidentsOpened[0];
    await svc.runner.drain();
    await svc.close();

    const out = join(dir, 'report.pdf');
    const pdf = vigil(['report', 'incident', id, '--format', 'pdf', '--out', out]);
    expect(pdf.status, pdf.stderr.toString()).toBe(0);
    expect(pdf.stdout.toString()).toMatch(new RegExp(`^Wrote the report of incident ${id}, version 1 \\(pdf, \\d+ bytes, draft, sha256 [0-9a-f]{64}\\) to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true });
    expect(text).toContain(id);
    expect(text).toContain('Store 101 Downtown Manhattan');

    const json = vigil(['report', 'incident', id]);
    expect(json.status, json.stderr.toString()).toBe(0);
    const served = JSON.parse(json.stdout.toString());
    expect(served.version).toBe(1);
    expect(served.digest).toBe(reportDigest(served.content));

    const missing = vigil(['report', 'incident', 'inc-missing']);
    expect(missing.status).toBe(1);
    expect(missing.stderr.toString()).toMatch(/incident inc-missing not found/);
    const usage = vigil(['report', 'incident', id, '--format', 'docx']);
    expect(usage.status).toBe(2);
  }, SLOW);
});
