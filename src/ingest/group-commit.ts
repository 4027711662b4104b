/**
 * Group commit: requests that arrive while a transaction is running are stored together in the
 * next one. Under load a transaction carries many requests, so each pays a fraction of the commit;
 * alone, a request is committed at once. Every caller hears back only after the COMMIT that holds
 * its events. If a shared transaction fails, its requests are retried one by one so that one
 * request's problem is not another's.
 */
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { RetryableError } from '../domain/errors.js';
import type { SecurityEvent } from '../domain/types.js';

/** How a group commit cuts its groups. */
export interface GroupLimits {
  /** Most events one group commit carries. */
  maxGroupEvents: number;
  /** Fewest events a group is cut to (below this the commit's own cost dominates). */
  minGroupEvents: number;
  /**
   * How long one group commit should take (ms). The embedded store runs a transaction without
   * yielding to the event loop, so a commit's length is how long /healthz, new connections and
   * every refusal wait behind it: groups are cut to what the last commits wrote in this time
   * (between minGroupEvents and maxGroupEvents).
   */
  targetCommitMs: number;
}

/**
 * The default cut. One embedded-store transaction of the ingest took (fastest of six, on a
 * 2-core machine shared with other work) 3 ms for 50 events, 7 ms for 200, 56 ms for 1,000 and
 * 155 ms for 5,000: about 250 events make 10-15 ms. Under a 10x overload a 50 ms target held every
 * socket, refusal and /healthz behind 50-150 ms commits; at 15 ms the loop turns three times as
 * often; the sustainable rate and the normal-load latencies measured the same within this machine's noise (docs/performance.md, Overload).
 */
export const DEFAULT_GROUP_LIMITS: Readonly<GroupLimits> = {
  maxGroupEvents: 5000,
  minGroupEvents: 250,
  targetCommitMs: 15,
};
/** Most events waiting for a group commit before new requests are refused with 503. */
const MAX_WAITING_EVENTS = 20_000;

/** What a committed batch reports per input event, so a group's result can be split by request. */
export interface GroupedResult<R> {
  /** The result for the whole group. */
  whole: R;
  /** The part of the result that belongs to events [offset, offset + count). */
  slice(offset: number, count: number): R;
}

interface Waiting<R> {
  events: readonly SecurityEvent[];
  resolve(r: R): void;
  reject(e: unknown): void;
}

/** Queues batches of events and commits them in groups through `commit`. */
export class GroupCommit<R> {
  private readonly waiting: Waiting<R>[] = [];
  private waitingEvents = 0;
  private committingEvents = 0;
  private flushing = false;
  /** Smoothed commit time per event (ms), from the commits so far. */
  private msPerEvent = 0;

  /** `commit` stores a group's events in one transaction and describes the result. */
  private readonly limits: GroupLimits;

  constructor(
    private readonly commit: (events: readonly SecurityEvent[]) => Promise<GroupedResult<R>>,
    limits: Partial<GroupLimits> = {},
  ) {
    this.limits = { ...DEFAULT_GROUP_LIMITS, ...limits };
  }

  /** Events queued or in the commit being written: the ingest's share of admission control. */
  get pendingEvents(): number {
    return this.waitingEvents + this.committingEvents;
  }

  /** Most events the next group takes: about `targetCommitMs` of work at the recent commit speed. */
  get groupCap(): number {
    const { maxGroupEvents, minGroupEvents, targetCommitMs } = this.limits;
    if (this.msPerEvent <= 0) return maxGroupEvents;
    return Math.max(Math.min(minGroupEvents, maxGroupEvents), Math.min(maxGroupEvents, Math.round(targetCommitMs / this.msPerEvent)));
  }

  /** Queues a batch; resolves after the commit that holds it. */
  submit(events: readonly SecurityEvent[]): Promise<R> {
    // Past this backlog a caller waits longer than it would take to try again: say so (503) rather
    // than hold the request until the client times out. Nothing of a refused request is stored.
    if (this.waitingEvents + events.length > MAX_WAITING_EVENTS) throw new RetryableError(`ingest is overloaded (${this.waitingEvents} events waiting); retry shortly`, 1000);
    return new Promise<R>((resolve, reject) => {
      this.waitingEvents += events.length;
      this.waiting.push({ events, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        // PGlite runs a transaction without yielding to the event loop, so requests that arrived
        // meanwhile are still unread on their sockets: let the loop read them first to join this group.
        await setImmediatePromise();
        const group: Waiting<R>[] = [];
        let n = 0;
        const cap = this.groupCap;
        while (this.waiting.length > 0 && (group.length === 0 || n + this.waiting[0].events.length <= cap)) {
          const w = this.waiting.shift()!;
          group.push(w);
          n += w.events.length;
        }
        this.waitingEvents -= n;
        this.committingEvents = n;
        const started = performance.now();
        try {
          await this.commitGroup(group);
          const per = (performance.now() - started) / Math.max(1, n);
          this.msPerEvent = this.msPerEvent === 0 ? per : 0.7 * this.msPerEvent + 0.3 * per;
        } catch (e) {
          if (group.length === 1) group[0].reject(e);
          else for (const w of group) await this.commitGroup([w]).catch((err: unknown) => w.reject(err));
        } finally {
          this.committingEvents = 0;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commitGroup(group: Waiting<R>[]): Promise<void> {
    const all = group.length === 1 ? group[0].events : group.flatMap((w) => w.events);
    const r = await this.commit(all);
    if (group.length === 1) {
      group[0].resolve(r.whole);
      return;
    }
    let offset = 0;
    for (const w of group) {
      w.resolve(r.slice(offset, w.events.length));
      offset += w.events.length;
    }
  }
}
