import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../domain/types.js';
import { GroupCommit } from './group-commit.js';

const events = (n: number) => Array.from({ length: n }, () => ({}) as SecurityEvent);

describe('GroupCommit', () => {
  it('counts pending events and cuts groups to what recent commits wrote in the default commit time', async () => {
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

  it('caps a group at the configured size and commits every event exactly once, in order', async () => {
    const committed: number[][] = [];
    const gc = new GroupCommit<number[]>(
      async (evs) => {
        const ids = evs.map((e) => Number(e.sourceEventId));
        committed.push(ids);
        return { whole: ids, slice: (o, k) => ids.slice(o, o + k) };
      },
      { maxGroupEvents: 7, minGroupEvents: 1, targetCommitMs: 10 },
    );
    let next = 0;
    const batch = (n: number) => Array.from({ length: n }, () => ({ sourceEventId: String(next++) }) as SecurityEvent);
    const sizes = [3, 3, 3, 1, 5, 2, 7, 4, 4];
    const batches = sizes.map(batch);
    const answers = await Promise.all(batches.map((b) => gc.submit(b)));
    // Each caller hears back exactly its own events.
    expect(answers).toEqual(batches.map((b) => b.map((e) => Number(e.sourceEventId))));
    // No group over the cap (a request is never split, and none here is larger than the cap).
    expect(Math.max(...committed.map((g) => g.length))).toBeLessThanOrEqual(7);
    // Every event committed once, in submission order.
    expect(committed.flat()).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(committed.length).toBeGreaterThanOrEqual(Math.ceil(next / 7));
  });

  it('yields to the event loop between groups, so other work runs while a backlog is written', async () => {
    const order: string[] = [];
    const gc = new GroupCommit<number>(
      async (evs) => {
        order.push(`commit ${evs.length}`);
        return { whole: evs.length, slice: (_o, k) => k };
      },
      { maxGroupEvents: 2, minGroupEvents: 1, targetCommitMs: 10 },
    );
    const all = Promise.all(Array.from({ length: 3 }, () => gc.submit(events(2))));
    // An I/O callback queued now runs before the second group is committed.
    setImmediate(() => order.push('other'));
    await all;
    // Without the yield the three commits would run back to back and 'other' would come last.
    expect(order).toEqual(['commit 2', 'other', 'commit 2', 'commit 2']);
  });

  it('cuts groups to the configured commit time at the measured speed, never below the minimum', async () => {
    const groups: number[] = [];
    const gc = new GroupCommit<number>(
      async (evs) => {
        groups.push(evs.length);
        const until = performance.now() + evs.length * 0.05;
        while (performance.now() < until);
        return { whole: evs.length, slice: (_o, k) => k };
      },
      { maxGroupEvents: 5000, minGroupEvents: 100, targetCommitMs: 15 },
    );
    await Promise.all([gc.submit(events(1000)), ...Array.from({ length: 40 }, () => gc.submit(events(50)))]);
    // About 15 ms / 0.05 ms = 300 events, with slack for a slow machine; never below the minimum 100 (two requests).
    expect(Math.max(...groups.slice(1))).toBeLessThanOrEqual(1000);
    expect(Math.min(...groups.slice(1, -1))).toBeGreaterThanOrEqual(100);
    expect(groups.reduce((s, n) => s + n, 0)).toBe(3000);
  });
});
