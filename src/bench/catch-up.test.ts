import { describe, expect, it } from 'vitest';
import { caughtUp } from './catch-up.js';

const job = (id: string, runs: { status: string; nextAttemptAt: string | null }[]) => ({ id, runs });

describe('caughtUp', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  it('waits for every job to have a run, none running or due', () => {
    expect(caughtUp({ items: [job('a', []), job('b', [{ status: 'done', nextAttemptAt: null }])] }, now)).toBe(false);
    expect(caughtUp({ items: [job('a', [{ status: 'running', nextAttemptAt: null }])] }, now)).toBe(false);
    expect(caughtUp({ items: [job('a', [{ status: 'pending', nextAttemptAt: null }])] }, now)).toBe(false);
    expect(caughtUp({ items: [job('a', [{ status: 'pending', nextAttemptAt: '2026-12-03T11:59:00Z' }])] }, now)).toBe(false);
    // A retry due in 30 s would run inside the measurement.
    expect(caughtUp({ items: [job('a', [{ status: 'pending', nextAttemptAt: '2026-12-03T12:00:30Z' }])] }, now)).toBe(false);
  });
  it('counts done, failed and a retry minutes away as settled', () => {
    expect(
      caughtUp({ items: [job('a', [{ status: 'done', nextAttemptAt: null }]), job('b', [{ status: 'failed', nextAttemptAt: null }]), job('c', [{ status: 'pending', nextAttemptAt: '2026-12-03T12:05:00Z' }])] }, now),
    ).toBe(true);
  });
});
