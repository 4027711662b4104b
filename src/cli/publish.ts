/**
 * `vigil publish FILE... --nats URL --subject S`: reads event files (the formats `vigil ingest`
 * reads) and publishes each event to a NATS JetStream subject, for stores and edge boxes that feed
 * a central Vigil (whose `sources.nats` consumer stores them). It touches no store.
 *
 * Every message carries `Nats-Msg-Id: <source>:<sourceEventId>`, so publishing a file again is
 * dropped by the stream (within its duplicate window) and, past that window, by the store's
 * (source, sourceEventId) check. An event whose file gives no id gets one from its content
 * (`sha256-...`), so it is idempotent the same way. Publishes are pipelined: up to WINDOW wait for
 * their acknowledgement at once. A row that does not validate is not published and is listed with
 * its row and reason; the exit code is then 1. Progress goes to stderr, the summary to stdout.
 */
import { createHash } from 'node:crypto';
import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadConfig } from '../config/loader.js';
import type { Config } from '../config/schema.js';
import type { Problem } from '../domain/errors.js';
import { buildOrgModel } from '../domain/site-model.js';
import type { SecurityEvent } from '../domain/types.js';
import { detectFormat, parseFile, type FileFormat, type ParseOptions, type ParseStats } from '../sources/event-files.js';
import { readHead } from '../sources/file-formats.js';
import { redactUrl } from '../sources/live/source-status.js';
import { UsageError } from './common.js';

export interface PublishCommandOptions {
  nats: string;
  subject: string;
  format?: FileFormat;
  profile?: string;
  site?: string;
  /** A configuration to check sites and zones against (and map devices to zones); default none. */
  config?: string;
  /** Most publishes waiting for their acknowledgement at once. */
  window?: number;
}

export interface PublishSummary {
  file: string;
  format: FileFormat;
  read: number;
  /** Events the stream stored. */
  published: number;
  /** Events the stream already held (same message id within its duplicate window). */
  duplicates: number;
  skipped: number;
  rejected: number;
  /** Events the stream did not acknowledge (an error other than a duplicate). */
  failed: number;
  problems: Problem[];
  seconds: number;
}

/** Publishes waiting for their acknowledgement at once (the pipeline's depth). */
export const WINDOW = 256;

/** The message id of an event: what the stream drops a second copy by. */
export function messageId(e: SecurityEvent): string {
  return `${e.source}:${e.sourceEventId}`;
}

/** A stable id from an event's content, for events whose file gives none. */
export function contentEventId(e: SecurityEvent): string {
  const canonical = JSON.stringify([e.source, e.type, e.occurredAt, e.site, e.zone ?? null, e.device ?? null, e.badge ?? null, e.assets ?? null, e.amount ?? null, e.details]);
  return `sha256-${createHash('sha256').update(canonical).digest('hex').slice(0, 40)}`;
}

/** Runs the publish command; returns the exit code. */
export async function publishCommand(files: string[], opts: PublishCommandOptions): Promise<number> {
  if (files.length === 0) throw new UsageError('publish: expected at least one FILE');
  if (!opts.nats) throw new UsageError('publish: expected --nats URL (e.g. nats://127.0.0.1:4222)');
  if (!opts.subject || /[\s*>]/.test(opts.subject) || opts.subject.split('.').some((t) => t === '')) {
    throw new UsageError(`publish: --subject expects a NATS subject without wildcards, like vigil.events, got ${JSON.stringify(opts.subject ?? '')}`);
  }
  const configFile = opts.config ?? process.env.VIGIL_CONFIG;
  const config: Config | undefined = configFile ? loadConfig(configFile) : undefined;
  if (config && opts.site && !config.sites.some((s) => s.id === opts.site)) {
    throw new UsageError(`publish: --site ${opts.site} is not a site of the configuration (${config.sites.map((s) => s.id).join(', ')})`);
  }
  const parseOpts: ParseOptions = { ...(opts.site ? { site: opts.site } : {}), ...(opts.profile ? { profile: opts.profile } : {}) };
  if (config) {
    const org = buildOrgModel(config);
    parseOpts.currency = config.organization.currency;
    parseOpts.zoneOf = (device) => org.devices.get(device)?.zone;
    parseOpts.refs = { zonesBySite: new Map([...org.sites].map(([id, m]) => [id, m.zones])) };
  }
  const formats = new Map<string, FileFormat>();
  for (const file of files) {
    const head = await readHead(file).catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`publish: cannot read ${file}: ${e.code ?? e.message}`);
    });
    formats.set(file, opts.format ?? detectFormat(file, head));
  }

  let nc: NatsConnection;
  try {
    nc = await connect({ servers: opts.nats.split(',').map((u) => u.trim()), name: 'vigil-publish', timeout: 10_000 });
  } catch (e) {
    throw new Error(`cannot connect to NATS at ${redactUrl(opts.nats)}: ${(e as Error).message}`);
  }
  const summaries: PublishSummary[] = [];
  try {
    const js = jetstream(nc);
    for (const file of files) summaries.push(await publishFile(js, file, formats.get(file)!, parseOpts, opts));
  } finally {
    await nc.drain().catch(() => nc.close());
  }
  for (const s of summaries) printSummary(s, opts.subject);
  return summaries.some((s) => s.rejected > 0 || s.failed > 0) ? 1 : 0;
}

async function publishFile(js: JetStreamClient, file: string, format: FileFormat, parseOpts: ParseOptions, opts: PublishCommandOptions): Promise<PublishSummary> {
  const started = performance.now();
  const stats: ParseStats = { skipped: 0 };
  const s: PublishSummary = { file, format, read: 0, published: 0, duplicates: 0, skipped: 0, rejected: 0, failed: 0, problems: [], seconds: 0 };
  const window = Math.max(1, opts.window ?? WINDOW);
  const waiting = new Set<Promise<void>>();
  const progress = new Progress(file);
  /** A publish error that no retry mends (no stream for the subject): stops the file. */
  let fatal: Error | undefined;
  const settle = (row: number, p: Promise<PubAck>) => {
    const w: Promise<void> = p.then(
      (ack) => {
        if (ack.duplicate) s.duplicates++;
        else s.published++;
      },
      (e: Error) => {
        s.failed++;
        if (noStreamFor(e)) fatal ??= new Error(`no JetStream stream captures subject ${opts.subject}: start the Vigil that consumes it (sources.nats creates its stream) or create a stream for the subject`);
        if (s.problems.length < 1000) s.problems.push({ row, path: '', message: `not published: ${e.message}` });
      },
    );
    waiting.add(w);
    void w.finally(() => waiting.delete(w));
  };
  try {
    for await (const row of parseFile(file, format, parseOpts, stats)) {
      s.read++;
      if (row.problems.length > 0) {
        s.rejected++;
        if (s.problems.length < 1000) s.problems.push(...row.problems);
      } else if (row.event) {
        const e = row.event;
        if (e.sourceEventId === undefined) e.sourceEventId = contentEventId(e);
        settle(row.row, js.publish(opts.subject, JSON.stringify(e), { msgID: messageId(e) }));
        if (waiting.size >= window) await Promise.race(waiting);
      }
      if (fatal) break;
      progress.tick(s.read, s.published + s.duplicates, s.rejected);
    }
    await Promise.allSettled([...waiting]);
  } finally {
    progress.done();
  }
  if (fatal) throw fatal;
  s.skipped = stats.skipped;
  s.seconds = (performance.now() - started) / 1000;
  return s;
}

/** Whether a publish failed because no stream captures the subject (JetStream answers with no responders). */
function noStreamFor(e: unknown): boolean {
  for (let c = e as Error | undefined, depth = 0; c && depth < 5; c = c.cause as Error | undefined, depth++) {
    if (c.name === 'JetStreamNotEnabled' || /no responders/i.test(c.message)) return true;
  }
  return false;
}

function printSummary(s: PublishSummary, subject: string): void {
  const rate = s.seconds > 0 ? Math.round((s.published + s.duplicates) / s.seconds) : 0;
  process.stdout.write(
    `${s.file} (${s.format}) -> ${subject}: ${s.read} record(s) read, ${s.published} published, ${s.duplicates} duplicate(s) (already in the stream), ` +
      `${s.skipped} skipped (not events), ${s.rejected} rejected${s.failed > 0 ? `, ${s.failed} not acknowledged` : ''}; ${s.seconds.toFixed(2)} s (${rate} events/s)\n`,
  );
  if (s.problems.length > 0) {
    process.stdout.write(`  Problems (those rows were not published):\n`);
    for (const p of s.problems.slice(0, 100)) process.stdout.write(`  - ${p.row !== undefined ? `row ${p.row}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}\n`);
    if (s.problems.length > 100) process.stdout.write(`  ... and ${s.problems.length - 100} more\n`);
  }
}

/** A one-line progress indicator on stderr (only when it is a terminal, or every 5 s otherwise). */
class Progress {
  private last = performance.now();
  private printed = false;
  private readonly tty = process.stderr.isTTY;
  constructor(private readonly file: string) {}
  tick(read: number, acknowledged: number, rejected: number): void {
    const now = performance.now();
    if (now - this.last < (this.tty ? 200 : 5000)) return;
    this.last = now;
    this.printed = true;
    const line = `${this.file}: ${read} read, ${acknowledged} acknowledged, ${rejected} rejected`;
    process.stderr.write(this.tty ? `\r${line}` : `${line}\n`);
  }
  done(): void {
    if (this.tty && this.printed) process.stderr.write('\n');
  }
}
