import { describe, expect, it } from 'vitest';
import { RetryableError } from '../domain/errors.js';
import { Admission, CPU_SLICE_MS, MIN_WORK_BYTES } from './admission.js';

const limits = { maxInflightBytes: 1000, maxPendingEvents: 100, maxQueueMs: 500, maxLoopUtilization: 1, retryAfterMs: 2000 };

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

  it('bounds the bytes in flight by what the measured speed finishes in maxQueueMs', () => {
    let now = 0;
    const shed: string[] = [];
    const a = new Admission({ ...limits, maxInflightBytes: 10 * MIN_WORK_BYTES }, () => 0, (r) => shed.push(r), undefined, () => now);
    // Before any speed is measured: MIN_WORK_BYTES.
    expect(a.workBudgetBytes).toBe(MIN_WORK_BYTES);
    const x = a.admit(MIN_WORK_BYTES / 2);
    const y = a.admit(MIN_WORK_BYTES / 2);
    expect(() => a.admit(1000)).toThrow(/about 500 ms of work/);
    // Both finish after 250 ms of busy time: MIN_WORK_BYTES per 250 ms, so 500 ms is twice that.
    now = 250;
    x.release();
    y.release();
    now = 300;
    const held = [a.admit(MIN_WORK_BYTES / 2)];
    expect(a.bytesPerMs).toBeCloseTo(MIN_WORK_BYTES / 250);
    expect(a.workBudgetBytes).toBe(2 * MIN_WORK_BYTES);
    for (let i = 0; i < 3; i++) held.push(a.admit(MIN_WORK_BYTES / 2));
    expect(() => a.admit(1000)).toThrow(RetryableError);
    expect(shed).toEqual(['work', 'work']);
    // Alone, a request is admitted whatever the budget.
    for (const t of held) t.release();
    a.admit(20 * MIN_WORK_BYTES).release();
  });

  it('refuses while the event loop was busy past maxLoopUtilization and admitted work falls behind, unless nothing else is in flight', () => {
    const shed: string[] = [];
    let clock = 0;
    const a = new Admission({ ...limits, maxInflightBytes: 10_000, maxLoopUtilization: 0.5, maxQueueMs: 500 }, () => 0, (r) => shed.push(r), undefined, () => clock);
    const end = performance.now() + 300; // the loop held for longer than the measuring window
    while (performance.now() < end);
    const alone = a.admit(10);
    alone.markReady();
    // Busy, but keeping up: the admitted request has waited less than a fifth of maxQueueMs.
    clock += 50;
    const keepingUp = a.admit(10);
    expect(shed).toEqual([]);
    keepingUp.release();
    // Busy and behind: refused.
    clock += 100;
    expect(() => a.admit(10)).toThrow(/event loop was \d+ % busy/);
    expect(shed).toEqual(['busy']);
    alone.release();
  });

  it('runs CPU work in order, a slice per turn of the event loop, each job failing on its own', async () => {
    const a = new Admission(limits, () => 0);
    const order: string[] = [];
    const busy = () => {
      const end = performance.now() + CPU_SLICE_MS + 5;
      while (performance.now() < end);
    };
    const jobs = [
      a.cpu(() => {
        busy();
        order.push('first');
        return 1;
      }),
      a.cpu(() => {
        order.push('second');
        throw new Error('bad body');
      }),
      a.cpu(() => {
        order.push('third');
        return 3;
      }),
    ];
    // Queued after the pump: runs once the first job used up the turn's slice, before the rest.
    setImmediate(() => order.push('another turn'));
    const settled = await Promise.allSettled(jobs);
    expect(order).toEqual(['first', 'another turn', 'second', 'third']);
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([1, 'bad body', 3]);
  });
});
