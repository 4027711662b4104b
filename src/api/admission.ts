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
 * A request is always admitted when nothing else is in flight, so a body of the full body limit
 * is never refused for its size alone. /healthz and /metrics never pass through here.
 */
import { Transform } from 'node:stream';
import { RetryableError } from '../domain/errors.js';
import type { AdmissionLimits } from './http-limits.js';

/** Why a request was refused: too many bytes or events in flight, or admitted work already waiting too long. */
export type ShedReason = 'bytes' | 'events' | 'delay';

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

  /** Admits a request that declares `declaredBytes` (0 when it declares none), or throws RetryableError. */
  admit(declaredBytes: number): AdmissionTicket {
    const bytes = Number.isFinite(declaredBytes) && declaredBytes > 0 ? declaredBytes : 0;
    if (this.requests > 0 && this.inflight + bytes > this.limits.maxInflightBytes) throw this.refuse('bytes');
    const pending = this.pendingEvents();
    if (pending > 0 && pending >= this.limits.maxPendingEvents) throw this.refuse('events');
    if (this.oldestWaitMs > this.limits.maxQueueMs) throw this.refuse('delay');
    this.inflight += bytes;
    this.requests++;
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
        this.inflight -= held;
        this.requests--;
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
          : `admitted requests have waited ${Math.round(this.oldestWaitMs)} ms`;
    return new RetryableError(`ingest is overloaded (${what}); retry after the Retry-After seconds`, this.limits.retryAfterMs);
  }
}
