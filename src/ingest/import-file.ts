/**
 * Importing one file, all or nothing: the rows a translator reads (sources/event-files.ts) go
 * through the ingest pipeline in ONE transaction (IngestPipeline.inOneTransaction), in batches.
 * The first rejected row stops the ingesting (the rest of the file is still read, so every
 * problem is listed with its row) and the transaction is rolled back: nothing of the file is
 * written. `vigil ingest` and `POST /api/v1/imports` both import this way (docs/imports.md).
 */
import { InvalidError, type Problem } from '../domain/errors.js';
import type { SecurityEvent } from '../domain/types.js';
import { parseFile, type FileFormat, type ParseOptions, type ParseStats } from '../sources/event-files.js';
import type { IngestPipeline } from './pipeline.js';

/** Most problems kept per file. */
export const MAX_PROBLEMS = 1000;

export interface ImportCounts {
  /** Records read (rows, transactions, lines; exceptions of a POSLog count as rows too). */
  read: number;
  accepted: number;
  duplicates: number;
  skipped: number;
  rejected: number;
  incidentsOpened: number;
}

export interface ImportOutcome extends ImportCounts {
  /** True when the file was written (no row rejected). */
  committed: boolean;
  problems: Problem[];
  /** What the file held by kind, why records were skipped, per operator (translators that say). */
  kinds: Record<string, number>;
  skippedWhy: Record<string, { count: number; rows: number[] }>;
  byOperator?: Record<string, Record<string, number>>;
}

export interface ImportFileOptions {
  batchSize?: number;
  /** Called every few hundred rows with the counts so far (not yet committed) and the bytes of the file read. */
  onProgress?: (c: ImportCounts, bytesRead: number) => void;
  /** The sites the caller may act for (a site-scoped token): a row for another site is rejected with its row. */
  scope?: readonly string[] | null;
}

/** Imports a file; throws only for failures that are not the file's fault (the store). */
export async function importFile(pipeline: IngestPipeline, file: string, format: FileFormat, opts: ParseOptions, o: ImportFileOptions = {}): Promise<ImportOutcome> {
  const batchSize = o.batchSize ?? 2000;
  const stats: ParseStats = { skipped: 0 };
  const c: ImportCounts = { read: 0, accepted: 0, duplicates: 0, skipped: 0, rejected: 0, incidentsOpened: 0 };
  const problems: Problem[] = [];
  let committed = false;
  let bytesRead = 0;
  const parseOpts: ParseOptions = { ...opts, onBytes: (n) => (bytesRead = n) };
  try {
    await pipeline.inOneTransaction(async (ingestBatch) => {
      let batch: SecurityEvent[] = [];
      // One batch is written while the next is read: when the store works elsewhere (PostgreSQL,
      // or the embedded store with VIGIL_STORE_THREAD=on), reading and validating the next batch
      // takes the other core meanwhile. Batches still go in one after another, in file order.
      let writing: Promise<void> = Promise.resolve();
      const flush = async () => {
        await writing;
        if (batch.length === 0) return;
        const b = batch;
        batch = [];
        writing = ingestBatch(b).then((r) => {
          c.accepted += r.accepted;
          c.duplicates += r.duplicates;
          c.incidentsOpened += r.incidentsOpened.length;
        });
        writing.catch(() => undefined); // awaited by the next flush or at the end
      };
      for await (const row of parseFile(file, format, parseOpts, stats)) {
        c.read++;
        if (row.event && o.scope && !o.scope.includes(row.event.site)) {
          row.problems = [{ path: 'site', message: `this token may act for site(s) ${o.scope.join(', ')} only; got ${row.event.site}`, row: row.row }];
        }
        if (row.problems.length > 0) {
          c.rejected++;
          for (const p of row.problems) if (problems.length < MAX_PROBLEMS) problems.push(p.row === undefined && row.row > 0 ? { ...p, row: row.row } : p);
        } else if (row.event && c.rejected === 0) {
          batch.push(row.event);
          if (batch.length >= batchSize) await flush();
        }
        c.skipped = stats.skipped;
        if ((c.read & 255) === 0) o.onProgress?.({ ...c }, bytesRead);
      }
      c.skipped = stats.skipped;
      if (c.rejected === 0) await flush();
      await writing;
      // All or nothing: any rejected row rolls the whole file back.
      if (c.rejected > 0) throw new InvalidError(problems, `${file}: ${c.rejected} row(s) rejected; nothing of this file was written`);
    });
    committed = true;
  } catch (e) {
    if (!(e instanceof InvalidError)) throw e;
    if (problems.length === 0) problems.push(...e.problems);
    c.rejected = Math.max(c.rejected, 1);
    c.accepted = 0;
    c.duplicates = 0;
    c.incidentsOpened = 0;
  }
  o.onProgress?.({ ...c }, bytesRead);
  return { ...c, committed, problems, kinds: stats.kinds ?? {}, skippedWhy: stats.skippedWhy ?? {}, ...(stats.byOperator ? { byOperator: stats.byOperator } : {}) };
}
