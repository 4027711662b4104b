/**
 * The scheduled jobs' journal (`scheduled_runs`): one row per (job, window). Only the scheduler
 * (workflow/scheduler.ts) writes here. Inserting a window is idempotent (the primary key), and a
 * run's effects commit with its `done` row, so a window runs exactly once across restarts and
 * processes.
 */
import type { Queryable } from './db.js';
import { claimDue, failClaimed, releaseRunning, SCHEDULED_JOURNAL } from './journal.js';

/** A run as the journal holds it. */
export interface ScheduledRunRow {
  job: string;
  window_key: string;
  status: 'pending' | 'running' | 'done' | 'failed';
  attempts: number;
  due_at: Date;
  next_run_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  result: unknown;
  error: string | null;
}

/** The due time of a job's newest recorded window, if any. */
export async function latestWindowDue(q: Queryable, job: string): Promise<Date | undefined> {
  const r = await q.query<{ due_at: Date }>(`SELECT due_at FROM scheduled_runs WHERE job = $1 ORDER BY due_at DESC LIMIT 1`, [job]);
  return r.rows[0]?.due_at;
}

/** Records windows of a job as due (a window already recorded is left as it is); returns the new keys. */
export async function ensureWindows(q: Queryable, job: string, windows: readonly { key: string; dueAt: Date }[]): Promise<string[]> {
  if (windows.length === 0) return [];
  const r = await q.query<{ window_key: string }>(
    `INSERT INTO scheduled_runs (job, window_key, due_at, next_run_at)
     SELECT $1, k, d, d FROM unnest($2::text[], $3::timestamptz[]) AS x(k, d)
     ON CONFLICT (job, window_key) DO NOTHING RETURNING window_key`,
    [job, windows.map((w) => w.key), windows.map((w) => w.dueAt)],
  );
  return r.rows.map((x) => x.window_key);
}

/** Claims due runs for `workerId` until `leaseUntil` (running, one more attempt), oldest first. */
export async function claimDueRuns(q: Queryable, p: { now: Date; leaseUntil: Date; workerId: string; limit: number }): Promise<{ job: string; window_key: string; due_at: Date; attempts: number }[]> {
  return claimDue(q, SCHEDULED_JOURNAL, 's.job, s.window_key, s.due_at, s.attempts', p);
}

/** Records a finished run while the claim is still `workerId`'s; false when it was lost. */
export async function finishRun(tx: Queryable, p: { job: string; window: string; workerId: string; now: Date; result: unknown }): Promise<boolean> {
  const r = await tx.query(
    `UPDATE scheduled_runs SET status = 'done', finished_at = $3, next_run_at = NULL, locked_until = NULL, locked_by = NULL, error = NULL, result = $4, updated_at = now()
      WHERE job = $1 AND window_key = $2 AND locked_by = $5 AND status = 'running' RETURNING 1`,
    [p.job, p.window, p.now, p.result === undefined ? null : JSON.stringify(p.result), p.workerId],
  );
  return r.rows.length > 0;
}

/** Records a failed attempt: pending again at `retryAt`, or failed for good when null. */
export async function failRun(q: Queryable, p: { job: string; window: string; workerId: string; retryAt: Date | null; error: string; now: Date }): Promise<void> {
  await failClaimed(q, SCHEDULED_JOURNAL, [p.job, p.window], p);
}

/** Makes runs left `running` by a dead process claimable now; returns how many. */
export async function releaseRunningRuns(q: Queryable): Promise<number> {
  return releaseRunning(q, SCHEDULED_JOURNAL);
}

/** The newest runs of each job (at most `perJob`), newest first. */
export async function recentRuns(q: Queryable, perJob: number): Promise<ScheduledRunRow[]> {
  const r = await q.query<ScheduledRunRow>(
    `SELECT job, window_key, status, attempts, due_at, next_run_at, started_at, finished_at, result, error FROM (
       SELECT s.*, row_number() OVER (PARTITION BY job ORDER BY due_at DESC) AS n FROM scheduled_runs s) x
      WHERE n <= $1 ORDER BY job, due_at DESC`,
    [perJob],
  );
  return r.rows;
}
