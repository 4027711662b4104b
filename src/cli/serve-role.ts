/**
 * `vigil serve --role api|worker|all`: which parts of the service a process runs. `all` (the
 * default) is one process with everything; on a PostgreSQL server the roles can run apart, any
 * number of each sharing one database (docs/deployment.md):
 *
 * - `api`: the HTTP API and dashboard. Ingest still commits each event and runs the inline steps
 *   (assessment, the emergency-SMS decision) in its transaction; delivering what was decided and
 *   the later steps are the workers', woken by a notification when the transaction commits.
 * - `worker`: the workflow runner, the scheduler, the dispatchers, the monitors and the live
 *   sources; no API. Its port answers only `GET /healthz` and `GET /metrics` (api/ops-listener.ts:
 *   for a load balancer's or an orchestrator's checks and for Prometheus).
 */
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
