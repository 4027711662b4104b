import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './login-limiter.js';

const MIN = 60_000;

describe('LoginLimiter', () => {
  it('refuses a name after 5 failures within 15 minutes until the oldest leaves the window', () => {
    const l = new LoginLimiter();
    const t0 = 1_000_000;
    for (let i = 0; i < 4; i++) l.attempt('Alice', '10.0.0.1', t0 + i * MIN);
    expect(l.retryAfterMs('alice', '10.0.0.2', t0 + 4 * MIN)).toBe(0);
    l.attempt('ALICE', '10.0.0.3', t0 + 4 * MIN);
    // Any case, any address: the name is limited.
    expect(l.retryAfterMs('alice', '10.0.0.9', t0 + 5 * MIN)).toBe(10 * MIN);
    expect(l.retryAfterMs('bob', '10.0.0.9', t0 + 5 * MIN)).toBe(0);
    expect(l.retryAfterMs('alice', '10.0.0.9', t0 + 15 * MIN)).toBe(0);
  });

  it('counts attempts under way, so a burst sent at once cannot pass the limit', () => {
    const l = new LoginLimiter();
    let admitted = 0;
    for (let i = 0; i < 50; i++) {
      if (l.retryAfterMs('dave', '10.0.0.1', 0) > 0) continue;
      l.attempt('dave', '10.0.0.1', 0);
      admitted++;
    }
    expect(admitted).toBe(5);
  });

  it('refuses an address after 20 failures, whatever the names', () => {
    const l = new LoginLimiter();
    for (let i = 0; i < 20; i++) l.attempt(`user${i}`, '10.0.0.1', i);
    expect(l.retryAfterMs('someone-new', '10.0.0.1', 100)).toBeGreaterThan(0);
    expect(l.retryAfterMs('someone-new', '10.0.0.2', 100)).toBe(0);
  });

  it('forgets a name\'s failures on success, and stays bounded in memory', () => {
    const l = new LoginLimiter({ maxKeys: 10 });
    for (let i = 0; i < 5; i++) l.attempt('carol', '10.0.0.1', i);
    expect(l.retryAfterMs('carol', '10.0.0.7', 10)).toBeGreaterThan(0);
    l.attempt('carol', '10.0.0.1', 5);
    l.succeed('Carol', '10.0.0.1', 5);
    expect(l.retryAfterMs('carol', '10.0.0.7', 10)).toBe(0);
    // The successful attempt no longer counts against its address; the 5 failures do.
    expect((l as unknown as { failures: Map<string, number[]> }).failures.get('a:10.0.0.1')).toEqual([0, 1, 2, 3, 4]);
    for (let i = 0; i < 100; i++) l.attempt(`n${i}`, `a${i}`, 20);
    expect((l as unknown as { failures: Map<string, unknown> }).failures.size).toBeLessThanOrEqual(10);
  });
});
