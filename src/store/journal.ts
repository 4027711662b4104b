/**
 * What the two journals share: the incident workflow's `workflow_steps` (keyed by incident and
 * step) and the scheduled jobs' `scheduled_runs` (keyed by job and window) are claimed, failed and
 * released the same way. Claims take due rows with `FOR UPDATE SKIP LOCKED` and a lease, so several
 * processes on PostgreSQL share the work without taking a row twice. The table and key names below
 * are constants of this module, never input.
 */
import type { Queryable } from './db.js';

/** A journal table and its two key columns. */
export type Journal = { table: 'workflow_steps'; key: readonly ['incident_id', 'step'] } | { table: 'scheduled_runs'; key: readonly ['job', 'window_key'] };

export const WORKFLOW_JOURNAL: Journal = { table: 'workflow_steps', key: ['incident_id', 'step'] };
export const SCHEDULED_JOURNAL: Journal = { table: 'scheduled_runs', key: ['job', 'window_key'] };

/** Claims up to `limit` due rows for `workerId` until `leaseUntil` (running, one more attempt); returns the listed columns. */
export async function claimDue<T>(q: Queryable, j: Journal, returning: string, p: { now: Date; leaseUntil: Date; workerId: string; limit: number }): Promise<T[]> {
  const [a, b] = j.key;
  const r = await q.query<T>(
    `UPDATE ${j.table} s SET status = 'running', attempts = s.attempts + 1, started_at = $1, locked_until = $2, locked_by = $3, updated_at = now()
      WHERE (s.${a}, s.${b}) IN (
        SELECT ${a}, ${b} FROM ${j.table}
         WHERE status IN ('pending', 'running') AND next_run_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
         ORDER BY next_run_at LIMIT $4 FOR UPDATE SKIP LOCKED)
      RETURNING ${returning}`,
    [p.now, p.leaseUntil, p.workerId, p.limit],
  );
  return r.rows;
}

/** Records a failed attempt of a row `workerId` holds: pending again at `retryAt`, or failed for good when null. */
export async function failClaimed(q: Queryable, j: Journal, key: readonly [string, string], p: { workerId: string; retryAt: Date | null; error: string; now: Date }): Promise<void> {
  const [a, b] = j.key;
  await q.query(
    `UPDATE ${j.table} SET status = $3, next_run_at = $4, locked_until = NULL, locked_by = NULL, error = $5,
            finished_at = CASE WHEN $3 = 'failed' THEN $6::timestamptz ELSE finished_at END, updated_at = now()
      WHERE ${a} = $1 AND ${b} = $2 AND locked_by = $7`,
    [key[0], key[1], p.retryAt ? 'pending' : 'failed', p.retryAt, p.error.slice(0, 2000), p.now, p.workerId],
  );
}

/** Makes rows left `running` by a dead process claimable now; returns how many. */
export async function releaseRunning(q: Queryable, j: Journal): Promise<number> {
  const r = await q.query(`UPDATE ${j.table} SET locked_until = NULL, locked_by = NULL WHERE status = 'running'`);
  return r.rowCount;
}
