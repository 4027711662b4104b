/**
 * What every CLI command shares: where the configuration and the store are, and the one place
 * that turns errors into a message and an exit code (1 failure, 2 bad usage).
 */
import { resolve } from 'node:path';
import { loadConfig, loadDemoConfig } from '../config/loader.js';
import type { Config } from '../config/schema.js';
import { formatProblem, InvalidError, VigilError } from '../domain/errors.js';

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
