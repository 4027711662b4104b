/**
 * Overload benchmark: what POST /api/v1/events does when offered ten times what it sustains. The
 * server runs in-process on a fresh embedded store with the default admission budget; a load
 * generator in a worker thread first measures the sustainable rate (closed loop: a few clients,
 * each posting its next batch when the last was answered), then offers ten times that rate open
 * loop. Recorded: the share of requests shed (503 with Retry-After), the latency of the accepted
 * ones, /healthz latency meanwhile, the process's peak resident memory (server and load generator
 * together), and whether every event of every 202 was stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { DEFAULT_ADMISSION, httpLimitsFromEnv } from '../api/http-limits.js';
import { buildServer } from '../api/server.js';
import { parseConfig } from '../config/loader.js';
import { createService } from '../service.js';
import { inventChain } from '../sim/invent-chain.js';
import type { OverloadPhase, OverloadPhaseResult } from './overload-worker.js';

/** Events per request. */
export const OVERLOAD_BATCH = 100;
/** How many times the sustainable rate is offered. */
export const OVERLOAD_FACTOR = 10;

export interface OverloadResult {
  sustainableEventsPerSec: number;
  offeredEventsPerSec: number;
  seconds: number;
  requests: number;
  shedShare: number;
  statuses: [number, number][];
  acceptedP50: number;
  acceptedP99: number;
  /** p99 of the accepted requests' time inside the server (first byte to answer). */
  serverP99: number;
  healthP50: number;
  healthP99: number;
  healthMax: number;
  /** The longest /healthz inside the server (first byte to answer). */
  healthServerMax: number;
  /** The load generator's event-loop delay, max (ms). */
  clientLoopDelayMax: number;
  peakRssBytes: number;
  baselineRssBytes: number;
  acceptedEvents: number;
  storedEvents: number;
  skipped: number;
  /** The server's event-loop delay during the overload (ms): how long it was held at a time. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** 503s of the overload phase by the budget that refused them. */
  shedReasons: Record<string, number>;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Runs the overload benchmark: `seconds` to measure the sustainable rate, then `seconds` at ten times it. */
export async function benchOverload(seconds: number, log: (s: string) => void): Promise<OverloadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-overload-'));
  const doc = inventChain(200, 3) as Record<string, unknown>;
  doc.notify = { webhooks: [] };
  const config = parseConfig(doc);
  const token = 'bench-admin-token';
  const service = await createService({ config, dataDir: join(dir, 'data'), adminToken: token, startRunner: true, startDelivery: true });
  // The admission budget `vigil serve` would run with: the defaults, or the VIGIL_INGEST_* settings.
  const app = await buildServer(service, { admission: httpLimitsFromEnv(process.env).admission });
  // Server-side time of each accepted request, from its first byte to its answer: client and network excluded.
  const serverSide: number[] = [];
  // And of each /healthz (most of it is waiting for the store: the embedded store runs one statement at a time).
  const healthServerSide: number[] = [];
  let measuring = false;
  app.addHook('onResponse', async (request, reply) => {
    if (measuring && reply.statusCode === 202 && request.url === '/api/v1/events') serverSide.push(reply.elapsedTime);
    if (measuring && request.url === '/healthz') healthServerSide.push(reply.elapsedTime);
  });
  const shedByReason = async () => Object.fromEntries((await service.metrics.ingestShed.get()).values.map((v) => [String(v.labels.reason), v.value]));
  const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  const worker = new Worker(new URL('./overload-worker.js', import.meta.url));
  const sites = config.sites.map((s) => ({ id: s.id, zone: s.zones.find((z) => !z.restricted)!.id, badge: s.personnel[0]?.badge }));
  worker.postMessage({ kind: 'init', url, token, sites });
  await new Promise((resolve) => worker.once('message', resolve));
  const run = (phase: OverloadPhase) =>
    new Promise<OverloadPhaseResult>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage({ kind: 'run', phase });
    });
  try {
    log(`overload: measuring the sustainable rate (closed loop, 8 clients, ${OVERLOAD_BATCH} events per request, ${seconds} s)`);
    const base = await run({ kind: 'closed', clients: 8, requestsPerSec: 0, seconds, batchSize: OVERLOAD_BATCH, prefix: 'sustain' });
    const sustainable = base.acceptedEvents / base.elapsed;
    const shedBefore = await shedByReason();
    const offered = sustainable * OVERLOAD_FACTOR;
    log(`overload: sustaining phase statuses ${JSON.stringify(base.statuses)}`);
    log(`overload: sustainable ${Math.round(sustainable)} events/s; offering ${Math.round(offered)} events/s open loop for ${seconds} s`);
    const baselineRss = process.memoryUsage().rss;
    let peak = baselineRss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    let r: OverloadPhaseResult;
    // How long the server's event loop was held at a time: what /healthz and every socket wait behind.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    measuring = true;
    try {
      r = await run({ kind: 'open', clients: 0, requestsPerSec: offered / OVERLOAD_BATCH, seconds, batchSize: OVERLOAD_BATCH, prefix: 'over' });
    } finally {
      clearInterval(sampler);
      lag.disable();
      measuring = false;
    }
    const shedAfter = await shedByReason();
    const shedReasons = Object.fromEntries(Object.entries(shedAfter).map(([k, v]) => [k, v - (shedBefore[k] ?? 0)]).filter(([, v]) => (v as number) > 0)) as Record<string, number>;
    const stored = await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE 'over-%'`);
    const requests = r.statuses.reduce((s, [, c]) => s + c, 0);
    const shed = r.statuses.find(([s]) => s === 503)?.[1] ?? 0;
    const res: OverloadResult = {
      sustainableEventsPerSec: sustainable,
      offeredEventsPerSec: offered,
      seconds,
      requests,
      shedShare: requests > 0 ? shed / requests : 0,
      statuses: r.statuses,
      acceptedP50: quantile(r.accepted, 0.5),
      acceptedP99: quantile(r.accepted, 0.99),
      serverP99: quantile(serverSide, 0.99),
      healthP50: quantile(r.health, 0.5),
      healthP99: quantile(r.health, 0.99),
      healthMax: Math.max(...r.health),
      healthServerMax: Math.max(0, ...healthServerSide),
      clientLoopDelayMax: r.loopDelayMax,
      peakRssBytes: peak,
      baselineRssBytes: baselineRss,
      acceptedEvents: r.acceptedEvents,
      storedEvents: Number(stored.rows[0].n),
      skipped: r.skipped,
      loopDelayP99: lag.percentile(99) / 1e6,
      loopDelayMax: lag.max / 1e6,
      shedReasons,
    };
    log(`overload: statuses ${JSON.stringify(r.statuses)}, shed by ${JSON.stringify(shedReasons)}, ${r.skipped} not sent (client bound), at most ${r.maxInflight} waiting at once, 503s answered in p50 ${quantile(r.refused, 0.5).toFixed(0)} ms p99 ${quantile(r.refused, 0.99).toFixed(0)} ms`);
    log(
      `overload: shed ${(res.shedShare * 100).toFixed(1)} %, accepted p50 ${res.acceptedP50.toFixed(0)} ms p99 ${res.acceptedP99.toFixed(0)} ms (in the server: p99 ${res.serverP99.toFixed(0)} ms), /healthz p99 ${res.healthP99.toFixed(0)} ms max ${res.healthMax.toFixed(0)} ms (in the server: max ${res.healthServerMax.toFixed(0)} ms), event-loop delay p99 ${res.loopDelayP99.toFixed(0)} ms max ${res.loopDelayMax.toFixed(0)} ms (the load generator's: max ${res.clientLoopDelayMax.toFixed(0)} ms), peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (${(baselineRss / 2 ** 20).toFixed(0)} before), ${res.storedEvents}/${res.acceptedEvents} accepted events stored`,
    );
    return res;
  } finally {
    worker.postMessage({ kind: 'stop' });
    await app.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The default admission budget the benchmark runs with (for the table). */
export const OVERLOAD_BUDGET = DEFAULT_ADMISSION;
