/**
 * The runner's inline run (the fast path inside the ingest transaction) on the real store, with
 * step definitions made for the test under the real step ids: the assessment steps are recorded
 * from the facts; a failing inline step rolls back to its savepoint (its effects gone, the rest of
 * the transaction kept) and stays due for the normal path; an incident whose band rose plans the
 * response steps again, and one that merely grew does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Assessment, IncidentAggregate } from '../src/domain/assessment.js';
import { openDb, type Db } from '../src/store/db.js';
import type { IncidentStepId } from '../src/workflow/incident-response.js';
import { WorkflowRunner, type AssessedIncident, type StepDefinition } from '../src/workflow/runner.js';
import { TEST_STORES } from './helpers/stores.js';

const NOW = new Date('2026-11-20T07:14:30Z');
const agg = { eventCount: 1 } as IncidentAggregate;
const assessment = (band: 'medium' | 'critical') => ({ severity: { band, score: band === 'critical' ? 90 : 40 } }) as unknown as Assessment;

describe.each(TEST_STORES)('inline run on $name', (store) => {
  let db: Db;
  let drop: () => Promise<void>;
  let smsFails = true;

  const facts = (id: IncidentStepId): StepDefinition => ({
    id,
    inline: { fromFacts: (f) => (f.assessment ? { status: 'done', result: { from: 'facts', band: f.assessment.severity.band } } : undefined) },
    run: async () => ({ status: 'done', result: { from: 'runner' } }),
  });
  const steps: StepDefinition[] = [
    facts('fetch-incident-logs'),
    facts('get-high-risk-assets'),
    facts('calculate-severity'),
    facts('calculate-loss-impact'),
    {
      id: 'send-emergency-sms',
      inline: { runInTransaction: true },
      async run({ tx, incidentId }) {
        await tx.query(`INSERT INTO audit_log (actor, action, target) VALUES ('test', 'sms-decided', $1)`, [incidentId]);
        if (smsFails) throw new Error('provider config missing');
        return { status: 'done', result: { queued: 2 } };
      },
    },
    { id: 'notify-management', run: async () => ({ status: 'skipped', reason: 'below threshold' }) },
    { id: 'assign-guard-patrol', run: async () => ({ status: 'done' }) },
  ];
  const runner = () => new WorkflowRunner(db, { steps, maxAttempts: 3, backoffBaseMs: 1000, backoffMaxMs: 60_000, now: () => NOW, random: () => 0.5 });
  const journal = async (id: string) =>
    (await db.query<{ step: string; status: string; attempts: number; next_run_at: Date | null; error: string | null; result: unknown }>(
      `SELECT step, status, attempts, next_run_at, error, result FROM workflow_steps WHERE incident_id = $1 ORDER BY ord`,
      [id],
    )).rows;
  const audits = async (id: string, action: string) => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE target = $1 AND action = $2`, [id, action])).rows[0].n);

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    db = await openDb({ dataDir: s.dataDir, url: s.databaseUrl });
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('records the assessment from the facts and leaves a failing inline step to the runner, its effects rolled back', async () => {
    const r = runner();
    const inc: AssessedIncident = { incidentId: 'inc-a', isNew: true, agg, assessment: assessment('critical'), eventSeqs: [1] };
    const done = await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO audit_log (actor, action, target) VALUES ('test', 'ingest', 'inc-a')`);
      return r.runInline(tx, [inc], NOW);
    });
    expect(done.get('calculate-severity')).toEqual(['inc-a']);
    expect(done.get('send-emergency-sms')).toBeUndefined();
    const rows = await journal('inc-a');
    expect(rows.map((x) => [x.step, x.status, x.attempts])).toEqual([
      ['fetch-incident-logs', 'done', 1],
      ['get-high-risk-assets', 'done', 1],
      ['calculate-severity', 'done', 1],
      ['calculate-loss-impact', 'done', 1],
      ['send-emergency-sms', 'pending', 0],
      ['notify-management', 'pending', 0],
      ['assign-guard-patrol', 'pending', 0],
    ]);
    expect(rows[2].result).toEqual({ from: 'facts', band: 'critical' });
    expect(rows[4].error).toBe('inline run failed, left to the runner: provider config missing');
    expect(rows[4].next_run_at?.toISOString()).toBe(NOW.toISOString());
    expect(rows[5].next_run_at).toBeNull();
    // The step's insert was rolled back to the savepoint; the ingest's own write was kept.
    expect(await audits('inc-a', 'sms-decided')).toBe(0);
    expect(await audits('inc-a', 'ingest')).toBe(1);

    // The normal path finishes it, and the next steps after it.
    smsFails = false;
    await r.drain();
    expect((await journal('inc-a')).map((x) => [x.step, x.status])).toEqual([
      ['fetch-incident-logs', 'done'],
      ['get-high-risk-assets', 'done'],
      ['calculate-severity', 'done'],
      ['calculate-loss-impact', 'done'],
      ['send-emergency-sms', 'done'],
      ['notify-management', 'skipped'],
      ['assign-guard-patrol', 'done'],
    ]);
    expect(await audits('inc-a', 'sms-decided')).toBe(1);
  });

  it('runs the inline step in the transaction and makes the next step due', async () => {
    smsFails = false;
    const r = runner();
    const done = await db.transaction((tx) => r.runInline(tx, [{ incidentId: 'inc-b', isNew: true, agg, assessment: assessment('critical'), eventSeqs: [2] }], NOW));
    expect(done.get('send-emergency-sms')).toEqual(['inc-b']);
    const rows = await journal('inc-b');
    expect(rows[4]).toMatchObject({ step: 'send-emergency-sms', status: 'done', attempts: 1, result: { queued: 2 } });
    expect(rows[5].next_run_at?.toISOString()).toBe(NOW.toISOString());
    expect(rows[6].next_run_at).toBeNull();
  });

  it('plans the response steps again when the band rose, and only the assessment when it did not', async () => {
    const r = runner();
    await db.transaction((tx) => r.runInline(tx, [{ incidentId: 'inc-c', isNew: true, agg, assessment: assessment('medium'), eventSeqs: [3] }], NOW));
    await r.drain();
    const before = await journal('inc-c');
    expect(before.map((x) => x.attempts)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    // Grew at the same band: the assessment steps count one more attempt, the response steps none.
    await db.transaction((tx) => r.runInline(tx, [{ incidentId: 'inc-c', isNew: false, previousBand: 'medium', agg, assessment: assessment('medium'), eventSeqs: [4] }], NOW));
    expect((await journal('inc-c')).map((x) => x.attempts)).toEqual([2, 2, 2, 2, 1, 1, 1]);
    // The band rose: the response steps run again (inline for the SMS, then the runner).
    await db.transaction((tx) => r.runInline(tx, [{ incidentId: 'inc-c', isNew: false, previousBand: 'medium', agg, assessment: assessment('critical'), eventSeqs: [5] }], NOW));
    await r.drain();
    const after = await journal('inc-c');
    expect(after.map((x) => x.attempts)).toEqual([3, 3, 3, 3, 2, 2, 2]);
    expect(after.map((x) => x.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'skipped', 'done']);
  });

  it('a band rise runs the report and the investigation task again too, and not the steps after them', async () => {
    smsFails = false;
    const withGap = new WorkflowRunner(db, {
      steps: [...steps, { id: 'create-incident-report', run: async () => ({ status: 'done' }) }, { id: 'create-investigation-task', run: async () => ({ status: 'done' }) }, { id: 'update-asset-status', run: async () => ({ status: 'done' }) }],
      maxAttempts: 3, backoffBaseMs: 1000, backoffMaxMs: 60_000, now: () => NOW, random: () => 0.5,
    });
    await db.transaction((tx) => withGap.runInline(tx, [{ incidentId: 'inc-e', isNew: true, agg, assessment: assessment('medium'), eventSeqs: [7] }], NOW));
    await withGap.drain();
    expect((await journal('inc-e')).map((x) => x.attempts)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    await db.transaction((tx) => withGap.runInline(tx, [{ incidentId: 'inc-e', isNew: false, previousBand: 'medium', agg, assessment: assessment('critical'), eventSeqs: [8] }], NOW));
    await withGap.drain();
    const after = await journal('inc-e');
    expect(after.map((x) => [x.step, x.status, x.attempts]).slice(4)).toEqual([
      ['send-emergency-sms', 'done', 2],
      ['notify-management', 'skipped', 2],
      ['assign-guard-patrol', 'done', 2],
      ['create-incident-report', 'done', 2],
      ['create-investigation-task', 'done', 2],
      ['update-asset-status', 'done', 1],
    ]);
  });

  it('leaves the assessment steps due for the runner when the assessment failed', async () => {
    const r = runner();
    await db.transaction((tx) => r.runInline(tx, [{ incidentId: 'inc-d', isNew: true, agg, failure: 'no site model', eventSeqs: [6] }], NOW));
    const rows = await journal('inc-d');
    expect(rows.slice(0, 4).map((x) => [x.status, x.error, x.next_run_at?.toISOString()])).toEqual(Array(4).fill(['pending', 'no site model', NOW.toISOString()]));
    expect(rows.slice(4).every((x) => x.status === 'pending' && x.next_run_at === null)).toBe(true);
    await r.drain();
    expect((await journal('inc-d')).map((x) => x.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'skipped', 'done']);
    expect((await journal('inc-d'))[0].result).toEqual({ from: 'runner' });
  });
});
