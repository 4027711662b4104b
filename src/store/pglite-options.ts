/**
 * How the embedded store (PGlite) is configured when it opens: its PostgreSQL settings, from the
 * environment. One place, so the process that serves and any thread that holds the store open it
 * the same way.
 */
import type { PGliteOptions } from '@electric-sql/pglite';

/**
 * The embedded store's buffer cache (PostgreSQL's shared_buffers) from VIGIL_STORE_SHARED_BUFFERS
 * (a number and kB, MB or GB); undefined keeps PGlite's default, 128MB. The cache is WebAssembly
 * memory that is never given back once touched: 16MB keeps a scanned store about 170 MB smaller,
 * at a cost in latency not yet measured on a quiet machine (docs/performance.md).
 */
export function pgliteSharedBuffers(env: Record<string, string | undefined>): string | undefined {
  const raw = env.VIGIL_STORE_SHARED_BUFFERS;
  if (raw === undefined || raw === '') return undefined;
  if (!/^[1-9][0-9]{0,6}(kB|MB|GB)$/.test(raw)) throw new Error(`VIGIL_STORE_SHARED_BUFFERS: expected a size such as 16MB or 128MB (a number and kB, MB or GB), got ${JSON.stringify(raw)}`);
  return raw;
}

/** The options every embedded store is opened with. */
export function pgliteOptions(env: Record<string, string | undefined>): PGliteOptions {
  const sharedBuffers = pgliteSharedBuffers(env);
  return sharedBuffers ? { postgresqlconf: [`shared_buffers = ${sharedBuffers}`] } : {};
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
