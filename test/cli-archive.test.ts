/**
 * `vigil archive`, `vigil archive export`, `vigil verify` and `vigil verify --bundle` as a user
 * runs them (the compiled CLI), on both stores: --min-age 0 archives a just-resolved incident that
 * the policy delay keeps; verify passes on the untouched store and exits 1 naming a row altered
 * behind the triggers; the exported bundle verifies in a directory with no store and no
 * configuration, and exits 1 with one figure changed.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyIncidentAction } from '../src/api/lifecycle-actions.js';
import { loadDemoConfig } from '../src/config/loader.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService } from '../src/service.js';
import { openDb } from '../src/store/db.js';
import { BIN } from './helpers/server-process.js';
import { TEST_STORES } from './helpers/stores.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-archive-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
/** Each command opens the store in a new process (a few seconds on a loaded machine). */
const SLOW = 240_000;

describe.each(TEST_STORES)('vigil archive and verify on $name', (store) => {
  it(
    'archives, verifies, exports a bundle that verifies offline, and names a tampered row',
    async () => {
      const s = await store.fresh();
      const dir = mkdtempSync(join(root, `${store.name}-`));
      const dataDir = join(dir, 'data');
      const env: Record<string, string> = { ...(process.env as Record<string, string>), VIGIL_DATA_DIR: dataDir, VIGIL_LOG_LEVEL: 'silent', VIGIL_URL: '', VIGIL_TOKEN: '', VIGIL_ADMIN_TOKEN: '', VIGIL_CONFIG: '' };
      delete env.DATABASE_URL;
      if (s.databaseUrl) env.DATABASE_URL = s.databaseUrl;
      const vigil = (args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) =>
        spawnSync(process.execPath, [BIN, ...args], { env: opts.env ?? env, cwd: opts.cwd ?? dir, encoding: 'utf8', timeout: 120_000 });
      try {
        // An incident resolved just now, by a service on this store.
        const service = await createService({ config: loadDemoConfig(), dataDir, ...(s.databaseUrl ? { databaseUrl: s.databaseUrl } : {}) });
        let id: string;
        try {
          const e: SecurityEvent = { source: 'access_control', type: 'door_forced', sourceEventId: 'cli-arch-1', occurredAt: new Date(Date.now() - 60_000).toISOString(), site: 'dc-201', zone: 'cage', details: {} };
          id = (await service.pipeline.ingest([e])).incidentsOpened[0];
          await service.runner.drain();
          await applyIncidentAction(service, { id, action: 'resolve', actor: 'cli-test', scope: null, now: new Date(), note: 'false alarm', outcome: 'false_alarm' });
        } finally {
          await service.close();
        }
        expect(existsSync(join(dataDir, 'transparency-log.key'))).toBe(true);

        // The policy delay (7 days) keeps it; --min-age 0 takes it.
        let r = vigil(['archive']);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^Nothing to archive/);
        r = vigil(['archive', '--dry-run', '--min-age', '0']);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain(`would archive ${id} (dc-201`);
        expect(r.stdout).toMatch(/Dry run: 1 resolved incident/);
        r = vigil(['archive', '--min-age', 'soon']);
        expect(r.status).toBe(2);
        // Another machine's key would fork the log: refused, nothing archived.
        const otherKey = join(dir, 'other.pem');
        writeFileSync(otherKey, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
        r = vigil(['archive', '--min-age', '0'], { env: { ...env, VIGIL_ARCHIVE_SIGNING_KEY: otherKey } });
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/signed with key [0-9a-f]{64}, but this machine's key is/);
        r = vigil(['archive', '--min-age', '0']);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^Archived 1 incident\(s\)/);

        r = vigil(['verify']);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^OK: verified \d+ leaves \(\d+ audit records, 1 archive records\) and \d+ signed checkpoints/);

        const bundleFile = join(dir, 'bundle.json');
        r = vigil(['archive', 'export', id, '--out', bundleFile]);
        expect(r.status, r.stderr).toBe(0);
        const bundle = JSON.parse(readFileSync(bundleFile, 'utf8'));
        expect(bundle).toMatchObject({ format: 'vigil-archive-bundle/1', incidentId: id });

        // Offline: another directory, no store, no configuration, no database.
        const elsewhere = join(dir, 'court');
        mkdirSync(elsewhere);
        const bare: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: elsewhere };
        const copy = join(elsewhere, 'evidence.json');
        writeFileSync(copy, readFileSync(bundleFile));
        r = vigil(['verify', '--bundle', 'evidence.json'], { env: bare, cwd: elsewhere });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain(`OK: the archive record of ${id} is in the transparency log`);
        r = vigil(['verify', '--bundle', 'evidence.json', '--key-id', bundle.publicKey.keyId], { env: bare, cwd: elsewhere });
        expect(r.status, r.stderr).toBe(0);
        expect(existsSync(join(elsewhere, '.vigil'))).toBe(false);
        // One figure changed.
        const changed = structuredClone(bundle);
        changed.record.incident.event_count = 2;
        writeFileSync(copy, JSON.stringify(changed));
        r = vigil(['verify', '--bundle', 'evidence.json'], { env: bare, cwd: elsewhere });
        expect(r.status).toBe(1);
        expect(r.stdout).toMatch(/FAIL record digest/);
        expect(r.stderr).toMatch(/does not verify: record digest/);

        // A row altered in the database with its trigger disabled.
        const db = await openDb(s.databaseUrl ? { url: s.databaseUrl } : { dataDir });
        let seq: number;
        try {
          seq = Number((await db.query<{ seq: number }>(`SELECT seq FROM audit_log WHERE action = 'incident.resolve' AND target = $1`, [id])).rows[0].seq);
          await db.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`);
          await db.query(`UPDATE audit_log SET details = jsonb_set(details, '{resolution}', '"theft"') WHERE seq = $1`, [seq]);
          await db.query(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`);
        } finally {
          await db.close();
        }
        r = vigil(['verify']);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`verify FAILED after .*: audit record ${seq} \\(leaf \\d+, incident.resolve on ${id}`));
      } finally {
        await s.drop();
      }
    },
    SLOW,
  );
});
