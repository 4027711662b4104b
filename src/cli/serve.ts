/**
 * `vigil serve` (what `npm start` runs): the API, the workflow runner and, with the demo
 * configuration, the live simulator, in one process on the embedded store by default.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { roleParts } from './serve-role.js';
import type { Config } from '../config/schema.js';
import { httpLimitsFromEnv } from '../api/http-limits.js';
import { closeOps, listenOps } from '../api/ops-listener.js';
import { buildServer } from '../api/server.js';
import { DemoReceivers } from '../demo/demo-mode.js';
import { createLogger } from '../ops/log.js';
import { createMetrics } from '../ops/metrics.js';
import { issueSetupCode } from '../api/user-accounts.js';
import { createService, serveBackground } from '../service.js';
import { LiveSimulator } from '../sim/live.js';
import { applyHeapMode } from '../ops/heap.js';
import { acquireStore, ensurePrivateDir } from '../store/lock.js';
import { resolveConfig, resolveStore, UsageError } from './common.js';
import { setupLinkLine } from './user.js';

export interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
  demo?: boolean;
  seed?: string;
  /** api | worker | all (default): see serve-role.ts. */
  role?: string;
}

/** Runs the service until SIGINT/SIGTERM. */
export async function serveCommand(opts: ServeOptions): Promise<void> {
  const port = Number(opts.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`serve: --port expects 0-65535, got ${opts.port}`);
  const host = opts.host ?? process.env.HOST ?? '127.0.0.1';
  // Before anything is allocated: how V8 sizes the heap (ops/heap.ts).
  applyHeapMode(process.env);
  const { config, demo } = resolveConfig(opts.config);
  const runDemo = opts.demo ?? demo;
  const store = resolveStore();
  const parts = roleParts(opts.role, store.databaseUrl !== undefined);
  if (!parts.api) return serveWorker(opts, port, host, parts.role);
  // Timeouts, the ingest admission budget and /metrics access (checked before anything starts).
  const limits = httpLimitsFromEnv(process.env);
  const log = createLogger();
  const lock = store.databaseUrl ? undefined : acquireStore(store.dataDir, { command: 'serve' });
  // The bundled demo's SMS credentials are public; the webhook that takes SMS replies must not be
  // forgeable with them, so each data directory gets its own.
  if (demo) useDemoSecrets(config, store.dataDir);
  if (process.env.VIGIL_PUBLIC_URL && !config.publicUrlConfigured) config.publicUrl = process.env.VIGIL_PUBLIC_URL;
  // The bundled demo delivers its alerts for real, to receivers of its own on loopback (free
  // ports; the demo config is pointed at them before the service builds its providers).
  const receivers = demo ? await DemoReceivers.start(config, { dataDir: store.dataDir }) : undefined;
  const generated = !process.env.VIGIL_ADMIN_TOKEN;
  const adminToken = process.env.VIGIL_ADMIN_TOKEN ?? randomBytes(18).toString('base64url');
  // Fault injection for the crash tests only: die the moment a provider accepted an SMS, before it is recorded.
  const killAfterSms = process.env.VIGIL_FAULT_KILL_AFTER_SMS_ACCEPT === '1';
  // The receivers' sockets would keep a failed start alive: they go if the service cannot start.
  const service = await createService({
    config,
    ...store,
    adminToken,
    log,
    metrics: createMetrics(true),
    startRunner: parts.runner,
    startDelivery: parts.delivery,
    background: serveBackground(config),
    ...(killAfterSms ? { dispatcher: { afterSmsAccepted: () => process.kill(process.pid, 'SIGKILL') } } : {}),
  }).catch(async (e: unknown) => {
    await receivers?.stop();
    throw e;
  });
  const app = await buildServer(service, { timeouts: limits.timeouts, admission: limits.admission, metrics: limits.metrics, ...(receivers ? { demo: receivers } : {}) });
  const address = await app.listen({ port, host, backlog: limits.backlog });
  const url = address.replace('[::1]', 'localhost');
  // Liveness probes on a port of their own (VIGIL_OPS_PORT): not queued behind the API's connections.
  const ops = limits.opsPort === undefined ? undefined : await listenOps(service, { port: limits.opsPort, host, metrics: limits.metrics, role: parts.role });
  // Links in alerts lead to where this server answers, unless the configuration (or
  // VIGIL_PUBLIC_URL) says where people reach it (a proxy, a public name).
  if (!config.publicUrlConfigured && !process.env.VIGIL_PUBLIC_URL) config.publicUrl = url;
  receivers?.attach(url);
  lock?.update({ url });
  const tokenLine = generated ? adminTokenLine(adminToken, store.dataDir) : '  Admin token: the value of VIGIL_ADMIN_TOKEN';
  // While no dashboard user exists, a one-time link lets the first admin choose a name and password.
  const setupCode = await issueSetupCode(service.db, service.now());
  const setupLine = setupCode ? setupLinkLine(url, setupCode, store.dataDir) : undefined;
  const sim = runDemo ? new LiveSimulator(service, Number(opts.seed ?? process.env.VIGIL_SEED ?? Date.now() % 1_000_000)) : undefined;
  await sim?.start();
  const where = service.db.kind === 'pglite' ? `embedded store in ${service.db.location}` : `PostgreSQL at ${service.db.location}`;
  process.stdout.write(
    [
      `Vigil is running on ${where}${runDemo ? ' with the demo chain and its simulator' : ''}.`,
      `  Dashboard: ${url}/`,
      `  API:       ${url}/api/v1  (OpenAPI: ${url}/openapi.json)`,
      ...(ops ? [`  Health:    ${ops.url}/healthz  Metrics: ${ops.url}/metrics  (the operations port, for probes)`] : []),
      tokenLine,
      `  Log in on the dashboard with the token, or: curl -H "Authorization: Bearer <token>" ${url}/api/v1/incidents`,
      ...(receivers
        ? [`  Demo receivers (the demo's SMS and email arrive here; see the Demo inbox tab): SMS API ${receivers.sms.url}, SMTP ${receivers.smtp.url}`]
        : []),
      ...(setupLine ? [setupLine] : []),
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    sim?.stop();
    if (ops) await closeOps(ops);
    await app.close().catch(() => undefined);
    await service.close().catch(() => undefined);
    await receivers?.stop();
    lock?.release();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

/**
 * How the generated admin token reaches the person who started the server: on a terminal it is
 * printed; otherwise (output collected by a log system, a service manager) it goes to a file only
 * its owner can read, and the output names the file instead.
 */
export function adminTokenLine(token: string, dataDir: string, terminal = process.stdout.isTTY === true): string {
  if (terminal) return `  Admin token (new for this run; set VIGIL_ADMIN_TOKEN to choose your own): ${token}`;
  ensurePrivateDir(dataDir);
  const file = join(dataDir, 'admin-token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return `  Admin token (new for this run; set VIGIL_ADMIN_TOKEN to choose your own): in ${file} (readable by this user only)`;
}

/**
 * Gives the demo configuration SMS credentials of its own, kept in the data directory
 * (demo-secrets.json, owner-only): the same across restarts, different for every data directory.
 */
export function useDemoSecrets(config: Config, dataDir: string): void {
  const sms = config.notify.sms as { authToken?: string } | undefined;
  if (!sms) return;
  ensurePrivateDir(dataDir);
  const file = join(dataDir, 'demo-secrets.json');
  let secrets: { smsAuthToken?: string } = {};
  if (existsSync(file)) {
    try {
      secrets = JSON.parse(readFileSync(file, 'utf8')) as { smsAuthToken?: string };
    } catch {
      secrets = {};
    }
  }
  if (typeof secrets.smsAuthToken !== 'string' || secrets.smsAuthToken.length < 16) {
    secrets = { smsAuthToken: randomBytes(24).toString('base64url') };
    writeFileSync(file, `${JSON.stringify(secrets)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  sms.authToken = secrets.smsAuthToken;
}

/** `serve --role worker`: the runner, scheduler, dispatchers, monitors and sources; /healthz and /metrics on the port. */
async function serveWorker(opts: ServeOptions, port: number, host: string, role: string): Promise<void> {
  const { config } = resolveConfig(opts.config);
  const store = resolveStore();
  const limits = httpLimitsFromEnv(process.env);
  const log = createLogger();
  if (process.env.VIGIL_PUBLIC_URL && !config.publicUrlConfigured) config.publicUrl = process.env.VIGIL_PUBLIC_URL;
  const killAfterSms = process.env.VIGIL_FAULT_KILL_AFTER_SMS_ACCEPT === '1';
  const service = await createService({
    config,
    ...store,
    log,
    metrics: createMetrics(true),
    startRunner: true,
    startDelivery: true,
    background: serveBackground(config),
    ...(killAfterSms ? { dispatcher: { afterSmsAccepted: () => process.kill(process.pid, 'SIGKILL') } } : {}),
  });
  const ops = await listenOps(service, { port, host, metrics: limits.metrics, role });
  process.stdout.write(`Vigil ${role} is running on PostgreSQL at ${service.db.location}.\n  Health: ${ops.url}/healthz  Metrics: ${ops.url}/metrics\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await closeOps(ops);
    await service.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
