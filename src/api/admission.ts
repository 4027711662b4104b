/**
 * Admission control of the ingest route: work in flight is counted from a request's first byte,
 * not from when its events wait to be written, so an overload is refused (503 with Retry-After)
 * while refusing is still cheap: before the body is read, parsed and validated. Two budgets:
 *
 * - request body bytes in flight, from `onRequest` (the declared Content-Length, then a counter on
 *   the raw stream for bodies that declare none or more) until the answer has gone out;
 * - events validated and waiting for their group commit (the pipeline's count);
 * - and, whatever the machine's speed, the time the oldest admitted request has waited since its
 *   body was in (parsing, validating, queued, committing): past `maxQueueMs` the server is behind,
 *   and taking more work would only make every accepted request later.
 *
 * The byte budget is also bounded by time: bytes in flight may be at most what the server
 * finishes in `maxQueueMs` at the speed it was measured to finish them (bytes answered per ms
 * while busy), never below MIN_WORK_BYTES nor above `maxInflightBytes`. A request is admitted
 * while there is room, so the work accepted in one turn of the event loop is what the server can
 * finish in about `maxQueueMs`, whatever the machine's speed: the rest is refused at its first
 * byte, cheaply, instead of waiting in the kernel's accept queue behind the accepted work.
 *
 * And the CPU work of accepted requests (decoding and validating their events) runs through
 * `cpu()`: a few milliseconds of it per turn of the event loop, so new connections, refusals and
 * /healthz get a turn in between however many bodies arrived at once.
 *
 * A request is always admitted when nothing else is in flight, so a body of the full body limit
 * is never refused for its size alone. /healthz and /metrics never pass through here.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Transform } from 'node:stream';
import { RetryableError } from '../domain/errors.js';
import type { AdmissionLimits } from './http-limits.js';

/**
 * Why a request was refused: too many bytes or events in flight, more work in flight than the
 * server finishes in `maxQueueMs`, the event loop busy past `maxLoopUtilization`, or admitted
 * work already waiting too long.
 */
export type ShedReason = 'bytes' | 'events' | 'work' | 'busy' | 'delay';

/** The time budget never shrinks the byte budget below this (a handful of typical requests). */
export const MIN_WORK_BYTES = 256 * 1024;
/** The finishing speed is re-measured after this much busy time. */
const RATE_WINDOW_MS = 250;
/** The event loop's utilisation is measured over windows of this length (ms). */
const LOOP_WINDOW_MS = 250;
/**
 * A busy event loop alone is no reason to refuse: a server that is 95 % busy and keeps up (1,000
 * single-event requests a second on the embedded store) must take them all. The busy refusal
 * applies once admitted work is also falling behind: the oldest admitted request has waited this
 * share of `maxQueueMs` since its body was in.
 */
export const BUSY_BEHIND_SHARE = 0.2;
/** CPU work of accepted requests run back to back in one turn of the event loop, at most (ms). */
export const CPU_SLICE_MS = 10;

/** One admitted request's share of the byte budget. */
export interface AdmissionTicket {
  /** Bytes this request holds. */
  readonly bytes: number;
  /** Counts `n` more bytes than declared; throws RetryableError when that goes over the budget. */
  grow(n: number): void;
  /** Notes that the body is in: from now on the request's wait counts against `maxQueueMs`. */
  markReady(): void;
  /** Gives the bytes back (idempotent). */
  release(): void;
}

/** The admission budget of one server. */
export class Admission {
  private inflight = 0;
  private requests = 0;
  /** When each admitted request's body was in, oldest first (a Map keeps insertion order). */
  private readonly ready = new Map<object, number>();
  /** Bytes of requests finished, and busy time (some request in flight), in the current window. */
  private doneBytes = 0;
  private busyMs = 0;
  private busySince: number | undefined;
  /** Measured finishing speed (bytes per busy ms); undefined until first measured. */
  private rate: number | undefined;
  /** The event loop's utilisation at the start of the current window, and over the last full one. */
  private loopMark: EventLoopUtilization = performance.eventLoopUtilization();
  private loopMarkAt = performance.now();
  private loopBusy = 0;
  /** CPU jobs waiting for a turn, and whether a pump is running them. */
  private readonly jobs: (() => void)[] = [];
  private pumping = false;

  constructor(
    readonly limits: AdmissionLimits,
    /** Events validated and not yet committed. */
    private readonly pendingEvents: () => number,
    /** Called for every refusal (metrics). */
    private readonly onShed: (reason: ShedReason) => void = () => undefined,
    /** Called with the bytes in flight whenever they change (metrics). */
    private readonly onInflight: (bytes: number) => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** How long the oldest admitted request has waited since its body was in (ms; 0 when none waits). */
  get oldestWaitMs(): number {
    for (const at of this.ready.values()) return this.now() - at;
    return 0;
  }

  /** Request body bytes in flight now. */
  get inflightBytes(): number {
    return this.inflight;
  }

  /**
   * The byte budget now: what the server finishes in `maxQueueMs` at its measured speed (between
   * MIN_WORK_BYTES and `maxInflightBytes`); MIN_WORK_BYTES until the speed is measured.
   */
  get workBudgetBytes(): number {
    if (this.rate === undefined) return Math.min(this.limits.maxInflightBytes, MIN_WORK_BYTES);
    return Math.round(Math.min(this.limits.maxInflightBytes, Math.max(MIN_WORK_BYTES, this.rate * this.limits.maxQueueMs)));
  }

  /** Measured finishing speed in bytes per busy millisecond (undefined before the first window). */
  get bytesPerMs(): number | undefined {
    return this.rate;
  }

  /**
   * The share of the last LOOP_WINDOW_MS (or more) the event loop spent running code rather than
   * waiting for I/O (0..1).
   */
  get loopUtilization(): number {
    const at = performance.now();
    if (at - this.loopMarkAt >= LOOP_WINDOW_MS) {
      const mark = performance.eventLoopUtilization();
      this.loopBusy = performance.eventLoopUtilization(mark, this.loopMark).utilization;
      this.loopMark = mark;
      this.loopMarkAt = at;
    }
    return this.loopBusy;
  }

  /** Accounts busy time up to now and, when `close` and the window is long enough, takes a speed sample. */
  private measure(close: boolean): void {
    const now = this.now();
    if (this.busySince !== undefined) {
      this.busyMs += now - this.busySince;
      this.busySince = this.requests > 0 ? now : undefined;
    }
    if (close && this.busyMs >= RATE_WINDOW_MS && this.doneBytes > 0) {
      const sample = this.doneBytes / this.busyMs;
      this.rate = this.rate === undefined ? sample : 0.5 * this.rate + 0.5 * sample;
      this.doneBytes = 0;
      this.busyMs = 0;
    }
  }

  /**
   * Runs a request's CPU work (decoding, validating) when its turn comes: jobs run back to back
   * while the current turn has used less than CPU_SLICE_MS, then the rest wait for the next turn
   * of the event loop (setImmediate: after the poll phase, so sockets are served in between).
   */
  cpu<T>(f: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push(() => {
        try {
          resolve(f());
        } catch (e) {
          reject(e);
        }
      });
      if (!this.pumping) {
        this.pumping = true;
        setImmediate(this.pump);
      }
    });
  }

  private readonly pump = (): void => {
    const start = performance.now();
    while (this.jobs.length > 0 && performance.now() - start < CPU_SLICE_MS) this.jobs.shift()!();
    if (this.jobs.length > 0) setImmediate(this.pump);
    else this.pumping = false;
  };

  /** Admits a request that declares `declaredBytes` (0 when it declares none), or throws RetryableError. */
  admit(declaredBytes: number): AdmissionTicket {
    const bytes = Number.isFinite(declaredBytes) && declaredBytes > 0 ? declaredBytes : 0;
    this.measure(true);
    if (this.requests > 0 && this.inflight + bytes > this.limits.maxInflightBytes) throw this.refuse('bytes');
    if (this.requests > 0 && this.inflight + bytes > this.workBudgetBytes) throw this.refuse('work');
    if (this.requests > 0 && this.loopUtilization > this.limits.maxLoopUtilization && this.oldestWaitMs > this.limits.maxQueueMs * BUSY_BEHIND_SHARE) throw this.refuse('busy');
    const pending = this.pendingEvents();
    if (pending > 0 && pending >= this.limits.maxPendingEvents) throw this.refuse('events');
    if (this.oldestWaitMs > this.limits.maxQueueMs) throw this.refuse('delay');
    this.inflight += bytes;
    this.requests++;
    this.busySince ??= this.now();
    this.onInflight(this.inflight);
    let held = bytes;
    let released = false;
    const key = {};
    return {
      get bytes() {
        return held;
      },
      grow: (n: number) => {
        if (released || n <= 0) return;
        if (this.requests > 1 && this.inflight + n > this.limits.maxInflightBytes) throw this.refuse('bytes');
        if (this.requests > 1 && this.inflight + n > this.workBudgetBytes) throw this.refuse('work');
        this.inflight += n;
        held += n;
        this.onInflight(this.inflight);
      },
      markReady: () => {
        if (!released && !this.ready.has(key)) this.ready.set(key, this.now());
      },
      release: () => {
        if (released) return;
        released = true;
        this.ready.delete(key);
        this.measure(false);
        this.inflight -= held;
        this.doneBytes += held;
        this.requests--;
        if (this.requests === 0) this.busySince = undefined; // the busy period ends
        this.onInflight(this.inflight);
      },
    };
  }

  /** Refuses `count` validated events when they would take the pending events over the budget. */
  checkEvents(count: number): void {
    const pending = this.pendingEvents();
    if (pending > 0 && pending + count > this.limits.maxPendingEvents) throw this.refuse('events');
  }

  /** A stream that counts the raw body's bytes against the ticket beyond what the request declared. */
  counter(ticket: AdmissionTicket): Transform {
    let seen = 0;
    return new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        try {
          if (seen > ticket.bytes) ticket.grow(seen - ticket.bytes);
          done(null, chunk);
        } catch (e) {
          done(e as Error);
        }
      },
    });
  }

  private refuse(reason: ShedReason): RetryableError {
    this.onShed(reason);
    const what =
      reason === 'bytes'
        ? `${this.inflight} request bytes in flight`
        : reason === 'events'
          ? `${this.pendingEvents()} events waiting to be written`
          : reason === 'busy'
            ? `the event loop was ${Math.round(this.loopBusy * 100)} % busy`
          : reason === 'work'
            ? `${this.inflight} request bytes in flight, about ${this.limits.maxQueueMs} ms of work at the measured speed`
            : `admitted requests have waited ${Math.round(this.oldestWaitMs)} ms`;
    return new RetryableError(`ingest is overloaded (${what}); retry after the Retry-After seconds`, this.limits.retryAfterMs);
  }
}
