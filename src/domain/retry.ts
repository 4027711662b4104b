/**
 * The one retry decision (ARCHITECTURE rule 4): given a failure and the attempt it ended, whether
 * to try again and when. The workflow runner, the scheduler and the outbox dispatcher all ask
 * here; none decides on its own. Pure: the jitter comes in as an argument.
 *
 * - PermanentError: no retry.
 * - RetryableError and unknown errors: exponential backoff with jitter, until maxAttempts.
 * - A RetryableError that carries `retryAfterMs` (a provider's Retry-After, or our own 503 advice)
 *   is never retried sooner than that.
 * - An OutcomeUnknownError (the request may have reached the provider) is a RetryableError and
 *   backs off the same way; the dispatcher settles it with the provider before it sends again.
 */
import { PermanentError, RetryableError } from './errors.js';

/** How many attempts and how far apart (policy.workflow, policy.notify.retry). */
export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/** What to do after a failed attempt. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: 'permanent' | 'exhausted' };

/** Exponential backoff with full jitter: base x 2^(attempt-1), capped, times a factor in [0.5, 1). */
export function backoffMs(attempt: number, base: number, max: number, random: number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + random / 2));
}

/** Decides whether attempt number `attempt` (1-based) that failed with `err` is tried again, and after how long. */
export function decideRetry(err: unknown, attempt: number, policy: RetryPolicy, random: number): RetryDecision {
  if (err instanceof PermanentError) return { retry: false, reason: 'permanent' };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: 'exhausted' };
  const backoff = backoffMs(attempt, policy.baseMs, policy.maxMs, random);
  const floor = err instanceof RetryableError ? err.retryAfterMs ?? 0 : 0;
  return { retry: true, delayMs: Math.max(backoff, floor) };
}

/** The error text recorded for a failure: "gave up after N attempts: ..." when the attempts ran out. */
export function failureText(err: unknown, attempt: number, d: RetryDecision): string {
  const message = err instanceof Error ? err.message : String(err);
  return `${!d.retry && d.reason === 'exhausted' ? `gave up after ${attempt} attempts: ` : ''}${message}`;
}
