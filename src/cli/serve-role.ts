/**
 * `vigil serve --role api|worker|all`: which parts of the service a process runs. `all` (the
 * default) is one process with everything; on a PostgreSQL server the roles can run apart, any
 * number of each sharing one database (docs/deployment.md):
 *
 * - `api`: the HTTP API and dashboard. Ingest still commits each event and runs the inline steps
 *   (assessment, the emergency-SMS decision) in its transaction; delivering what was decided and
 *   the later steps are the workers', woken by a notification when the transaction commits.
 * - `worker`: the workflow runner, the scheduler, the dispatchers, the monitors and the live
 *   sources; no API. Its port answers only `GET /healthz` and `GET /metrics` (for a load balancer's
 *   or an orchestrator's checks and for Prometheus).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { MetricsAccess } from '../api/http-limits.js';
import type { Service } from '../service.js';
import { pingStore } from '../store/health.js';
import { UsageError } from './common.js';

export type ServeRole = 'api' | 'worker' | 'all';

/** What a role starts. */
export interface RoleParts {
  role: ServeRole;
  api: boolean;
  runner: boolean;
  delivery: boolean;
}

/** Parses --role; only `all` on the embedded store, which one process owns. */
export function roleParts(role: string | undefined, onServer: boolean): RoleParts {
  const r = role ?? 'all';
  if (r !== 'api' && r !== 'worker' && r !== 'all') throw new UsageError(`serve: --role expects api, worker or all, got ${role}`);
  if (r !== 'all' && !onServer)
    throw new UsageError(`serve: --role ${r} needs a PostgreSQL server (DATABASE_URL); the embedded store belongs to one process, which runs every role (--role all, the default)`);
  return { role: r, api: r !== 'worker', runner: r !== 'api', delivery: r !== 'api' };
}

/** A worker's port: `GET /healthz` (200 when the store answers, 503 otherwise) and `GET /metrics`. */
export async function listenWorkerOps(service: Service, p: { port: number; host: string; metrics: MetricsAccess }): Promise<{ url: string; server: Server }> {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expected = p.metrics.mode === 'token' ? digest(p.metrics.token) : undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => res.writeHead(code, { 'content-type': type }).end(body);
    if (req.method === 'GET' && path === '/healthz') {
      const timer = setTimeout(() => send(503, 'application/json', JSON.stringify({ status: 'unavailable', store: service.db.kind, error: 'the store did not answer' })), 2000);
      pingStore(service.db).then(
        () => {
          clearTimeout(timer);
          if (!res.headersSent) send(200, 'application/json', JSON.stringify({ status: 'ok', store: service.db.kind, role: 'worker' }));
        },
        () => {
          clearTimeout(timer);
          if (!res.headersSent) send(503, 'application/json', JSON.stringify({ status: 'unavailable', store: service.db.kind, error: 'the store did not answer' }));
        },
      );
      return;
    }
    if (req.method === 'GET' && path === '/metrics' && p.metrics.mode !== 'off') {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (expected && (!m || !timingSafeEqual(digest(m[1]), expected))) {
        send(401, 'application/json', JSON.stringify({ error: { code: 'unauthorized', message: 'a valid metrics token is required (Authorization: Bearer <VIGIL_METRICS_TOKEN>)', details: [] } }));
        return;
      }
      service.metrics.registry.metrics().then(
        (text) => send(200, service.metrics.registry.contentType, text),
        () => send(500, 'text/plain', 'metrics unavailable\n'),
      );
      return;
    }
    send(404, 'application/json', JSON.stringify({ error: { code: 'not_found', message: `${req.method} ${path}: a worker answers only GET /healthz and GET /metrics`, details: [] } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p.port, p.host, () => resolve());
  });
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : p.port;
  return { url: `http://${p.host.includes(':') ? `[${p.host}]` : p.host}:${port}`, server };
}
