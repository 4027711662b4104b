import { describe, expect, it } from 'vitest';
import { waitForQuiet } from './quiet.js';

/** A busy meter that answers the given shares in turn (the first call opens the window). */
const meter = (shares: number[]) => {
  let calls = 0;
  return {
    busy: () => (calls++ === 0 ? 0 : (shares.shift() ?? 0)),
    windows: () => calls - 1,
  };
};

describe('waitForQuiet', () => {
  it('goes ahead after the first window the loop was quiet in', async () => {
    const m = meter([0.9, 0.7, 0.2, 0.9]);
    await waitForQuiet({ maxUtilization: 0.5, windowMs: 5, maxWaitMs: 10_000 }, m.busy);
    expect(m.windows()).toBe(3);
  });

  it('goes ahead after the longest wait when the loop never gets quiet', async () => {
    const m = meter(Array(1000).fill(1));
    const waited = await waitForQuiet({ maxUtilization: 0.5, windowMs: 10, maxWaitMs: 60 }, m.busy);
    expect(waited).toBeGreaterThanOrEqual(55);
    expect(m.windows()).toBeGreaterThan(0);
    expect(m.windows()).toBeLessThan(1000);
  });

  it('measures the real event loop: a loop held busy is not quiet', async () => {
    // The loop is held for 40 ms at a time for 200 ms: the first windows are busy, then it is quiet.
    const until = performance.now() + 200;
    const hold = () => {
      const end = performance.now() + 40;
      while (performance.now() < end);
      if (performance.now() < until) setTimeout(hold, 1);
    };
    setTimeout(hold, 0);
    const waited = await waitForQuiet({ maxUtilization: 0.5, windowMs: 50, maxWaitMs: 5_000 });
    expect(waited).toBeGreaterThanOrEqual(150);
  });
});
