/**
 * Scheduled jobs on the real store: one run per window across a restart and across two
 * schedulers at once (two connections on PostgreSQL), missed windows caught up at start, a failed
 * run retried as the retry decision says, and the real checkpoint-patrol job planning each zone
 * once. Also the workflow's declaration: one file per built step, and no start without a definition.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultPolicy, loadDemoConfig } from '../src/config/loader.js';
import { buildOrgModel } from '../src/domain/site-model.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService } from '../src/service.js';
import { openDb, type Db } from '../src/store/db.js';
import { recentRuns } from '../src/store/scheduled-runs.js';
import { BUILT_INCIDENT_STEPS, BUILT_SCHEDULED_JOBS, INCIDENT_STEPS } from '../src/workflow/incident-response.js';
import { WorkflowRunner } from '../src/workflow/runner.js';
import { Scheduler, windowKey, type ScheduledJob } from '../src/workflow/scheduler.js';
import { incidentSteps } from '../src/workflow/step-registry.js';
import { TEST_STORES } from './helpers/stores.js';

describe('the workflow declaration', () => {
  it('has one file per built step and scheduled job under workflow/steps, named by its id', () => {
    const files = readdirSync(new URL('../src/workflow/steps/', import.meta.url))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(files).toEqual([...BUILT_INCIDENT_STEPS, ...BUILT_SCHEDULED_JOBS].sort());
  });

  it('builds steps in CONTRACT order', () => {
    const positions = BUILT_INCIDENT_STEPS.map((id) => INCIDENT_STEPS.indexOf(id));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(BUILT_INCIDENT_STEPS[0]).toBe(INCIDENT_STEPS[0]);
  });

  it('gives every built step its definition, in order', () => {
    expect(incidentSteps(buildOrgModel(loadDemoConfig())).map((s) => s.id)).toEqual([...BUILT_INCIDENT_STEPS]);
  });

  it('refuses to start a runner whose listed steps lack a definition', async () => {
    const db = await openDb({ dataDir: 'memory://' });
    try {
      expect(() => new WorkflowRunner<string>(db, { workflow: ['a', 'b'], steps: [{ id: 'a', run: async () => ({ status: 'done' }) }], maxAttempts: 1, backoffBaseMs: 1, backoffMaxMs: 1 })).toThrow(
        /without a definition: b/,
      );
      expect(() => new Scheduler(db, { listed: ['plan-checkpoint-patrols'], jobs: [], policy: defaultPolicy(), timezone: 'UTC' })).toThrow(/without a definition: plan-checkpoint-patrols/);
    } finally {
      await db.close();
    }
  });

  it('names windows by the local day or ISO week of the organisation', () => {
    // 2026-11-23 04:30 UTC is still Sunday the 22nd in New York, ISO week 47.
    expect(windowKey('day', new Date('2026-11-23T04:30:00Z'), 'America/New_York')).toBe('2026-11-22');
    expect(windowKey('iso-week', new Date('2026-11-23T04:30:00Z'), 'America/New_York')).toBe('2026-W47');
    expect(windowKey('iso-week', new Date('2026-11-23T05:30:00Z'), 'America/New_York')).toBe('2026-W48');
    // ISO years: 2027-01-01 is a Friday, in the last week of 2026 (2026-W53).
    expect(windowKey('iso-week', new Date('2027-01-01T12:00:00Z'), 'UTC')).toBe('2026-W53');
    expect(windowKey('iso-week', new Date('2024-12-30T12:00:00Z'), 'UTC')).toBe('2025-W01');
  });
});

describe.each(TEST_STORES)('scheduled jobs on $name', (store) => {
  let db: Db;
  let drop: () => Promise<void>;
  let url: string | undefined;
  let clock = new Date('2026-11-20T12:00:00Z');
  let failures = 0;
  const policy = defaultPolicy(); // plan-checkpoint-patrols at 06:00 in the organisation's zone

  // A job that leaves one audit row per run: counting the rows counts the effects that committed.
  const job: ScheduledJob<'plan-checkpoint-patrols'> = {
    id: 'plan-checkpoint-patrols',
    window: 'day',
    async run({ tx, window }) {
      await tx.query(`INSERT INTO audit_log (actor, action, target) VALUES ('test', 'job-ran', $1)`, [window]);
      if (failures-- > 0) throw new Error('job failed (injected)');
      return { window };
    },
  };
  const scheduler = (on: Db) => new Scheduler(on, { listed: ['plan-checkpoint-patrols'], jobs: [job], policy, timezone: 'America/New_York', now: () => clock, random: () => 0.5 });
  const effects = async () =>
    (await db.query<{ target: string; n: number }>(`SELECT target, count(*)::int AS n FROM audit_log WHERE action = 'job-ran' GROUP BY target ORDER BY target`)).rows.map((r) => [r.target, Number(r.n)]);
  const runs = async () => (await recentRuns(db, 100)).map((r) => [r.window_key, r.status, r.attempts]);

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    url = s.databaseUrl;
    db = await openDb({ dataDir: s.dataDir, url: s.databaseUrl });
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('runs the current window once, and not again after a restart', async () => {
    await scheduler(db).drain();
    expect(await runs()).toEqual([['2026-11-20', 'done', 1]]);
    // A restart: a new scheduler on the same store, later the same day.
    clock = new Date('2026-11-20T20:00:00Z');
    const again = scheduler(db);
    await again.drain();
    await again.drain();
    expect(await effects()).toEqual([['2026-11-20', 1]]);
    expect(await runs()).toEqual([['2026-11-20', 'done', 1]]);
  });

  it('catches up the windows missed while no scheduler ran', async () => {
    clock = new Date('2026-11-23T12:00:00Z'); // three 06:00 fires later
    await scheduler(db).drain();
    expect(await effects()).toEqual([
      ['2026-11-20', 1],
      ['2026-11-21', 1],
      ['2026-11-22', 1],
      ['2026-11-23', 1],
    ]);
  });

  it('runs each window once when two schedulers (two connections) work at the same time', async () => {
    const other = url ? await openDb({ url }) : db;
    try {
      clock = new Date('2026-11-26T12:00:00Z');
      const a = scheduler(db);
      const b = scheduler(other);
      await Promise.all([...Array.from({ length: 5 }, () => a.runDue()), ...Array.from({ length: 5 }, () => b.runDue())]);
      await Promise.all([a.drain(), b.drain()]);
      expect((await effects()).filter(([w]) => String(w) >= '2026-11-24')).toEqual([
        ['2026-11-24', 1],
        ['2026-11-25', 1],
        ['2026-11-26', 1],
      ]);
      expect((await runs()).every(([, status, attempts]) => status === 'done' && attempts === 1)).toBe(true);
    } finally {
      if (other !== db) await other.close();
    }
  });

  it('retries a failed run after its backoff and records the failure until then', async () => {
    failures = 1;
    clock = new Date('2026-11-27T12:00:00Z');
    const s = scheduler(db);
    await s.runDue();
    const failed = (await recentRuns(db, 1))[0];
    expect([failed.window_key, failed.status, failed.attempts, failed.error]).toEqual(['2026-11-27', 'pending', 1, 'job failed (injected)']);
    // The failed attempt's effects rolled back with it.
    expect((await effects()).find(([w]) => w === '2026-11-27')).toBeUndefined();
    clock = new Date(clock.getTime() + policy.workflow.backoffBaseMs);
    await s.drain();
    const done = (await recentRuns(db, 1))[0];
    expect([done.status, done.attempts, done.error, done.result]).toEqual(['done', 2, null, { window: '2026-11-27' }]);
    expect((await effects()).find(([w]) => w === '2026-11-27')).toEqual(['2026-11-27', 1]);
  });

  it("prepares a run outside its transaction (the store answers others meanwhile) and hands what it prepared to the run; a failing preparation is retried like a run", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let prepares = 0;
    let failPrepare = 1;
    const prepared: ScheduledJob<'plan-checkpoint-patrols', { n: number }> = {
      id: 'plan-checkpoint-patrols',
      window: 'day',
      async prepare({ db: q, window }) {
        prepares++;
        if (failPrepare-- > 0) throw new Error('prepare failed (injected)');
        const n = (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'job-ran'`)).rows[0].n;
        await gate;
        return { n: Number(n) + (window === '2026-11-28' ? 1000 : 0) };
      },
      async run({ tx, window, prepared: p }) {
        await tx.query(`INSERT INTO audit_log (actor, action, target, details) VALUES ('test', 'job-ran', $1, $2)`, [window, JSON.stringify(p)]);
        return p;
      },
    };
    clock = new Date('2026-11-28T12:00:00Z');
    const s = new Scheduler(db, { listed: ['plan-checkpoint-patrols'], jobs: [prepared], policy, timezone: 'America/New_York', now: () => clock, random: () => 0.5 });
    await s.runDue();
    expect((await recentRuns(db, 1))[0]).toMatchObject({ window_key: '2026-11-28', status: 'pending', attempts: 1, error: 'prepare failed (injected)' });
    clock = new Date(clock.getTime() + policy.workflow.backoffBaseMs);
    const running = s.runDue();
    while (prepares < 2) await new Promise((r) => setTimeout(r, 5));
    // While the job prepares, a write from elsewhere commits: no transaction holds the store.
    const other = await Promise.race([
      db.transaction((tx) => tx.query(`INSERT INTO audit_log (actor, action, target) VALUES ('test', 'meanwhile', 'x')`)).then(() => 'committed'),
      new Promise((r) => setTimeout(() => r('blocked'), 2000)),
    ]);
    expect(other).toBe('committed');
    release();
    await running;
    const done = (await recentRuns(db, 1))[0];
    expect([done.window_key, done.status, done.attempts]).toEqual(['2026-11-28', 'done', 2]);
    expect((done.result as { n: number }).n).toBeGreaterThanOrEqual(1000);
    const row = (await db.query<{ details: { n: number } }>(`SELECT details FROM audit_log WHERE action = 'job-ran' AND target = '2026-11-28'`)).rows;
    expect(row.map((r) => r.details)).toEqual([done.result]);
  });

  it('gives way before a run prepares and before its transaction, and runs once the way is clear', async () => {
    const order: string[] = [];
    let clear!: () => void;
    let asked = 0;
    const giveWay = () => {
      asked++;
      order.push('give way');
      return asked === 1 ? new Promise<void>((r) => (clear = r)) : Promise.resolve();
    };
    const traced: ScheduledJob<'plan-checkpoint-patrols', number> = {
      id: 'plan-checkpoint-patrols',
      window: 'day',
      async prepare() {
        order.push('prepare');
        return 7;
      },
      async run({ tx, window, prepared: p }) {
        order.push('run');
        await tx.query(`INSERT INTO audit_log (actor, action, target) VALUES ('test', 'job-ran', $1)`, [window]);
        return { p };
      },
    };
    clock = new Date('2026-11-29T12:00:00Z'); // the day after the last test's window: one window due
    const s = new Scheduler(db, { listed: ['plan-checkpoint-patrols'], jobs: [traced], policy, timezone: 'America/New_York', now: () => clock, random: () => 0.5, giveWay });
    const running = s.runDue();
    while (asked < 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    // Held at the first give-way: nothing prepared, the window claimed but not done.
    expect(order).toEqual(['give way']);
    expect((await recentRuns(db, 1))[0]).toMatchObject({ window_key: '2026-11-29', status: 'running' });
    clear();
    expect(await running).toBe(1);
    expect(order).toEqual(['give way', 'prepare', 'give way', 'run']);
    expect((await recentRuns(db, 1))[0]).toMatchObject({ window_key: '2026-11-29', status: 'done', result: { p: 7 } });
  });
});

describe.each(TEST_STORES)('the checkpoint-patrol job on $name', (store) => {
  it('plans one checkpoint patrol per zone with repeated incidents, once per day, journaled', async () => {
    const s = await store.fresh();
    let clock = new Date('2026-11-20T07:00:00Z');
    const service = await createService({ config: loadDemoConfig(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, now: () => clock });
    try {
      const door = (id: string, at: string): SecurityEvent => ({ source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: new Date(at).toISOString(), site: 'store-101', zone: 'stockroom', details: {} });
      // Two incidents in the stockroom, far enough apart not to correlate into one.
      await service.pipeline.ingest([door('chk-1', '2026-11-19T01:00:00-05:00')]);
      await service.pipeline.ingest([door('chk-2', '2026-11-19T23:00:00-05:00')]);
      const patrols = async () => (await service.db.query<{ id: string; kind: string; zone: string }>(`SELECT id, kind, zone FROM patrols WHERE kind = 'checkpoint' ORDER BY id`)).rows;
      // Tomorrow's 06:00 run in New York plans it (the runner did not run step 7 here).
      clock = new Date('2026-11-21T11:30:00Z');
      await service.scheduler.drain();
      expect(await patrols()).toEqual([{ id: 'chk-store-101-stockroom-2026-11-21', kind: 'checkpoint', zone: 'stockroom' }]);
      const [run] = (await recentRuns(service.db, 1)).filter((r) => r.job === 'plan-checkpoint-patrols');
      expect(run.status).toBe('done');
      expect(run.result).toEqual({ zones: 1, planned: ['chk-store-101-stockroom-2026-11-21'] });
      // Later the same day nothing new is planned, and the window is not run again.
      clock = new Date('2026-11-21T20:00:00Z');
      await service.scheduler.drain();
      expect(await patrols()).toHaveLength(1);
      expect((await recentRuns(service.db, 10)).filter((r) => r.job === 'plan-checkpoint-patrols')).toHaveLength(1);
    } finally {
      await service.close();
      await s.drop();
    }
  });
});

describe('the start of a serving process', () => {
  it("runs the start's catch-up only after the start delay; without one, at once", async () => {
    const jobRuns = async (db: Db) => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM scheduled_runs`)).rows[0].n);
    const starts = vi.spyOn(Scheduler.prototype, 'start');
    const late = await createService({ config: loadDemoConfig(), dataDir: 'memory://', startRunner: true, background: { startDelayMs: 60_000, quiet: { maxUtilization: 1, windowMs: 1, maxWaitMs: 0 } } });
    try {
      // The scheduler's loop is started with the delay, and nothing was planned meanwhile.
      expect(starts.mock.calls).toEqual([[60_000]]);
      await new Promise((r) => setTimeout(r, 500));
      expect(await jobRuns(late.db)).toBe(0);
    } finally {
      await late.close();
      starts.mockRestore();
    }
    const now = await createService({ config: loadDemoConfig(), dataDir: 'memory://', startRunner: true });
    try {
      const deadline = Date.now() + 20_000;
      while ((await jobRuns(now.db)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await jobRuns(now.db)).toBeGreaterThan(0);
    } finally {
      await now.close();
    }
  });
});
