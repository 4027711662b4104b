/**
 * Progress of long CLI work on stderr: a bar redrawn in place on a terminal (at most 5 times a
 * second), plain lines every 5 seconds otherwise (logs and pipes get no control characters).
 * The summary at the end is the command's own business (stdout).
 */
export interface ProgressState {
  /** Done so far, and the total when known (a bar is drawn only with a total). */
  done: number;
  total?: number;
  /** The unit of done/total: "bytes" is shown as KiB/MiB. */
  unit: string;
  /** Short text after the figures ("12,000 stored, 0 rejected"). */
  note?: string;
}

const WIDTH = 28;

function fmt(n: number, unit: string): string {
  if (unit === 'bytes') {
    if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
    if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${n} B`;
  }
  return `${n.toLocaleString('en-US')} ${unit}`;
}

/** Renders one progress line (pure; for tests and both modes). */
export function progressLine(label: string, s: ProgressState, bar: boolean): string {
  const figures = s.total !== undefined ? `${fmt(s.done, s.unit)} / ${fmt(s.total, s.unit)}` : fmt(s.done, s.unit);
  let head = `${label}: `;
  if (bar && s.total !== undefined && s.total > 0) {
    const f = Math.max(0, Math.min(1, s.done / s.total));
    const full = Math.round(f * WIDTH);
    head += `[${'#'.repeat(full)}${'-'.repeat(WIDTH - full)}] ${String(Math.floor(f * 100)).padStart(3)}% `;
  }
  return `${head}${figures}${s.note ? `, ${s.note}` : ''}`;
}

export class Progress {
  private last = 0;
  private drawn = false;
  private lastLen = 0;
  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty: boolean = stream.isTTY === true,
  ) {}

  update(s: ProgressState, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < (this.tty ? 200 : 5000)) return;
    this.last = now;
    const line = progressLine(this.label, s, this.tty);
    if (this.tty) {
      this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastLen - line.length))}`);
      this.lastLen = line.length;
      this.drawn = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the bar (a newline after an in-place bar). */
  done(): void {
    if (this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
