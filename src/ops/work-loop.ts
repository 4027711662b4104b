/**
 * The one background loop, shared by the workflow runner, the outbox dispatcher, the response
 * monitor and the scheduler: run passes of work until a pass finds nothing, then sleep until the
 * next poll or until kicked (new work was committed).
 */
export class WorkLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = true;
  private kicked = false;
  private idle: Promise<void> = Promise.resolve();

  /** `work` runs one pass and returns how many items it handled. */
  constructor(
    private readonly work: () => Promise<number>,
    private readonly opts: { pollMs: number; onError: (e: unknown) => void },
  ) {}

  /** Starts the loop; the first pass runs after `firstDelayMs` (default at once). */
  start(firstDelayMs = 0): void {
    this.stopped = false;
    this.schedule(firstDelayMs);
  }

  /** Stops the loop and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.idle;
  }

  /** Asks for a pass soon; a pass in progress runs once more before sleeping. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.kicked = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.idle = this.pass().catch(this.opts.onError);
    }, ms);
  }

  private async pass(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      let n: number;
      do {
        this.kicked = false;
        n = await this.work();
      } while ((n > 0 || this.kicked) && !this.stopped);
    } finally {
      this.running = false;
      this.schedule(this.opts.pollMs);
    }
  }
}
