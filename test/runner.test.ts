/**
 * The durable workflow runner on the real store with steps made for the test: order, retries with
 * backoff, permanent failure, waiting for a condition, and taking over a crashed worker's step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../src/domain/errors.js';
import { openDb, type Db } from '../src/store/db.js';
import { backoffMs, WorkflowRunner, type StepDefinition } from '../src/workflow/runner.js';
import { TEST_STORES } from './helpers/stores.js';

describe('backoff', () => {
  it('doubles per attempt, is capped and jittered within [0.5, 1)', () => {
    expect(backoffMs(1, 500, 60_000, 0)).toBe(250);
    expect(backoffMs(1, 500, 60_000, 0.999)).toBe(500);
    expect(backoffMs(3, 500, 60_000, 0.999)).toBe(1999);
    expect(backoffMs(30, 500, 60_000, 0.999)).toBeLessThanOrEqual(60_000);
  });
});

describe.each(TEST_STORES)('workflow runner on $name', (store) => {
  let db: Db;
  let drop: () => Promise<void>;
  let clock = new Date('2026-11-20T10:00:00Z');
  const log: string[] = [];
  let flaky = 0;
  let open = false;

  const steps: StepDefinition<string>[] = [
    {
      id: 'first',
      async run({ tx, incidentId }) {
        log.push(`first:${incidentId}`);
        await tx.query(`INSERT INTO audit_log (actor, action, target) VALUES ('test', 'first', $1)`, [incidentId]);
        return { status: 'done', result: { ok: 1 } };
      },
    },
    {
      id: 'flaky',
      async run({ incidentId, attempt }) {
        log.push(`flaky:${incidentId}:${attempt}`);
        if (incidentId === 'inc-perm') throw new PermanentError('provider said 400');
        if (flaky-- > 0) throw new RetryableError('provider said 503');
        return { status: 'skipped', reason: 'below threshold' };
      },
    },
    {
      id: 'gate',
      async run() {
        log.push('gate');
        return open ? { status: 'done' } : { status: 'waiting', reason: 'until resolved', until: null };
      },
    },
  ];
  const runner = () => new WorkflowRunner(db, { steps, maxAttempts: 4, backoffBaseMs: 1000, backoffMaxMs: 60_000, now: () => clock, random: () => 0.5, leaseMs: 30_000 });
  const seed = async (id: string) => {
    for (const [ord, s] of steps.entries()) {
      await db.query(`INSERT INTO workflow_steps (incident_id, step, ord, status, next_run_at) VALUES ($1, $2, $3, 'pending', $4)`, [id, s.id, ord, ord === 0 ? clock : null]);
    }
  };
  const rows = async (id: string) =>
    (await db.query<{ step: string; status: string; attempts: number; error: string | null; reason: string | null; next_run_at: Date | null }>(
      'SELECT step, status, attempts, error, reason, next_run_at FROM workflow_steps WHERE incident_id = $1 ORDER BY ord',
      [id],
    )).rows;

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    db = await openDb({ dataDir: s.dataDir, url: s.databaseUrl });
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('runs steps in order, retries a retryable failure with backoff, and waits at a gate', async () => {
    flaky = 2;
    await seed('inc-a');
    const r = runner();
    await r.drain();
    let s = await rows('inc-a');
    expect(s.map((x) => x.status)).toEqual(['done', 'pending', 'pending']);
    expect(s[1].attempts).toBe(1);
    expect(s[1].error).toContain('503');
    // backoff: 1000 ms x 2^0 x (0.5 + 0.5/2) = 750 ms
    expect(s[1].next_run_at!.getTime() - clock.getTime()).toBe(750);
    clock = new Date(clock.getTime() + 800);
    await r.drain();
    s = await rows('inc-a');
    expect(s[1].attempts).toBe(2);
    expect(s[1].next_run_at!.getTime() - clock.getTime()).toBe(1500);
    clock = new Date(clock.getTime() + 2000);
    await r.drain();
    s = await rows('inc-a');
    expect(s[1]).toMatchObject({ status: 'skipped', attempts: 3, reason: 'below threshold', error: null });
    expect(s[2]).toMatchObject({ status: 'pending', reason: 'until resolved', next_run_at: null, attempts: 0 });
    // The gate opens when something nudges the workflow.
    open = true;
    await r.drain();
    expect((await rows('inc-a'))[2].status).toBe('pending');
    await WorkflowRunner.nudge(db, 'inc-a', clock);
    await r.drain();
    expect((await rows('inc-a'))[2].status).toBe('done');
    const effects = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE target = 'inc-a'`);
    expect(effects.rows[0].n).toBe(1);
  });

  it('fails a step at once on a permanent error and stops there', async () => {
    await seed('inc-perm');
    await runner().drain();
    const s = await rows('inc-perm');
    expect(s.map((x) => x.status)).toEqual(['done', 'failed', 'pending']);
    expect(s[1].error).toBe('provider said 400');
    expect(s[2].next_run_at).toBeNull();
  });

  it('gives up after maxAttempts and says so', async () => {
    flaky = 100;
    await seed('inc-max');
    const r = runner();
    for (let i = 0; i < 6; i++) {
      await r.drain();
      clock = new Date(clock.getTime() + 120_000);
    }
    const s = await rows('inc-max');
    expect(s[1].status).toBe('failed');
    expect(s[1].attempts).toBe(4);
    expect(s[1].error).toContain('gave up after 4 attempts');
  });

  it('resumes a step whose worker died after claiming it, without repeating finished effects', async () => {
    open = true;
    flaky = 0;
    await seed('inc-crash');
    // A worker claims the first step and dies before committing (no effect written).
    await db.query(`UPDATE workflow_steps SET status = 'running', attempts = 1, locked_by = 'dead-worker', locked_until = $2 WHERE incident_id = $1 AND step = 'first'`, [
      'inc-crash',
      new Date(clock.getTime() + 30_000),
    ]);
    const r = runner();
    await r.drain();
    expect((await rows('inc-crash'))[0].status).toBe('running'); // lease still held
    clock = new Date(clock.getTime() + 31_000);
    await r.drain();
    const s = await rows('inc-crash');
    expect(s.map((x) => x.status)).toEqual(['done', 'skipped', 'done']);
    expect(s[0].attempts).toBe(2);
    const effects = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE target = 'inc-crash'`);
    expect(effects.rows[0].n).toBe(1);
  });
});
