/**
 * The durable workflow runner. Each (incident, step) row of `workflow_steps` is both the step's
 * journal entry and its result. A step runs like this:
 *
 *   claim   (own tx)  status=running, attempts+1, locked_until=now+lease        FOR UPDATE SKIP LOCKED
 *   run     (one tx)  the step's effects + status=done|skipped|pending(wait) + the next step made due
 *   failure (own tx)  status=pending with next_run_at=backoff, or failed with the reason
 *
 * A crash between claim and commit leaves the row running with an expired lease: it is claimed
 * again (resumed) after a restart. Effects and journal commit together, so a step that finished is
 * never run twice. Several processes on PostgreSQL share the work through SKIP LOCKED.
 * Retry is decided here only: RetryableError and unknown errors back off, PermanentError fails at once.
 */
import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { PermanentError } from '../domain/errors.js';
import type { Logger } from '../ops/log.js';
import { WorkLoop } from '../ops/work-loop.js';
import type { Metrics } from '../ops/metrics.js';
import type { Db, Queryable } from '../store/db.js';

/** What a step handler returns. */
export type StepOutcome =
  | { status: 'done'; result?: unknown }
  | { status: 'skipped'; reason: string; result?: unknown }
  /** Not yet: run again at `until`, or when something nudges the workflow (null). */
  | { status: 'waiting'; reason: string; until: Date | null };

export interface StepContext {
  tx: Queryable;
  incidentId: string;
  attempt: number;
  now: Date;
}

export interface StepDefinition {
  id: string;
  run(ctx: StepContext): Promise<StepOutcome>;
}

export interface RunnerOptions {
  steps: readonly StepDefinition[];
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long a claim is held before another worker may take the step over. */
  leaseMs?: number;
  /** Steps claimed per poll. */
  batchSize?: number;
  pollMs?: number;
  metrics?: Metrics;
  log?: Logger;
  now?: () => Date;
  /** Jitter source in [0,1) (tests pass a constant). */
  random?: () => number;
  onStepFinished?: (incidentId: string, step: string, status: string) => void;
}

/** Exponential backoff with full jitter: base x 2^(attempt-1), capped, times a random factor in [0.5, 1). */
export function backoffMs(attempt: number, base: number, max: number, random: number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + random / 2));
}

/** The step was taken over by another worker meanwhile; this attempt's effects are rolled back. */
class LostClaim extends Error {}

interface Claimed {
  incident_id: string;
  step: string;
  ord: number;
  attempts: number;
}

export class WorkflowRunner {
  readonly workerId = `w-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly byId: Map<string, StepDefinition>;

  private readonly loop: WorkLoop;

  constructor(
    private readonly db: Db,
    private readonly opts: RunnerOptions,
  ) {
    this.byId = new Map(opts.steps.map((s) => [s.id, s]));
    this.loop = new WorkLoop(() => this.runDue(), { pollMs: opts.pollMs ?? 1000, onError: (e) => opts.log?.error({ err: e }, 'workflow pass failed') });
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /**
   * Makes steps left `running` by a dead process claimable now (they resume at once instead of
   * after their lease). Only safe when this is the only runner on the store (the embedded store).
   */
  async releaseOrphans(): Promise<number> {
    const r = await this.db.query(`UPDATE workflow_steps SET locked_until = NULL, locked_by = NULL WHERE status = 'running'`);
    return r.rowCount;
  }

  /** Starts the background loop. */
  start(): void {
    this.loop.start();
  }

  /** Stops the loop and waits for the pass in progress. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Asks for a pass soon (new work was committed). */
  kick(): void {
    this.loop.kick();
  }

  /** Claims and runs the steps that are due now; returns how many ran. Used by tests directly. */
  async runDue(): Promise<number> {
    const claimed = await this.claim();
    for (const c of claimed) {
      // The embedded store runs a whole transaction without giving the event loop a turn; yield
      // between steps so HTTP requests (and the alerts they carry) are not held up behind a batch.
      await yieldToEventLoop();
      await this.runOne(c);
    }
    return claimed.length;
  }

  /** Runs passes until nothing is due (tests, CLI). */
  async drain(maxPasses = 1000): Promise<void> {
    for (let i = 0; i < maxPasses; i++) if ((await this.runDue()) === 0) return;
  }

  private async claim(): Promise<Claimed[]> {
    const now = this.now();
    const lease = new Date(now.getTime() + (this.opts.leaseMs ?? 60_000));
    const r = await this.db.query<Claimed>(
      `UPDATE workflow_steps s SET status = 'running', attempts = s.attempts + 1, started_at = $1, locked_until = $2, locked_by = $3, updated_at = now()
        WHERE (s.incident_id, s.step) IN (
          SELECT incident_id, step FROM workflow_steps
           WHERE status IN ('pending', 'running') AND next_run_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
           ORDER BY next_run_at LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING s.incident_id, s.step, s.ord, s.attempts`,
      [now, lease, this.workerId, this.opts.batchSize ?? 50],
    );
    return r.rows.sort((a, b) => (a.incident_id === b.incident_id ? a.ord - b.ord : 0));
  }

  private async runOne(c: Claimed): Promise<void> {
    const def = this.byId.get(c.step);
    const started = performance.now();
    const now = this.now();
    try {
      if (!def) throw new PermanentError(`no handler for step ${c.step} in this version`);
      const status = await this.db.transaction(async (tx) => {
        const out = await def.run({ tx, incidentId: c.incident_id, attempt: c.attempts, now });
        // The journal entry commits with the effects, and only if the claim is still ours (another
        // worker may have taken the step over after our lease ran out): otherwise everything rolls back.
        const r =
          out.status === 'waiting'
            ? await tx.query<{ done: number }>(
                `UPDATE workflow_steps SET status = 'pending', attempts = attempts - 1, next_run_at = $3, locked_until = NULL, locked_by = NULL,
                        reason = $4, updated_at = now() WHERE incident_id = $1 AND step = $2 AND locked_by = $5 AND status = 'running' RETURNING 1 AS done`,
                [c.incident_id, c.step, out.until, out.reason, this.workerId],
              )
            : await tx.query<{ done: number }>(
                `WITH done AS (
                   UPDATE workflow_steps SET status = $3, finished_at = $4, next_run_at = NULL, locked_until = NULL, locked_by = NULL, error = NULL,
                          reason = $5, result = $6, updated_at = now()
                    WHERE incident_id = $1 AND step = $2 AND locked_by = $7 AND status = 'running' RETURNING ord),
                 nxt AS (
                   UPDATE workflow_steps w SET next_run_at = $4, updated_at = now()
                    WHERE w.incident_id = $1 AND w.status = 'pending' AND w.next_run_at IS NULL
                      AND w.ord = (SELECT min(x.ord) FROM workflow_steps x WHERE x.incident_id = $1 AND x.ord > (SELECT ord FROM done))
                   RETURNING 1)
                 SELECT ord AS done FROM done`,
                [c.incident_id, c.step, out.status, now, out.status === 'skipped' ? out.reason : null, out.result === undefined ? null : JSON.stringify(out.result), this.workerId],
              );
        if (r.rows.length === 0) throw new LostClaim();
        return out.status;
      }).catch((e: unknown) => {
        if (e instanceof LostClaim) return 'lost' as const;
        throw e;
      });
      this.opts.metrics?.stepDuration.observe({ step: c.step, status }, (performance.now() - started) / 1000);
      if (status !== 'lost') this.opts.onStepFinished?.(c.incident_id, c.step, status);
    } catch (e) {
      const err = e as Error;
      this.opts.metrics?.stepFailures.inc({ step: c.step });
      const permanent = err instanceof PermanentError;
      const final = permanent || c.attempts >= this.opts.maxAttempts;
      const delay = backoffMs(c.attempts, this.opts.backoffBaseMs, this.opts.backoffMaxMs, (this.opts.random ?? Math.random)());
      await this.db.query(
        `UPDATE workflow_steps SET status = $3, next_run_at = $4, locked_until = NULL, locked_by = NULL, error = $5,
                finished_at = CASE WHEN $3 = 'failed' THEN $6::timestamptz ELSE finished_at END, updated_at = now()
          WHERE incident_id = $1 AND step = $2 AND locked_by = $7`,
        [
          c.incident_id,
          c.step,
          final ? 'failed' : 'pending',
          final ? null : new Date(now.getTime() + delay),
          `${final && !permanent ? `gave up after ${c.attempts} attempts: ` : ''}${err.message}`.slice(0, 2000),
          now,
          this.workerId,
        ],
      );
      this.opts.log?.warn({ incident: c.incident_id, step: c.step, attempt: c.attempts, final, err: err.message }, 'workflow step failed');
      if (final) this.opts.onStepFinished?.(c.incident_id, c.step, 'failed');
    }
  }

  /** Makes an incident's waiting steps due now (e.g. after it was resolved). */
  static async nudge(q: Queryable, incidentId: string, now: Date): Promise<void> {
    await q.query(
      `UPDATE workflow_steps SET next_run_at = $2, updated_at = now()
        WHERE incident_id = $1 AND status = 'pending' AND reason IS NOT NULL AND (next_run_at IS NULL OR next_run_at > $2)`,
      [incidentId, now],
    );
  }
}
