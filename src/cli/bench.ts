/**
 * `vigil bench`: runs the benchmarks in bench/ and writes their table to BENCHMARKS.md.
 * Figures are compared with a baseline measured in the same run on the same machine.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchIngest } from '../bench/ingest.js';

export interface BenchOptions {
  quick?: boolean;
  out?: string;
}

/** Runs the benchmarks and writes BENCHMARKS.md. */
export async function benchCommand(opts: BenchOptions): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const ingest = opts.quick ? await benchIngest(20, 1, log) : await benchIngest(100, 2, log);
  const rows = [
    ['File ingest (NDJSON -> validate, dedupe, correlate, score, loss, commit)', `${fmt(ingest.pipelineEventsPerSec)} events/s`, '>= 20,000 events/s', ingest.pipelineEventsPerSec >= 20_000 ? 'met' : 'NOT met'],
    ['Raw batched insert, same store and table (baseline)', `${fmt(ingest.rawEventsPerSec)} events/s`, '', ''],
    ['Pipeline / raw', `${(ingest.ratio * 100).toFixed(1)} %`, '>= 30 %', ingest.ratio >= 0.3 ? 'met' : 'NOT met'],
  ];
  const md = [
    '# Benchmarks',
    '',
    `Measured by \`vigil bench${opts.quick ? ' --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node.js ${process.version}, embedded store (PGlite).`,
    '',
    `Data: ${fmt(ingest.events)} simulated events of ${ingest.sites} invented sites (\`vigil simulate --sites ${ingest.sites}\`), ${fmt(ingest.incidentsOpened)} incidents opened.`,
    'Both rows write the same events into the same `events` table with the same indexes on a fresh store; the baseline skips parsing, validation, dedupe, correlation and assessment.',
    '',
    '| what | measured | target | |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
  writeFileSync(opts.out ?? 'BENCHMARKS.md', md);
  process.stdout.write(md);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
