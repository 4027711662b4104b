/**
 * `vigil bench --postgres`: scale-out on a PostgreSQL server, measured with real processes. One
 * `vigil serve --role api` and first 1, then 2 `vigil serve --role worker` share a fresh database
 * (created for the run, dropped after it); a load generator in this process posts one event per
 * request at a fixed rate (open loop; one in CRITICAL_EVERY a forced door that opens a new critical
 * incident) and a Twilio-compatible receiver here notes each SMS. Measured per phase: the ingest
 * rate the API achieved, detection to SMS (POST start to the incident's first SMS), how long the
 * workers took to finish every workflow step of the incidents (the work that scales with workers),
 * and the duplicates: SMS per incident per recipient beyond the first. A last phase kills one of
 * two workers with SIGKILL in the middle of the load and checks that every event is stored, every
 * incident alerted, and nobody alerted twice.
 *
 * The same cluster pieces (startCluster, the receiver) drive test/scale-out.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { inventChain } from '../sim/invent-chain.js';

export const CRITICAL_EVERY = 50;
/** New critical incidents offered at once to measure the workers' capacity. */
export const BURST = 100;
const BIN = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));
const SID = 'ACscaleout';
const AUTH = 'scaleout-token';

/** One SMS as the receiver took it. */
export interface ReceivedSms {
  sid: string;
  to: string;
  body: string;
  at: number;
  dateCreated: string;
}

/** A Twilio-compatible SMS API on 127.0.0.1 (send and list, as the dispatcher uses them). */
export class SmsReceiver {
  readonly messages: ReceivedSms[] = [];
  url = '';
  private server?: Server;

  async start(): Promise<this> {
    const read = (req: IncomingMessage) =>
      new Promise<string>((resolve) => {
        let b = '';
        req.on('data', (c) => (b += c));
        req.on('end', () => resolve(b));
      });
    const auth = 'Basic ' + Buffer.from(`${SID}:${AUTH}`).toString('base64');
    this.server = createServer(async (req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (u.pathname !== `/2010-04-01/Accounts/${SID}/Messages.json`) return json(404, { code: 20404, message: 'not found' });
      if (req.headers.authorization !== auth) return json(401, { code: 20003, message: 'Authenticate' });
      if (req.method === 'POST') {
        const f = new URLSearchParams(await read(req));
        const m: ReceivedSms = { sid: `SM${randomBytes(16).toString('hex')}`, to: f.get('To') ?? '', body: f.get('Body') ?? '', at: performance.now(), dateCreated: new Date().toISOString() };
        this.messages.push(m);
        return json(201, { sid: m.sid, to: m.to, body: m.body, status: 'queued', date_created: m.dateCreated });
      }
      if (req.method === 'GET') {
        const to = u.searchParams.get('To');
        const since = u.searchParams.get('DateSent>') ?? u.searchParams.get('DateSent>=');
        const items = this.messages.filter((m) => (!to || m.to === to) && (!since || m.dateCreated.slice(0, 10) >= since));
        return json(200, { messages: items.map((m) => ({ sid: m.sid, to: m.to, body: m.body, date_sent: m.dateCreated, status: 'delivered' })) });
      }
      json(405, { message: 'method not allowed' });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** SMS per (incident, recipient), from the `#incident=` link in each body. */
  perIncidentRecipient(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.messages) {
      const id = /#incident=([^\s]+)/.exec(m.body)?.[1];
      if (!id) continue;
      const k = `${decodeURIComponent(id)}|${m.to}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return counts;
  }

  /** SMS beyond the first per incident per recipient. */
  duplicates(): number {
    let d = 0;
    for (const n of this.perIncidentRecipient().values()) d += n - 1;
    return d;
  }

  /** Messages with the same recipient and text as an earlier one (any SMS, incident link or not). */
  repeats(): number {
    const seen = new Set<string>();
    let r = 0;
    for (const m of this.messages) {
      const k = `${m.to}\u0000${m.body}`;
      if (seen.has(k)) r++;
      seen.add(k);
    }
    return r;
  }

  /** The first SMS arrival per incident. */
  firstPerIncident(): Map<string, number> {
    const first = new Map<string, number>();
    for (const m of this.messages) {
      const id = /#incident=([^\s]+)/.exec(m.body)?.[1];
      if (id && !first.has(decodeURIComponent(id))) first.set(decodeURIComponent(id), m.at);
    }
    return first;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** A database made for one run on the server at `url` (dropped by `drop`). */
export async function freshDatabase(url: string, prefix = 'vigil_scaleout'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A `vigil serve --role ...` child process. */
export interface RoleProcess {
  role: 'api' | 'worker' | 'all';
  url: string;
  child: ChildProcess;
  output(): string;
  /** Stops it (SIGTERM, or SIGKILL for a crash) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function spawnRole(role: 'api' | 'worker' | 'all', configFile: string, env: Record<string, string>, timeoutMs = 90_000): Promise<RoleProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--role', role, '--port', '0', '--config', configFile], {
    env: { ...process.env, VIGIL_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pattern = role !== 'worker' ? /Dashboard: (http:\/\/[^/\s]+)\// : /Health: (http:\/\/[^/\s]+)\/healthz/;
  return new Promise<RoleProcess>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vigil serve --role ${role} did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = pattern.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({
        role,
        url: m[1],
        child,
        output: () => out,
        async stop(signal: NodeJS.Signals = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
      });
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vigil serve --role ${role} exited with ${code} before it started:\n${out}`));
    });
  });
}

/** An API process and workers on one database, with the SMS receiver they alert through. */
export interface Cluster {
  api: RoleProcess;
  workers: RoleProcess[];
  token: string;
  receiver: SmsReceiver;
  databaseUrl: string;
  sites: { id: string; zone: string; open: string; badge?: string }[];
  /** A direct connection to the cluster's database (for counting). */
  db: pg.Pool;
  stop(): Promise<void>;
}

/** Starts a fresh database, the receiver, one API process and `workers` worker processes. */
export async function startCluster(p: { serverUrl: string; workers: number; sites?: number; apiRole?: 'api' | 'all'; workerEnv?: (i: number) => Record<string, string> }): Promise<Cluster> {
  const database = await freshDatabase(p.serverUrl);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scaleout-'));
  const receiver = await new SmsReceiver().start();
  const doc = inventChain(p.sites ?? 50, 3) as Record<string, unknown>;
  doc.notify = { sms: { provider: 'twilio', baseUrl: receiver.url, accountSid: SID, authToken: AUTH, from: '+15550009999' }, webhooks: [] };
  doc.policy = { notify: { rateLimit: { perRecipient: 1_000_000, windowMinutes: 15 } } };
  const configFile = join(dir, 'chain.json');
  writeFileSync(configFile, JSON.stringify(doc));
  const token = randomBytes(18).toString('base64url');
  // One data directory for all: the transparency log's signing key is made by the first process and read by the others.
  const env = { DATABASE_URL: database.url, VIGIL_ADMIN_TOKEN: token, VIGIL_DATA_DIR: join(dir, 'data') };
  const started: RoleProcess[] = [];
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  const cleanup = async () => {
    await Promise.all(started.map((s) => s.stop('SIGTERM')));
    await db.end().catch(() => undefined);
    await receiver.stop();
    await database.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // The API first: it migrates the fresh database and makes the signing key.
    const api = await spawnRole(p.apiRole ?? 'api', configFile, env);
    started.push(api);
    const workers: RoleProcess[] = [];
    for (const w of await Promise.all(Array.from({ length: p.workers }, (_, i) => spawnRole('worker', configFile, { ...env, ...p.workerEnv?.(i) })))) {
      started.push(w);
      workers.push(w);
    }
    const sites = (doc.sites as { id: string; zones: { id: string; restricted?: boolean }[]; personnel?: { badge?: string }[] }[]).map((s) => ({
      id: s.id,
      zone: s.zones.find((z) => z.restricted)!.id,
      open: s.zones.find((z) => !z.restricted)!.id,
      ...(s.personnel?.[0]?.badge ? { badge: s.personnel[0].badge } : {}),
    }));
    return { api, workers, token, receiver, databaseUrl: database.url, sites, db, stop: cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The events of a load: one forced door in CRITICAL_EVERY (a new critical incident each), badge swipes otherwise. */
export function loadEvents(cluster: Pick<Cluster, 'sites'>, tag: string, n: number, criticalFrom = 0, criticalEvery = CRITICAL_EVERY): { id: string; critical: boolean; body: string }[] {
  let critical = criticalFrom;
  const sites = cluster.sites;
  return Array.from({ length: n }, (_, i) => {
    const id = `${tag}-${i}`;
    if (i % criticalEvery === 0) {
      const k = critical++;
      const s = sites[k % sites.length];
      const at = new Date(Date.parse('2026-01-05T07:00:00Z') + Math.floor(k / sites.length) * 20 * 60_000).toISOString();
      return { id, critical: true, body: JSON.stringify({ source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: at, site: s.id, zone: s.zone }) };
    }
    const s = sites[i % sites.length];
    const at = new Date(Date.parse('2026-01-05T15:00:00Z') + i * 1000).toISOString();
    return { id, critical: false, body: JSON.stringify({ source: 'access_control', type: 'access_granted', sourceEventId: id, occurredAt: at, site: s.id, zone: s.open, ...(s.badge ? { badge: s.badge } : {}) }) };
  });
}

/** Posts the events open loop at `rate` per second; returns each one's send time and the HTTP statuses. */
export async function offer(cluster: Pick<Cluster, 'api' | 'token'>, events: readonly { id: string; body: string }[], rate: number, during?: { atFraction: number; run: () => void }): Promise<{ sent: Map<string, number>; acked: Map<string, number>; statuses: Map<number, number>; elapsedMs: number }> {
  const sent = new Map<string, number>();
  const acked = new Map<string, number>();
  const statuses = new Map<number, number>();
  const url = `${cluster.api.url}/api/v1/events`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${cluster.token}` };
  const started = performance.now();
  const pending: Promise<void>[] = [];
  let fired = false;
  for (let i = 0; i < events.length; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (during && !fired && i >= events.length * during.atFraction) {
      fired = true;
      during.run();
    }
    const e = events[i];
    sent.set(e.id, performance.now());
    pending.push(
      (async () => {
        // A refused or failed request is retried (as a client with an outbox would): the event must arrive once.
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            const res = await fetch(url, { method: 'POST', headers, body: e.body });
            await res.arrayBuffer();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status === 202) acked.set(e.id, performance.now());
            if (res.status === 202 || res.status === 200 || (res.status >= 400 && res.status < 500 && res.status !== 429)) return;
          } catch {
            statuses.set(0, (statuses.get(0) ?? 0) + 1);
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      })(),
    );
  }
  await Promise.all(pending);
  return { sent, acked, statuses, elapsedMs: performance.now() - started };
}

/** Waits until every critical incident of the tag was alerted and all their workflow steps are finished (or the deadline passes). */
export async function settle(cluster: Cluster, tag: string, criticals: number, deadlineMs: number): Promise<{ settledMs: number; incidents: number; openSteps: number }> {
  const started = performance.now();
  for (;;) {
    const r = await cluster.db.query<{ incidents: number; open: number }>(
      `SELECT (SELECT count(DISTINCT incident_id)::int FROM events WHERE source_event_id LIKE $1 AND incident_id IS NOT NULL) AS incidents,
              (SELECT count(*)::int FROM workflow_steps w WHERE w.status IN ('pending', 'running') AND w.next_run_at <= now()
                  AND w.incident_id IN (SELECT incident_id FROM events WHERE source_event_id LIKE $1 AND incident_id IS NOT NULL)) AS open`,
      [`${tag}-%`],
    );
    const { incidents, open } = r.rows[0];
    const alerted = [...cluster.receiver.firstPerIncident().keys()].length;
    if ((incidents >= criticals && open === 0 && alerted >= criticals) || performance.now() - started > deadlineMs)
      return { settledMs: performance.now() - started, incidents, openSteps: open };
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ScaleOutPhase {
  /** The first process's role: `all` is the one-process baseline (no workers). */
  apiRole: 'api' | 'all';
  workers: number;
  killed: boolean;
  rate: number;
  seconds: number;
  events: number;
  stored: number;
  achievedRate: number;
  incidents: number;
  alerted: number;
  p50: number;
  p99: number;
  max: number;
  /** From the 202 (the commit) to the incident's first SMS: what handing delivery to another process adds. */
  commitToSmsP50: number;
  commitToSmsP99: number;
  /** Requests answered 503 (shed by admission control; the load generator retried them). */
  shed: number;
  /** From the end of the load until every step of the phase's incidents finished. */
  drainMs: number;
  /** The workers' capacity: a burst of BURST new critical incidents at once, steps finished per second until all were done. */
  stepsPerSec: number;
  burstMs: number;
  /** SMS with the same text to the same recipient as an earlier one (the same alert delivered twice), over the load and the burst. */
  duplicates: number;
  /** Most SMS one recipient got about one incident (an alert and, e.g., a management notice are two). */
  perIncidentRecipientMax: number;
  openSteps: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** One phase on a fresh cluster: load, wait for the workers to finish, measure; optionally SIGKILL one worker halfway. */
export async function runPhase(p: { serverUrl: string; workers: number; apiRole?: 'api' | 'all'; rate: number; seconds: number; kill?: boolean; log: (s: string) => void }): Promise<ScaleOutPhase> {
  const apiRole = p.apiRole ?? 'api';
  const cluster = await startCluster({ serverUrl: p.serverUrl, workers: p.workers, apiRole });
  try {
    const tag = `so-${apiRole}-${p.workers}${p.kill ? 'k' : ''}`;
    // An unreported warm-up (JIT, connection pools, caches), as a server that has been up would be.
    const warm = loadEvents(cluster, `${tag}-w`, p.rate * 2, 100_000);
    await offer(cluster, warm, p.rate);
    await settle(cluster, `${tag}-w`, warm.filter((e) => e.critical).length, 60_000);
    cluster.receiver.messages.length = 0;
    const n = Math.round(p.rate * p.seconds);
    const events = loadEvents(cluster, `${tag}-m`, n);
    const criticals = events.filter((e) => e.critical).length;
    p.log(`scale-out: ${apiRole === 'all' ? 'one --role all process (baseline)' : `${p.workers} worker${p.workers === 1 ? '' : 's'}`}${p.kill ? ', one killed halfway' : ''}: ${p.rate} events/s for ${p.seconds} s (${n} events, ${criticals} critical)`);
    const started = performance.now();
    const r = await offer(cluster, events, p.rate, p.kill ? { atFraction: 0.5, run: () => void cluster.workers[0].stop('SIGKILL') } : undefined);
    // A killed worker's claims come free when their leases run out (the runner's 60 s, the dispatcher's 30 s).
    const s = await settle(cluster, `${tag}-m`, criticals, p.kill ? 180_000 : 120_000);
    const totalMs = performance.now() - started;
    const first = cluster.receiver.firstPerIncident();
    const firstEvent = await cluster.db.query<{ incident_id: string; sid: string }>(
      `SELECT DISTINCT ON (incident_id) incident_id, source_event_id AS sid FROM events WHERE source_event_id LIKE $1 AND incident_id IS NOT NULL ORDER BY incident_id, seq`,
      [`${tag}-m-%`],
    );
    const lat = firstEvent.rows.map((x) => (first.get(x.incident_id) ?? NaN) - (r.sent.get(x.sid) ?? NaN)).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    const afterCommit = firstEvent.rows.map((x) => (first.get(x.incident_id) ?? NaN) - (r.acked.get(x.sid) ?? NaN)).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    const counts = await cluster.db.query<{ stored: number }>(`SELECT count(*)::int AS stored FROM events WHERE source_event_id LIKE $1`, [`${tag}-m-%`]);
    // The workers' capacity: BURST new critical incidents offered at once (every event a forced door).
    const before = await cluster.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM workflow_steps WHERE status IN ('done', 'skipped', 'failed')`);
    const burst = loadEvents(cluster, `${tag}-b`, BURST, 200_000, 1);
    const burstStarted = performance.now();
    await offer(cluster, burst, 1000);
    const b = await settle(cluster, `${tag}-b`, BURST, 120_000);
    const burstMs = performance.now() - burstStarted;
    const after = await cluster.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM workflow_steps WHERE status IN ('done', 'skipped', 'failed')`);
    const res: ScaleOutPhase = {
      apiRole,
      workers: p.workers,
      killed: p.kill === true,
      rate: p.rate,
      seconds: p.seconds,
      events: n,
      stored: counts.rows[0].stored,
      achievedRate: n / (r.elapsedMs / 1000),
      incidents: s.incidents,
      alerted: lat.length,
      p50: quantile(lat, 0.5),
      p99: quantile(lat, 0.99),
      max: lat[lat.length - 1] ?? NaN,
      commitToSmsP50: quantile(afterCommit, 0.5),
      commitToSmsP99: quantile(afterCommit, 0.99),
      shed: r.statuses.get(503) ?? 0,
      drainMs: Math.max(0, totalMs - r.elapsedMs),
      stepsPerSec: (after.rows[0].n - before.rows[0].n) / (burstMs / 1000),
      burstMs,
      duplicates: cluster.receiver.repeats(),
      perIncidentRecipientMax: Math.max(0, ...cluster.receiver.perIncidentRecipient().values()),
      openSteps: s.openSteps + b.openSteps,
    };
    p.log(
      `scale-out: HTTP ${JSON.stringify([...r.statuses])}; ${res.stored}/${n} stored at ${res.achievedRate.toFixed(0)}/s; ${res.alerted}/${criticals} alerted, p50 ${res.p50.toFixed(1)} ms, p99 ${res.p99.toFixed(1)} ms (202 to SMS p50 ${res.commitToSmsP50.toFixed(1)}, p99 ${res.commitToSmsP99.toFixed(1)} ms); drained ${(res.drainMs / 1000).toFixed(1)} s after the load; burst of ${BURST} incidents done in ${(res.burstMs / 1000).toFixed(1)} s, ${res.stepsPerSec.toFixed(1)} steps/s; ${res.duplicates} duplicate SMS; ${res.openSteps} steps still open`,
    );
    return res;
  } finally {
    await cluster.stop();
  }
}

/** The whole benchmark: the one-process baseline, 1 worker, 2 workers, 2 workers with one killed. */
export async function benchScaleOut(p: { serverUrl: string; rate: number; seconds: number; log: (s: string) => void }): Promise<ScaleOutPhase[]> {
  const out: ScaleOutPhase[] = [];
  for (const [apiRole, workers, kill] of [
    ['all', 0, false],
    ['api', 1, false],
    ['api', 2, false],
    ['api', 2, true],
  ] as const)
    out.push(await runPhase({ serverUrl: p.serverUrl, apiRole, workers, rate: p.rate, seconds: p.seconds, kill, log: p.log }));
  return out;
}

/** The PostgreSQL scale-out section of BENCHMARKS.md: a table of the phases, the speed-up, the duplicates, and how. */
export function scaleOutSection(phases: readonly ScaleOutPhase[], command: string): string[] {
  const base = phases.find((x) => x.apiRole === 'all');
  const one = phases.find((x) => x.workers === 1 && !x.killed);
  const two = phases.find((x) => x.workers === 2 && !x.killed);
  const killed = phases.find((x) => x.killed);
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');
  const row = (x: ScaleOutPhase) =>
    `| ${x.apiRole === 'all' ? 'none: one `--role all` process (baseline)' : `1 api + ${x.workers} worker${x.workers === 1 ? '' : 's'}${x.killed ? ' (one killed with SIGKILL halfway)' : ''}`} | ${f(x.rate)}/s for ${x.seconds} s | ${f(x.achievedRate)} events/s, ${f(x.stored)}/${f(x.events)} stored, ${f(x.shed)} answers 503 (retried) | ${f(x.p50, 1)} / ${f(x.p99, 1)} / ${f(x.max, 1)} ms (${f(x.alerted)}/${f(x.incidents)} incidents) | ${f(x.commitToSmsP50, 1)} / ${f(x.commitToSmsP99, 1)} ms | ${f(x.stepsPerSec, 1)} steps/s (burst of ${BURST} done in ${f(x.burstMs / 1000, 1)} s); load done ${f(x.drainMs / 1000, 1)} s after it ended | ${x.duplicates} |`;
  const speedUp = one && two ? two.stepsPerSec / one.stepsPerSec : NaN;
  const latencyRatio = one && two ? one.p99 / two.p99 : NaN;
  const ok = (x?: ScaleOutPhase) => !!x && x.duplicates === 0 && x.stored === x.events && x.alerted === x.incidents && x.openSteps === 0;
  return [
    '## Scale-out on PostgreSQL',
    '',
    `Measured by \`${command}\`: one \`vigil serve\` (\`--role all\`) process as the baseline, then one \`vigil serve --role api\` with 1, then 2 \`vigil serve --role worker\` processes, on a fresh PostgreSQL database each (${cpus().length} cores shared by all of them, the load generator and the SMS receiver, and by PostgreSQL itself).`,
    '',
    '| processes | offered | ingest (API) | detection to SMS p50 / p99 / max | 202 to SMS p50 / p99 | workflow throughput | duplicate SMS |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...phases.map(row),
    '',
    `- Speed-up from 1 to 2 workers: ${f(speedUp, 2)}x in workflow throughput (steps finished per second while a burst of ${BURST} new critical incidents is worked off), ${f(latencyRatio, 2)}x in detection-to-SMS p99. What handing delivery to a worker adds (202 to SMS, p50): ${base && one ? `${f(one.commitToSmsP50 - base.commitToSmsP50, 1)} ms over the one-process baseline` : 'n/a'}. Duplicate SMS: ${phases.map((x) => x.duplicates).join(', ')} (${phases.every((x) => x.duplicates === 0) ? 'none, as required' : 'NOT zero'}).`,
    `- Kill -9 of one of two workers halfway through the load: ${killed ? (ok(killed) ? 'every event stored, every incident alerted, every step finished by the surviving worker once the killed one\'s leases ran out, nobody alerted twice' : `NOT clean: ${killed.stored}/${killed.events} stored, ${killed.alerted}/${killed.incidents} alerted, ${killed.openSteps} steps open, ${killed.duplicates} duplicates`) : 'not run'}.`,
    `- How: the load generator posts one event per request at the offered rate (open loop) to the API process; one event in ${CRITICAL_EVERY} is a forced door that opens a new critical incident (SMS to two people), the rest are badge swipes. The API process commits each event, runs the inline steps (the assessment and the emergency-SMS decision) in that transaction and wakes the workers with a PostgreSQL notification at commit; a worker's dispatcher sends the SMS to a Twilio-compatible receiver in the load generator's process, which notes the arrival. Detection to SMS is from the start of the POST to the incident's first SMS; each phase starts with an unreported two-second warm-up and ends with the burst, after the load's figures were taken. Duplicates are SMS with the same text to the same recipient as an earlier one (the same alert twice), counted at the receiver over the load and the burst. With two cores for everything, a second worker adds no CPU: what it shows is that the work is shared safely, not more speed (docs/deployment.md).`,
    '',
  ];
}
