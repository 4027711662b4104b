/**
 * The thread that holds the embedded store (PGlite). PGlite runs each statement in WebAssembly
 * without yielding, so in the thread that serves HTTP a commit would stop every socket, probe and
 * refusal until it ends. Here it stops only this thread; the serving thread sends each statement
 * as a message and awaits the answer (src/store/pglite-thread.ts).
 *
 * Messages in: { id, op: 'query', sql, params, tx? } | { id, op: 'begin' } |
 * { id, op: 'end', tx, commit } | { id, op: 'exec', sql } | { id, op: 'close' }.
 * Messages out: { ready: true } once open, { id, ok: value } or { id, error } per message.
 *
 * Compiled to dist/store/pglite-worker.js, which is what the thread runs (npm run build).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type PGliteOptions, type Transaction } from '@electric-sql/pglite';

interface Init {
  dataDir: string;
  options: PGliteOptions;
}

type Message =
  | { id: number; op: 'query'; sql: string; params?: unknown[]; tx?: number }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'close' };

/** What of a database error crosses the thread boundary (pg-protocol's DatabaseError fields). */
const ERROR_FIELDS = ['code', 'detail', 'hint', 'position', 'schema', 'table', 'column', 'dataType', 'constraint', 'severity', 'where', 'routine'] as const;

export interface ThreadError {
  message: string;
  name: string;
  fields: Record<string, unknown>;
}

function toThreadError(e: unknown): ThreadError {
  const err = e instanceof Error ? e : new Error(String(e));
  const fields: Record<string, unknown> = {};
  for (const f of ERROR_FIELDS) {
    const v = (err as unknown as Record<string, unknown>)[f];
    if (v !== undefined) fields[f] = v;
  }
  return { message: err.message, name: err.name, fields };
}

class Rollback extends Error {}

interface OpenTx {
  tx: Transaction;
  end: (commit: boolean) => void;
  done: Promise<void>;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('pglite-worker runs as a worker thread');
  const init = workerData as Init;
  const lite = await PGlite.create(init.dataDir, init.options);
  const open = new Map<number, OpenTx>();
  let nextTx = 1;
  const ok = (id: number, value: unknown) => port.postMessage({ id, ok: value });
  const fail = (id: number, e: unknown) => port.postMessage({ id, error: toThreadError(e) });

  const begin = (id: number) => {
    const txId = nextTx++;
    let started = false;
    const done = lite
      .transaction(async (tx) => {
        const commit = await new Promise<boolean>((resolve) => {
          open.set(txId, { tx, end: resolve, done });
          started = true;
          ok(id, txId);
        });
        if (!commit) throw new Rollback();
      })
      .then(
        () => undefined,
        (e: unknown) => {
          if (e instanceof Rollback) return;
          if (!started) fail(id, e);
          else throw e;
        },
      );
  };

  port.on('message', (m: Message) => {
    void (async () => {
      try {
        switch (m.op) {
          case 'query': {
            const target = m.tx === undefined ? lite : open.get(m.tx)?.tx;
            if (!target) throw new Error('the transaction is already over');
            const r = await target.query(m.sql, m.params);
            ok(m.id, { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length });
            return;
          }
          case 'begin':
            begin(m.id);
            return;
          case 'end': {
            const t = open.get(m.tx);
            if (!t) throw new Error('the transaction is already over');
            open.delete(m.tx);
            t.end(m.commit);
            await t.done;
            ok(m.id, null);
            return;
          }
          case 'exec':
            await lite.exec(m.sql);
            ok(m.id, null);
            return;
          case 'close':
            await lite.close();
            ok(m.id, null);
            port.close();
            return;
        }
      } catch (e) {
        fail(m.id, e);
      }
    })();
  });
  port.postMessage({ ready: true });
}

main().catch((e: unknown) => {
  parentPort?.postMessage({ failed: toThreadError(e) });
});
