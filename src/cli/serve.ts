/**
 * `vigil serve` (what `npm start` runs): the API, the workflow runner and, with the demo
 * configuration, the live simulator, in one process on the embedded store by default.
 */
import { randomBytes } from 'node:crypto';
import { httpLimitsFromEnv } from '../api/http-limits.js';
import { buildServer } from '../api/server.js';
import { createLogger } from '../ops/log.js';
import { createMetrics } from '../ops/metrics.js';
import { createService } from '../service.js';
import { LiveSimulator } from '../sim/live.js';
import { acquireStore } from '../store/lock.js';
import { resolveConfig, resolveStore, UsageError } from './common.js';

export interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
  demo?: boolean;
  seed?: string;
}

/** Runs the service until SIGINT/SIGTERM. */
export async function serveCommand(opts: ServeOptions): Promise<void> {
  const port = Number(opts.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`serve: --port expects 0-65535, got ${opts.port}`);
  const host = opts.host ?? process.env.HOST ?? '127.0.0.1';
  const { config, demo } = resolveConfig(opts.config);
  const runDemo = opts.demo ?? demo;
  const store = resolveStore();
  // Timeouts, the ingest admission budget and /metrics access (checked before anything starts).
  const limits = httpLimitsFromEnv(process.env);
  const log = createLogger();
  const lock = store.databaseUrl ? undefined : acquireStore(store.dataDir, { command: 'serve' });
  const generated = !process.env.VIGIL_ADMIN_TOKEN;
  const adminToken = process.env.VIGIL_ADMIN_TOKEN ?? randomBytes(18).toString('base64url');
  // Fault injection for the crash tests only: die the moment a provider accepted an SMS, before it is recorded.
  const killAfterSms = process.env.VIGIL_FAULT_KILL_AFTER_SMS_ACCEPT === '1';
  const service = await createService({
    config,
    ...store,
    adminToken,
    log,
    metrics: createMetrics(true),
    startRunner: true,
    startDelivery: true,
    ...(killAfterSms ? { dispatcher: { afterSmsAccepted: () => process.kill(process.pid, 'SIGKILL') } } : {}),
  });
  const app = await buildServer(service, { timeouts: limits.timeouts, admission: limits.admission, metrics: limits.metrics });
  const address = await app.listen({ port, host });
  const url = address.replace('[::1]', 'localhost');
  lock?.update({ url });
  const sim = runDemo ? new LiveSimulator(service, Number(opts.seed ?? process.env.VIGIL_SEED ?? Date.now() % 1_000_000)) : undefined;
  await sim?.start();
  const where = service.db.kind === 'pglite' ? `embedded store in ${service.db.location}` : `PostgreSQL at ${service.db.location}`;
  process.stdout.write(
    [
      `Vigil is running on ${where}${runDemo ? ' with the demo chain and its simulator' : ''}.`,
      `  Dashboard: ${url}/`,
      `  API:       ${url}/api/v1  (OpenAPI: ${url}/openapi.json)`,
      generated
        ? `  Admin token (new for this run; set VIGIL_ADMIN_TOKEN to choose your own): ${adminToken}`
        : '  Admin token: the value of VIGIL_ADMIN_TOKEN',
      `  Log in on the dashboard with the token, or: curl -H "Authorization: Bearer <token>" ${url}/api/v1/incidents`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    sim?.stop();
    await app.close().catch(() => undefined);
    await service.close().catch(() => undefined);
    lock?.release();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
