/**
 * Ingest benchmark: file ingest through the whole pipeline (parse, validate, dedupe, correlate,
 * score, loss, commit) against the raw batched-insert rate of the same store, same table, same
 * events, measured in the same run on fresh embedded stores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/loader.js';
import type { SecurityEvent } from '../domain/types.js';
import { importFile, type ImportOutcome } from '../ingest/import-file.js';
import { createService } from '../service.js';
import { openDb } from '../store/db.js';
import { insertEvents } from '../store/events.js';
import { inventChain } from '../sim/invent-chain.js';
import { simulateEvents } from '../sim/stream.js';

export interface IngestBenchResult {
  sites: number;
  events: number;
  rawEventsPerSec: number;
  pipelineEventsPerSec: number;
  ratio: number;
  incidentsOpened: number;
  pipelineSeconds: number;
  rawSeconds: number;
}

const BATCH = 2000;

/**
 * Raw baseline: the store's own batched insert (`insertEvents`: one multi-row statement per batch
 * into the same table with the same indexes, and its duplicate check through `event_keys`, which
 * the partitioned table needs), with no parsing, validation, correlation or workflow.
 */
async function rawInsert(dir: string, events: SecurityEvent[]): Promise<number> {
  const db = await openDb({ dataDir: join(dir, 'raw') });
  try {
    const started = performance.now();
    for (let i = 0; i < events.length; i += BATCH) {
      const b = events.slice(i, i + BATCH);
      await db.transaction((tx) => insertEvents(tx, b));
    }
    return (performance.now() - started) / 1000;
  } finally {
    await db.close();
  }
}

/** Runs the ingest benchmark on `sites` invented sites over `days` days of simulated events. */
export async function benchIngest(sites: number, days: number, log: (s: string) => void): Promise<IngestBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  try {
    const config = parseConfig(inventChain(sites, 7));
    const events = simulateEvents(config, { seed: 11, start: new Date('2026-11-16T00:00:00Z'), end: new Date(Date.parse('2026-11-16T00:00:00Z') + days * 86_400_000) });
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    log(`ingest: ${events.length} events, ${sites} sites, ${days} day(s)`);

    const rawSeconds = await rawInsert(dir, events);
    log(`ingest: raw batched insert ${Math.round(events.length / rawSeconds)} events/s`);

    const service = await createService({ config, dataDir: join(dir, 'pipeline') });
    let out: ImportOutcome;
    let pipelineSeconds: number;
    try {
      // The same import as `vigil ingest` and POST /api/v1/imports, timed to its commit (like the
      // baseline, which is timed without opening or closing its store).
      const started = performance.now();
      out = await importFile(service.pipeline, file, 'ndjson', {}, { batchSize: BATCH });
      pipelineSeconds = (performance.now() - started) / 1000;
    } finally {
      await service.close();
    }
    if (!out.committed || out.accepted !== events.length) throw new Error(`bench: expected ${events.length} accepted, got ${out.accepted} (${out.problems[0]?.message ?? 'no problem reported'})`);
    const opened = out.incidentsOpened;
    const raw = events.length / rawSeconds;
    const pipe = events.length / pipelineSeconds;
    log(`ingest: pipeline ${Math.round(pipe)} events/s, ${opened} incidents opened`);
    return { sites, events: events.length, rawEventsPerSec: raw, pipelineEventsPerSec: pipe, ratio: pipe / raw, incidentsOpened: opened, pipelineSeconds, rawSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
