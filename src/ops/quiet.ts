/**
 * Background work that can wait gives way to the foreground. A scheduled job (a chain's audit,
 * report or sweep) competes with events and alerts for the one thread and, on the embedded store,
 * the one connection; started while the server is busy (a restart under load, with the JIT still
 * cold) it held alerts for seconds: over the first 6 s of 200 events/s after a start, detection to
 * SMS p99 was 1.4-2.6 s with the start's catch-up jobs and 0.2-0.3 s without them
 * (docs/performance.md, "Start under load").
 *
 * `waitForQuiet` resolves once the event loop was at most `maxUtilization` busy over a window of
 * `windowMs`, or after `maxWaitMs` whatever happens: a sustained load delays background work but
 * never starves it.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export interface QuietOptions {
  /** The event loop's busy share under which the process counts as quiet (0..1). */
  maxUtilization: number;
  /** How long the loop's busy share is measured over (ms). */
  windowMs: number;
  /** The longest wait (ms); past it the work goes ahead anyway. */
  maxWaitMs: number;
}

export const DEFAULT_QUIET: Readonly<QuietOptions> = { maxUtilization: 0.5, windowMs: 250, maxWaitMs: 10_000 };

/** How busy the event loop was since the last call (0..1); the first call measures from when the meter was made. */
export type LoopBusy = () => number;

/** The event loop's busy share between calls, from perf_hooks. */
export function loopBusyMeter(): LoopBusy {
  let mark = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, mark).utilization;
    mark = now;
    return u;
  };
}

/** Waits for a quiet window (see the module comment); resolves with how long it waited (ms). */
export async function waitForQuiet(opts: QuietOptions = DEFAULT_QUIET, busy: LoopBusy = loopBusyMeter()): Promise<number> {
  const started = performance.now();
  busy(); // the window starts now
  for (;;) {
    const left = opts.maxWaitMs - (performance.now() - started);
    if (left <= 0) return performance.now() - started;
    await sleep(Math.min(opts.windowMs, left));
    if (busy() <= opts.maxUtilization) return performance.now() - started;
  }
}
