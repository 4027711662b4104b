/**
 * The incident workflow's journal: one `workflow_steps` row per (incident, step) is both the step's
 * journal entry and its result. Only the runner (workflow/runner.ts) writes here; the named
 * operations below are its vocabulary (claims, failures and releases shared with the scheduled
 * jobs' journal in journal.ts).
 */
import type { Queryable } from './db.js';
import { claimDue, failClaimed, releaseRunning, WORKFLOW_JOURNAL } from './journal.js';

/** A journal row as the runner plans it (one insert or update per row). */
export interface JournalRow {
  incident_id: string;
  step: string;
  ord: number;
  status: 'pending' | 'running' | 'done' | 'skipped' | 'failed';
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  next_run_at: string | null;
  error: string | null;
  reason: string | null;
  result: unknown;
}

/** A step claimed for a run. */
export interface ClaimedStep {
  incident_id: string;
  step: string;
  ord: number;
  attempts: number;
}

/**
 * Writes planned journal rows in one statement: new rows are inserted; an existing row takes the
 * new status and times, counts one more attempt when the plan ran it, and keeps its result when
 * the plan has none.
 */
export async function upsertJournalRows(tx: Queryable, rows: readonly JournalRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO workflow_steps (incident_id, step, ord, status, attempts, started_at, finished_at, next_run_at, error, reason, result, updated_at)
     SELECT incident_id, step, ord, status, attempts, started_at, finished_at, next_run_at, error, reason, result, now()
       FROM jsonb_to_recordset($1::jsonb) AS x(incident_id text, step text, ord int, status text, attempts int, started_at timestamptz,
            finished_at timestamptz, next_run_at timestamptz, error text, reason text, result jsonb)
     ON CONFLICT (incident_id, step) DO UPDATE SET
       status = EXCLUDED.status, attempts = workflow_steps.attempts + CASE WHEN EXCLUDED.started_at IS NULL THEN 0 ELSE 1 END,
       finished_at = EXCLUDED.finished_at, next_run_at = EXCLUDED.next_run_at, error = EXCLUDED.error, reason = EXCLUDED.reason,
       result = coalesce(EXCLUDED.result, workflow_steps.result), updated_at = now()`,
    [JSON.stringify(rows)],
  );
}

/** Claims up to `limit` due steps for `workerId` until `leaseUntil` (running, one more attempt). */
export async function claimDueSteps(q: Queryable, p: { now: Date; leaseUntil: Date; workerId: string; limit: number }): Promise<ClaimedStep[]> {
  return claimDue<ClaimedStep>(q, WORKFLOW_JOURNAL, 's.incident_id, s.step, s.ord, s.attempts', p);
}

/**
 * Records a finished step (done or skipped) and makes the incident's next pending step due, only
 * while the claim is still `workerId`'s. False when the claim was lost (another worker took over).
 * The next pending step, not the next step: when a band rise runs a few steps again, the finished
 * steps between them are passed over.
 */
export async function finishClaimedStep(
  tx: Queryable,
  p: { incidentId: string; step: string; workerId: string; status: 'done' | 'skipped'; now: Date; reason: string | null; result: unknown },
): Promise<boolean> {
  const r = await tx.query(
    `WITH done AS (
       UPDATE workflow_steps SET status = $3, finished_at = $4, next_run_at = NULL, locked_until = NULL, locked_by = NULL, error = NULL,
              reason = $5, result = $6, updated_at = now()
        WHERE incident_id = $1 AND step = $2 AND locked_by = $7 AND status = 'running' RETURNING ord),
     nxt AS (
       UPDATE workflow_steps w SET next_run_at = $4, updated_at = now()
        WHERE w.incident_id = $1 AND w.status = 'pending' AND w.next_run_at IS NULL
          AND w.ord = (SELECT min(x.ord) FROM workflow_steps x WHERE x.incident_id = $1 AND x.status = 'pending' AND x.ord > (SELECT ord FROM done))
       RETURNING 1)
     SELECT ord FROM done`,
    [p.incidentId, p.step, p.status, p.now, p.reason, p.result === undefined ? null : JSON.stringify(p.result), p.workerId],
  );
  return r.rows.length > 0;
}

/** Puts a claimed step back to wait (until `until`, or a nudge when null), not counting the attempt. False when the claim was lost. */
export async function parkClaimedStep(tx: Queryable, p: { incidentId: string; step: string; workerId: string; until: Date | null; reason: string }): Promise<boolean> {
  const r = await tx.query(
    `UPDATE workflow_steps SET status = 'pending', attempts = attempts - 1, next_run_at = $3, locked_until = NULL, locked_by = NULL,
            reason = $4, updated_at = now() WHERE incident_id = $1 AND step = $2 AND locked_by = $5 AND status = 'running' RETURNING 1`,
    [p.incidentId, p.step, p.until, p.reason, p.workerId],
  );
  return r.rows.length > 0;
}

/** Records a failed attempt: pending again at `retryAt`, or failed for good when `retryAt` is null. */
export async function failClaimedStep(q: Queryable, p: { incidentId: string; step: string; workerId: string; retryAt: Date | null; error: string; now: Date }): Promise<void> {
  await failClaimed(q, WORKFLOW_JOURNAL, [p.incidentId, p.step], p);
}

/** Makes steps left `running` by a dead process claimable now; returns how many. */
export async function releaseRunningSteps(q: Queryable): Promise<number> {
  return releaseRunning(q, WORKFLOW_JOURNAL);
}

/** Makes an incident's waiting steps due now (e.g. after it was resolved). */
export async function nudgeWaitingSteps(q: Queryable, incidentId: string, now: Date): Promise<void> {
  await q.query(
    `UPDATE workflow_steps SET next_run_at = $2, updated_at = now()
      WHERE incident_id = $1 AND status = 'pending' AND reason IS NOT NULL AND (next_run_at IS NULL OR next_run_at > $2)`,
    [incidentId, now],
  );
}
