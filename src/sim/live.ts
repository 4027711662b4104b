/**
 * The demo's live feed: at start a burst (forced door, POS void spree) so incidents appear within
 * a minute; then, every few seconds, the simulator's background events of the time that passed,
 * and a break-in somewhere in the chain every one to two minutes (AlertCadence: seeded, randomised
 * within that window), each of its events sent when its time comes. Events go through the same
 * pipeline as every other source.
 *
 * The clock is the service's (`service.now()`), so a test drives a simulated hour by moving that
 * clock and calling `step()`, with no real waiting.
 */
import type { SecurityEvent } from '../domain/types.js';
import type { Service } from '../service.js';
import { AlertCadence, demoScenarioBurst, type PlannedAlert } from './scenarios.js';
import { simulateEvents } from './stream.js';

/** Planned alerts remembered (a demo left running for days must not grow without bound). */
const MAX_ALERTS_KEPT = 500;

export class LiveSimulator {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private busy = false;
  private cadence: AlertCadence | undefined;
  /** Alert events planned but not yet due, in time order. */
  private pending: SecurityEvent[] = [];
  /** The alerts planned so far, the newest MAX_ALERTS_KEPT (newest last; the tests read it). */
  readonly alerts: PlannedAlert[] = [];

  constructor(
    private readonly service: Service,
    private readonly seed: number,
    private readonly opts: { tickMs?: number } = {},
  ) {}

  /** Sends the opening burst and starts ticking (`timer: false`: the caller calls step()). */
  async start({ timer = true }: { timer?: boolean } = {}): Promise<void> {
    const now = this.service.now();
    this.last = now.getTime();
    const burst = demoScenarioBurst(this.service.config, now, this.seed);
    this.cadence = new AlertCadence(this.service.config, this.seed, now);
    // The burst's forced door is an alert too: the cadence leaves its zone to it.
    const door = burst.find((e) => e.type === 'door_forced');
    if (door?.zone) this.cadence.occupy(door.site, door.zone, Math.max(...burst.filter((e) => e.site === door.site).map((e) => Date.parse(e.occurredAt))));
    await this.send(burst);
    if (timer) {
      this.timer = setInterval(() => void this.step(), this.opts.tickMs ?? 5000);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Sends what happened since the last step: background events, and the alert events now due. */
  async step(): Promise<void> {
    if (this.busy || !this.cadence) return;
    this.busy = true;
    try {
      const now = this.service.now();
      const nowMs = now.getTime();
      const events = simulateEvents(this.service.config, { seed: this.seed, start: new Date(this.last), end: now });
      this.last = nowMs;
      // The stream's own scenarios open incidents too: the cadence keeps clear of their zones.
      for (const e of events) {
        if (e.zone && e.details && typeof e.details.scenario === 'string' && e.details.scenario !== 'camera_offline') this.cadence.occupy(e.site, e.zone, Date.parse(e.occurredAt));
      }
      for (const a of this.cadence.takeUntil(nowMs + 1)) {
        this.alerts.push(a);
        this.pending.push(...a.events);
      }
      if (this.alerts.length > MAX_ALERTS_KEPT) this.alerts.splice(0, this.alerts.length - MAX_ALERTS_KEPT);
      this.pending.sort((x, y) => Date.parse(x.occurredAt) - Date.parse(y.occurredAt));
      const due = this.pending.filter((e) => Date.parse(e.occurredAt) <= nowMs);
      this.pending = this.pending.filter((e) => Date.parse(e.occurredAt) > nowMs);
      const batch = [...events, ...due].sort((x, y) => Date.parse(x.occurredAt) - Date.parse(y.occurredAt));
      await this.send(batch);
    } finally {
      this.busy = false;
    }
  }

  private async send(events: SecurityEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      const r = await this.service.pipeline.ingest(events);
      this.service.log.debug({ accepted: r.accepted, opened: r.incidentsOpened.length }, 'simulator events ingested');
    } catch (e) {
      this.service.log.error({ err: (e as Error).message }, 'simulator events refused');
    }
  }
}
