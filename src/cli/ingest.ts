/**
 * `vigil ingest FILE...`: imports files into the store and runs them through the workflow.
 * Each file is one transaction: a file with any invalid row is refused whole and nothing of it is
 * written; every problem is listed with its row. Progress goes to stderr (a bar on a terminal),
 * the summary to stdout.
 *
 * When a running `vigil serve` holds the embedded store, the files go through it instead
 * (POST /api/v1/imports, then its progress until done): same translators, same all-or-nothing
 * import, same summary and exit code. That needs a token allowed `events:write` (--token,
 * VIGIL_TOKEN or VIGIL_ADMIN_TOKEN). `--url` sends the files to any server (PostgreSQL too).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { InvalidError, type Problem } from '../domain/errors.js';
import { importFile, type ImportCounts } from '../ingest/import-file.js';
import { createService } from '../service.js';
import { acquireStore, storeOwner } from '../store/lock.js';
import { detectFormat, parseOptionsFor, type FileFormat } from '../sources/event-files.js';
import type { ImportView } from '../api/routes/imports.js';
import { resolveConfig, resolveStore, UsageError } from './common.js';
import { Progress } from './progress.js';

export interface IngestCommandOptions {
  format?: FileFormat;
  profile?: string;
  site?: string;
  config?: string;
  batchSize?: number;
  /** Send the files to this running server instead of the store. */
  url?: string;
  token?: string;
}

export interface FileSummary extends ImportCounts {
  file: string;
  format: FileFormat;
  problems: Problem[];
  seconds: number;
  kinds?: Record<string, number>;
  skippedWhy?: Record<string, { count: number; rows: number[] }>;
  /** The server the file went through, when it did. */
  via?: string;
}

/** Runs the ingest command; returns the exit code. */
export async function ingestCommand(files: string[], opts: IngestCommandOptions): Promise<number> {
  if (files.length === 0) throw new UsageError('ingest: expected at least one FILE');
  const { config } = resolveConfig(opts.config);
  if (opts.site && !config.sites.some((s) => s.id === opts.site)) {
    throw new UsageError(`ingest: --site ${opts.site} is not a site of the configuration (${config.sites.map((s) => s.id).join(', ')})`);
  }
  const heads = new Map<string, FileFormat>();
  for (const file of files) heads.set(file, opts.format ?? (await detectFileFormat(file)));

  const store = resolveStore();
  const holder = !opts.url && !store.databaseUrl ? storeOwner(store.dataDir) : undefined;
  const serverUrl = opts.url || process.env.VIGIL_URL || holder?.url;
  if (opts.url || (holder && serverUrl)) {
    return ingestThroughServer(files, heads, opts, serverUrl!, holder ? `\`vigil ${holder.command}\` (pid ${holder.pid}) holds the embedded store` : undefined);
  }

  const lock = store.databaseUrl ? undefined : acquireStore(store.dataDir, { command: 'ingest' });
  const service = await createService({ config, ...store });
  const summaries: FileSummary[] = [];
  try {
    for (const file of files) {
      const started = performance.now();
      const format = heads.get(file)!;
      const total = (await stat(file)).size;
      const progress = new Progress(file);
      const parseOpts = parseOptionsFor(config, { zoneOf: (d) => service.org.devices.get(d)?.zone, refs: service.pipeline.refs }, { site: opts.site, profile: opts.profile });
      try {
        const out = await importFile(service.pipeline, file, format, parseOpts, {
          ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
          onProgress: (c, bytes) => progress.update({ done: bytes, total, unit: 'bytes', note: `${c.read} read, ${c.accepted} stored, ${c.rejected} rejected` }),
        });
        summaries.push({ file, format, ...out, seconds: (performance.now() - started) / 1000 });
      } finally {
        progress.done();
      }
    }
    await service.runner.drain();
  } finally {
    await service.close();
    lock?.release();
  }
  for (const s of summaries) printSummary(s);
  return summaries.some((s) => s.rejected > 0) ? 1 : 0;
}

async function detectFileFormat(file: string): Promise<FileFormat> {
  const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`ingest: cannot read ${file}: ${e.code ?? e.message}`);
  });
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(head, 0, 4096, 0);
    return detectFormat(file, head.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await fh.close();
  }
}

/** Sends each file to the running server and follows its import to the end. */
async function ingestThroughServer(files: string[], formats: Map<string, FileFormat>, opts: IngestCommandOptions, baseUrl: string, why?: string): Promise<number> {
  if (!/^https?:\/\//.test(baseUrl)) throw new UsageError(`ingest: --url expects an http(s) URL; got "${baseUrl}"`);
  const base = baseUrl.replace(/\/+$/, '');
  const token = opts.token || process.env.VIGIL_TOKEN || process.env.VIGIL_ADMIN_TOKEN;
  if (!token) {
    throw new UsageError(
      `ingest: ${why ? `${why}; ` : ''}the files go through ${base}, which needs a token allowed to write events: --token, VIGIL_TOKEN or VIGIL_ADMIN_TOKEN ` +
        '(`vigil token create NAME --role ingest` makes one)',
    );
  }
  if (why) process.stderr.write(`ingest: ${why}; sending the files through ${base}\n`);
  const summaries: FileSummary[] = [];
  for (const file of files) {
    const started = performance.now();
    const format = formats.get(file)!;
    const total = (await stat(file)).size;
    const params = new URLSearchParams({ format, name: file.split(/[\\/]/).pop() ?? file });
    if (opts.profile) params.set('profile', opts.profile);
    if (opts.site) params.set('site', opts.site);
    const progress = new Progress(file);
    let sent = 0;
    const body = createReadStream(file);
    body.on('data', (c) => {
      sent += c.length;
      progress.update({ done: sent, total, unit: 'bytes', note: 'uploading' });
    });
    let view: ImportView;
    try {
      const res = await request(`${base}/api/v1/imports?${params}`, token, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(total) },
        body: body as unknown as BodyInit,
        duplex: 'half',
      } as RequestInit);
      view = res as ImportView;
      while (view.state === 'running') {
        progress.update({ done: view.progress.bytes, total: view.progress.bytesTotal, unit: 'bytes', note: `${view.counts.read} read, ${view.counts.accepted} stored, ${view.counts.rejected} rejected` });
        await new Promise((r) => setTimeout(r, 250));
        view = (await request(`${base}/api/v1/imports/${encodeURIComponent(view.id)}`, token, { method: 'GET' })) as ImportView;
      }
    } finally {
      progress.done();
    }
    if (view.state === 'failed' && view.counts.rejected === 0) throw new Error(`ingest: ${file}: ${view.error ?? 'the import failed'}`);
    summaries.push({ file, format, ...view.counts, problems: view.problems, kinds: view.kinds, skippedWhy: view.skippedWhy, seconds: (performance.now() - started) / 1000, via: `${base} (import ${view.id})` });
  }
  for (const s of summaries) printSummary(s);
  return summaries.some((s) => s.rejected > 0) ? 1 : 0;
}

/** One request to the server; an error answer becomes the command's error, with its problems. */
async function request(url: string, token: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });
  } catch (e) {
    throw new Error(`ingest: cannot reach ${new URL(url).origin}: ${(e as Error).message}`);
  }
  const text = await res.text();
  let parsed: { error?: { message?: string; details?: Problem[] } } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // not JSON: reported below with the status
  }
  if (!res.ok) {
    const details = (parsed.error?.details ?? []).map((p) => `\n  - ${p.row !== undefined ? `row ${p.row}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}`).join('');
    const msg = `ingest: ${new URL(url).origin} answered ${res.status}: ${parsed.error?.message ?? text.slice(0, 200)}${details}`;
    if (res.status === 400) throw new InvalidError(parsed.error?.details ?? [], `ingest: ${new URL(url).origin} refused the file: ${parsed.error?.message ?? ''}`);
    throw new Error(msg);
  }
  return parsed;
}

function printSummary(s: FileSummary): void {
  const rate = s.seconds > 0 ? Math.round(s.accepted / s.seconds) : 0;
  process.stdout.write(
    `${s.file} (${s.format}): ${s.read} record(s) read, ${s.accepted} accepted, ${s.duplicates} duplicate(s), ` +
      `${s.skipped} skipped (not events), ${s.rejected} rejected; ${s.incidentsOpened} incident(s) opened; ${s.seconds.toFixed(2)} s (${rate} events/s)` +
      `${s.via ? ` via ${s.via}` : ''}\n`,
  );
  const kinds = Object.entries(s.kinds ?? {});
  if (kinds.length > 0) process.stdout.write(`  the file held: ${kinds.map(([k, n]) => `${n} ${k}`).join(', ')}\n`);
  for (const [reason, r] of Object.entries(s.skippedWhy ?? {})) {
    process.stdout.write(`  skipped ${r.count}: ${reason} (row${r.rows.length > 1 ? 's' : ''} ${r.rows.join(', ')}${r.count > r.rows.length ? ', ...' : ''})\n`);
  }
  if (s.rejected > 0) {
    process.stdout.write(`  nothing of ${s.file} was written. Problems:\n`);
    for (const p of s.problems.slice(0, 100)) process.stdout.write(`  - ${p.row !== undefined ? `row ${p.row}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}\n`);
    if (s.problems.length > 100) process.stdout.write(`  ... and ${s.problems.length - 100} more\n`);
  }
}
