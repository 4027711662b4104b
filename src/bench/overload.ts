/**
 * Overload benchmark: what POST /api/v1/events does when offered ten times what it sustains. The
 * server runs in this process on a fresh embedded store with the default admission budget; a load
 * generator in its own process (overload-client.ts) first measures the sustainable rate (closed
 * loop: a few clients, each posting its next batch when the last was answered), then offers ten
 * times that rate open loop over a bounded pool of keep-alive connections, while two more processes
 * ask /healthz every 100 ms on a new connection each time: one on the API's port, one on the
 * operations port (VIGIL_OPS_PORT, api/ops-listener.ts), where liveness probes belong. Recorded:
 * the share of requests shed (503 with Retry-After), the latency of the accepted ones at the
 * client and in the server, /healthz latency at each prober and in the server, the server
 * process's peak resident memory, and whether every event of every 202 was stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ADMISSION, DEFAULT_LISTEN_BACKLOG, httpLimitsFromEnv } from '../api/http-limits.js';
import { closeOps, listenOps } from '../api/ops-listener.js';
import { buildServer } from '../api/server.js';
import { parseConfig } from '../config/loader.js';
import { shedByReason, shedSince } from '../ops/metrics.js';
import { createService, serveBackground } from '../service.js';
import { inventChain } from '../sim/invent-chain.js';
import type { ClientMessage, OverloadPhase, OverloadPhaseResult, ProbeResult } from './overload-client.js';
import { waitForCatchUp } from './catch-up.js';

/** Events per request. */
export const OVERLOAD_BATCH = 100;
/** How many times the sustainable rate is offered. */
export const OVERLOAD_FACTOR = 10;
/** Keep-alive connections the load generator opens at most (a load balancer's upstream pool). */
export const OVERLOAD_CONNECTIONS = 256;
/** Requests the load generator keeps waiting at most (sent or waiting for a connection); more are not sent. */
export const OVERLOAD_MAX_WAITING = 4000;

export interface OverloadResult {
  /** The prober's scheduling priority (nice value), or null when it could not be raised. */
  proberPriority: number | null;
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
  /** The longest /healthz from the server taking its connection (accept) to its answer. */
  healthAcceptedMax: number;
  /** The longest time a /healthz probe took to connect (the kernel's handshake, not the server's accept). */
  healthConnectMax: number;
  /** 503s at the client, p50 (ms): how long a refusal took to come back. */
  refusedP50: number;
  /** New connections the server took during the overload. */
  newConnections: number;
  /** The load generator's keep-alive connections at most. */
  connections: number;
  /** The load generator's peak resident memory (its own process). */
  clientPeakRssBytes: number;
  /** /healthz probes that failed (no answer in 5 s, a refused connection or not 200). */
  healthFailures: number;
  /** /healthz on the operations port (its own listening socket), from a fourth process. */
  ops: { p50: number; p99: number; max: number; failures: number; probes: number; connectMax: number };
  /** Most requests the load generator had waiting at once. */
  maxWaiting: number;
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
export async function benchOverload(seconds: number, log: (s: string) => void, opts: { connections?: number } = {}): Promise<OverloadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-overload-'));
  const doc = inventChain(200, 3) as Record<string, unknown>;
  doc.notify = { webhooks: [] };
  const config = parseConfig(doc);
  const token = 'bench-admin-token';
  const service = await createService({ config, dataDir: join(dir, 'data'), adminToken: token, startRunner: true, startDelivery: true, background: serveBackground(config) });
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
  const acceptedAt = new WeakMap<object, number>();
  const healthSinceAccept: number[] = [];
  // Wall-clock accept and answer of each /healthz, to line up with the prober's own times.
  const healthWall: { accept: number; answer: number }[] = [];
  const wall = () => performance.timeOrigin + performance.now();
  // And of each /healthz from the moment the server took its connection (accept) to its answer.
  app.addHook('onResponse', async (request) => {
    if (measuring && request.url === '/healthz') {
      const accepted = acceptedAt.get(request.raw.socket) ?? NaN;
      healthSinceAccept.push(performance.now() - accepted);
      healthWall.push({ accept: performance.timeOrigin + accepted, answer: wall() });
    }
  });
  const url = (await app.listen({ port: 0, host: '127.0.0.1', backlog: DEFAULT_LISTEN_BACKLOG })).replace('localhost', '127.0.0.1');
  // New connections the server took during the overload: a client that keeps its connections makes few.
  let connections = 0;
  app.server.on('connection', (socket) => {
    if (measuring) connections++;
    acceptedAt.set(socket, performance.now());
  });
  const script = fileURLToPath(new URL('./overload-client.js', import.meta.url));
  const client = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // The operations port, as `vigil serve` opens it with VIGIL_OPS_PORT.
  const ops = await listenOps(service, { port: 0, host: '127.0.0.1', metrics: { mode: 'on' }, role: 'all' });
  const prober = fork(script, ['--probe'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const opsProber = fork(script, ['--probe'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // A prober stands for a liveness check from elsewhere (a load balancer, the orchestrator's
  // agent). On one 2-core machine it otherwise waits for a CPU behind the server and the load
  // generator, and that wait is the prober's, not the server's: it runs at a higher scheduling
  // priority when the system allows it (root), and the result says whether it did.
  const raise = (child: ChildProcess): number | null => {
    try {
      if (child.pid === undefined) return null;
      setPriority(child.pid, -10);
      return getPriority(child.pid);
    } catch {
      return null;
    }
  };
  const proberPriority = raise(prober);
  raise(opsProber);
  const ask = <T>(child: ChildProcess, m: ClientMessage | { kind: 'start'; url: string }) =>
    new Promise<T>((resolve, reject) => {
      child.once('message', (r) => resolve(r as T));
      child.once('exit', (code) => reject(new Error(`the overload benchmark's ${child === client ? 'load generator' : 'prober'} exited (${code})`)));
      child.send(m);
    });
  const sites = config.sites.map((s) => ({ id: s.id, zone: s.zones.find((z) => !z.restricted)!.id, badge: s.personnel[0]?.badge }));
  await ask(client, { kind: 'init', url, token, sites });
  const run = (phase: OverloadPhase) => ask<OverloadPhaseResult>(client, { kind: 'run', phase });
  const pool = { connections: opts.connections ?? OVERLOAD_CONNECTIONS, maxWaiting: OVERLOAD_MAX_WAITING };
  try {
    log(`overload: server at ${url}; the start's scheduled jobs caught up after ${((await waitForCatchUp(url, token)) / 1000).toFixed(1)} s (not measured)`);
    log(`overload: measuring the sustainable rate (closed loop, 8 clients, ${OVERLOAD_BATCH} events per request, ${seconds} s)`);
    const base = await run({ kind: 'closed', clients: 8, requestsPerSec: 0, seconds, batchSize: OVERLOAD_BATCH, prefix: 'sustain', ...pool });
    const sustainable = base.acceptedEvents / base.elapsed;
    const shedBefore = await shedByReason(service.metrics);
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
    let probed: ProbeResult;
    let opsProbed: ProbeResult;
    try {
      await Promise.all([ask(prober, { kind: 'start', url }), ask(opsProber, { kind: 'start', url: ops.url })]);
      r = await run({ kind: 'open', clients: 0, requestsPerSec: offered / OVERLOAD_BATCH, seconds, batchSize: OVERLOAD_BATCH, prefix: 'over', ...pool });
      [probed, opsProbed] = await Promise.all([ask<ProbeResult>(prober, { kind: 'stop' }), ask<ProbeResult>(opsProber, { kind: 'stop' })]);
    } finally {
      clearInterval(sampler);
      lag.disable();
      measuring = false;
    }
    const shedReasons = shedSince(shedBefore, await shedByReason(service.metrics));
    const stored = await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE 'over-%'`);
    const requests = r.statuses.reduce((s, [, c]) => s + c, 0);
    const shed = r.statuses.find(([s]) => s === 503)?.[1] ?? 0;
    const res: OverloadResult = {
      proberPriority,
      sustainableEventsPerSec: sustainable,
      offeredEventsPerSec: offered,
      seconds,
      requests,
      shedShare: requests > 0 ? shed / requests : 0,
      statuses: r.statuses,
      acceptedP50: quantile(r.accepted, 0.5),
      acceptedP99: quantile(r.accepted, 0.99),
      serverP99: quantile(serverSide, 0.99),
      healthP50: quantile(probed.health, 0.5),
      healthP99: quantile(probed.health, 0.99),
      healthMax: Math.max(...probed.health),
      healthFailures: probed.failures,
      ops: {
        p50: quantile(opsProbed.health, 0.5),
        p99: quantile(opsProbed.health, 0.99),
        max: Math.max(...opsProbed.health),
        failures: opsProbed.failures,
        probes: opsProbed.health.length,
        connectMax: Math.max(0, ...opsProbed.connect),
      },
      healthAcceptedMax: Math.max(0, ...healthSinceAccept),
      healthConnectMax: Math.max(0, ...probed.connect),
      refusedP50: quantile(r.refused, 0.5),
      newConnections: connections,
      connections: pool.connections,
      clientPeakRssBytes: r.peakRssBytes,
      maxWaiting: r.maxInflight,
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
    log(`overload: /healthz from the server's accept to its answer max ${Math.max(0, ...healthSinceAccept).toFixed(0)} ms; the ${probed.health.length} probes in order ${probed.health.map(Math.round).join(' ')} ms; connect p50 ${quantile(probed.connect, 0.5).toFixed(0)} ms max ${Math.max(0, ...probed.connect).toFixed(0)} ms; ${connections} new connections, statuses ${JSON.stringify(r.statuses)}, shed by ${JSON.stringify(shedReasons)}, ${r.skipped} not sent (client bound), at most ${r.maxInflight} waiting at once, 503s answered in p50 ${quantile(r.refused, 0.5).toFixed(0)} ms p99 ${quantile(r.refused, 0.99).toFixed(0)} ms`);
    // The slowest probe, split where its time went: the prober connected, the server accepted, answered, the prober read it.
    const slowest = probed.times.filter((t) => Number.isFinite(t.end)).map((t) => ({ t })).sort((a, b) => b.t.end - b.t.start - (a.t.end - a.t.start))[0];
    const server = slowest ? healthWall.find((h) => h.accept >= slowest.t.start - 1 && h.accept <= slowest.t.end) : undefined;
    if (slowest && server)
      log(
        `overload: slowest answered /healthz: connected +${(slowest.t.connect - slowest.t.start).toFixed(0)} ms, server accepted +${(server.accept - slowest.t.start).toFixed(0)} ms, answered +${(server.answer - slowest.t.start).toFixed(0)} ms, prober read it +${(slowest.t.end - slowest.t.start).toFixed(0)} ms`,
      );
    log(`overload: /healthz on the operations port: the ${opsProbed.health.length} probes in order ${opsProbed.health.map(Math.round).join(' ')} ms; p99 ${res.ops.p99.toFixed(0)} ms, max ${res.ops.max.toFixed(0)} ms, ${res.ops.failures} failed`);
    log(
      `overload: shed ${(res.shedShare * 100).toFixed(1)} %, accepted p50 ${res.acceptedP50.toFixed(0)} ms p99 ${res.acceptedP99.toFixed(0)} ms (in the server: p99 ${res.serverP99.toFixed(0)} ms), /healthz p99 ${res.healthP99.toFixed(0)} ms max ${res.healthMax.toFixed(0)} ms (in the server: max ${res.healthServerMax.toFixed(0)} ms), event-loop delay p99 ${res.loopDelayP99.toFixed(0)} ms max ${res.loopDelayMax.toFixed(0)} ms (the load generator's: max ${res.clientLoopDelayMax.toFixed(0)} ms), server peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (${(baselineRss / 2 ** 20).toFixed(0)} before), the load generator's ${(res.clientPeakRssBytes / 2 ** 20).toFixed(0)} MiB, /healthz failures ${res.healthFailures}, ${res.storedEvents}/${res.acceptedEvents} accepted events stored`,
    );
    return res;
  } finally {
    for (const child of [client, prober, opsProber]) if (child.exitCode === null) child.kill();
    await closeOps(ops);
    await app.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The default admission budget the benchmark runs with (for the table). */
export const OVERLOAD_BUDGET = DEFAULT_ADMISSION;
