/**
 * One Db interface over embedded PostgreSQL (PGlite, the default) and a PostgreSQL server (pg).
 * The same SQL runs on both; results are normalised so that int8 comes back as a number,
 * numeric as a decimal string and timestamptz as a Date on either store.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { ensurePrivateDir } from './lock.js';
import { pgliteInThread, pgliteOptions, pglitePrepared } from './pglite-options.js';
import { preparedQueries } from './pglite-prepared.js';
import { openPgliteThread } from './pglite-thread.js';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** Anything that runs SQL: the database or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Human description of where the data lives (a directory or a redacted URL). */
  readonly location: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL server URL; when absent the embedded store is used. */
  url?: string;
  /** Directory of the embedded store; `memory://` keeps it in memory (tests). */
  dataDir?: string;
  /** Pool size for the server store. */
  poolSize?: number;
}

/** Opens the store and applies pending migrations. */
export async function openDb(opts: OpenOptions): Promise<Db> {
  const db = opts.url ? openPostgres(opts.url, opts.poolSize ?? 10) : await openPglite(opts.dataDir ?? './.vigil/data');
  try {
    await migrate(db);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  return db;
}

/**
 * Creates a fresh embedded store (PGlite's initdb) in a child process that exits. Creating a store
 * leaves the process that did it several hundred MB higher than one that opens an existing store
 * (WebAssembly memory is never given back), so the serving process only ever reopens. A directory
 * that already holds a store (PG_VERSION) is left alone.
 */
export function createPgliteApart(dataDir: string): boolean {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return false;
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = `const { PGlite } = require(process.argv[1]);
PGlite.create(process.argv[2]).then((db) => db.query('SELECT 1').then(() => db.close())).then(() => process.exit(0), (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
  try {
    execFileSync(process.execPath, ['-e', script, entry, dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`could not create the embedded store in ${dataDir}: ${stderr || (e as Error).message}`);
  }
  return true;
}

async function openPglite(dataDir: string): Promise<Db> {
  if (!dataDir.startsWith('memory://')) {
    ensurePrivateDir(dataDir);
    createPgliteApart(dataDir);
  }
  if (pgliteInThread(process.env)) return openPgliteThread(dataDir, pgliteOptions(process.env));
  const lite = await PGlite.create(dataDir, pgliteOptions(process.env));
  if (pglitePrepared(process.env)) {
    // Each statement parsed and planned once (store/pglite-prepared.ts).
    const prepared = preparedQueries(lite);
    const inTx: Queryable = { query: (sql, params) => prepared.queryInTransaction(sql, params) };
    return {
      kind: 'pglite',
      location: dataDir,
      query: (sql, params) => prepared.query(sql, params),
      transaction: (fn) => lite.transaction(() => fn(inTx)),
      exec: async (sql) => {
        await lite.exec(sql);
      },
      close: () => lite.close(),
    };
  }
  const wrap = (q: { query: PGlite['query'] }): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      const r = await q.query<T>(sql, params as unknown[] | undefined);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
  });
  const base = wrap(lite);
  return {
    kind: 'pglite',
    location: dataDir,
    query: base.query,
    transaction: (fn) => lite.transaction((tx) => fn(wrap(tx as unknown as { query: PGlite['query'] }))),
    exec: async (sql) => {
      await lite.exec(sql);
    },
    close: () => lite.close(),
  };
}

const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    // int8 and count(*) as numbers (our counters stay far below 2^53), like PGlite does.
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

function openPostgres(url: string, max: number): Db {
  const pool = new pg.Pool({ connectionString: url, max, types: pgTypes });
  pool.on('error', () => undefined); // idle client errors surface on the next query instead
  return {
    kind: 'postgres',
    location: url.replace(/\/\/([^:@/]+)(:[^@/]*)?@/, '//$1:***@'),
    async query<T>(sql: string, params?: unknown[]) {
      const r = await pool.query(sql, params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          async query<U>(sql: string, params?: unknown[]) {
            const r = await client.query(sql, params as unknown[]);
            return { rows: r.rows as U[], rowCount: r.rowCount ?? r.rows.length };
          },
        };
        const out = await fn(tx);
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../../src/store/migrations/', import.meta.url));

/** Applies the numbered migrations in order, each in its own transaction, once. */
export async function migrate(db: Db): Promise<number> {
  // Serialise concurrent starters on a server (several workers starting at once).
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort();
  let applied = 0;
  for (const file of files) {
    const version = Number(file.slice(0, 4));
    const sql = readFileSync(MIGRATIONS_DIR + file, 'utf8');
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7110001)');
      const r = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version]);
      if (r.rows.length > 0) return false;
      for (const stmt of splitSql(sql)) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
      return true;
    });
    if (done) applied++;
  }
  return applied;
}

/**
 * Splits a migration script on semicolons at line ends (our migrations keep to that form); a
 * function body between `$$` lines is one statement with the CREATE FUNCTION around it.
 */
export function splitSql(sql: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let inBody = false;
  for (const raw of sql.replace(/--[^\n]*$/gm, '').split('\n')) {
    cur.push(raw);
    if ((raw.match(/\$\$/g) ?? []).length % 2 === 1) inBody = !inBody;
    if (!inBody && /;\s*$/.test(raw)) {
      out.push(cur.join('\n').replace(/;\s*$/, ''));
      cur = [];
    }
  }
  out.push(cur.join('\n'));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}
