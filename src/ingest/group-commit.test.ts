import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../domain/types.js';
import { GroupCommit } from './group-commit.js';

const events = (n: number) => Array.from({ length: n }, () => ({}) as SecurityEvent);

describe('GroupCommit', () => {
  it('counts pending events and cuts groups to what recent commits wrote in about 50 ms', async () => {
    const groups: number[] = [];
    const gc = new GroupCommit<number>(async (evs) => {
      groups.push(evs.length);
      // A store that takes 0.05 ms per event and does not yield while it writes (as the embedded one).
      const until = performance.now() + evs.length * 0.05;
      while (performance.now() < until);
      return { whole: evs.length, slice: (_o, k) => k };
    });
    const first = gc.submit(events(5000));
    const rest = Array.from({ length: 10 }, () => gc.submit(events(500)));
    expect(gc.pendingEvents).toBe(10_000);
    expect(await Promise.all([first, ...rest])).toEqual([5000, ...Array(10).fill(500)]);
    expect(gc.pendingEvents).toBe(0);
    // The first group is whole (nothing was measured yet); later ones are cut well below 5,000.
    expect(groups[0]).toBe(5000);
    expect(groups.length).toBeGreaterThan(2);
    expect(Math.max(...groups.slice(1))).toBeLessThanOrEqual(2500);
    expect(groups.reduce((s, n) => s + n, 0)).toBe(10_000);
  });
});
