/**
 * The durable workflow runner: the only writer of the incident journal (store/workflow-steps.ts).
 * Each (incident, step) row is both the step's journal entry and its result. A step runs like this:
 *
 *   claim   (own tx)  status=running, attempts+1, locked_until=now+lease        FOR UPDATE SKIP LOCKED
 *   run     (one tx)  the step's effects + status=done|skipped|pending(wait) + the next step made due
 *   failure (own tx)  status=pending with next_run_at=backoff, or failed with the reason
 *
 * A crash between claim and commit leaves the row running with an expired lease: it is claimed
 * again (resumed) after a restart. Effects and journal commit together, so a step that finished is
 * never run twice. Several processes on PostgreSQL share the work through SKIP LOCKED. Whether and
 * when to retry is domain/retry.ts's decision.
 *
 * The fast path (runInline): the ingest transaction that stores an event hands its assessed
 * incidents here. The runner plans their journal rows, takes the results of the assessment steps
 * from the batch's facts, runs the next inline steps (the emergency-SMS decision) inside that same
 * transaction under a savepoint, and writes the journal in one statement. What it could not finish
 * is left due for the normal path.
 */
import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Assessment, IncidentAggregate } from '../domain/assessment.js';
import type { CheckpointSigner } from '../domain/checkpoint.js';
import { PermanentError } from '../domain/errors.js';
import { decideRetry, failureText } from '../domain/retry.js';
import { BANDS, type Band } from '../domain/types.js';
import type { Logger } from '../ops/log.js';
import type { Metrics } from '../ops/metrics.js';
import { WorkLoop } from '../ops/work-loop.js';
import type { Db, Queryable } from '../store/db.js';
import type { IncidentRow } from '../store/incidents.js';
import type { NotificationRow, OutboxClaim } from '../store/notifications.js';
import {
  claimDueSteps,
  failClaimedStep,
  finishClaimedStep,
  nudgeWaitingSteps,
  parkClaimedStep,
  releaseRunningSteps,
  upsertJournalRows,
  type ClaimedStep,
  type JournalRow,
} from '../store/workflow-steps.js';
import { ASSESSMENT_STEPS, BAND_RISE_STEPS, INLINE_STEPS, type IncidentStepId } from './incident-response.js';

export { backoffMs } from '../domain/retry.js';

/**
 * What the service hands every step and scheduled job when it builds them (step-registry.ts):
 * the transparency log's key, so each audit record a step appends gets its signed checkpoint in
 * the same transaction (without it, checkpoints are signed later).
 */
export interface StepDeps {
  logSigner?: CheckpointSigner;
}

/** What a step handler returns. */
export type StepOutcome =
  | { status: 'done'; result?: unknown; claimed?: NotificationRow[] }
  | { status: 'skipped'; reason: string; result?: unknown }
  /** Not yet: run again at `until`, or when something nudges the workflow (null). */
  | { status: 'waiting'; reason: string; until: Date | null };

/** What a step's run receives. */
export interface StepContext {
  tx: Queryable;
  incidentId: string;
  attempt: number;
  now: Date;
  /** Inline run only: what the ingest transaction knows of the incident (its written row among it). */
  facts?: AssessedIncident;
  /**
   * Inline run only: messages the step queues go in already claimed for this process's dispatcher
   * (store/notifications.ts OutboxClaim); the step returns them in `claimed`.
   */
  claim?: OutboxClaim;
}

/** What the ingest transaction knows of an incident it just assessed (the inline run's input). */
export interface AssessedIncident {
  incidentId: string;
  isNew: boolean;
  /** Band before this batch (existing incidents). */
  previousBand?: Band;
  agg: IncidentAggregate;
  /** Undefined when the assessment failed: the assessment steps are then left to the runner. */
  assessment?: Assessment;
  /** Why the assessment failed. */
  failure?: string;
  /** Sequence numbers of the events this batch added to the incident. */
  eventSeqs: number[];
  /** The incident as the ingest wrote it in this transaction (locked by that write), as a response step reads it. */
  incident?: IncidentRow;
}

/** What the inline run may do besides journaling (the ingest's hand-off asks for it). */
export interface InlineOptions {
  /** Claim the messages the inline steps queue for this dispatcher, and collect them in `claimed`. */
  outbox?: { claim: OutboxClaim; claimed: NotificationRow[] };
}

/**
 * A step of a workflow, by id. `inline` says how it takes part in the ingest transaction's fast path:
 * `fromFacts` gives its result from the batch's assessment with no I/O (undefined: not available);
 * `runInTransaction` runs `run` inside the ingest transaction under a savepoint. Absent: runner only.
 */
export interface StepDefinition<Id extends string = IncidentStepId> {
  id: Id;
  run(ctx: StepContext): Promise<StepOutcome>;
  inline?: { fromFacts(facts: AssessedIncident): StepOutcome | undefined } | { runInTransaction: true };
}

export interface RunnerOptions<Id extends string = IncidentStepId> {
  /** The listed steps, in order; every one must have a definition in `steps` (default: the steps' ids). */
  workflow?: readonly Id[];
  steps: readonly StepDefinition<Id>[];
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
  onStepFinished?: (incidentId: string, step: Id, status: string) => void;
}

/** The step was taken over by another worker meanwhile; this attempt's effects are rolled back. */
class LostClaim extends Error {}

const rank = (b: string | undefined): number => BANDS.indexOf(b as Band);

export class WorkflowRunner<Id extends string = IncidentStepId> {
  readonly workerId = `w-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly byId: Map<string, StepDefinition<Id>>;
  private readonly order: readonly Id[];
  private readonly loop: WorkLoop;

  constructor(
    private readonly db: Db,
    private readonly opts: RunnerOptions<Id>,
  ) {
    this.byId = new Map(opts.steps.map((s) => [s.id, s]));
    this.order = opts.workflow ?? opts.steps.map((s) => s.id);
    const missing = this.order.filter((id) => !this.byId.has(id));
    if (missing.length > 0) throw new Error(`workflow steps without a definition: ${missing.join(', ')}`);
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
    return releaseRunningSteps(this.db);
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
    const now = this.now();
    const claimed = (await claimDueSteps(this.db, { now, leaseUntil: new Date(now.getTime() + (this.opts.leaseMs ?? 60_000)), workerId: this.workerId, limit: this.opts.batchSize ?? 50 }))
      .sort((a, b) => (a.incident_id === b.incident_id ? a.ord - b.ord : 0));
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

  private async runOne(c: ClaimedStep): Promise<void> {
    const def = this.byId.get(c.step);
    const started = performance.now();
    const now = this.now();
    const step = c.step as Id;
    try {
      if (!def) throw new PermanentError(`no handler for step ${c.step} in this version`);
      const status = await this.db
        .transaction(async (tx) => {
          const out = await def.run({ tx, incidentId: c.incident_id, attempt: c.attempts, now });
          // The journal entry commits with the effects, and only if the claim is still ours (another
          // worker may have taken the step over after our lease ran out): otherwise everything rolls back.
          const kept =
            out.status === 'waiting'
              ? await parkClaimedStep(tx, { incidentId: c.incident_id, step: c.step, workerId: this.workerId, until: out.until, reason: out.reason })
              : await finishClaimedStep(tx, { incidentId: c.incident_id, step: c.step, workerId: this.workerId, status: out.status, now, reason: out.status === 'skipped' ? out.reason : null, result: out.result });
          if (!kept) throw new LostClaim();
          return out.status;
        })
        .catch((e: unknown) => {
          if (e instanceof LostClaim) return 'lost' as const;
          throw e;
        });
      this.opts.metrics?.stepDuration.observe({ step: c.step, status }, (performance.now() - started) / 1000);
      if (status !== 'lost') this.opts.onStepFinished?.(c.incident_id, step, status);
    } catch (e) {
      this.opts.metrics?.stepFailures.inc({ step: c.step });
      const d = decideRetry(e, c.attempts, { maxAttempts: this.opts.maxAttempts, baseMs: this.opts.backoffBaseMs, maxMs: this.opts.backoffMaxMs }, (this.opts.random ?? Math.random)());
      await failClaimedStep(this.db, { incidentId: c.incident_id, step: c.step, workerId: this.workerId, retryAt: d.retry ? new Date(now.getTime() + d.delayMs) : null, error: failureText(e, c.attempts, d), now });
      this.opts.log?.warn({ incident: c.incident_id, step: c.step, attempt: c.attempts, final: !d.retry, err: (e as Error).message }, 'workflow step failed');
      if (!d.retry) this.opts.onStepFinished?.(c.incident_id, step, 'failed');
    }
  }

  /**
   * The fast path, inside the ingest transaction `tx`: plans the journal of each assessed incident
   * (every step for a new incident; the assessment steps again for one that grew, and the band-rise
   * steps too when its band rose), records the assessment steps' results from the facts, runs the
   * inline steps that follow under a savepoint, and writes the journal. Returns, per step, the
   * incidents whose step finished `done` here. With `opts.outbox`, the messages the inline steps
   * queued are inserted claimed and collected there (only those of steps whose savepoint was released).
   */
  async runInline(tx: Queryable, incidents: readonly AssessedIncident[], now: Date, opts: InlineOptions = {}): Promise<Map<Id, string[]>> {
    const doneBy = new Map<Id, string[]>();
    const rows: JournalRow[] = [];
    const at = now.toISOString();
    for (const inc of incidents) {
      const rose = !inc.isNew && inc.assessment !== undefined && inc.previousBand !== undefined && rank(inc.assessment.severity.band) > rank(inc.previousBand);
      const mine: JournalRow[] = [];
      for (const [ord, id] of this.order.entries()) {
        const again = (ASSESSMENT_STEPS as readonly string[]).includes(id) || (rose && (BAND_RISE_STEPS as readonly string[]).includes(id));
        if (!inc.isNew && !again) continue;
        mine.push({ incident_id: inc.incidentId, step: id, ord, status: 'pending', attempts: 0, started_at: null, finished_at: null, next_run_at: null, error: null, reason: null, result: null });
      }
      // Walk the plan in order while each step can be finished here; the first one that cannot is due now.
      let open = true;
      for (const row of mine) {
        const def = this.byId.get(row.step)!;
        const inline = (INLINE_STEPS as readonly string[]).includes(row.step) ? def.inline : undefined;
        if (inline && 'fromFacts' in inline) {
          const out = inline.fromFacts(inc);
          Object.assign(row, { attempts: 1, started_at: at });
          if (out && out.status !== 'waiting') {
            this.settle(row, out, at, doneBy);
          } else {
            // No result from the facts (the assessment failed): due now for the runner, with the reason.
            Object.assign(row, { next_run_at: at, error: inc.failure ?? null });
            open = false;
          }
          continue;
        }
        if (!open) break;
        row.next_run_at = at;
        if (!inline) break;
        const finished = await this.runUnderSavepoint(tx, def, row, now, inc, opts.outbox?.claim);
        if (!finished) break;
        this.settle(row, finished, at, doneBy);
        if (finished.status === 'done' && finished.claimed && opts.outbox) opts.outbox.claimed.push(...finished.claimed);
      }
      rows.push(...mine);
    }
    await upsertJournalRows(tx, rows);
    return doneBy;
  }

  /** Fills a planned row with a finished outcome. */
  private settle(row: JournalRow, out: Exclude<StepOutcome, { status: 'waiting' }>, at: string, doneBy: Map<Id, string[]>): void {
    Object.assign(row, { status: out.status, attempts: 1, started_at: at, finished_at: at, next_run_at: null, reason: out.status === 'skipped' ? out.reason : null, result: out.result ?? null });
    if (out.status === 'done') doneBy.set(row.step as Id, [...(doneBy.get(row.step as Id) ?? []), row.incident_id]);
  }

  /**
   * Runs one step inside the ingest transaction. A failure rolls back to the savepoint, so the
   * ingest still commits and the step stays due for the normal path, with the error recorded.
   */
  private async runUnderSavepoint(
    tx: Queryable,
    def: StepDefinition<Id>,
    row: JournalRow,
    now: Date,
    facts: AssessedIncident,
    claim: OutboxClaim | undefined,
  ): Promise<Exclude<StepOutcome, { status: 'waiting' }> | undefined> {
    const started = performance.now();
    await tx.query('SAVEPOINT vigil_inline_step');
    try {
      const out = await def.run({ tx, incidentId: row.incident_id, attempt: 1, now, facts, ...(claim ? { claim } : {}) });
      await tx.query('RELEASE SAVEPOINT vigil_inline_step');
      if (out.status === 'waiting') return undefined;
      this.opts.metrics?.stepDuration.observe({ step: def.id, status: out.status }, (performance.now() - started) / 1000);
      return out;
    } catch (e) {
      await tx.query('ROLLBACK TO SAVEPOINT vigil_inline_step');
      row.error = `inline run failed, left to the runner: ${(e as Error).message}`.slice(0, 2000);
      this.opts.metrics?.stepFailures.inc({ step: def.id });
      return undefined;
    }
  }

  /** Makes an incident's waiting steps due now (e.g. after it was resolved). */
  static async nudge(q: Queryable, incidentId: string, now: Date): Promise<void> {
    await nudgeWaitingSteps(q, incidentId, now);
  }
}
