/**
 * Sign-in rate limiting: failed sign-ins are counted per name (any case) and per client address
 * over a sliding window. Past the limit the next attempt is refused before its password is checked
 * (429 with Retry-After: when the oldest counted failure leaves the window). An attempt counts as a
 * failure from the moment it starts (`attempt`), so many sign-ins sent at once cannot all slip
 * under the limit while their passwords are being checked; a successful one takes its count back
 * and clears its name's failures (`succeed`). Counts live in this process's memory, bounded in size.
 */

export interface LoginLimits {
  /** Failures per name within the window before sign-ins for that name are refused. */
  perName: number;
  /** Failures per client address within the window (several people may share one address). */
  perAddress: number;
  windowMs: number;
  /** Most names and addresses tracked; the oldest are dropped beyond it. */
  maxKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perName: 5, perAddress: 20, windowMs: 15 * 60_000, maxKeys: 10_000 };

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  readonly limits: LoginLimits;

  constructor(limits: Partial<LoginLimits> = {}) {
    this.limits = { ...DEFAULT_LOGIN_LIMITS, ...limits };
  }

  /** Milliseconds until a sign-in for `name` from `address` may be tried, or 0 when it may now. */
  retryAfterMs(name: string, address: string, now: number): number {
    return Math.max(this.wait(`n:${name.toLowerCase()}`, this.limits.perName, now), this.wait(`a:${address}`, this.limits.perAddress, now));
  }

  /** Counts a sign-in attempt as a failure until `succeed` says otherwise. */
  attempt(name: string, address: string, now: number): void {
    this.push(`n:${name.toLowerCase()}`, now);
    this.push(`a:${address}`, now);
  }

  /** The attempt started at `at` succeeded: the name's failures are forgotten, and the address's count of it. */
  succeed(name: string, address: string, at: number): void {
    this.failures.delete(`n:${name.toLowerCase()}`);
    const list = this.failures.get(`a:${address}`);
    const i = list ? list.lastIndexOf(at) : -1;
    if (list && i >= 0) {
      list.splice(i, 1);
      if (list.length === 0) this.failures.delete(`a:${address}`);
    }
  }

  private recent(key: string, now: number): number[] {
    const list = this.failures.get(key);
    if (!list) return [];
    const kept = list.filter((t) => t > now - this.limits.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else if (kept.length !== list.length) this.failures.set(key, kept);
    return kept;
  }

  private wait(key: string, limit: number, now: number): number {
    const list = this.recent(key, now);
    if (list.length < limit) return 0;
    // Refused until enough failures have left the window to drop below the limit.
    return list[list.length - limit] + this.limits.windowMs - now;
  }

  private push(key: string, now: number): void {
    const list = this.recent(key, now);
    if (list.length === 0) {
      if (this.failures.size >= this.limits.maxKeys) {
        const oldest = this.failures.keys().next().value;
        if (oldest !== undefined) this.failures.delete(oldest);
      }
      this.failures.set(key, [now]);
      return;
    }
    list.push(now);
    // No more than the larger limit is ever needed.
    if (list.length > Math.max(this.limits.perName, this.limits.perAddress)) list.shift();
    this.failures.set(key, list);
  }
}
