/**
 * The load side of the overload benchmark, in its own thread so it does not share the server's
 * event loop: posts batches of badge swipes, closed loop (a few clients, each waiting for its
 * answer: what the server sustains) or open loop (at a fixed rate whatever the answers), and asks
 * /healthz every 100 ms meanwhile.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

export interface OverloadPhase {
  kind: 'closed' | 'open';
  /** Batches (requests) per second, open loop. */
  requestsPerSec: number;
  /** Concurrent clients, closed loop. */
  clients: number;
  seconds: number;
  batchSize: number;
  prefix: string;
}

export interface OverloadPhaseResult {
  /** [status, count]; status 0 is a failed connection. */
  statuses: [number, number][];
  /** Latency (ms) of every 202. */
  accepted: number[];
  /** Latency (ms) of every 503 (refused at its first byte: what the client and the network add). */
  refused: number[];
  /** Most requests waiting for an answer at once. */
  maxInflight: number;
  /** Latency (ms) of every /healthz probe (a probe without an answer in 5 s counts 5,000). */
  health: number[];
  /** Requests not sent because 4,000 were already waiting for an answer (the client's own bound). */
  skipped: number;
  elapsed: number;
  /** Events in requests answered 202. */
  acceptedEvents: number;
  /** The load generator's own event-loop delay, max (ms): what it adds to every latency it measures. */
  loopDelayMax: number;
}

const sites: { id: string; zone: string; badge?: string }[] = [];
let url = '';
let token = '';

function body(prefix: string, n: number, batchSize: number): string {
  const out: string[] = [];
  for (let i = 0; i < batchSize; i++) {
    const k = n * batchSize + i;
    const s = sites[k % sites.length];
    out.push(
      `{"source":"access_control","type":"access_granted","sourceEventId":"${prefix}-${k}","occurredAt":"${new Date(Date.parse('2026-01-05T15:00:00Z') + (k % 3_600_000) * 10).toISOString()}","site":"${s.id}","zone":"${s.zone}"${s.badge ? `,"badge":"${s.badge}"` : ''}}`,
    );
  }
  return `[${out.join(',')}]`;
}

async function runPhase(p: OverloadPhase): Promise<OverloadPhaseResult> {
  const statuses = new Map<number, number>();
  const accepted: number[] = [];
  const refused: number[] = [];
  let maxInflight = 0;
  const health: number[] = [];
  let acceptedEvents = 0;
  let skipped = 0;
  let inflight = 0;
  let n = 0;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const start = performance.now();
  const end = start + p.seconds * 1000;
  /** Posts the next batch; resolves to the Retry-After of a 503 (ms), else 0. */
  const post = async (): Promise<number> => {
    const b = body(p.prefix, n++, p.batchSize);
    const t0 = performance.now();
    inflight++;
    maxInflight = Math.max(maxInflight, inflight);
    try {
      const r = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: b });
      await r.arrayBuffer();
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 202) {
        accepted.push(performance.now() - t0);
        acceptedEvents += p.batchSize;
      } else if (r.status === 503) {
        refused.push(performance.now() - t0);
        return Number(r.headers.get('retry-after') ?? 1) * 1000;
      }
    } catch {
      statuses.set(0, (statuses.get(0) ?? 0) + 1);
    } finally {
      inflight--;
    }
    return 0;
  };
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t0 = performance.now();
      try {
        const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
        await r.arrayBuffer();
        health.push(performance.now() - t0);
      } catch {
        health.push(5000);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  if (p.kind === 'closed') {
    await Promise.all(
      Array.from({ length: p.clients }, async () => {
        // A well-behaved client: after a 503 it waits what Retry-After says before its next request.
        while (performance.now() < end) {
          const wait = await post();
          if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, end - performance.now())));
        }
      }),
    );
  } else {
    const pending: Promise<void>[] = [];
    let sent = 0;
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - start) / 1000) * p.requestsPerSec);
      while (sent < due) {
        sent++;
        if (inflight >= 4000) skipped++;
        else pending.push(post().then(() => undefined));
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(pending);
  }
  const elapsed = (performance.now() - start) / 1000;
  probing = false;
  await probe;
  lag.disable();
  return { statuses: [...statuses.entries()], accepted, refused, maxInflight, health, skipped, elapsed, acceptedEvents, loopDelayMax: lag.max / 1e6 };
}

parentPort!.on('message', async (m: { kind: 'init'; url: string; token: string; sites: typeof sites } | { kind: 'run'; phase: OverloadPhase } | { kind: 'stop' }) => {
  if (m.kind === 'init') {
    url = m.url;
    token = m.token;
    sites.push(...m.sites);
    parentPort!.postMessage({ kind: 'ready' });
  } else if (m.kind === 'run') {
    parentPort!.postMessage(await runPhase(m.phase));
  } else {
    parentPort!.close();
  }
});
