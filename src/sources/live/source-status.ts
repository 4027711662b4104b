/**
 * What a live source (a broker connection that feeds events: Frigate over MQTT, a NATS JetStream
 * consumer) tells the operator about itself: its connection state with the reason of the last
 * failure, when its last message arrived, and how many messages became events, were duplicates of
 * stored events, or were refused. `GET /api/v1/sources`, `/metrics` and the dashboard read these;
 * the sources themselves only update their own tracker.
 */

export const SOURCE_STATES = ['connecting', 'connected', 'reconnecting', 'failed', 'stopped'] as const;
export type SourceState = (typeof SOURCE_STATES)[number];

export interface SourceCounts {
  /** Messages whose events were stored (new events). */
  accepted: number;
  /** Messages whose events were already stored (same source and source event id), or repeats the source itself recognised. */
  duplicate: number;
  /** Messages refused: malformed, failing validation, or naming nothing the configuration maps. */
  rejected: number;
}

export interface SourceStatus {
  /** Stable id of the source, e.g. `frigate` or `nats`. */
  id: string;
  /** What kind of source it is (`frigate`, `nats`, ...). */
  kind: string;
  state: SourceState;
  /** Why the source is reconnecting or failed (the last error), null while healthy. */
  reason: string | null;
  /** Since when the source has been in its current state (ISO 8601 UTC). */
  since: string;
  /** When the last message arrived (ISO 8601 UTC), null before the first. */
  lastMessageAt: string | null;
  counts: SourceCounts;
  /** Source-specific facts safe to show a reader (never credentials): the broker address without password, topics, subject. */
  detail: Record<string, unknown>;
}

/** The live state of one source; the source calls these as things happen. */
export class SourceTracker {
  private state: SourceState = 'connecting';
  private reason: string | null = null;
  private since: Date;
  private lastMessageAt: Date | null = null;
  private readonly counts: SourceCounts = { accepted: 0, duplicate: 0, rejected: 0 };

  constructor(
    readonly id: string,
    readonly kind: string,
    private readonly detail: Record<string, unknown> = {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.since = now();
  }

  /** Moves to a state; a change of state resets `since`, a repeated state keeps it. */
  setState(state: SourceState, reason: string | null = null): void {
    if (state !== this.state) this.since = this.now();
    this.state = state;
    this.reason = state === 'connected' || state === 'stopped' ? null : reason;
  }

  /** A message arrived (before it is judged). */
  messageArrived(): void {
    this.lastMessageAt = this.now();
  }

  count(outcome: keyof SourceCounts, n = 1): void {
    this.counts[outcome] += n;
  }

  status(): SourceStatus {
    return {
      id: this.id,
      kind: this.kind,
      state: this.state,
      reason: this.reason,
      since: this.since.toISOString(),
      lastMessageAt: this.lastMessageAt?.toISOString() ?? null,
      counts: { ...this.counts },
      detail: { ...this.detail },
    };
  }
}

/** A source the service starts and stops with itself. */
export interface LiveSource {
  readonly tracker: SourceTracker;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The service's live sources, in the order they were added. */
export class SourceRegistry {
  private readonly sources: LiveSource[] = [];

  add(source: LiveSource): void {
    if (this.sources.some((s) => s.tracker.id === source.tracker.id)) throw new Error(`a live source with id ${source.tracker.id} is already registered`);
    this.sources.push(source);
  }

  list(): SourceStatus[] {
    return this.sources.map((s) => s.tracker.status());
  }

  async startAll(): Promise<void> {
    for (const s of this.sources) await s.start();
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.sources.map((s) => s.stop()));
  }
}

/** A broker URL as it may be shown: without user name and password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid url)';
  }
}
