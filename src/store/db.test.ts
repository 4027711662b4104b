import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgliteApart, openDb } from './db.js';
import { DEFAULT_SHARED_BUFFERS, pgliteSharedBuffers, pgliteWasmTierUp } from './pglite-options.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-db-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('embedded store created in a child process', () => {
  it('creates a fresh store apart, leaves an existing one alone, and the serving process opens it with its schema', async () => {
    const dir = join(root, 'data');
    mkdirSync(dir, { mode: 0o700 });
    // initdb runs in a child that exits: the store is on disk before this process opens anything.
    expect(createPgliteApart(dir)).toBe(true);
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    expect(createPgliteApart(dir)).toBe(false);
    const db = await openDb({ dataDir: dir });
    try {
      const migrations = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(migrations.rows[0].n).toBeGreaterThan(0);
      const tables = await db.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_name IN ('events', 'incidents') ORDER BY 1`);
      expect(tables.rows.map((r) => r.name)).toEqual(['events', 'incidents']);
      await db.query(`SELECT count(*) FROM events`);
    } finally {
      await db.close();
    }
  });

  it('names the directory when the child cannot create the store', () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'x');
    expect(() => createPgliteApart(file)).toThrow(/could not create the embedded store in .*not-a-dir/);
  });
});

describe('VIGIL_STORE_SHARED_BUFFERS', () => {
  it("keeps PGlite's default when unset, takes a size, and names the variable for anything else", () => {
    expect(pgliteSharedBuffers({})).toBeUndefined();
    expect(DEFAULT_SHARED_BUFFERS).toBe('32MB');
    expect(pgliteSharedBuffers({ VIGIL_STORE_SHARED_BUFFERS: '16MB' })).toBe('16MB');
    expect(() => pgliteSharedBuffers({ VIGIL_STORE_SHARED_BUFFERS: '16 MB; DROP' })).toThrow(/VIGIL_STORE_SHARED_BUFFERS: expected a size/);
  });

  it('V8 keeps the store on its baseline tier unless VIGIL_STORE_WASM_TIER_UP=1, and the variable takes only 1 or 0', () => {
    expect(pgliteWasmTierUp({})).toBe(false);
    expect(pgliteWasmTierUp({ VIGIL_STORE_WASM_TIER_UP: '0' })).toBe(false);
    expect(pgliteWasmTierUp({ VIGIL_STORE_WASM_TIER_UP: '1' })).toBe(true);
    expect(() => pgliteWasmTierUp({ VIGIL_STORE_WASM_TIER_UP: 'yes' })).toThrow(/VIGIL_STORE_WASM_TIER_UP: expected 1 or 0/);
  });

  it("writes the store's whole configuration: a store opened with the variable keeps initdb's settings and goes back to the default without it", async () => {
    const before = process.env.VIGIL_STORE_SHARED_BUFFERS;
    const dataDir = join(root, 'conf-whole');
    const settings = async () => {
      const db = await openDb({ dataDir });
      try {
        const r = await db.query<{ sb: string; tz: string; ts: string }>(
          "SELECT current_setting('shared_buffers') AS sb, current_setting('TimeZone') AS tz, current_setting('default_text_search_config') AS ts",
        );
        return r.rows[0];
      } finally {
        await db.close();
      }
    };
    try {
      process.env.VIGIL_STORE_SHARED_BUFFERS = '32MB';
      expect(await settings()).toEqual({ sb: '32MB', tz: 'UTC', ts: 'pg_catalog.english' });
      delete process.env.VIGIL_STORE_SHARED_BUFFERS;
      expect(await settings()).toEqual({ sb: DEFAULT_SHARED_BUFFERS, tz: 'UTC', ts: 'pg_catalog.english' });
    } finally {
      if (before === undefined) delete process.env.VIGIL_STORE_SHARED_BUFFERS;
      else process.env.VIGIL_STORE_SHARED_BUFFERS = before;
    }
  });

  it('is the buffer cache the store runs with', async () => {
    const before = process.env.VIGIL_STORE_SHARED_BUFFERS;
    process.env.VIGIL_STORE_SHARED_BUFFERS = '16MB';
    try {
      const db = await openDb({ dataDir: join(root, 'small-cache') });
      try {
        expect((await db.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows[0].shared_buffers).toBe('16MB');
      } finally {
        await db.close();
      }
    } finally {
      if (before === undefined) delete process.env.VIGIL_STORE_SHARED_BUFFERS;
      else process.env.VIGIL_STORE_SHARED_BUFFERS = before;
    }
  });
});
