import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from './errors.js';
import { decideRetry, failureText } from './retry.js';

const policy = { maxAttempts: 5, baseMs: 1000, maxMs: 60_000 };

describe('the retry decision', () => {
  it('never retries a permanent error', () => {
    expect(decideRetry(new PermanentError('400 from the provider'), 1, policy, 0.5)).toEqual({ retry: false, reason: 'permanent' });
  });

  it('retries retryable and unknown errors with backoff until the attempts run out', () => {
    expect(decideRetry(new RetryableError('503'), 1, policy, 0)).toEqual({ retry: true, delayMs: 500 });
    expect(decideRetry(new Error('socket hang up'), 3, policy, 0)).toEqual({ retry: true, delayMs: 2000 });
    const last = decideRetry(new Error('socket hang up'), 5, policy, 0);
    expect(last).toEqual({ retry: false, reason: 'exhausted' });
    expect(failureText(new Error('socket hang up'), 5, last)).toBe('gave up after 5 attempts: socket hang up');
    expect(failureText(new PermanentError('bad number'), 1, { retry: false, reason: 'permanent' })).toBe('bad number');
  });

  it("waits at least a provider's Retry-After", () => {
    expect(decideRetry(new RetryableError('429', 30_000), 1, policy, 0.5)).toEqual({ retry: true, delayMs: 30_000 });
    // A short Retry-After does not make the backoff shorter.
    expect(decideRetry(new RetryableError('429', 10), 4, policy, 0)).toEqual({ retry: true, delayMs: 4000 });
  });

  it('keeps every delay within [Retry-After, max(maxMs, Retry-After)] and grows with the attempt', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), fc.integer({ min: 0, max: 120_000 }), (attempt, random, after) => {
        const d = decideRetry(new RetryableError('x', after), attempt, policy, random);
        expect(d.retry).toBe(true);
        if (!d.retry) return;
        expect(d.delayMs).toBeGreaterThanOrEqual(after);
        expect(d.delayMs).toBeLessThanOrEqual(Math.max(policy.maxMs, after));
        const next = decideRetry(new RetryableError('x'), attempt + 1, { ...policy, maxAttempts: 10 }, random);
        if (next.retry && after === 0) expect(next.delayMs).toBeGreaterThanOrEqual(d.delayMs);
      }),
    );
  });
});
