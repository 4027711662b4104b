/**
 * The stores integration tests run on: the embedded store always, and a PostgreSQL server when
 * VIGIL_TEST_DATABASE_URL is set (CI sets it). Each call gets a fresh, empty database.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openDb, type Db } from '../../src/store/db.js';

export interface TestStore {
  name: 'pglite' | 'postgres';
  /** Options for createService/openDb: a fresh store. */
  fresh(): Promise<{ dataDir?: string; databaseUrl?: string; drop(): Promise<void> }>;
}

const serverUrl = process.env.VIGIL_TEST_DATABASE_URL;

/** The stores to test on. */
export const TEST_STORES: TestStore[] = [
  {
    name: 'pglite',
    async fresh() {
      return { dataDir: 'memory://', async drop() {} };
    },
  },
  ...(serverUrl
    ? [
        {
          name: 'postgres' as const,
          async fresh() {
            const db = `vigil_t_${randomBytes(5).toString('hex')}`;
            const admin = new pg.Client({ connectionString: serverUrl });
            await admin.connect();
            await admin.query(`CREATE DATABASE ${db}`);
            await admin.end();
            const u = new URL(serverUrl);
            u.pathname = `/${db}`;
            return {
              databaseUrl: u.toString(),
              async drop() {
                const c = new pg.Client({ connectionString: serverUrl });
                await c.connect();
                await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
                await c.end();
              },
            };
          },
        },
      ]
    : []),
];

/**
 * A fresh store of `store` opened for the enclosing describe block (opened before its tests, closed
 * and dropped after); the returned function gives the open store.
 */
export function useFreshDb(store: TestStore): () => Db {
  let db: Db | undefined;
  let drop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    db = await openDb(s.databaseUrl ? { url: s.databaseUrl } : { dataDir: s.dataDir! });
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await drop();
  });
  return () => {
    if (!db) throw new Error('the store is opened in beforeAll');
    return db;
  };
}
