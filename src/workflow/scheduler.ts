/**
 * The scheduler: runs the scheduled jobs (workflow/incident-response.ts SCHEDULED_JOBS) once per
 * window, journaled in `scheduled_runs` (store/scheduled-runs.ts).
 *
 * - When: each job's cron expression (policy.schedule.jobs) in the organisation's time zone,
 *   matched by croner. Every fire time belongs to a window (its local day, or its ISO week), and
 *   the window is the run's identity.
 * - Exactly once per window: windows are inserted idempotently (primary key), claimed with
 *   FOR UPDATE SKIP LOCKED, and a run's effects commit in the same transaction as its `done` row,
 *   only while the claim is still ours. Several processes on PostgreSQL may all schedule.
 * - Catch-up: windows whose fire time passed while no process was running are run at start, the
 *   newest `policy.schedule.catchUpWindows` of them; a store with no runs of a job yet starts with
 *   the newest window only (no back-filling of history).
 * - Failures: retried as the one retry decision (domain/retry.ts) says, with policy.workflow's
 *   attempts and backoff.
 */
import { randomBytes } from 'node:crypto';
import { Cron } from 'croner';
import type { Policy } from '../config/schema.js';
import { PermanentError } from '../domain/errors.js';
import { isoWeekOf, localTime } from '../domain/local-time.js';
import { decideRetry, failureText } from '../domain/retry.js';
import type { Logger } from '../ops/log.js';
import { WorkLoop } from '../ops/work-loop.js';
import type { Db, Queryable } from '../store/db.js';
import { claimDueRuns, ensureWindows, failRun, finishRun, latestWindowDue, releaseRunningRuns } from '../store/scheduled-runs.js';
import type { ScheduledJobId } from './incident-response.js';

/** What a job's preparation receives: the store itself, outside any transaction. */
export interface PrepareContext {
  db: Db;
  /** The window key: "YYYY-MM-DD" (local day) or "YYYY-Www" (ISO week) in the organisation's zone. */
  window: string;
  /** The cron fire time the window belongs to. */
  dueAt: Date;
  now: Date;
  attempt: number;
}

/** What a job's run receives: its transaction, and what `prepare` gave (undefined without one). */
export interface JobContext<P = unknown> extends Omit<PrepareContext, 'db'> {
  tx: Queryable;
  prepared: P;
}

/** A scheduled job: what it covers and what it does. Its result is journaled with the run. */
export interface ScheduledJob<Id extends ScheduledJobId = ScheduledJobId, P = unknown> {
  id: Id;
  /** The period one run covers. */
  window: 'day' | 'iso-week';
  /**
   * The reading and computing of a run, before its transaction and outside it, yielding to the
   * event loop between units (a site, a report). The embedded store has one connection: a chain's
   * audit or report computed inside the transaction would hold every event and alert behind it
   * for seconds. It writes nothing, except work that is final and idempotent unit by unit (the
   * archive sweep's incidents), each unit in a short transaction of its own, so a failed run's
   * retry goes on from where it stopped; `run` writes the rest, in the run's transaction.
   */
  prepare?(ctx: PrepareContext): Promise<P>;
  run(ctx: JobContext<P>): Promise<unknown>;
}

export interface SchedulerOptions {
  /** The listed jobs; every one must have a definition in `jobs`. */
  listed: readonly ScheduledJobId[];
  jobs: readonly ScheduledJob[];
  policy: Policy;
  /** The organisation's time zone (cron and windows). */
  timezone: string;
  now?: () => Date;
  random?: () => number;
  log?: Logger;
  pollMs?: number;
  leaseMs?: number;
  onRunFinished?: (job: ScheduledJobId, window: string, status: 'done' | 'failed') => void;
  /**
   * Awaited before a run's preparation and, for a job with one, again before its transaction:
   * background work gives way to the foreground (vigil serve: ops/quiet.ts, a quiet event loop or
   * at most a bounded wait). With it, runs are claimed one at a time (see runDue).
   */
  giveWay?: () => Promise<unknown>;
}

/** The step was taken over by another process meanwhile; this attempt's effects are rolled back. */
class LostClaim extends Error {}

/** The window key of a fire time in a time zone. */
export function windowKey(kind: ScheduledJob['window'], at: Date, timezone: string): string {
  const date = localTime(at, timezone).date;
  return kind === 'day' ? date : isoWeekOf(date);
}

export class Scheduler {
  readonly workerId = `s-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly loop: WorkLoop;
  private readonly byId: Map<ScheduledJobId, { job: ScheduledJob; cron: Cron }>;

  constructor(
    private readonly db: Db,
    private readonly opts: SchedulerOptions,
  ) {
    const defs = new Map(opts.jobs.map((j) => [j.id, j]));
    const missing = opts.listed.filter((id) => !defs.has(id));
    if (missing.length > 0) throw new Error(`scheduled jobs without a definition: ${missing.join(', ')}`);
    this.byId = new Map();
    for (const id of opts.listed) {
      const cfg = opts.policy.schedule.jobs[id];
      if (!cfg) throw new Error(`scheduled job ${id} has no cron expression in policy.schedule.jobs`);
      if (cfg.enabled === false) continue;
      this.byId.set(id, { job: defs.get(id)!, cron: new Cron(cfg.cron, { timezone: opts.timezone, paused: true }) });
    }
    this.loop = new WorkLoop(() => this.runDue(), { pollMs: opts.pollMs ?? 30_000, onError: (e) => opts.log?.error({ err: (e as Error).message }, 'scheduler pass failed') });
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** The jobs this scheduler runs, with their cron expression and next fire time. */
  jobs(): { id: ScheduledJobId; cron: string; timezone: string; window: ScheduledJob['window']; nextRunAt: Date | null }[] {
    const now = this.now();
    return [...this.byId.values()].map(({ job, cron }) => ({ id: job.id, cron: cron.getPattern() ?? '', timezone: this.opts.timezone, window: job.window, nextRunAt: cron.nextRun(now) }));
  }

  /** Makes runs left running by a dead process claimable now (only safe with one process: the embedded store). */
  async releaseOrphans(): Promise<number> {
    return releaseRunningRuns(this.db);
  }

  /** Starts the loop; its first pass (the catch-up of missed windows) runs after `firstDelayMs`. */
  start(firstDelayMs = 0): void {
    this.loop.start(firstDelayMs);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Records the windows that are due now, catching up missed ones; returns the new window keys per job. */
  async plan(): Promise<Map<ScheduledJobId, string[]>> {
    const now = this.now();
    const out = new Map<ScheduledJobId, string[]>();
    for (const { job, cron } of this.byId.values()) {
      // previousRuns excludes its reference: a fire at exactly `now` counts as due.
      const fires = cron.previousRuns(this.opts.policy.schedule.catchUpWindows, new Date(now.getTime() + 1));
      if (fires.length === 0) continue;
      const latest = await latestWindowDue(this.db, job.id);
      const missed = latest ? fires.filter((f) => f.getTime() > latest.getTime()) : fires.slice(0, 1);
      const windows = new Map<string, Date>();
      for (const f of missed) {
        const key = windowKey(job.window, f, this.opts.timezone);
        if (!windows.has(key)) windows.set(key, f);
      }
      const added = await ensureWindows(this.db, job.id, [...windows].map(([key, dueAt]) => ({ key, dueAt })));
      if (added.length > 0) out.set(job.id, added);
    }
    return out;
  }

  /** Plans, then claims and runs the runs that are due; returns how many ran. */
  async runDue(): Promise<number> {
    await this.plan();
    const now = this.now();
    // A run that gives way may wait (twice) before it finishes: claim one at a time then, so no
    // claimed run's lease runs out while the runs claimed before it wait their turn.
    const limit = this.opts.giveWay ? 1 : 10;
    const claimed = await claimDueRuns(this.db, { now, leaseUntil: new Date(now.getTime() + (this.opts.leaseMs ?? 10 * 60_000)), workerId: this.workerId, limit });
    for (const c of claimed) await this.runOne(c.job as ScheduledJobId, c.window_key, c.due_at, c.attempts);
    return claimed.length;
  }

  /** Runs passes until nothing is due (tests, CLI). */
  async drain(maxPasses = 100): Promise<void> {
    for (let i = 0; i < maxPasses; i++) if ((await this.runDue()) === 0) return;
  }

  private async runOne(id: ScheduledJobId, window: string, dueAt: Date, attempt: number): Promise<void> {
    const now = this.now();
    try {
      const entry = this.byId.get(id);
      if (!entry) throw new PermanentError(`scheduled job ${id} is not run by this version or is disabled`);
      await this.opts.giveWay?.();
      const prepared = entry.job.prepare ? await entry.job.prepare({ db: this.db, window, dueAt, now, attempt }) : undefined;
      if (entry.job.prepare) await this.opts.giveWay?.();
      await this.db.transaction(async (tx) => {
        const result = await entry.job.run({ tx, window, dueAt, now, attempt, prepared });
        if (!(await finishRun(tx, { job: id, window, workerId: this.workerId, now: this.now(), result }))) throw new LostClaim();
      });
      this.opts.log?.info({ job: id, window }, 'scheduled job done');
      this.opts.onRunFinished?.(id, window, 'done');
    } catch (e) {
      if (e instanceof LostClaim) return;
      const w = this.opts.policy.workflow;
      const d = decideRetry(e, attempt, { maxAttempts: w.maxAttempts, baseMs: w.backoffBaseMs, maxMs: w.backoffMaxMs }, (this.opts.random ?? Math.random)());
      // The backoff counts from the failure, not from the run's start (it may have waited to give way).
      const failedAt = this.now();
      await failRun(this.db, { job: id, window, workerId: this.workerId, retryAt: d.retry ? new Date(failedAt.getTime() + d.delayMs) : null, error: failureText(e, attempt, d), now: failedAt });
      this.opts.log?.warn({ job: id, window, attempt, final: !d.retry, err: (e as Error).message }, 'scheduled job failed');
      if (!d.retry) this.opts.onRunFinished?.(id, window, 'failed');
    }
  }
}
