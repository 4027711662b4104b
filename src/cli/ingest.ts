/**
 * `vigil ingest FILE...`: imports files into the store and runs them through the workflow.
 * Each file is one transaction: a file with any invalid row is refused whole and nothing of it is
 * written; every problem is listed with its row. Progress goes to stderr, the summary to stdout.
 */
import { open } from 'node:fs/promises';
import { InvalidError, type Problem } from '../domain/errors.js';
import type { SecurityEvent } from '../domain/types.js';
import { createService } from '../service.js';
import { acquireStore } from '../store/lock.js';
import { detectFormat, parseFile, type FileFormat, type ParseStats } from '../sources/event-files.js';
import { resolveConfig, resolveStore, UsageError } from './common.js';

export interface IngestCommandOptions {
  format?: FileFormat;
  profile?: string;
  site?: string;
  config?: string;
  batchSize?: number;
}

export interface FileSummary {
  file: string;
  format: FileFormat;
  read: number;
  accepted: number;
  duplicates: number;
  skipped: number;
  rejected: number;
  incidentsOpened: number;
  problems: Problem[];
  seconds: number;
}

const BATCH = 2000;

/** Runs the ingest command; returns the exit code. */
export async function ingestCommand(files: string[], opts: IngestCommandOptions): Promise<number> {
  if (files.length === 0) throw new UsageError('ingest: expected at least one FILE');
  const { config } = resolveConfig(opts.config);
  if (opts.site && !config.sites.some((s) => s.id === opts.site)) {
    throw new UsageError(`ingest: --site ${opts.site} is not a site of the configuration (${config.sites.map((s) => s.id).join(', ')})`);
  }
  const store = resolveStore();
  const lock = store.databaseUrl ? undefined : acquireStore(store.dataDir, { command: 'ingest' });
  const service = await createService({ config, ...store });
  const zoneOf = (device: string) => service.org.devices.get(device)?.zone;
  const refs = service.pipeline.refs;
  const summaries: FileSummary[] = [];
  try {
    for (const file of files) {
      const started = performance.now();
      const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
        throw new UsageError(`ingest: cannot read ${file}: ${e.code ?? e.message}`);
      });
      const head = Buffer.alloc(4096);
      const { bytesRead } = await fh.read(head, 0, 4096, 0);
      await fh.close();
      const format = opts.format ?? detectFormat(file, head.subarray(0, bytesRead).toString('utf8'));
      const stats: ParseStats = { skipped: 0 };
      const s: FileSummary = { file, format, read: 0, accepted: 0, duplicates: 0, skipped: 0, rejected: 0, incidentsOpened: 0, problems: [], seconds: 0 };
      const progress = new Progress(file);
      try {
        await service.pipeline.inOneTransaction(async (ingestBatch) => {
          let batch: SecurityEvent[] = [];
          const flush = async () => {
            const r = await ingestBatch(batch);
            s.accepted += r.accepted;
            s.duplicates += r.duplicates;
            s.incidentsOpened += r.incidentsOpened.length;
            batch = [];
          };
          for await (const row of parseFile(file, format, { site: opts.site, profile: opts.profile, currency: config.organization.currency, zoneOf, refs }, stats)) {
            s.read++;
            if (row.problems.length > 0) {
              s.rejected++;
              if (s.problems.length < 1000) s.problems.push(...row.problems);
            } else if (row.event && s.rejected === 0) {
              batch.push(row.event);
              if (batch.length >= (opts.batchSize ?? BATCH)) await flush();
            }
            if ((s.read & 1023) === 0) progress.tick(s.read, s.accepted, s.rejected);
          }
          if (s.rejected === 0) await flush();
          s.skipped = stats.skipped;
          // All or nothing: any rejected row rolls the whole file back.
          if (s.rejected > 0) throw new InvalidError(s.problems, `${file}: ${s.rejected} row(s) rejected; nothing of this file was written`);
        });
      } catch (e) {
        if (!(e instanceof InvalidError)) throw e;
        if (s.problems.length === 0) s.problems.push(...e.problems);
        s.rejected = Math.max(s.rejected, 1);
        s.accepted = 0;
        s.duplicates = 0;
        s.incidentsOpened = 0;
      } finally {
        progress.done();
      }
      s.seconds = (performance.now() - started) / 1000;
      summaries.push(s);
    }
    await service.runner.drain();
  } finally {
    await service.close();
    lock?.release();
  }
  for (const s of summaries) printSummary(s);
  return summaries.some((s) => s.rejected > 0) ? 1 : 0;
}

function printSummary(s: FileSummary): void {
  const rate = s.seconds > 0 ? Math.round(s.accepted / s.seconds) : 0;
  process.stdout.write(
    `${s.file} (${s.format}): ${s.read} record(s) read, ${s.accepted} accepted, ${s.duplicates} duplicate(s), ` +
      `${s.skipped} skipped (not events), ${s.rejected} rejected; ${s.incidentsOpened} incident(s) opened; ${s.seconds.toFixed(2)} s (${rate} events/s)\n`,
  );
  if (s.rejected > 0) {
    process.stdout.write(`  nothing of ${s.file} was written. Problems:\n`);
    for (const p of s.problems.slice(0, 100)) process.stdout.write(`  - ${p.row !== undefined ? `row ${p.row}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}\n`);
    if (s.problems.length > 100) process.stdout.write(`  ... and ${s.problems.length - 100} more\n`);
  }
}

/** A one-line progress indicator on stderr (only when it is a terminal, or every 5 s otherwise). */
class Progress {
  private last = 0;
  private readonly tty = process.stderr.isTTY;
  constructor(private readonly file: string) {}
  tick(read: number, accepted: number, rejected: number): void {
    const now = performance.now();
    if (now - this.last < (this.tty ? 200 : 5000)) return;
    this.last = now;
    const line = `${this.file}: ${read} read, ${accepted} stored, ${rejected} rejected`;
    process.stderr.write(this.tty ? `\r${line}` : `${line}\n`);
  }
  done(): void {
    if (this.tty && this.last > 0) process.stderr.write('\n');
  }
}
