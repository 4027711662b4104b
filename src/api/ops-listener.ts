/**
 * The operations listener: `GET /healthz` and `GET /metrics` on a listening socket of their own,
 * in a thread of their own (api/ops-worker.ts), without the API's framework, routes or admission
 * control.
 *
 * Why: libuv (Node 20) accepts one connection per listening socket per turn of the event loop,
 * and under an overload a turn of the serving thread takes tens of milliseconds (a group commit, a
 * slice of validation, a few hundred sockets read). When a load balancer opens a few hundred
 * connections at once they wait in the API port's accept queue for seconds, and a liveness probe
 * that opens a new connection waits behind all of them: measured, 225 connections queued, about 30
 * accepted a second, a probe accepted 4 s after its handshake (docs/performance.md, "One accept
 * per turn"). A socket of its own in the serving thread still waits for that thread's turns (up to
 * 209 ms measured); in a thread of its own a probe is answered at once.
 *
 * What /healthz says there: the serving thread checks the store every CHECK_EVERY_MS and posts the
 * result; the answer is 200 while the last check succeeded and is younger than HEALTH_TIMEOUT_MS,
 * 503 otherwise. So a serving thread that is stuck, or a store that stopped answering, is
 * unhealthy within about two seconds, without the probe itself waiting for either.
 *
 * `vigil serve --role worker` answers on it alone; the API roles open it when VIGIL_OPS_PORT is set
 * (their API port keeps both routes too).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Service } from '../service.js';
import { pingStore } from '../store/health.js';
import type { MetricsAccess } from './http-limits.js';
import type { FromOpsWorker, OpsWorkerData, ToOpsWorker } from './ops-worker.js';
import { HEALTH_TIMEOUT_MS } from './routes/ops.js';

/** How often the serving thread checks the store for the listener (ms). */
export const CHECK_EVERY_MS = 250;

const WORKER_FILE = fileURLToPath(new URL('../../dist/api/ops-worker.js', import.meta.url));

export interface OpsListener {
  url: string;
  close(): Promise<void>;
}

/** Opens the operations listener on `port` (0: any free port) of `host`. */
export async function listenOps(service: Service, p: { port: number; host: string; metrics: MetricsAccess; role: string }): Promise<OpsListener> {
  if (!existsSync(WORKER_FILE)) throw new Error(`the operations listener is not built (${WORKER_FILE} is missing); run \`npm run build\``);
  const data: OpsWorkerData = {
    port: p.port,
    host: p.host,
    role: p.role,
    store: service.db.kind,
    metrics: p.metrics.mode,
    ...(p.metrics.mode === 'token' ? { tokenDigest: createHash('sha256').update(p.metrics.token).digest('hex') } : {}),
    staleMs: HEALTH_TIMEOUT_MS,
    metricsTimeoutMs: 5_000,
  };
  const worker = new Worker(WORKER_FILE, { workerData: data });
  const send = (m: ToOpsWorker) => worker.postMessage(m);
  // The store check: one at a time, its result posted to the listener's thread.
  let checking = false;
  let closed = false;
  const check = async () => {
    if (checking || closed) return;
    checking = true;
    try {
      await pingStore(service.db);
      if (!closed) send({ kind: 'check', ok: true, at: Date.now() });
    } catch (e) {
      service.log.warn({ err: e }, 'health check: store did not answer');
      if (!closed) send({ kind: 'check', ok: false, at: Date.now() });
    } finally {
      checking = false;
    }
  };
  worker.on('message', (m: FromOpsWorker) => {
    if (m.kind !== 'metrics') return;
    const registry = service.metrics.registry;
    registry.metrics().then(
      (text) => send({ kind: 'metrics', id: m.id, ok: true, type: registry.contentType, text }),
      () => send({ kind: 'metrics', id: m.id, ok: false }),
    );
  });
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (m: FromOpsWorker) => {
      if (m.kind === 'listening') done(() => resolve(m.port));
      else if (m.kind === 'failed') done(() => reject(Object.assign(new Error(`the operations port ${p.host}:${p.port}: ${m.message}`), m.code ? { code: m.code } : {})));
    };
    const onError = (e: Error) => done(() => reject(e));
    const done = (f: () => void) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      f();
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
  }).catch(async (e: unknown) => {
    await worker.terminate();
    throw e;
  });
  // The first answer already knows the store (or, if the store does not answer in time, says so).
  await Promise.race([check(), new Promise((r) => setTimeout(r, HEALTH_TIMEOUT_MS).unref())]);
  const timer = setInterval(() => void check(), CHECK_EVERY_MS);
  timer.unref();
  worker.unref();
  return {
    url: `http://${p.host.includes(':') ? `[${p.host}]` : p.host}:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      send({ kind: 'close' });
      // The thread ends once its server has closed; a stuck one is stopped.
      const stuck = setTimeout(() => void worker.terminate(), 2_000);
      await gone;
      clearTimeout(stuck);
    },
  };
}

/** Closes the listener and every connection on it. */
export async function closeOps(ops: OpsListener): Promise<void> {
  await ops.close();
}
