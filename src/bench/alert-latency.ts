/**
 * Detection-to-alert benchmark: from `POST /api/v1/events` (one event per request) to the SMS
 * request arriving at a local Twilio-compatible receiver, at a fixed offered rate, on the embedded
 * store, every event committed. One event in CRITICAL_EVERY is a forced door into a restricted zone
 * that opens a new critical incident (each at its own site and time, so none joins another); the
 * rest are badge swipes that are stored and open nothing. At 1,000 events/s that is 20 new critical
 * incidents a second, each alerting two people and dispatching a guard: far above any real chain.
 *
 * The per-recipient SMS rate limit is lifted for the run (a benchmark chain alerts the same leads
 * far more often than any real one), everything else is the default policy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_LISTEN_BACKLOG } from '../api/http-limits.js';
import { buildServer } from '../api/server.js';
import { parseConfig } from '../config/loader.js';
import { shedByReason, shedSince } from '../ops/metrics.js';
import { createService, serveBackground } from '../service.js';
import { waitForCatchUp } from './catch-up.js';
import { inventChain } from '../sim/invent-chain.js';

/** One event in this many opens a critical incident. */
export const CRITICAL_EVERY = 50;

export interface LatencyResult {
  rate: number;
  seconds: number;
  events: number;
  accepted: number;
  alerts: number;
  p50: number;
  p99: number;
  max: number;
  achievedRate: number;
  eventsStored: number;
  errors: number;
  /** Requests refused with 503 by admission control in the phase, by budget (bytes, work, busy, events, delay). */
  shed: Record<string, number>;
}

/** The q-quantile of an ascending array (nearest rank); NaN when empty. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * What the detection-to-alert benchmarks share: the load worker with its Twilio-compatible
 * receiver, a 200-site invented chain whose SMS go to that receiver (the per-recipient rate limit
 * lifted), and a service on a fresh embedded store with its runner and delivery.
 */
export async function startAlertBench(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const worker = new Worker(new URL('./alert-load-worker.js', import.meta.url));
  const receiverUrl = await new Promise<string>((resolve) => worker.once('message', (m: { receiverUrl: string }) => resolve(m.receiverUrl)));
  const doc = inventChain(200, 3) as Record<string, unknown>;
  doc.notify = { sms: { provider: 'twilio', baseUrl: receiverUrl, accountSid: 'ACbench', authToken: 'bench', from: '+15550009999' }, webhooks: [] };
  doc.policy = { notify: { rateLimit: { perRecipient: 1_000_000, windowMinutes: 15 } } };
  const config = parseConfig(doc);
  const token = 'bench-admin-token';
  const service = await createService({ config, dataDir: join(dir, 'data'), adminToken: token, startRunner: true, startDelivery: true, background: serveBackground(config) });
  return { dir, worker, receiverUrl, config, token, service };
}

/** Runs the benchmark at each rate for `seconds` seconds. */
export async function benchAlertLatency(rates: number[], seconds: number, log: (s: string) => void, warmupSeconds = 5): Promise<LatencyResult[]> {
  const { dir, worker, config, token, service } = await startAlertBench('vigil-bench-alert-');
  const app = await buildServer(service);
  const url = (await app.listen({ port: 0, host: '127.0.0.1', backlog: DEFAULT_LISTEN_BACKLOG })).replace('localhost', '127.0.0.1');
  const sites = config.sites.map((s) => ({ id: s.id, zone: s.zones.find((z) => z.restricted)!.id, open: s.zones.find((z) => !z.restricted)!.id, badge: s.personnel[0]?.badge }));
  const results: LatencyResult[] = [];
  let critical = 0;
  try {
    // A first, unreported phase warms the JIT and the store's caches, as a server that has been up would be.
    const phases = [...(warmupSeconds > 0 ? [{ rate: rates[0], seconds: warmupSeconds, warmup: true }] : []), ...rates.map((rate) => ({ rate, seconds, warmup: false }))];
    for (const [pi, { rate, seconds, warmup }] of phases.entries()) {
      const n = Math.round(rate * seconds);
      const events = Array.from({ length: n }, (_, i) => {
        const id = `bench-${pi}-${i}`;
        if (i % CRITICAL_EVERY === 0) {
          const k = critical++;
          const s = sites[k % sites.length];
          // A new 20-minute slot per visit of a site: never within another incident's window.
          const at = new Date(Date.parse('2026-01-05T07:00:00Z') + Math.floor(k / sites.length) * 20 * 60_000).toISOString();
          return { sourceEventId: id, body: JSON.stringify({ source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: at, site: s.id, zone: s.zone }) };
        }
        const s = sites[i % sites.length];
        return { sourceEventId: id, body: JSON.stringify({ source: 'access_control', type: 'access_granted', sourceEventId: id, occurredAt: new Date(Date.parse('2026-01-05T15:00:00Z') + i * 1000).toISOString(), site: s.id, zone: s.open, ...(s.badge ? { badge: s.badge } : {}) }) };
      });
      log(`alert latency${warmup ? ' (warm-up, not reported)' : ''}: ${rate} events/s for ${seconds} s (${n} events, ${Math.ceil(n / CRITICAL_EVERY)} critical)`);
      const shedBefore = await shedByReason(service.metrics);
      worker.postMessage({ kind: 'run', url, token, phase: { rate, seconds, events } });
      const r = await new Promise<{ sent: [string, number][]; statuses: [number, number][]; arrivals: { body: string; at: number }[]; elapsed: number }>((resolve) =>
        worker.once('message', resolve),
      );
      // Map each alert to its incident, the incident to its first event, the event to its send time.
      const sent = new Map(r.sent);
      const firstAlert = new Map<string, number>();
      for (const a of r.arrivals) {
        const m = /#incident=([^\s]+)/.exec(a.body);
        if (m && !firstAlert.has(decodeURIComponent(m[1]))) firstAlert.set(decodeURIComponent(m[1]), a.at);
      }
      const ids = [...firstAlert.keys()];
      const rows = await service.db.query<{ incident_id: string; sid: string }>(
        `SELECT DISTINCT ON (incident_id) incident_id, source_event_id AS sid FROM events WHERE incident_id = ANY($1::text[]) ORDER BY incident_id, seq`,
        [ids],
      );
      const lat = rows.rows.map((x) => firstAlert.get(x.incident_id)! - sent.get(x.sid)!).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
      const stored = await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE $1`, [`bench-${pi}-%`]);
      const statuses = new Map(r.statuses);
      const res: LatencyResult = {
        rate,
        seconds,
        events: n,
        accepted: statuses.get(202) ?? 0,
        alerts: lat.length,
        p50: quantile(lat, 0.5),
        p99: quantile(lat, 0.99),
        max: lat[lat.length - 1] ?? NaN,
        achievedRate: n / r.elapsed,
        eventsStored: Number(stored.rows[0].n),
        errors: n - (statuses.get(202) ?? 0),
        shed: shedSince(shedBefore, await shedByReason(service.metrics)),
      };
      log(`alert latency: HTTP statuses ${JSON.stringify(r.statuses)}; shed by budget ${JSON.stringify(res.shed)}`);
      log(`alert latency: p50 ${res.p50.toFixed(1)} ms, p99 ${res.p99.toFixed(1)} ms over ${res.alerts} incidents; ${res.eventsStored}/${n} events stored`);
      if (!warmup) results.push(res);
      else log(`alert latency: the start's scheduled jobs caught up ${((await waitForCatchUp(url, token)) / 1000).toFixed(1)} s after the warm-up (not measured)`);
    }
  } finally {
    worker.postMessage({ kind: 'stop' });
    await app.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
