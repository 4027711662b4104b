/**
 * The statements on the critical path from a forced door's `POST /api/v1/events` to its SMS
 * request at the provider: the alert-latency benchmark's chain and configuration, one forced door
 * at a time on an idle server, every statement the store runs counted and timed until the first
 * SMS request of the incident arrives at a Twilio-compatible receiver in another thread (the
 * alert-latency receiver). A count does not depend on the machine's load the way a latency does;
 * the times do. BEGIN and COMMIT of a transaction are not statements of ours and are not counted
 * (the transaction's whole time is reported beside them).
 */
import { rmSync } from 'node:fs';
import { buildServer } from '../api/server.js';
import type { Db, Queryable } from '../store/db.js';
import { quantile, startAlertBench } from './alert-latency.js';

export interface AlertStatementsResult {
  runs: number;
  /** Median statements from the POST to the first SMS request. */
  statements: number;
  /** Median summed time of those statements (ms). */
  statementMs: number;
  /** Median time of the ingest transaction, BEGIN to COMMIT (ms). */
  transactionMs: number;
  /** Median time from the POST to the first SMS request at the receiver (ms). */
  toSmsMs: number;
  /** The statements of the median run, in order (start of the SQL, ms). */
  listing: { sql: string; ms: number }[];
}

const now = () => performance.timeOrigin + performance.now();
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

/** Wraps `db` in place so that every statement (on the store or in a transaction) is reported to `seen`. */
function traceDb(db: Db, seen: (s: { sql: string; at: number; ms: number; transaction?: true }) => void): void {
  const timed = (q: Queryable['query']): Queryable['query'] =>
    (async (sql: string, params?: unknown[]) => {
      const at = now();
      try {
        return await q(sql, params);
      } finally {
        seen({ sql: sql.replace(/\s+/g, ' ').trim(), at, ms: now() - at });
      }
    }) as Queryable['query'];
  const query = db.query.bind(db);
  const transaction = db.transaction.bind(db);
  Object.assign(db, {
    query: timed(query),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => {
      const at = now();
      return transaction((tx) => fn({ query: timed(tx.query.bind(tx)) })).finally(() => seen({ sql: '(transaction)', at, ms: now() - at, transaction: true }));
    },
  });
}

/** Posts `runs` forced doors one at a time (after `warmup` more) and measures each one's path to its SMS. */
export async function benchAlertStatements(runs: number, log: (s: string) => void, warmup = 10): Promise<AlertStatementsResult> {
  const { dir, worker, config, token, service } = await startAlertBench('vigil-bench-statements-');
  let trace: { sql: string; at: number; ms: number; transaction?: true }[] | undefined;
  let lastStatementAt = 0;
  traceDb(service.db, (s) => {
    lastStatementAt = now();
    trace?.push(s);
  });
  const app = await buildServer(service);
  const sites = config.sites.map((s) => ({ id: s.id, zone: s.zones.find((z) => z.restricted)!.id }));
  const arrivals = () =>
    new Promise<number[]>((resolve) => {
      worker.once('message', (m: { arrivals: { at: number }[] }) => resolve(m.arrivals.map((a) => a.at)));
      worker.postMessage({ kind: 'arrivals' });
    });
  let k = 0;
  const post = () => {
    const s = sites[k % sites.length];
    // A new 20-minute slot per visit of a site: never within another incident's window (as alert-latency).
    const at = new Date(Date.parse('2026-01-05T07:00:00Z') + Math.floor(k / sites.length) * 20 * 60_000).toISOString();
    const id = `statements-${k++}`;
    return app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: at, site: s.id, zone: s.zone }),
    });
  };
  const measured: { statements: number; statementMs: number; transactionMs: number; toSmsMs: number; listing: { sql: string; ms: number }[] }[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      // Idle first: the runner, the dispatcher and the monitors have done what the last incident gave them.
      do await new Promise((r) => setTimeout(r, 100));
      while (now() - lastStatementAt < 300);
      await arrivals();
      trace = [];
      const t0 = now();
      const res = await post();
      if (res.statusCode !== 202) throw new Error(`alert statements: the forced door was answered ${res.statusCode}: ${res.body}`);
      let sms: number | undefined;
      for (let w = 0; sms === undefined && w < 1000; w++) {
        await new Promise((r) => setTimeout(r, 5));
        sms = (await arrivals())[0];
      }
      if (sms === undefined) throw new Error('alert statements: no SMS arrived within 5 s');
      const before = trace.filter((s) => s.at < sms);
      trace = undefined;
      if (i < warmup) continue;
      const statements = before.filter((s) => !s.transaction);
      measured.push({
        statements: statements.length,
        statementMs: statements.reduce((a, s) => a + s.ms, 0),
        transactionMs: before.filter((s) => s.transaction).reduce((a, s) => a + s.ms, 0),
        toSmsMs: sms - t0,
        listing: before.map((s) => ({ sql: s.sql.slice(0, 100), ms: s.ms })),
      });
    }
  } finally {
    worker.postMessage({ kind: 'stop' });
    await app.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const byCount = [...measured].sort((a, b) => a.statements - b.statements);
  const r: AlertStatementsResult = {
    runs,
    statements: median(measured.map((m) => m.statements)),
    statementMs: median(measured.map((m) => m.statementMs)),
    transactionMs: median(measured.map((m) => m.transactionMs)),
    toSmsMs: median(measured.map((m) => m.toSmsMs)),
    listing: byCount[Math.floor(byCount.length / 2)].listing,
  };
  for (const s of r.listing) log(`alert statements: ${s.ms.toFixed(2).padStart(7)} ms  ${s.sql}`);
  log(`alert statements: ${r.statements} statements (median of ${runs}), ${r.statementMs.toFixed(1)} ms summed, transaction ${r.transactionMs.toFixed(1)} ms, POST to SMS ${r.toSmsMs.toFixed(1)} ms`);
  return r;
}
