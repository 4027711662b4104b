/**
 * How the embedded store (PGlite) is configured when it opens: its PostgreSQL settings, from the
 * environment, and how the process runs its WebAssembly. One place, so the process that serves
 * and any thread that holds the store open it the same way.
 *
 * Why these settings (measured in docs/performance.md, "Memory"): PGlite runs PostgreSQL in
 * WebAssembly, whose memory is never given back once touched, and it zero-fills the whole shared
 * memory segment (the buffer cache, shared_buffers, is nearly all of it) when the store opens. So
 * the buffer cache costs its full size in resident memory from the first second, used or not, and
 * code compiled by V8's optimising WebAssembly tier stays resident too.
 */
import { setFlagsFromString } from 'node:v8';
import type { PGliteOptions } from '@electric-sql/pglite';

/** The buffer cache when VIGIL_STORE_SHARED_BUFFERS is unset (PGlite's own default is 128MB). */
export const DEFAULT_SHARED_BUFFERS = '32MB';

/**
 * The embedded store's buffer cache (PostgreSQL's shared_buffers) from VIGIL_STORE_SHARED_BUFFERS
 * (a number and kB, MB or GB); undefined when unset, and the store then runs with
 * DEFAULT_SHARED_BUFFERS. 32MB keeps `vigil serve` about 90 MB smaller than PGlite's 128MB; 16MB
 * saves about 18 MB more but stored fewer events at 1,000 a second (docs/performance.md).
 */
export function pgliteSharedBuffers(env: Record<string, string | undefined>): string | undefined {
  const raw = env.VIGIL_STORE_SHARED_BUFFERS;
  if (raw === undefined || raw === '') return undefined;
  if (!/^[1-9][0-9]{0,6}(kB|MB|GB)$/.test(raw)) throw new Error(`VIGIL_STORE_SHARED_BUFFERS: expected a size such as 16MB or 128MB (a number and kB, MB or GB), got ${JSON.stringify(raw)}`);
  return raw;
}

/**
 * The store's postgresql.conf, whole. PGlite replaces the file in the data directory with what it
 * is given (a store opened once with one line kept only that line, and with it lost the time zone
 * and the rest initdb wrote), so it is given all of it each time: initdb's settings as PGlite
 * 0.5's initdb writes them, then Vigil's. Nothing here changes what SQL returns.
 */
export function pgliteConf(env: Record<string, string | undefined>): string[] {
  return [
    '# Written by Vigil each time it opens the embedded store (src/store/pglite-options.ts); edits are lost.',
    // What initdb wrote.
    'max_connections = 100',
    'dynamic_shared_memory_type = posix',
    'max_wal_size = 1GB',
    'min_wal_size = 80MB',
    'log_timezone = UTC',
    'autovacuum_worker_slots = 16',
    "datestyle = 'iso, mdy'",
    'timezone = UTC',
    "lc_messages = 'C'",
    "lc_monetary = 'C'",
    "lc_numeric = 'C'",
    "lc_time = 'C'",
    "default_text_search_config = 'pg_catalog.english'",
    // Memory: the buffer cache is resident in full from the start (see the file's comment).
    `shared_buffers = ${pgliteSharedBuffers(env) ?? DEFAULT_SHARED_BUFFERS}`,
  ];
}

/**
 * Whether V8 may optimise the store's WebAssembly (its second tier, TurboFan): off unless
 * VIGIL_STORE_WASM_TIER_UP=1. The optimised code of PostgreSQL's hot functions and what compiling
 * it left behind kept `vigil serve` 50-70 MB larger; the price of the baseline tier (Liftoff) is
 * store speed, about 20 % on the raw batched insert (docs/performance.md, the full runs of
 * 2026-12-02).
 */
export function pgliteWasmTierUp(env: Record<string, string | undefined>): boolean {
  const raw = env.VIGIL_STORE_WASM_TIER_UP;
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new Error(`VIGIL_STORE_WASM_TIER_UP: expected 1 or 0, got ${JSON.stringify(raw)}`);
}

let baselineTierSet = false;

/**
 * The options every embedded store is opened with. Called just before PGlite compiles its
 * WebAssembly, it also keeps V8 to the baseline tier for this process (pgliteWasmTierUp): V8
 * reads the flag when it compiles a module, and it is process-wide (every thread, every module).
 */
export function pgliteOptions(env: Record<string, string | undefined>): PGliteOptions {
  const conf = pgliteConf(env);
  if (!pgliteWasmTierUp(env) && !baselineTierSet) {
    setFlagsFromString('--liftoff-only');
    baselineTierSet = true;
  }
  return { postgresqlconf: conf };
}

/**
 * Whether the embedded store runs in a thread of its own (VIGIL_STORE_THREAD=on) or in the serving
 * thread (off, the default). The thread is not the default because it made HTTP ingest slower,
 * not faster: a transaction holds the store's lock while its statements travel between the threads,
 * and each answer waits for a turn of the busy serving thread's event loop, so under load a
 * transaction held the lock for seconds (docs/performance.md, "The store in a thread").
 */
export function pgliteInThread(env: Record<string, string | undefined>): boolean {
  const raw = env.VIGIL_STORE_THREAD;
  if (raw === undefined || raw === '' || raw === 'off') return false;
  if (raw === 'on') return true;
  throw new Error(`VIGIL_STORE_THREAD: expected on or off, got ${JSON.stringify(raw)}`);
}

/**
 * Whether the embedded store keeps its statements prepared (VIGIL_STORE_PREPARED=on, the
 * default) or parses and plans every statement anew as PGlite's query does (off): see
 * store/pglite-prepared.ts.
 */
export function pglitePrepared(env: Record<string, string | undefined>): boolean {
  const raw = env.VIGIL_STORE_PREPARED;
  if (raw === undefined || raw === '' || raw === 'on') return true;
  if (raw === 'off') return false;
  throw new Error(`VIGIL_STORE_PREPARED: expected on or off, got ${JSON.stringify(raw)}`);
}
