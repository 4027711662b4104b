/**
 * Waiting for a server's scheduled jobs to have caught up after its start. `vigil serve` runs the
 * start's catch-up (the newest window of every job) some seconds after it starts
 * (policy.schedule.startDelaySeconds), so a benchmark that measures a steady state waits for it
 * first, as it waits out the JIT's warm-up: otherwise a one-off start would be counted as load.
 */
import { setTimeout as sleep } from 'node:timers/promises';

interface JobsAnswer {
  items: { id: string; runs: { status: string; nextAttemptAt: string | null }[] }[];
}

/** A retry due within this long counts as part of the catch-up (it would run inside the measurement). */
const SOON_MS = 120_000;

/**
 * True when every job the server schedules has a run, and none is running or due soon (a failed
 * run whose retry is more than two minutes away counts as settled).
 */
export function caughtUp(answer: JobsAnswer, now = Date.now()): boolean {
  return answer.items.every(
    (j) => j.runs.length > 0 && j.runs.every((r) => r.status !== 'running' && !(r.status === 'pending' && (r.nextAttemptAt === null || Date.parse(r.nextAttemptAt) <= now + SOON_MS))),
  );
}

/** Polls GET /api/v1/jobs until the jobs caught up (see caughtUp); resolves with how long it took (ms). */
export async function waitForCatchUp(baseUrl: string, token: string, timeoutMs = 120_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const res = await fetch(`${baseUrl}/api/v1/jobs?runs=100`, { headers: { authorization: `Bearer ${token}` } });
    if (res.ok && caughtUp((await res.json()) as JobsAnswer)) return performance.now() - started;
    if (!res.ok && res.status !== 503) throw new Error(`GET /api/v1/jobs answered ${res.status}`);
    if (performance.now() - started > timeoutMs) throw new Error(`the scheduled jobs did not catch up within ${timeoutMs / 1000} s of the start`);
    await sleep(250);
  }
}
