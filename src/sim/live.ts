/**
 * The demo's live feed: at start a burst (forced door, POS void spree) so incidents appear within
 * a minute, then every few seconds the simulator's events of the time that passed, and a fresh
 * burst every `burstEveryMs`. Events go through the same pipeline as every other source.
 */
import type { Service } from '../service.js';
import { demoScenarioBurst } from './scenarios.js';
import { simulateEvents } from './stream.js';

export class LiveSimulator {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private lastBurst = 0;
  private busy = false;

  constructor(
    private readonly service: Service,
    private readonly seed: number,
    private readonly opts: { tickMs?: number; burstEveryMs?: number } = {},
  ) {}

  /** Sends the opening burst and starts ticking. */
  async start(): Promise<void> {
    const now = this.service.now();
    this.last = now.getTime();
    await this.burst(now);
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async burst(at: Date): Promise<void> {
    this.lastBurst = at.getTime();
    await this.send(demoScenarioBurst(this.service.config, at, this.seed));
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = this.service.now();
      const events = simulateEvents(this.service.config, { seed: this.seed, start: new Date(this.last), end: now });
      this.last = now.getTime();
      await this.send(events);
      if (now.getTime() - this.lastBurst >= (this.opts.burstEveryMs ?? 10 * 60_000)) await this.burst(now);
    } finally {
      this.busy = false;
    }
  }

  private async send(events: Parameters<Service['pipeline']['ingest']>[0]): Promise<void> {
    if (events.length === 0) return;
    try {
      const r = await this.service.pipeline.ingest(events);
      this.service.log.debug({ accepted: r.accepted, opened: r.incidentsOpened.length }, 'simulator events ingested');
    } catch (e) {
      this.service.log.error({ err: (e as Error).message }, 'simulator events refused');
    }
  }
}
