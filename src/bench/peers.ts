/**
 * `vigil bench --peers`: Vigil against Node-RED 4.1.15 running the same triage flow, the same
 * open-loop load, in one run on one machine.
 *
 * Node-RED is installed at bench time with npm into a folder under the OS temp directory
 * (NODE_RED_CACHE, reused by later runs; never into the project's dependencies). Each run writes
 * a fresh user directory with a settings file and the flow (src/bench/peer-flow.ts), and starts
 * `node red.js` as a child process on a free port. Vigil runs as `vigil serve` in its own process
 * on a fresh embedded store. Both alert the same Twilio-compatible receiver, in the thread of the
 * load generator of the detection-to-alert benchmark (alert-load-worker.ts), which posts one
 * event per request at a fixed rate whatever the answers: one in CRITICAL_EVERY a forced door
 * that opens a new critical incident, the rest badge swipes.
 *
 * For each rate both sides get the same events in turn (Vigil, then Node-RED); HTTP latency is
 * from the send to the answer, detection to SMS from the send to the first SMS of that event's
 * incident (Vigil: read back from the API; Node-RED: the event's id is in the SMS text), memory
 * the peak resident size of each server's process sampled during the phase (VmRSS every 100 ms)
 * and its lifetime peak (VmHWM). Then the knee: the offered rate is doubled from KNEE_START until
 * each side's p99 (HTTP or detection to SMS) passes KNEE_MS, at most KNEE_STEPS steps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseConfig } from '../config/loader.js';
import { shedSince } from '../ops/metrics.js';
import { inventChain } from '../sim/invent-chain.js';
import { CRITICAL_EVERY, quantile } from './alert-latency.js';
import { buildPeerFlows, peerSettings } from './peer-flow.js';
import { waitForCatchUp } from './catch-up.js';
import { freePort } from '../ops/free-port.js';

export const NODE_RED_VERSION = '4.1.15';
/** Where Node-RED is installed and kept between runs. */
export const NODE_RED_CACHE = join(tmpdir(), `vigil-bench-node-red-${NODE_RED_VERSION}`);
/** The p99 that marks the knee (ms). */
export const KNEE_MS = 100;
const BIN = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));
const SID = 'ACpeers';
const AUTH = 'peers-token';
const FROM = '+15550009999';

/** The plan of a run: the compared rates, the knee's steps, the phases' lengths. */
export interface PeersPlan {
  rates: number[];
  seconds: number;
  warmupSeconds: number;
  kneeRates: number[];
  kneeSeconds: number;
}

/** The plan for `--quick` (a smoke run) or a full run. */
export function peersPlan(quick: boolean): PeersPlan {
  const kneeRates = [200, 400, 800, 1600, 3200, 6400];
  return quick ? { rates: [200, 1000], seconds: 5, warmupSeconds: 2, kneeRates: kneeRates.slice(0, 5), kneeSeconds: 3 } : { rates: [200, 1000], seconds: 30, warmupSeconds: 5, kneeRates, kneeSeconds: 10 };
}

export type PeerName = 'vigil' | 'node-red';

/** One side at one offered rate. */
export interface PeerPhase {
  peer: PeerName;
  rate: number;
  seconds: number;
  events: number;
  accepted: number;
  /** Requests not answered 202 (other statuses and failures). */
  errors: number;
  httpP50: number;
  httpP99: number;
  /** Incidents whose first SMS arrived (one per forced door). */
  alerts: number;
  criticals: number;
  smsP50: number;
  smsP99: number;
  smsMax: number;
  /** Peak VmRSS sampled during the phase, and the process's VmHWM at its end (bytes). */
  rssPeak: number;
  hwm: number;
  achievedRate: number;
  /** Vigil's refusals (503) in the phase by admission budget, from its /metrics; empty for Node-RED. */
  shed: Record<string, number>;
}

export interface PeersResult {
  plan: PeersPlan;
  phases: PeerPhase[];
  knee: PeerPhase[];
  /** The first offered rate at which p99 passed KNEE_MS, per side and measure (undefined: not within the steps). */
  knees: Record<PeerName, { http?: number; sms?: number; lastRate: number }>;
  machine: { cores: number; cpu: string; node: string };
  installSeconds: number;
  cached: boolean;
}

/** Reads a `Vm*` line of /proc/PID/status in bytes (NaN when gone). */
function procBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU time of a process so far (ms), from /proc/PID/stat (utime + stime, at the usual 100 ticks a second); NaN when gone. */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/**
 * Waits until a server has finished what a phase left it (a backlog of accepted events, alerts
 * still to send): its process under a fifth of a core over half a second, at most `maxMs`. So
 * the next phase, of the other side or the next rate, does not share the machine with it.
 */
async function settleCpu(pid: number, maxMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const a = cpuMs(pid);
    await new Promise((r) => setTimeout(r, 500));
    const b = cpuMs(pid);
    if (!Number.isFinite(b) || b - a < 100 || performance.now() - started > maxMs) return performance.now() - started;
  }
}

function run(cmd: string, args: string[], log: (s: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) log(`npm: ${line.trim()}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

/** Installs Node-RED into NODE_RED_CACHE unless it is there already; returns its red.js. */
export async function installNodeRed(log: (s: string) => void, dir = NODE_RED_CACHE): Promise<{ redJs: string; seconds: number; cached: boolean }> {
  const redJs = join(dir, 'node_modules', 'node-red', 'red.js');
  const pkg = join(dir, 'node_modules', 'node-red', 'package.json');
  if (existsSync(redJs) && existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version === NODE_RED_VERSION) {
    log(`peers: Node-RED ${NODE_RED_VERSION} already installed in ${dir} (delete the folder to install it again)`);
    return { redJs, seconds: 0, cached: true };
  }
  mkdirSync(dir, { recursive: true });
  log(`peers: installing Node-RED ${NODE_RED_VERSION} into ${dir} with npm (once; later runs reuse it)`);
  const t0 = performance.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', '--loglevel', 'http', `node-red@${NODE_RED_VERSION}`], log);
  if (!existsSync(redJs)) throw new Error(`npm install finished but ${redJs} is missing`);
  const seconds = (performance.now() - t0) / 1000;
  log(`peers: Node-RED installed in ${seconds.toFixed(0)} s`);
  return { redJs, seconds, cached: false };
}

interface Server {
  peer: PeerName;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns a server process and waits until `ready(output)` gives its base URL. */
function spawnServer(peer: PeerName, args: string[], env: Record<string, string>, ready: (out: string) => string | undefined, timeoutMs = 120_000): Promise<Server> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${peer} did not start in ${timeoutMs} ms:\n${out.slice(-4000)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      if (out.length < 1_000_000) out += d.toString();
      const url = ready(out);
      if (!url) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve({
        peer,
        url,
        child,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(t);
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => {
      if (out.length < 1_000_000) out += d.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${peer} exited with ${code} before it was ready:\n${out.slice(-4000)}`));
    });
  });
}

/** Waits until a POST of an event to the server answers 202. */
async function waitAccepting(url: string, token: string, timeoutMs = 60_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  const body = JSON.stringify({ source: 'access_control', type: 'access_granted', sourceEventId: `ready-${randomBytes(4).toString('hex')}`, occurredAt: '2026-01-05T15:00:00Z', site: 'no-such-site' });
  for (;;) {
    try {
      const r = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
      await r.arrayBuffer();
      if (r.status === 202 || r.status === 200 || r.status === 422 || r.status === 400) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > until) throw new Error(`${url} did not accept events in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Site = { id: string; zone: string; open: string; badge?: string };

/** The events of one phase: a forced door (a new critical incident) every CRITICAL_EVERY, badge swipes otherwise. */
function phaseEvents(sites: Site[], tag: string, n: number, slot: { next: number }): { sourceEventId: string; body: string; critical: boolean }[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `${tag}-${i}`;
    if (i % CRITICAL_EVERY === 0) {
      const k = slot.next++;
      const s = sites[k % sites.length];
      // A new 20-minute slot per visit of a site: never within another incident's window.
      const at = new Date(Date.parse('2026-01-05T07:00:00Z') + Math.floor(k / sites.length) * 20 * 60_000).toISOString();
      return { sourceEventId: id, critical: true, body: JSON.stringify({ source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: at, site: s.id, zone: s.zone }) };
    }
    const s = sites[i % sites.length];
    const at = new Date(Date.parse('2026-01-05T15:00:00Z') + i * 1000).toISOString();
    return { sourceEventId: id, critical: false, body: JSON.stringify({ source: 'access_control', type: 'access_granted', sourceEventId: id, occurredAt: at, site: s.id, zone: s.open, ...(s.badge ? { badge: s.badge } : {}) }) };
  });
}

interface WorkerResult {
  sent: [string, number][];
  statuses: [number, number][];
  latencies: number[];
  arrivals: { body: string; at: number }[];
  elapsed: number;
}

/** Vigil's ingest refusals so far by admission budget, read from its /metrics (Prometheus text). */
async function scrapeShed(url: string): Promise<Record<string, number>> {
  const r = await fetch(`${url}/metrics`);
  const text = await r.text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^vigil_ingest_shed_total\{reason="(\w+)"\} (\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/** ", 503 by budget: busy 12, delay 3" (nothing when none was refused by a budget). */
function shedText(shed: Record<string, number>): string {
  const e = Object.entries(shed);
  return e.length ? `; 503 by budget: ${e.map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
}

/** Runs the benchmark: install, start both, the compared rates, the knee. */
export async function benchPeers(plan: PeersPlan, log: (s: string) => void): Promise<PeersResult> {
  const install = await installNodeRed(log);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-peers-'));
  const worker = new Worker(new URL('./alert-load-worker.js', import.meta.url));
  const servers: Server[] = [];
  try {
    const receiverUrl = await new Promise<string>((resolve) => worker.once('message', (m: { receiverUrl: string }) => resolve(m.receiverUrl)));
    const doc = inventChain(200, 3) as Record<string, unknown>;
    doc.notify = { sms: { provider: 'twilio', baseUrl: receiverUrl, accountSid: SID, authToken: AUTH, from: FROM }, webhooks: [] };
    doc.policy = { notify: { rateLimit: { perRecipient: 1_000_000, windowMinutes: 15 } } };
    const config = parseConfig(doc);
    const configFile = join(dir, 'chain.json');
    writeFileSync(configFile, JSON.stringify(doc));
    const token = randomBytes(18).toString('base64url');

    // Vigil: `vigil serve` on a fresh embedded store.
    log('peers: starting vigil serve on a fresh embedded store');
    const vigil = await spawnServer('vigil', [BIN, 'serve', '--port', '0', '--config', configFile], { VIGIL_DATA_DIR: join(dir, 'vigil-data'), VIGIL_ADMIN_TOKEN: token, VIGIL_LOG_LEVEL: 'warn' }, (out) => /Dashboard: (http:\/\/[^/\s]+)\//.exec(out)?.[1]);
    servers.push(vigil);
    await waitAccepting(vigil.url, token);

    // Node-RED: a fresh user directory with the settings and the flow.
    const userDir = join(dir, 'node-red');
    mkdirSync(userDir, { recursive: true });
    const port = await freePort();
    writeFileSync(join(userDir, 'settings.js'), peerSettings({ userDir, port }));
    writeFileSync(join(userDir, 'flows.json'), JSON.stringify(buildPeerFlows(config, { smsBaseUrl: receiverUrl, accountSid: SID, authToken: AUTH, from: FROM }), null, 2));
    log(`peers: starting Node-RED ${NODE_RED_VERSION} on 127.0.0.1:${port}`);
    const nodeRed = await spawnServer('node-red', [install.redJs, '--settings', join(userDir, 'settings.js'), '--userDir', userDir, '--port', String(port)], {}, (out) => (/Started flows/.test(out) ? `http://127.0.0.1:${port}` : undefined));
    servers.push(nodeRed);
    await waitAccepting(nodeRed.url, token);

    const sites: Site[] = config.sites.map((s) => ({ id: s.id, zone: s.zones.find((z) => z.restricted)!.id, open: s.zones.find((z) => !z.restricted)!.id, badge: s.personnel[0]?.badge }));
    const slot = { next: 0 };
    let phaseNo = 0;

    const runPhase = async (server: Server, rate: number, seconds: number): Promise<PeerPhase> => {
      const tag = `peers-${phaseNo++}-${server.peer}`;
      const events = phaseEvents(sites, tag, Math.round(rate * seconds), slot);
      const criticals = events.filter((e) => e.critical).length;
      const pid = server.child.pid!;
      let rssPeak = procBytes(pid, 'VmRSS');
      const sampler = setInterval(() => {
        const v = procBytes(pid, 'VmRSS');
        if (v > rssPeak) rssPeak = v;
      }, 100);
      const shedBefore = server.peer === 'vigil' ? await scrapeShed(server.url) : {};
      worker.postMessage({ kind: 'run', url: server.url, token, phase: { rate, seconds, events: events.map(({ sourceEventId, body }) => ({ sourceEventId, body })) } });
      const r = await new Promise<WorkerResult>((resolve) => worker.once('message', resolve));
      const shed = server.peer === 'vigil' ? shedSince(shedBefore, await scrapeShed(server.url)) : {};
      // The process's peak is part of the phase, the wait for it to go idle is not.
      const settledMs = await settleCpu(pid, 60_000);
      clearInterval(sampler);
      worker.postMessage({ kind: 'arrivals' });
      r.arrivals.push(...(await new Promise<{ arrivals: WorkerResult['arrivals'] }>((resolve) => worker.once('message', resolve))).arrivals);
      const sent = new Map(r.sent);
      const first = new Map<string, number>();
      for (const a of r.arrivals) {
        const m = /#incident=([^\s]+)/.exec(a.body);
        if (m && !first.has(decodeURIComponent(m[1]))) first.set(decodeURIComponent(m[1]), a.at);
      }
      // Each first SMS back to the event that opened its incident.
      const lat: number[] = [];
      if (server.peer === 'node-red') {
        for (const [id, at] of first) if (sent.has(id)) lat.push(at - sent.get(id)!);
      } else {
        const ids = [...first.keys()];
        for (let i = 0; i < ids.length; i += 16) {
          await Promise.all(
            ids.slice(i, i + 16).map(async (id) => {
              const res = await fetch(`${server.url}/api/v1/incidents/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } });
              if (res.status !== 200) return void (await res.arrayBuffer());
              const d = (await res.json()) as { events?: { sourceEventId?: string }[] };
              const sid = d.events?.find((e) => e.sourceEventId?.startsWith(`${tag}-`))?.sourceEventId;
              if (sid && sent.has(sid)) lat.push(first.get(id)! - sent.get(sid)!);
            }),
          );
        }
      }
      lat.sort((a, b) => a - b);
      const http = [...r.latencies].sort((a, b) => a - b);
      const statuses = new Map(r.statuses);
      const res: PeerPhase = {
        peer: server.peer,
        rate,
        seconds,
        events: events.length,
        accepted: statuses.get(202) ?? 0,
        errors: events.length - (statuses.get(202) ?? 0),
        httpP50: quantile(http, 0.5),
        httpP99: quantile(http, 0.99),
        alerts: lat.length,
        criticals,
        smsP50: quantile(lat, 0.5),
        smsP99: quantile(lat, 0.99),
        smsMax: lat[lat.length - 1] ?? NaN,
        rssPeak,
        hwm: procBytes(pid, 'VmHWM'),
        achievedRate: events.length / r.elapsed,
        shed,
      };
      log(
        `peers: ${server.peer} at ${rate}/s for ${seconds} s: HTTP p50 ${res.httpP50.toFixed(1)} / p99 ${res.httpP99.toFixed(1)} ms; SMS p50 ${res.smsP50.toFixed(1)} / p99 ${res.smsP99.toFixed(1)} / max ${res.smsMax.toFixed(1)} ms (${res.alerts}/${criticals} alerted); ` +
          `statuses ${JSON.stringify(r.statuses)}${Object.keys(shed).length ? ` (503 by budget ${JSON.stringify(shed)})` : ''}; RSS peak ${(res.rssPeak / 2 ** 20).toFixed(0)} MiB; idle again ${(settledMs / 1000).toFixed(1)} s after the load`,
      );
      return res;
    };

    // Warm-up (JIT, caches, connection pools), not reported.
    for (const s of servers) {
      log(`peers: warm-up of ${s.peer} (${plan.warmupSeconds} s at ${plan.rates[0]}/s, not reported)`);
      await runPhase(s, plan.rates[0], plan.warmupSeconds);
      if (s.peer === 'vigil') log(`peers: vigil's start-up scheduled jobs caught up ${((await waitForCatchUp(s.url, token)) / 1000).toFixed(1)} s after its warm-up (not measured)`);
    }
    const phases: PeerPhase[] = [];
    for (const rate of plan.rates) for (const s of servers) phases.push(await runPhase(s, rate, plan.seconds));

    // The knee: double the offered rate until p99 passes KNEE_MS (both measures), per side.
    const knee: PeerPhase[] = [];
    const knees = {} as PeersResult['knees'];
    for (const s of servers) {
      const k: PeersResult['knees'][PeerName] = { lastRate: 0 };
      for (const rate of plan.kneeRates) {
        const p = await runPhase(s, rate, plan.kneeSeconds);
        knee.push(p);
        k.lastRate = rate;
        const lost = p.alerts < p.criticals || p.errors > 0;
        if (k.http === undefined && (p.httpP99 > KNEE_MS || p.errors > 0)) k.http = rate;
        if (k.sms === undefined && (p.smsP99 > KNEE_MS || lost)) k.sms = rate;
        if (k.http !== undefined && k.sms !== undefined) break;
      }
      knees[s.peer] = k;
    }
    return { plan, phases, knee, knees, machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown CPU', node: process.version }, installSeconds: install.seconds, cached: install.cached };
  } finally {
    worker.postMessage({ kind: 'stop' });
    for (const s of servers.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1)) : '-');
const n0 = (x: number) => x.toLocaleString('en-US');
const mib = (b: number) => (Number.isFinite(b) ? `${Math.round(b / 2 ** 20).toLocaleString('en-US')} MiB` : '-');
const ratio = (v: number, n: number) => (Number.isFinite(v) && Number.isFinite(n) && n > 0 ? `${(v / n).toFixed(2)}x` : '-');

/** The heading of the section in BENCHMARKS.md (`vigil bench --peers` replaces from it to the next `## `). */
export const PEERS_HEADING = `## Vigil against Node-RED ${NODE_RED_VERSION} (same load, same run)`;

/** The BENCHMARKS.md section of a run. */
export function peersSection(r: PeersResult, command: string): string[] {
  const first = r.plan.kneeRates[0];
  const at = (rate: number | undefined, last: number) =>
    rate === undefined ? `not within the steps (still under at ${last.toLocaleString('en-US')}/s)` : rate === first ? `${rate.toLocaleString('en-US')}/s, already the first step` : `${rate.toLocaleString('en-US')}/s`;
  const kneeText = (k: PeersResult['knees'][PeerName]) => `HTTP p99 past ${KNEE_MS} ms at ${at(k.http, k.lastRate)}; detection to SMS p99 past ${KNEE_MS} ms at ${at(k.sms, k.lastRate)}`;
  const lines = [
    PEERS_HEADING,
    '',
    `Measured by \`${command}\` on ${new Date().toISOString().slice(0, 10)}: ${r.machine.cores} cores (${r.machine.cpu}), Node.js ${r.machine.node}, both servers and the load generator on the same machine (timings on a shared machine are noisy). Ratio is Vigil / Node-RED (below 1: Vigil is faster or smaller).`,
    '',
  ];
  for (const rate of r.plan.rates) {
    const v = r.phases.find((p) => p.peer === 'vigil' && p.rate === rate);
    const n = r.phases.find((p) => p.peer === 'node-red' && p.rate === rate);
    if (!v || !n) continue;
    const row = (name: string, p: PeerPhase) =>
      `| ${name} | ${ms(p.httpP50)} / ${ms(p.httpP99)} ms | ${ms(p.smsP50)} / ${ms(p.smsP99)} / ${ms(p.smsMax)} ms | ${p.alerts}/${p.criticals} | ${n0(p.accepted)}/${n0(p.events)}${p.errors > 0 ? ` (${n0(p.errors)} not 202${shedText(p.shed)})` : ''} | ${mib(p.rssPeak)} (VmHWM ${mib(p.hwm)}) |`;
    lines.push(
      `### ${rate.toLocaleString('en-US')} events/s for ${r.plan.seconds} s`,
      '',
      '| peer | HTTP p50 / p99 | detection to SMS p50 / p99 / max | alerted | 202 | peak RSS |',
      '| --- | --- | --- | --- | --- | --- |',
      row('Vigil (`vigil serve`, embedded store, every event committed)', v),
      row(`Node-RED ${NODE_RED_VERSION} (same triage flow, in memory, nothing committed)`, n),
      `| ratio Vigil / Node-RED | ${ratio(v.httpP50, n.httpP50)} / ${ratio(v.httpP99, n.httpP99)} | ${ratio(v.smsP50, n.smsP50)} / ${ratio(v.smsP99, n.smsP99)} / ${ratio(v.smsMax, n.smsMax)} | | | ${ratio(v.rssPeak, n.rssPeak)} |`,
      '',
    );
  }
  lines.push(
    `### Knee: the offered rate at which p99 passes ${KNEE_MS} ms`,
    '',
    `The offered rate doubles (${r.plan.kneeRates.map((x) => x.toLocaleString('en-US')).join(', ')} events/s, ${r.plan.kneeSeconds} s each) until both p99s pass ${KNEE_MS} ms (a phase with a request not answered 202, or a forced door not alerted, counts as past).`,
    '',
    `- Vigil: ${kneeText(r.knees.vigil)}.`,
    `- Node-RED ${NODE_RED_VERSION}: ${kneeText(r.knees['node-red'])}.`,
    '',
    '| peer | offered | achieved | HTTP p50 / p99 | detection to SMS p50 / p99 / max | alerted | 202 | peak RSS |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.knee.map(
      (p) =>
        `| ${p.peer === 'vigil' ? 'Vigil' : 'Node-RED'} | ${p.rate.toLocaleString('en-US')}/s | ${Math.round(p.achievedRate).toLocaleString('en-US')}/s | ${ms(p.httpP50)} / ${ms(p.httpP99)} ms | ${ms(p.smsP50)} / ${ms(p.smsP99)} / ${ms(p.smsMax)} ms | ${p.alerts}/${p.criticals} | ${n0(p.accepted)}/${n0(p.events)} | ${mib(p.rssPeak)} |`,
    ),
    '',
    '### What each side guarantees',
    '',
    '- **Vigil** commits every event (and the incident, its journal and its outbox rows) to the embedded store before it answers 202, and sends the SMS only after the commit that decided it: a crash after the 202 loses nothing, and an alert is never sent for something the store does not hold.',
    `- **Node-RED** keeps nothing: the event lives in the flow's memory until the reply and the SMS request are sent. A crash loses every event in flight, no SMS is retried, and nothing can be read back afterwards. Its triage is the first-event part of Vigil's severity (event rule, the zone's assets, after hours, restricted zone; no history, contagion or camera state): see \`src/bench/peer-flow.ts\`.`,
    '',
    `- How: one event per HTTP request, open loop (sent at the offered rate whatever the answers), from a load generator in a thread of the bench process, which is also the Twilio-compatible SMS receiver both sides alert (form-encoded POST, as Twilio's API); one event in ${CRITICAL_EVERY} is a forced door into a restricted zone that opens a new critical incident (two SMS: the site's security lead and rapid response), the rest badge swipes. At each rate Vigil goes first, then Node-RED, each with its own events; a ${r.plan.warmupSeconds}-second warm-up of each runs first and is not reported. Vigil is \`vigil serve\` in its own process on a fresh embedded store (the per-recipient SMS rate limit lifted); Node-RED ${NODE_RED_VERSION} runs \`red.js\` in its own process with the flow \`vigil bench --peers\` writes (HTTP in, a function node, a 202 reply, an HTTP request node; the editor disabled, the admin API on 127.0.0.1). Detection to SMS is from the send of the POST to the first SMS of its incident at the receiver; a forced door refused (not 202) or not alerted is left out of the percentiles and counted in "alerted". After each phase the bench waits (up to 60 s) until the server's process is idle again (under a fifth of a core), so the next phase does not share the machine with a backlog; SMS arriving in that wait still count. "Achieved" below the offered rate means the load generator itself could not send faster. Peak RSS is the highest VmRSS of the server's process sampled every 100 ms during the phase; VmHWM its peak since start. Node-RED was ${r.cached ? 'already installed (reused from the cache folder)' : `installed for this run in ${Math.round(r.installSeconds)} s`}.`,
    '',
  );
  return lines;
}

/** Puts the section into a BENCHMARKS.md text: replaces an earlier one (up to the next `## `), or appends it. */
export function spliceSection(md: string, section: string): string {
  const start = md.indexOf(PEERS_HEADING);
  if (start < 0) return `${md.replace(/\s*$/, '')}\n\n${section.replace(/\s*$/, '')}\n`;
  const rest = md.slice(start + PEERS_HEADING.length);
  const next = rest.search(/^## /m);
  const tail = next < 0 ? '' : rest.slice(next);
  return `${md.slice(0, start)}${section.replace(/\s*$/, '')}\n${tail ? `\n${tail}` : ''}`;
}

/** The peers section of an existing BENCHMARKS.md text (to carry it over when `vigil bench` rewrites the file), or ''. */
export function existingSection(md: string): string {
  const start = md.indexOf(PEERS_HEADING);
  if (start < 0) return '';
  const rest = md.slice(start + PEERS_HEADING.length);
  const next = rest.search(/^## /m);
  return md.slice(start, next < 0 ? undefined : start + PEERS_HEADING.length + next).replace(/\s*$/, '\n');
}
