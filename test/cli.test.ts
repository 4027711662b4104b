/**
 * The `vigil` command as a user runs it (the compiled CLI): importing the real sample files of
 * every format, refusing a bad file whole with row-numbered problems, and the exit codes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../src/store/db.js';
import { BIN } from './helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
const env = { ...process.env, VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_LOG_LEVEL: 'silent' };
const data = (p: string) => fileURLToPath(new URL(`../../shared/data/${p}`, import.meta.url));
const vigil = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil CLI', () => {
  it('lists its commands', () => {
    const r = vigil('--help');
    expect(r.status).toBe(0);
    for (const c of ['serve', 'ingest', 'simulate', 'bench']) expect(r.stdout).toContain(c);
  });

  it('imports the real POSLog and UCI files and reports what it did', async () => {
    const pos = vigil('ingest', '--format', 'poslog', '--site', 'store-101', data('poslog/POSLog.xml'));
    expect(pos.status, pos.stderr).toBe(0);
    expect(pos.stdout).toMatch(/6 accepted, 0 duplicate\(s\), 45 skipped \(not events\), 0 rejected/);
    const uci = vigil('ingest', '--format', 'csv', '--profile', 'uci-online-retail', '--site', 'store-101', data('retail/online-retail-2010-12-sample.csv'));
    expect(uci.status, uci.stderr).toBe(0);
    expect(uci.stdout).toMatch(/130 accepted/);
    // Importing the same file again stores nothing new.
    const again = vigil('ingest', '--format', 'poslog', '--site', 'store-101', data('poslog/POSLog.xml'));
    expect(again.stdout).toMatch(/0 accepted, 6 duplicate\(s\)/);
    const db = await openDb({ dataDir: env.VIGIL_DATA_DIR });
    try {
      const n = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`);
      expect(Number(n.rows[0].n)).toBe(136);
    } finally {
      await db.close();
    }
  });

  it('refuses a file with a bad row whole, naming each row and field, with exit code 1', async () => {
    const file = join(dir, 'bad.ndjson');
    writeFileSync(
      file,
      [
        JSON.stringify({ source: 'alarm', type: 'intrusion', sourceEventId: 'cli-ok-1', occurredAt: '2026-11-20T02:00:00-05:00', site: 'store-101', zone: 'stockroom' }),
        JSON.stringify({ source: 'alarm', type: 'intrusion', sourceEventId: 'cli-bad-1', occurredAt: 'yesterday', site: 'store-101' }),
        JSON.stringify({ source: 'alarm', type: 'intrusion', sourceEventId: 'cli-bad-2', occurredAt: '2026-11-20T02:00:00-05:00', site: 'store-999' }),
      ].join('\n'),
    );
    const r = vigil('ingest', file);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('nothing of');
    expect(r.stdout).toMatch(/row 2: occurredAt: expected an ISO 8601 time/);
    expect(r.stdout).toMatch(/row 3: site: unknown site "store-999"/);
    const db = await openDb({ dataDir: env.VIGIL_DATA_DIR });
    try {
      const n = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE 'cli-%'`);
      expect(Number(n.rows[0].n)).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('answers bad usage with exit code 2', () => {
    expect(vigil('ingest').status).toBe(2);
    expect(vigil('no-such-command').status).toBe(2);
    const bad = vigil('simulate', '--days', 'x');
    expect(bad.status).toBe(2);
  });
});
