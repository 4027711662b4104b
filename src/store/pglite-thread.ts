/**
 * The embedded store in a thread of its own (src/store/pglite-worker.ts), behind the same Db
 * interface as in-process PGlite and PostgreSQL. Each statement is a message to the store's thread
 * and its answer a message back, so while the store works (a group commit, a report) the serving
 * thread keeps reading sockets, answering /healthz and refusing what it cannot take, and the
 * second core does the store's work. Transactions keep their meaning: `begin` waits for PGlite's
 * transaction lock in the store's thread, the statements of `fn` run inside it, and `end` commits
 * or rolls back.
 *
 * The thread keeps the process alive only while a statement is waiting for its answer, like a
 * socket with a request in flight; an idle open store does not stop a command from exiting.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PGliteOptions } from '@electric-sql/pglite';
import type { Db, QueryResult, Queryable } from './db.js';
import type { ThreadError } from './pglite-worker.js';

/** The compiled thread; the same path from src/store (tests) and dist/store (the CLI). */
const WORKER_FILE = fileURLToPath(new URL('../../dist/store/pglite-worker.js', import.meta.url));

type Reply = { id: number; ok?: unknown; error?: ThreadError };

function fromThreadError(t: ThreadError): Error {
  const e = new Error(t.message);
  e.name = t.name;
  Object.assign(e, t.fields);
  return e;
}

export async function openPgliteThread(dataDir: string, options: PGliteOptions): Promise<Db> {
  if (!existsSync(WORKER_FILE)) {
    throw new Error(`the embedded store's thread is not built (${WORKER_FILE} is missing); run \`npm run build\``);
  }
  const worker = new Worker(WORKER_FILE, { workerData: { dataDir, options } });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let stopped: Error | undefined;

  const stop = (e: Error) => {
    if (stopped) return;
    stopped = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };

  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: { ready?: boolean; failed?: ThreadError }) => {
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (m.ready) resolve();
      else reject(new Error(`could not open the embedded store in ${dataDir}: ${m.failed?.message ?? 'unknown error'}`));
    };
    const onError = (e: Error) => reject(new Error(`could not open the embedded store in ${dataDir}: ${e.message}`));
    const onExit = (code: number) => reject(new Error(`could not open the embedded store in ${dataDir}: its thread exited (${code})`));
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
  }).catch(async (e: unknown) => {
    await worker.terminate().catch(() => undefined);
    throw e;
  });

  worker.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.error) p.reject(fromThreadError(m.error));
    else p.resolve(m.ok);
  });
  worker.on('error', (e) => stop(new Error(`the embedded store's thread failed: ${e.message}`)));
  worker.on('exit', (code) => stop(new Error(`the embedded store's thread exited (${code})`)));
  worker.unref();

  const call = <T>(msg: Record<string, unknown>): Promise<T> => {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...msg, id });
    });
  };

  const query = <T>(sql: string, params: unknown[] | undefined, tx?: number): Promise<QueryResult<T>> =>
    call<QueryResult<T>>(tx === undefined ? { op: 'query', sql, params } : { op: 'query', sql, params, tx });

  return {
    kind: 'pglite',
    location: dataDir,
    query<T>(sql: string, params?: unknown[]) {
      return query<T>(sql, params);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const txId = await call<number>({ op: 'begin' });
      let out: T;
      try {
        out = await fn({ query: <U>(sql: string, params?: unknown[]) => query<U>(sql, params, txId) });
      } catch (e) {
        await call({ op: 'end', tx: txId, commit: false }).catch(() => undefined);
        throw e;
      }
      await call({ op: 'end', tx: txId, commit: true });
      return out;
    },
    exec: async (sql) => {
      await call({ op: 'exec', sql });
    },
    async close() {
      if (stopped) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      await call({ op: 'close' });
      worker.ref(); // until it has exited
      await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref())]);
      await worker.terminate().catch(() => undefined);
    },
  };
}
