import { describe, expect, it } from 'vitest';
import { RetryableError } from '../domain/errors.js';
import { Admission } from './admission.js';

const limits = { maxInflightBytes: 1000, maxPendingEvents: 100, maxQueueMs: 500, retryAfterMs: 2000 };

describe('Admission', () => {
  it('admits within the byte budget, always when nothing is in flight, and gives the bytes back once', () => {
    const a = new Admission(limits, () => 0);
    const big = a.admit(5000); // alone: admitted whatever its size
    expect(() => a.admit(1)).toThrow(RetryableError);
    big.release();
    big.release();
    expect(a.inflightBytes).toBe(0);
    const x = a.admit(600);
    expect(() => a.admit(600)).toThrow(/overloaded \(600 request bytes in flight\)/);
    const y = a.admit(400);
    expect(a.inflightBytes).toBe(1000);
    expect(() => y.grow(1)).toThrow(RetryableError);
    x.release();
    y.grow(500);
    expect(a.inflightBytes).toBe(900);
  });

  it('refuses while too many events wait for their commit', () => {
    let pending = 0;
    const a = new Admission(limits, () => pending);
    pending = 100;
    expect(() => a.admit(10)).toThrow(/100 events waiting/);
    pending = 60;
    a.admit(10);
    expect(() => a.checkEvents(50)).toThrow(RetryableError);
    a.checkEvents(40);
  });

  it('refuses while the oldest admitted request has waited past maxQueueMs since its body was in', () => {
    let now = 0;
    const shed: string[] = [];
    const a = new Admission(limits, () => 0, (r) => shed.push(r), undefined, () => now);
    const first = a.admit(10);
    const uploading = a.admit(10); // body still arriving: its wait does not count
    first.markReady();
    now = 400;
    a.admit(10).release();
    now = 600;
    expect(() => a.admit(10)).toThrow(/waited 600 ms/);
    first.release();
    expect(a.oldestWaitMs).toBe(0);
    a.admit(10);
    uploading.release();
    expect(shed).toEqual(['delay']);
    let err: unknown;
    try {
      first.release();
      a.admit(2000);
      a.admit(1);
    } catch (e) {
      err = e;
    }
    expect((err as RetryableError).retryAfterMs).toBe(2000);
  });
});
