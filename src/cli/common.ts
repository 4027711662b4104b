/**
 * What every CLI command shares: where the configuration and the store are, and the one place
 * that turns errors into a message and an exit code (1 failure, 2 bad usage).
 */
import { resolve } from 'node:path';
import { loadConfig, loadDemoConfig } from '../config/loader.js';
import type { Config } from '../config/schema.js';
import { ConflictError, formatProblem, InvalidError, VigilError } from '../domain/errors.js';
import { openDb, type Db } from '../store/db.js';
import { acquireStore, storeOwner } from '../store/lock.js';

export interface StoreOptions {
  config?: string;
}

/** The configuration a command runs on: --config, VIGIL_CONFIG, or the bundled demo. */
export function resolveConfig(file?: string): { config: Config; demo: boolean; file?: string } {
  const path = file ?? process.env.VIGIL_CONFIG;
  if (path) return { config: loadConfig(resolve(path)), demo: false, file: resolve(path) };
  return { config: loadDemoConfig(), demo: true };
}

/** Where the store is: DATABASE_URL (server) or VIGIL_DATA_DIR (embedded, default ./.vigil/data). */
export function resolveStore(): { databaseUrl?: string; dataDir: string } {
  const url = process.env.DATABASE_URL;
  return { ...(url ? { databaseUrl: url } : {}), dataDir: resolve(process.env.VIGIL_DATA_DIR ?? './.vigil/data') };
}

/** Usage error: exit code 2. */
export class UsageError extends Error {}

/** Prints an error the way every command does and returns the exit code. */
export function reportError(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`vigil: ${e.message}\n`);
    return 2;
  }
  if (e instanceof InvalidError) {
    process.stderr.write(`vigil: ${e.message}\n`);
    for (const p of e.problems.slice(0, 200)) process.stderr.write(`  - ${formatProblem(p)}\n`);
    if (e.problems.length > 200) process.stderr.write(`  ... and ${e.problems.length - 200} more\n`);
    return 1;
  }
  if (e instanceof VigilError) {
    process.stderr.write(`vigil: ${e.message}\n`);
    return 1;
  }
  const err = e as Error;
  process.stderr.write(`vigil: ${err?.message ?? String(e)}\n`);
  if (process.env.VIGIL_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  return 1;
}

/**
 * Runs `work` on the store directly: PostgreSQL (DATABASE_URL) or the embedded store in the data
 * directory. The embedded store belongs to one process: while another holds it, the command is
 * refused, naming the holder and what to do instead (`instead`, given the holder's URL; default:
 * go through the running server with --url and a token); meanwhile this command holds it.
 */
export async function withStore<T>(command: string, work: (db: Db) => Promise<T>, instead?: (holderUrl: string) => string): Promise<T> {
  const store = resolveStore();
  if (!store.databaseUrl) {
    const holder = storeOwner(store.dataDir);
    if (holder) {
      const url = holder.url ?? 'URL';
      throw new ConflictError(
        `the embedded store in ${resolve(store.dataDir)} is in use by \`vigil ${holder.command}\` (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''}); ` +
          (instead?.(url) ?? `go through it with --url ${url} and a token (--token or VIGIL_TOKEN), or stop it first`),
      );
    }
  }
  const lock = store.databaseUrl ? undefined : acquireStore(store.dataDir, { command });
  try {
    // resolveStore names the server `databaseUrl`; openDb takes it as `url`.
    const db = await openDb(store.databaseUrl ? { url: store.databaseUrl } : { dataDir: store.dataDir });
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  } finally {
    lock?.release();
  }
}
