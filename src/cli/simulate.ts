/**
 * `vigil simulate`: writes a deterministic synthetic event stream (NDJSON, one SecurityEvent per
 * line) for the configured chain, or for an invented chain of N sites (`--sites N`, whose
 * configuration `--config-out` writes). The stream is written as it is generated, with
 * backpressure, so a year of a 500-site chain never sits in memory.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import YAML from 'yaml';
import { parseConfig } from '../config/loader.js';
import type { Config } from '../config/schema.js';
import { inventChain } from '../sim/invent-chain.js';
import { simulateStream } from '../sim/stream.js';
import { resolveConfig, UsageError } from './common.js';
import { Progress } from './progress.js';

/** Options of `vigil simulate` (as commander parses them). */
export interface SimulateCommandOptions {
  sites?: number;
  days?: number;
  seed?: number;
  out?: string;
  configOut?: string;
  start?: string;
  config?: string;
  /** Feed a running service at this base URL (POST /api/v1/events) instead of writing NDJSON. */
  url?: string;
  /** Bearer token for --url (default VIGIL_TOKEN, then VIGIL_ADMIN_TOKEN). */
  token?: string;
}

/** Default first instant: a Monday, so a one-day run shows a working day everywhere. */
export const DEFAULT_SIMULATION_START = '2026-11-16T00:00:00Z';

/** Lines gathered per write: fewer syscalls than one write per event, still small chunks. */
const LINES_PER_WRITE = 512;

/** Runs the simulate command: NDJSON to --out (or stdout), a one-line summary to stderr. */
export async function simulateCommand(opts: SimulateCommandOptions): Promise<void> {
  const days = opts.days ?? 1;
  const seed = opts.seed ?? 42;
  if (!Number.isFinite(days) || days <= 0) throw new UsageError(`simulate: --days expects a positive number, got ${String(opts.days)}`);
  if (!Number.isInteger(seed)) throw new UsageError(`simulate: --seed expects a whole number, got ${String(opts.seed)}`);
  if (opts.sites !== undefined && (!Number.isInteger(opts.sites) || opts.sites < 1)) {
    throw new UsageError(`simulate: --sites expects a whole number of at least 1, got ${String(opts.sites)}`);
  }
  if (opts.configOut && opts.sites === undefined) throw new UsageError('simulate: --config-out needs --sites N (it writes the invented chain)');
  const startText = opts.start ?? DEFAULT_SIMULATION_START;
  const start = new Date(startText);
  if (Number.isNaN(start.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(startText)) {
    throw new UsageError(`simulate: --start expects an ISO 8601 date or time like ${DEFAULT_SIMULATION_START}, got "${startText}"`);
  }
  const end = new Date(start.getTime() + days * 86_400_000);

  let config: Config;
  if (opts.sites !== undefined) {
    const doc = inventChain(opts.sites, seed);
    config = parseConfig(doc); // the invented chain is checked like any user configuration
    if (opts.configOut) {
      const text = opts.configOut.endsWith('.json') ? `${JSON.stringify(doc, null, 2)}\n` : configYaml(doc);
      await writeFile(opts.configOut, text, 'utf8');
    }
  } else {
    config = resolveConfig(opts.config).config;
  }

  if (opts.url !== undefined) {
    await feedService(opts.url, opts.token ?? process.env.VIGIL_TOKEN ?? process.env.VIGIL_ADMIN_TOKEN, simulateStream(config, { seed, start, end }), { start, end });
    return;
  }

  const toFile = opts.out !== undefined && opts.out !== '-';
  const sink: Writable = toFile ? createWriteStream(opts.out as string, { encoding: 'utf8' }) : process.stdout;
  let failure: Error | undefined;
  const onError = (e: Error) => (failure ??= e);
  sink.on('error', onError);

  let count = 0;
  try {
    let lines: string[] = [];
    for (const ev of simulateStream(config, { seed, start, end })) {
      lines.push(JSON.stringify(ev));
      count++;
      if (lines.length >= LINES_PER_WRITE) {
        await write(sink, `${lines.join('\n')}\n`, () => failure);
        lines = [];
      }
    }
    if (lines.length > 0) await write(sink, `${lines.join('\n')}\n`, () => failure);
    if (toFile) {
      sink.end();
      await once(sink, 'finish'); // rejects if the stream emits 'error' first
    }
  } catch (e) {
    if (toFile) sink.destroy();
    // `vigil simulate | head`: the reader had enough; stop quietly like any Unix filter.
    const cause = (failure ?? e) as NodeJS.ErrnoException;
    if (!toFile && cause.code === 'EPIPE') return;
    throw new Error(`simulate: cannot write ${toFile ? opts.out : 'stdout'}: ${cause.message}`);
  } finally {
    sink.off('error', onError);
  }
  if (failure) throw new Error(`simulate: cannot write ${toFile ? opts.out : 'stdout'}: ${failure.message}`);

  process.stderr.write(
    `simulate: wrote ${count} events for ${config.sites.length} site${config.sites.length === 1 ? '' : 's'}, ` +
      `${start.toISOString()} to ${end.toISOString()} (${days} day${days === 1 ? '' : 's'}, seed ${seed})` +
      `${toFile ? ` to ${opts.out}` : ''}${opts.configOut ? `; configuration in ${opts.configOut}` : ''}\n`,
  );
}

/**
 * The invented chain as readable YAML: short lists of scalars (points, polygons, adjacency,
 * clearances) on one line, and "HH:MM" times quoted so that YAML 1.1 readers do not take them
 * for sexagesimal numbers.
 */
export function configYaml(doc: unknown): string {
  const d = new YAML.Document(doc);
  YAML.visit(d, {
    Seq(_, node) {
      const flat = node.items.every((it) => YAML.isScalar(it) || (YAML.isSeq(it) && it.items.every((x) => YAML.isScalar(x))));
      if (flat && node.items.length <= 12) node.flow = true;
    },
    Scalar(_, node) {
      if (typeof node.value === 'string' && /^\d{1,2}:\d{2}$/.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return d.toString({ lineWidth: 0 });
}

/** Writes a chunk and waits for 'drain' when the stream's buffer is full (backpressure). */
async function write(sink: Writable, chunk: string, failed: () => Error | undefined): Promise<void> {
  const err = failed();
  if (err) throw err;
  if (!sink.write(chunk)) {
    // Wait for drain, but do not hang forever if the stream fails instead (e.g. EPIPE, disk full).
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        sink.off('error', onErr);
        sink.off('close', onClose);
        resolve();
      };
      const onErr = (e: Error) => {
        sink.off('drain', onDrain);
        sink.off('close', onClose);
        reject(e);
      };
      const onClose = () => {
        sink.off('drain', onDrain);
        sink.off('error', onErr);
        reject(failed() ?? new Error('stream closed'));
      };
      sink.once('drain', onDrain);
      sink.once('error', onErr);
      sink.once('close', onClose);
    });
  }
}

/** Events per request when feeding a running service. */
const EVENTS_PER_REQUEST = 500;

/**
 * Posts the stream to a running service as NDJSON, in order, one request at a time. A 503 (the
 * service's ingest backlog is full) is retried after its Retry-After; any other refusal stops the
 * feed with the service's own message.
 */
export async function feedService(
  baseUrl: string,
  token: string | undefined,
  events: Iterable<unknown>,
  span?: { start: Date; end: Date },
): Promise<{ sent: number; accepted: number; duplicates: number }> {
  if (!/^https?:\/\//.test(baseUrl)) throw new UsageError(`simulate: --url expects http(s)://host:port, got "${baseUrl}"`);
  if (!token) throw new UsageError('simulate: --url needs a token (--token, VIGIL_TOKEN or VIGIL_ADMIN_TOKEN)');
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v1/events`;
  const totals = { sent: 0, accepted: 0, duplicates: 0 };
  const post = async (lines: string[]) => {
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body: `${lines.join('\n')}\n` });
      } catch (e) {
        throw new Error(`simulate: cannot reach ${url}: ${(e as Error).message}`);
      }
      const body = (await res.json().catch(() => ({}))) as { accepted?: number; duplicates?: number; error?: { message?: string } };
      if (res.status === 202) {
        totals.sent += lines.length;
        totals.accepted += body.accepted ?? 0;
        totals.duplicates += body.duplicates ?? 0;
        return;
      }
      if (res.status === 503 && attempt < 20) {
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
        continue;
      }
      throw new Error(`simulate: ${url} answered ${res.status}: ${body.error?.message ?? 'no message'}`);
    }
  };
  // Progress in simulated time (the stream is in time order); a bar on a terminal, lines otherwise.
  const progress = new Progress('simulate');
  const totalMin = span ? Math.max(1, Math.round((span.end.getTime() - span.start.getTime()) / 60_000)) : undefined;
  let lines: string[] = [];
  let lastAt: string | undefined;
  const tick = () => {
    const doneMin = span && lastAt ? Math.max(0, Math.round((Date.parse(lastAt) - span.start.getTime()) / 60_000)) : 0;
    progress.update({ done: Math.min(doneMin, totalMin ?? doneMin), ...(totalMin !== undefined ? { total: totalMin } : {}), unit: 'min simulated', note: `${totals.sent} events sent, ${totals.accepted} accepted` });
  };
  try {
    for (const ev of events) {
      lines.push(JSON.stringify(ev));
      const at = (ev as { occurredAt?: unknown }).occurredAt;
      if (typeof at === 'string') lastAt = at;
      if (lines.length >= EVENTS_PER_REQUEST) {
        await post(lines);
        lines = [];
        tick();
      }
    }
    if (lines.length > 0) await post(lines);
  } finally {
    progress.done();
  }
  process.stderr.write(`simulate: sent ${totals.sent} events to ${url}: ${totals.accepted} accepted, ${totals.duplicates} duplicate(s)\n`);
  return totals;
}
