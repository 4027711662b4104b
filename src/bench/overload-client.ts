/**
 * The load side of the overload benchmark, run as its own process (child_process.fork) so it
 * shares neither the server's event loop nor its heap: posts batches of badge swipes, closed loop
 * (a few clients, each waiting for its answer: what the server sustains) or open loop (at a fixed
 * rate whatever the answers).
 *
 * It connects the way a load balancer or a client library does: keep-alive connections from a
 * bounded pool (`connections`), requests waiting for a free connection in the client. Latency is
 * from the moment a request was due (its place in the open-loop schedule) to its answer, so time
 * spent waiting for a connection in the client counts. A request that would wait behind
 * `maxWaiting` others is not sent and counted as such (the client's own bound).
 *
 * Run with `--probe`, the same file is the /healthz prober: a third process that asks /healthz
 * every 100 ms on a new connection each time (as a liveness probe does) with a 5 s timeout.
 */
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface OverloadPhase {
  kind: 'closed' | 'open';
  /** Batches (requests) per second, open loop. */
  requestsPerSec: number;
  /** Concurrent clients, closed loop. */
  clients: number;
  seconds: number;
  batchSize: number;
  prefix: string;
  /** Keep-alive connections the client opens at most. */
  connections: number;
  /** Requests waiting for an answer at most (sent or waiting for a connection); the rest are not sent. */
  maxWaiting: number;
}

export interface OverloadPhaseResult {
  /** [status, count]; status 0 is a failed connection. */
  statuses: [number, number][];
  /** Latency (ms) of every 202, from when it was due to its answer. */
  accepted: number[];
  /** Latency (ms) of every 503. */
  refused: number[];
  /** Most requests waiting for an answer at once. */
  maxInflight: number;
  /** Requests not sent because `maxWaiting` were already waiting for an answer (the client's own bound). */
  skipped: number;
  elapsed: number;
  /** Events in requests answered 202. */
  acceptedEvents: number;
  /** The load generator's own event-loop delay, max (ms): what it adds to every latency it measures. */
  loopDelayMax: number;
  /** The load generator's peak resident memory (bytes). */
  peakRssBytes: number;
}

export interface ProbeResult {
  /** Time (ms) from each probe's start to its connection being established (the server's accept queue). */
  connect: number[];
  /** Latency (ms) of every /healthz probe (a probe without an answer in 5 s counts 5,000). */
  health: number[];
  failures: number;
  /** Wall-clock times (ms since the epoch) of each probe: start, TCP connect, answer (NaN when none). */
  times: { start: number; connect: number; end: number }[];
}

export type ClientMessage =
  | { kind: 'init'; url: string; token: string; sites: { id: string; zone: string; badge?: string }[] }
  | { kind: 'run'; phase: OverloadPhase }
  | { kind: 'stop' };

const sites: { id: string; zone: string; badge?: string }[] = [];
let base = new URL('http://127.0.0.1');
let token = '';
const T0 = Date.parse('2026-01-05T15:00:00Z');

/** Each site's constant part of an event, built once. */
let siteParts: string[] = [];

function body(prefix: string, n: number, batchSize: number): string {
  let out = '[';
  for (let i = 0; i < batchSize; i++) {
    const k = n * batchSize + i;
    out += `${i > 0 ? ',' : ''}{"source":"access_control","type":"access_granted","sourceEventId":"${prefix}-${k}","occurredAt":"${new Date(T0 + (k % 3_600_000) * 10).toISOString()}",${siteParts[k % siteParts.length]}}`;
  }
  return `${out}]`;
}

async function runPhase(p: OverloadPhase): Promise<OverloadPhaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: p.connections, keepAliveMsecs: 1000 });
  const statuses = new Map<number, number>();
  const accepted: number[] = [];
  const refused: number[] = [];
  let maxInflight = 0;
  let acceptedEvents = 0;
  let skipped = 0;
  let inflight = 0;
  let n = 0;
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const start = performance.now();
  const end = start + p.seconds * 1000;
  /** Posts the next batch, due at `due`; resolves to the Retry-After of a 503 (ms), else 0. */
  const post = (due: number): Promise<number> =>
    new Promise((resolve) => {
      const b = body(p.prefix, n++, p.batchSize);
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      const done = (status: number, retryAfter: number) => {
        inflight--;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 202) {
          accepted.push(performance.now() - due);
          acceptedEvents += p.batchSize;
        } else if (status === 503) refused.push(performance.now() - due);
        resolve(retryAfter);
      };
      const req = request(
        { host: base.hostname, port: base.port, path: '/api/v1/events', method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) } },
        (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode ?? 0, res.statusCode === 503 ? Number(res.headers['retry-after'] ?? 1) * 1000 : 0));
          res.on('error', () => done(0, 0));
        },
      );
      req.on('error', () => done(0, 0));
      req.end(b);
    });
  if (p.kind === 'closed') {
    await Promise.all(
      Array.from({ length: p.clients }, async () => {
        // A well-behaved client: after a 503 it waits what Retry-After says before its next request.
        while (performance.now() < end) {
          const wait = await post(performance.now());
          if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, end - performance.now())));
        }
      }),
    );
  } else {
    const pending: Promise<unknown>[] = [];
    let sent = 0;
    const interval = 1000 / p.requestsPerSec;
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - start) / 1000) * p.requestsPerSec);
      while (sent < due) {
        const at = start + sent * interval;
        sent++;
        if (inflight >= p.maxWaiting) skipped++;
        else pending.push(post(at));
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(pending);
  }
  const elapsed = (performance.now() - start) / 1000;
  lag.disable();
  clearInterval(rssTimer);
  agent.destroy();
  return { statuses: [...statuses.entries()], accepted, refused, maxInflight, skipped, elapsed, acceptedEvents, loopDelayMax: lag.max / 1e6, peakRssBytes: peakRss };
}

/** Asks /healthz every 100 ms, each time on a new connection, until told to stop. */
function probe(url: URL): { stop: () => Promise<ProbeResult> } {
  const health: number[] = [];
  const connect: number[] = [];
  const times: ProbeResult['times'] = [];
  const wall = () => performance.timeOrigin + performance.now();
  let failures = 0;
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const at = { start: wall(), connect: NaN, end: NaN };
      times.push(at);
      let settled = false;
      const finish = (ms: number, ok: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        health.push(ms);
        if (!ok) failures++;
        resolve();
      };
      const req = request({ host: url.hostname, port: url.port, path: '/healthz', agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          at.end = wall();
          finish(performance.now() - t0, res.statusCode === 200);
        });
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish(5000, false);
      }, 5000);
      req.on('socket', (socket) => socket.once('connect', () => {
          at.connect = wall();
          connect.push(performance.now() - t0);
        }));
      req.on('error', () => finish(Math.min(5000, performance.now() - t0), false));
      req.end();
    });
  const loop = (async () => {
    while (running) {
      await once();
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { health, connect, failures, times };
    },
  };
}

const send = (m: unknown) => process.send!(m);

if (process.argv.includes('--probe')) {
  let p: ReturnType<typeof probe> | undefined;
  process.on('message', async (m: { kind: 'start'; url: string } | { kind: 'stop' }) => {
    if (m.kind === 'start') {
      p = probe(new URL(m.url));
      send({ kind: 'started' });
    } else {
      send(await p!.stop());
      process.disconnect();
    }
  });
} else {
  process.on('message', async (m: ClientMessage) => {
    if (m.kind === 'init') {
      base = new URL(m.url);
      token = m.token;
      sites.push(...m.sites);
      siteParts = sites.map((s) => `"site":"${s.id}","zone":"${s.zone}"${s.badge ? `,"badge":"${s.badge}"` : ''}`);
      send({ kind: 'ready' });
    } else if (m.kind === 'run') {
      send(await runPhase(m.phase));
    } else {
      process.disconnect();
    }
  });
}
