/**
 * The operations listener's thread (api/ops-listener.ts starts it): a plain Node HTTP server on a
 * port of its own, with an event loop of its own, so a probe is accepted and answered at once
 * however long the serving thread's turns are. It answers `GET /healthz` from the serving
 * thread's last store check (posted every few hundred ms) and asks that thread for `GET /metrics`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

/** What the listener is started with. */
export interface OpsWorkerData {
  port: number;
  host: string;
  role: string;
  store: string;
  metrics: 'on' | 'off' | 'token';
  /** sha256 of the metrics token, hex (metrics: 'token'). */
  tokenDigest?: string;
  /** A store check older than this (ms) means the store is not answering. */
  staleMs: number;
  /** How long a /metrics request waits for the serving thread (ms). */
  metricsTimeoutMs: number;
}

/** Messages from the serving thread. */
export type ToOpsWorker =
  | { kind: 'check'; ok: boolean; at: number }
  | { kind: 'metrics'; id: number; ok: boolean; type?: string; text?: string }
  | { kind: 'close' };

/** Messages to the serving thread. */
export type FromOpsWorker = { kind: 'listening'; port: number } | { kind: 'failed'; message: string; code?: string } | { kind: 'metrics'; id: number } | { kind: 'closed' };

const port = parentPort!;
const cfg = workerData as OpsWorkerData;
const post = (m: FromOpsWorker) => port.postMessage(m);
const expected = cfg.tokenDigest ? Buffer.from(cfg.tokenDigest, 'hex') : undefined;
const digest = (s: string) => createHash('sha256').update(s).digest();

/** The serving thread's last store check: when, and whether the store answered. */
let last: { ok: boolean; at: number } | undefined;
let nextId = 1;
const waiting = new Map<number, (m: Extract<ToOpsWorker, { kind: 'metrics' }> | undefined) => void>();

const errorBody = (code: string, message: string) => JSON.stringify({ error: { code, message, details: [] } });

const server = createServer({ headersTimeout: 5_000, requestTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  const send = (code: number, type: string, body: string) => {
    if (!res.headersSent) res.writeHead(code, { 'content-type': type }).end(body);
  };
  const json = 'application/json; charset=utf-8';
  if (req.method === 'GET' && path === '/healthz') {
    const age = last ? Date.now() - last.at : Infinity;
    if (last?.ok && age <= cfg.staleMs) send(200, json, JSON.stringify({ status: 'ok', store: cfg.store, role: cfg.role, checkedMsAgo: Math.max(0, age) }));
    else send(503, json, JSON.stringify({ status: 'unavailable', store: cfg.store, error: 'the store did not answer' }));
    return;
  }
  if (req.method === 'GET' && path === '/metrics' && cfg.metrics !== 'off') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    // Compared as digests: constant time whatever the length of what was sent.
    if (expected && (!m || !timingSafeEqual(digest(m[1]), expected))) {
      send(401, json, errorBody('unauthorized', 'a valid metrics token is required (Authorization: Bearer <VIGIL_METRICS_TOKEN>)'));
      return;
    }
    const id = nextId++;
    const timer = setTimeout(() => waiting.get(id)?.(undefined), cfg.metricsTimeoutMs);
    waiting.set(id, (r) => {
      clearTimeout(timer);
      waiting.delete(id);
      if (r?.ok && r.text !== undefined) send(200, r.type ?? 'text/plain', r.text);
      else send(503, json, errorBody('retryable', 'metrics could not be collected in time; try again'));
    });
    post({ kind: 'metrics', id });
    return;
  }
  send(404, json, errorBody('not_found', `${req.method} ${path}: this port answers only GET /healthz${cfg.metrics !== 'off' ? ' and GET /metrics' : ''}`));
});

port.on('message', (m: ToOpsWorker) => {
  if (m.kind === 'check') last = { ok: m.ok, at: m.at };
  else if (m.kind === 'metrics') waiting.get(m.id)?.(m);
  else {
    server.closeAllConnections();
    server.close(() => {
      post({ kind: 'closed' });
      port.close();
    });
  }
});

server.once('error', (e: NodeJS.ErrnoException) => post({ kind: 'failed', message: e.message, ...(e.code ? { code: e.code } : {}) }));
server.listen(cfg.port, cfg.host, () => {
  const a = server.address();
  post({ kind: 'listening', port: typeof a === 'object' && a ? a.port : cfg.port });
});
