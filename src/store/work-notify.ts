/**
 * Wake-ups between processes sharing one PostgreSQL server (`vigil serve --role api|worker`): an
 * API process that queued work in an ingest transaction says so on the `vigil_work` channel with
 * `pg_notify` in that same transaction, so the message is delivered only when the transaction
 * commits (and not at all when it rolls back). Workers LISTEN on a connection of their own and kick
 * their dispatcher (`outbox`) or workflow runner (`steps`) at once; their polling stays the
 * backstop for a notification lost while a listener reconnects. The embedded store has a single
 * process and needs none of this.
 */
import pg from 'pg';
import type { Logger } from '../ops/log.js';
import type { Queryable } from './db.js';

export const WORK_CHANNEL = 'vigil_work';

/** What a notification wakes: the dispatcher (queued notifications) or the runner (due steps). */
export type WorkKind = 'outbox' | 'steps';

/** Announces work to the listening workers when `tx` commits (repeats within a transaction are folded by the server). */
export async function notifyWorkers(tx: Queryable, kinds: readonly WorkKind[]): Promise<void> {
  if (kinds.length === 0) return;
  await tx.query(`SELECT pg_notify($1, k) FROM unnest($2::text[]) AS k`, [WORK_CHANNEL, [...kinds]]);
}

/** A running listener; `close` ends it. */
export interface WorkListener {
  close(): Promise<void>;
}

/** Listens on the work channel with a connection of its own, reconnecting after a second when it drops. */
export function listenForWork(url: string, onWork: (kind: WorkKind) => void, log?: Logger): WorkListener {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url });
    client = c;
    const again = () => {
      if (closed || client !== c) return;
      client = undefined;
      c.end().catch(() => undefined);
      retry = setTimeout(() => void connect(), 1000);
      retry.unref();
    };
    c.on('error', (e) => {
      log?.warn({ err: e.message }, 'work listener lost its connection; reconnecting');
      again();
    });
    c.on('end', again);
    c.on('notification', (n) => {
      if (n.channel === WORK_CHANNEL && (n.payload === 'outbox' || n.payload === 'steps')) onWork(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${WORK_CHANNEL}`);
    } catch (e) {
      log?.warn({ err: (e as Error).message }, 'work listener could not connect; retrying');
      again();
    }
  };
  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
