/**
 * `vigil bench`: runs the benchmarks in src/bench and writes their table to BENCHMARKS.md. Every
 * figure is compared with a baseline or target measured in the same run on the same machine.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchAlertLatency, CRITICAL_EVERY, type LatencyResult } from '../bench/alert-latency.js';
import { benchAlertStatements } from '../bench/alert-statements.js';
import { benchIngest } from '../bench/ingest.js';
import { benchServeMemory } from '../bench/serve-memory.js';
import { benchStoredMemory } from '../bench/stored-memory.js';
import { applyHeapMode } from '../ops/heap.js';
import { benchWeeklyReport, type WeeklyBenchResult } from '../bench/weekly-report.js';
import { InvalidError } from '../domain/errors.js';
import { benchScaleOut, scaleOutSection } from '../bench/scale-out.js';
import { UsageError } from './common.js';
import { benchOverload, OVERLOAD_BATCH, OVERLOAD_BUDGET, OVERLOAD_CONNECTIONS, OVERLOAD_FACTOR, OVERLOAD_MAX_WAITING, type OverloadResult } from '../bench/overload.js';

export interface BenchOptions {
  quick?: boolean;
  out?: string;
  /** Comma-separated benchmark names (BENCHMARK_NAMES); all when absent. */
  only?: string;
  /** Only the scale-out benchmark on PostgreSQL (src/bench/scale-out.ts). */
  postgres?: boolean;
  /** The PostgreSQL server for it (default VIGIL_TEST_DATABASE_URL, then DATABASE_URL). */
  databaseUrl?: string;
  /** Only Vigil against Node-RED on the same load (src/bench/peers.ts); its section goes into BENCHMARKS.md (or --out). */
  peers?: boolean;
}

/** The benchmarks `--only` can name, in the order a full run takes them. */
export const BENCHMARK_NAMES = ['ingest', 'alert-latency', 'alert-statements', 'overload', 'weekly-report', 'serve-memory', 'stored-memory'] as const;
type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

/** The benchmarks to run from `--only` (all when absent); an unknown name is an InvalidError. */
export function selectBenchmarks(only: string | undefined): Set<BenchmarkName> {
  if (only === undefined) return new Set(BENCHMARK_NAMES);
  const names = only.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const unknown = names.filter((n) => !(BENCHMARK_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    const what = names.length === 0 ? 'no benchmark named' : `unknown benchmark${unknown.length === 1 ? '' : 's'} ${unknown.map((n) => JSON.stringify(n)).join(', ')}`;
    throw new InvalidError([{ path: '--only', message: `${what}; expected a comma-separated list of ${BENCHMARK_NAMES.join(', ')}` }], `--only: ${what}`);
  }
  return new Set(names as BenchmarkName[]);
}

/**
 * Runs the benchmarks and prints their table. A full run writes it to BENCHMARKS.md (or --out);
 * a run of some (--only) writes it only to --out when given, so a partial or noisy look never
 * replaces the recorded figures.
 */
export async function benchCommand(opts: BenchOptions): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  if (opts.peers) return peersCommand(opts, log);
  const only = selectBenchmarks(opts.only);
  const full = only.size === BENCHMARK_NAMES.length;
  process.env.VIGIL_LOG_LEVEL ??= 'silent';
  // Scale-out on PostgreSQL: alone with --postgres, and in a full run when a server is named.
  const pgUrl = opts.databaseUrl || process.env.VIGIL_TEST_DATABASE_URL || process.env.DATABASE_URL;
  const scaleOutRun = { rate: opts.quick ? 100 : 200, seconds: opts.quick ? 10 : 30 };
  if (opts.postgres) {
    if (!pgUrl) throw new UsageError('bench --postgres: name a PostgreSQL server with --database-url, VIGIL_TEST_DATABASE_URL or DATABASE_URL');
    const section = scaleOutSection(await benchScaleOut({ serverUrl: pgUrl, ...scaleOutRun, log }), `vigil bench --postgres${opts.quick ? ' --quick' : ''}`).join('\n');
    if (opts.out) writeFileSync(opts.out, section);
    process.stdout.write(section);
    return;
  }
  const scaleOut = full && pgUrl ? scaleOutSection(await benchScaleOut({ serverUrl: pgUrl, ...scaleOutRun, log }), `vigil bench${opts.quick ? ' --quick' : ''}`) : [];
  const ingest = only.has('ingest') ? (opts.quick ? await benchIngest(20, 1, log) : await benchIngest(50, 2, log)) : undefined;
  // File ingest ran as `vigil ingest` runs (V8's default heap); the in-process servers below run
  // with the heap `vigil serve` runs with (VIGIL_HEAP, ops/heap.ts).
  applyHeapMode(process.env);
  const seconds = opts.quick ? 10 : 60;
  const latency = only.has('alert-latency') ? await benchAlertLatency([200, 1000], seconds, log) : undefined;
  const statements = only.has('alert-statements') ? await benchAlertStatements(opts.quick ? 10 : 30, log) : undefined;
  const connections = process.env.VIGIL_BENCH_OVERLOAD_CONNECTIONS ? Number(process.env.VIGIL_BENCH_OVERLOAD_CONNECTIONS) : undefined;
  const overload = only.has('overload') ? await benchOverload(opts.quick ? 5 : 30, log, { connections }) : undefined;
  const weeklyUrl = process.env.VIGIL_TEST_DATABASE_URL || process.env.DATABASE_URL;
  const weeklyCount = opts.quick ? 100_000 : 1_000_000;
  const weekly = only.has('weekly-report') ? [await benchWeeklyReport({ incidents: weeklyCount, log }), ...(weeklyUrl ? [await benchWeeklyReport({ incidents: weeklyCount, url: weeklyUrl, log })] : [])] : [];
  const serveMemory = only.has('serve-memory') ? await benchServeMemory(opts.quick ? 5 : 15, log) : undefined;
  const stored = only.has('stored-memory') ? await benchStoredMemory({ incidents: opts.quick ? 20_000 : 1_000_000, eventsPerIncident: 10, idleSeconds: opts.quick ? 5 : 15, log }) : undefined;
  const lat = (r: LatencyResult | undefined, target: number) =>
    r ? [`${r.rate} events/s for ${r.seconds} s: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (${r.alerts} alerts; ${r.eventsStored}/${r.events} events stored${Object.keys(r.shed).length ? `; 503 by budget: ${Object.entries(r.shed).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''})`, `p99 < ${target} ms`, r.p99 < target && r.eventsStored === r.events ? 'met' : 'NOT met'] : ['not run', '', ''];
  const rows = [
    ...(ingest
      ? [
          ['File ingest (NDJSON: parse, validate, dedupe, correlate, score, loss, commit)', `${fmt(ingest.pipelineEventsPerSec)} events/s`, '>= 20,000 events/s', ingest.pipelineEventsPerSec >= 20_000 ? 'met' : 'NOT met'],
          ['Raw batched insert, same store and table (baseline)', `${fmt(ingest.rawEventsPerSec)} events/s`, '', ''],
          ['File ingest / raw insert', `${(ingest.ratio * 100).toFixed(1)} %`, '>= 50 %', ingest.ratio >= 0.5 ? 'met' : 'NOT met'],
        ]
      : []),
    ...(latency
      ? [
          ['Detection to alert (HTTP POST -> SMS at the provider)', ...lat(latency.find((r) => r.rate === 200), 20)],
          ['Detection to alert (HTTP POST -> SMS at the provider)', ...lat(latency.find((r) => r.rate === 1000), 50)],
        ]
      : []),
    ...(statements
      ? [
          [
            'Detection to alert: statements from the POST of a forced door to its SMS request',
            `${statements.statements} statements (BEGIN and COMMIT aside), ${statements.statementMs.toFixed(1)} ms summed; ingest transaction ${statements.transactionMs.toFixed(1)} ms; POST to SMS ${statements.toSmsMs.toFixed(1)} ms (medians of ${statements.runs}, one at a time)`,
            '',
            '',
          ],
        ]
      : []),
    ...(overload ? overloadRows(overload) : []),
    ...weekly.flatMap(weeklyRows),
    ...(serveMemory
      ? [['Resident memory of `vigil serve` on a fresh embedded store, idle', `${fmt(serveMemory.rssBytes / 2 ** 20)} MiB ${serveMemory.idleSeconds} s after the start's jobs (peak ${fmt(serveMemory.peakBytes / 2 ** 20)} MiB)`, '< 300 MB', serveMemory.rssBytes < 300e6 ? 'met' : 'NOT met']]
      : []),
    ...(stored
      ? [
          [
            `Resident memory of \`vigil serve\` on a store of ${fmt(stored.incidents)} incidents and ${fmt(stored.events)} events (${(stored.storeBytes / 2 ** 30).toFixed(1)} GiB on disk)`,
            `${fmt(stored.idleRssBytes / 2 ** 20)} MiB idle ${stored.idleSeconds} s after the start's jobs, ${fmt(stored.afterReadsRssBytes / 2 ** 20)} MiB after ${stored.reads.length} dashboard reads (peak ${fmt(stored.peakBytes / 2 ** 20)} MiB); running ${stored.startSeconds.toFixed(1)} s after start; reads ${stored.reads.map((r) => `${r.status === 200 ? '' : `${r.status} `}${fmt(r.ms)} ms`).join(', ')}`,
            '< 300 MB',
            stored.afterReadsRssBytes < 300e6 && stored.peakBytes < 300e6 ? 'met' : 'NOT met',
          ],
        ]
      : []),
  ];
  const md = [
    '# Benchmarks',
    '',
    `Measured by \`vigil bench${opts.quick ? ' --quick' : ''}${full ? '' : ` --only ${[...only].join(',')}`}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node.js ${process.version}, embedded store (PGlite) on disk.`,
    '',
    '| what | measured | target | |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    '## How',
    '',
    ...(ingest ? [`- **File ingest**: ${fmt(ingest.events)} simulated events of ${ingest.sites} invented sites (\`vigil simulate --sites ${ingest.sites}\`) read from an NDJSON file through the same path as \`vigil ingest\` (one transaction, batches of 2,000), ${fmt(ingest.incidentsOpened)} incidents opened. The baseline writes the same events into the same \`events\` table (same indexes, same duplicate check) on a fresh store with one multi-row insert per 2,000 events and nothing else.`] : []),
    ...(latency ? [`- **Detection to alert**: \`vigil serve\`'s server in-process on a fresh embedded store; a load generator in another thread posts one event per request at a fixed rate (open loop) and a Twilio-compatible receiver in that thread notes when each SMS request arrives. One event in ${CRITICAL_EVERY} is a forced door that opens a new critical incident (alerting its site's security lead and rapid-response desk and dispatching a guard); the others are badge swipes that are stored and open nothing. Latency is from the start of the POST to the first SMS of its incident. A ${5}-second warm-up phase runs first and is not reported; the per-recipient SMS rate limit is lifted for the run.`] : []),
    ...(statements ? ['- **Statements on the critical path**: the detection-to-alert chain on an idle server, one forced door at a time after a warm-up; every statement the store runs from the POST until the first SMS request of the incident arrives at the receiver (another thread) is counted and timed ([docs/performance.md](docs/performance.md), "Detection to alert: statements on the critical path").'] : []),
    ...(overload ? [`- **Overload**: the same in-process server on a fresh embedded store with the default admission budget (${fmt(OVERLOAD_BUDGET.maxInflightBytes)} request bytes in flight at most and no more than the measured speed finishes in ${OVERLOAD_BUDGET.maxQueueMs} ms, ${fmt(OVERLOAD_BUDGET.maxPendingEvents)} pending events, ${OVERLOAD_BUDGET.maxQueueMs} ms of queueing, the event loop at most ${Math.round(OVERLOAD_BUDGET.maxLoopUtilization * 100)} % busy). A load generator in its own process first measures what the server sustains (8 clients in closed loop, ${OVERLOAD_BATCH} badge swipes per request, each waiting out a 503's Retry-After), then offers ${OVERLOAD_FACTOR} times that open loop over at most ${OVERLOAD_CONNECTIONS} keep-alive connections (as a load balancer's pool; requests wait in the client for a free connection, and past ${fmt(OVERLOAD_MAX_WAITING)} waiting are not sent), while a third process asks \`/healthz\` every 100 ms on a new connection each time (as a liveness probe does; it runs at a higher scheduling priority, nice -10, when the system allows, so that its own wait for a CPU on this shared machine is not counted as the server's). Shed is the share of requests answered 503 with Retry-After (by the budget that refused them); accepted latency is measured at the load generator from when the request was due to its answer (time waiting for a connection counts), and "in the server" from its first byte to its answer; /healthz at the prober, from the server's accept of its connection to the answer, and in the handler. Peak memory is the resident size of the server's process (the load generator's is reported beside it). Every event of every 202 is counted in the store afterwards.`] : []),
    ...(weekly.length > 0 ? [`- **Weekly loss report**: one year (52 ISO weeks) of a ${weekly[0]?.sites ?? 500}-site invented chain generated in SQL (losses with recoveries, acknowledgements, resolutions, guard arrivals, touched assets), through the triggers that keep the report's pre-aggregate; then the whole report of one week (every query and the model, as the API and the Monday job make it) against the store's own \`count(*), sum(net_loss) ... GROUP BY site\` over the same week's incidents, each the median of several runs in the same process ([docs/weekly-report.md](docs/weekly-report.md)).`] : []),
    ...(stored
      ? [
          `- **Memory with a large store**: one year of a 500-site chain generated in SQL (the weekly-report generator's incidents, ten events each with their duplicate-check keys, in the monthly partitions of their time), then \`vigil serve\` in its own process on that store (reopening it); its resident size ${stored.idleSeconds} s after the scheduled jobs of its start caught up and after the reads a dashboard makes (${stored.reads.map((r) => `\`${r.path}\``).join(', ')}), and its peak. Filling took ${fmt(stored.fillSeconds)} s.`,
        ]
      : []),
    ...(serveMemory ? [`- **Memory of \`vigil serve\`**: the command in its own process with the bundled demo chain and its simulator on a new data directory; its resident size (\`VmRSS\`) ${serveMemory.idleSeconds} s after the scheduled jobs of its start caught up (\`policy.schedule.startDelaySeconds\` after it says it is running), and its peak (\`VmHWM\`). The store is created (initdb) by a child process that exits, so the serving process only reopens it ([docs/performance.md](docs/performance.md)).`] : []),
    '- Against a peer on the same load in the same run: `vigil bench --peers` (Vigil against Node-RED 4, the section below when it has run).',
    '- Where the time goes, and what would close the gaps: [docs/performance.md](docs/performance.md).',
    '',
    ...scaleOut,
  ].join('\n');
  if (full || opts.out) {
    const file = opts.out ?? 'BENCHMARKS.md';
    // The peers section (`vigil bench --peers`) is its own run: keep it when the rest is rewritten.
    const { existingSection } = await import('../bench/peers.js');
    const peers = existsSync(file) ? existingSection(readFileSync(file, 'utf8')) : '';
    writeFileSync(file, peers ? `${md.replace(/\s*$/, '')}\n\n${peers}` : md);
  }
  process.stdout.write(md);
}

/**
 * `vigil bench --peers`: Vigil against Node-RED on the same load. Runs alone (not with --only or
 * --postgres); its section replaces the earlier one in BENCHMARKS.md (or --out), or is appended.
 */
async function peersCommand(opts: BenchOptions, log: (s: string) => void): Promise<void> {
  if (opts.only !== undefined || opts.postgres) throw new UsageError(`bench --peers runs alone; leave out ${opts.only !== undefined ? '--only' : '--postgres'}`);
  const { benchPeers, peersPlan, peersSection, spliceSection } = await import('../bench/peers.js');
  const result = await benchPeers(peersPlan(!!opts.quick), log);
  const section = peersSection(result, `vigil bench --peers${opts.quick ? ' --quick' : ''}`).join('\n');
  const file = opts.out ?? 'BENCHMARKS.md';
  writeFileSync(file, spliceSection(existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n', section));
  process.stdout.write(section);
}

/** The weekly report rows: the report and the store's plain aggregate over the same week's rows. */
function weeklyRows(w: WeeklyBenchResult): string[][] {
  const store = w.store === 'pglite' ? 'embedded store' : 'PostgreSQL';
  return [
    [`Weekly loss report, ${fmt(w.incidents)} incidents of ${w.sites} sites over 52 weeks (${store})`, `${fmt(w.reportMs)} ms (median of ${w.runs}; ${fmt(w.weekIncidents)} incidents in ${w.week})`, '< 500 ms', w.reportMs < 500 ? 'met' : 'NOT met'],
    [`Plain aggregate of the same week's rows, count and net loss per site (${store}, baseline)`, `${fmt(w.baselineMs)} ms`, '', ''],
  ];
}

/** The overload rows: shed share, accepted latency and /healthz as the clients saw them and inside the server, memory. */
function overloadRows(o: OverloadResult): string[][] {
  const offered = `${fmt(o.offeredEventsPerSec)} events/s offered (${OVERLOAD_FACTOR}x the ${fmt(o.sustainableEventsPerSec)} sustained) for ${o.seconds} s over ${o.connections} keep-alive connections`;
  const stored = o.storedEvents === o.acceptedEvents;
  const reasons = Object.entries(o.shedReasons).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
  return [
    [`HTTP ingest, sustained (POST /api/v1/events, 8 clients in closed loop, ${OVERLOAD_BATCH} badge swipes per request, each committed before its 202)`, `${fmt(o.sustainableEventsPerSec)} events/s`, '>= 5,000 events/s', o.sustainableEventsPerSec >= 5000 ? 'met' : 'NOT met'],
    ['Overload: requests shed with 503 + Retry-After', `${(o.shedShare * 100).toFixed(1)} % of ${fmt(o.requests)} requests (${reasons || 'none'}); ${offered}${o.skipped > 0 ? `; ${fmt(o.skipped)} not sent, the load generator at its bound of ${fmt(o.maxWaiting)} waiting` : ''}`, 'sheds, nothing lost', o.shedShare > 0 && stored ? 'met' : 'NOT met'],
    ['Overload: accepted requests, due to 202 at the load generator (its own process)', `p50 ${fmt(o.acceptedP50)} ms, p99 ${fmt(o.acceptedP99)} ms (in the server: p99 ${fmt(o.serverP99)} ms; 503s came back in p50 ${fmt(o.refusedP50)} ms); ${fmt(o.storedEvents)}/${fmt(o.acceptedEvents)} accepted events stored`, 'p99 < 2,000 ms', o.acceptedP99 < 2000 && stored ? 'met' : 'NOT met'],
    [`Overload: /healthz meanwhile on the API port, from a third process${o.proberPriority !== null ? ` (at nice ${o.proberPriority})` : ''}, a new connection each time`, `max ${fmt(o.healthMax)} ms, p99 ${o.healthP99.toFixed(0)} ms, p50 ${o.healthP50.toFixed(0)} ms, ${o.healthFailures} without an answer in 5 s (connect max ${fmt(o.healthConnectMax)} ms; from the server's accept to its answer max ${fmt(o.healthAcceptedMax)} ms, in the handler max ${fmt(o.healthServerMax)} ms; event-loop delay p99 ${o.loopDelayP99.toFixed(0)} ms, max ${o.loopDelayMax.toFixed(0)} ms; ${fmt(o.newConnections)} new connections taken)`, 'max < 100 ms', o.healthMax < 100 ? 'met' : 'NOT met'],
    [`Overload: /healthz meanwhile on the operations port (VIGIL_OPS_PORT, its own listening socket), from a fourth process, a new connection each time`, `max ${fmt(o.ops.max)} ms, p99 ${o.ops.p99.toFixed(0)} ms, p50 ${o.ops.p50.toFixed(0)} ms over ${fmt(o.ops.probes)} probes, ${o.ops.failures} failed (connect max ${fmt(o.ops.connectMax)} ms)`, 'max < 100 ms', o.ops.max < 100 && o.ops.failures === 0 ? 'met' : 'NOT met'],
    ['Overload: peak resident memory of the server process', `${fmt(o.peakRssBytes / 2 ** 20)} MiB (${fmt(o.baselineRssBytes / 2 ** 20)} MiB before; the load generator's own process ${fmt(o.clientPeakRssBytes / 2 ** 20)} MiB)`, 'bounded', o.peakRssBytes - o.baselineRssBytes < 512 * 2 ** 20 ? 'met' : 'NOT met'],
  ];
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
