/**
 * Admission control of the ingest route: work in flight is counted from a request's first byte,
 * not from when its events wait to be written, so an overload is refused (503 with Retry-After)
 * while refusing is still cheap: before the body is read, parsed and validated. Two budgets:
 *
 * - request body bytes in flight, from `onRequest` (the declared Content-Length, then a counter on
 *   the raw stream for bodies that declare none or more) until the answer has gone out;
 * - events validated and waiting for their group commit (the pipeline's count).
 *
 * A request is always admitted when nothing else is in flight, so a body of the full body limit
 * is never refused for its size alone. /healthz and /metrics never pass through here.
 */
import { Transform } from 'node:stream';
import { RetryableError } from '../domain/errors.js';
import type { AdmissionLimits } from './http-limits.js';

/** Why a request was refused: too many bytes or too many events in flight. */
export type ShedReason = 'bytes' | 'events';

/** One admitted request's share of the byte budget. */
export interface AdmissionTicket {
  /** Bytes this request holds. */
  readonly bytes: number;
  /** Counts `n` more bytes than declared; throws RetryableError when that goes over the budget. */
  grow(n: number): void;
  /** Gives the bytes back (idempotent). */
  release(): void;
}

/** The admission budget of one server. */
export class Admission {
  private inflight = 0;
  private requests = 0;

  constructor(
    readonly limits: AdmissionLimits,
    /** Events validated and not yet committed. */
    private readonly pendingEvents: () => number,
    /** Called for every refusal (metrics). */
    private readonly onShed: (reason: ShedReason) => void = () => undefined,
    /** Called with the bytes in flight whenever they change (metrics). */
    private readonly onInflight: (bytes: number) => void = () => undefined,
  ) {}

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
    this.inflight += bytes;
    this.requests++;
    this.onInflight(this.inflight);
    let held = bytes;
    let released = false;
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
      release: () => {
        if (released) return;
        released = true;
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
    const what = reason === 'bytes' ? `${this.inflight} request bytes in flight` : `${this.pendingEvents()} events waiting to be written`;
    return new RetryableError(`ingest is overloaded (${what}); retry after the Retry-After seconds`, this.limits.retryAfterMs);
  }
}
