/**
 * The Vigil service: one store, one configuration, the ingest pipeline and the workflow runner,
 * wired together. The HTTP server, the CLI and the tests all start from here.
 */
import { createHash } from 'node:crypto';
import type { Config } from './config/schema.js';
import { buildChain, type Chain } from './domain/chain.js';
import { IngestPipeline, type IngestOptions, type IngestResult } from './ingest/pipeline.js';
import { createLogger, type Logger } from './ops/log.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { openDb, type Db } from './store/db.js';
import { incidentSteps } from './workflow/incident-response.js';
import { WorkflowRunner } from './workflow/runner.js';

export interface ServiceOptions {
  config: Config;
  /** PostgreSQL server URL; the embedded store otherwise. */
  databaseUrl?: string;
  /** Embedded store directory (`memory://` for tests). */
  dataDir?: string;
  /** A token that is always a valid admin token (VIGIL_ADMIN_TOKEN). */
  adminToken?: string;
  log?: Logger;
  metrics?: Metrics;
  now?: () => Date;
  /** Start the workflow runner's polling loop (the server does; one-shot CLI commands drain instead). */
  startRunner?: boolean;
  ingest?: Pick<IngestOptions, 'failAssessment'>;
}

export interface Service {
  db: Db;
  config: Config;
  chain: Chain;
  pipeline: IngestPipeline;
  runner: WorkflowRunner;
  metrics: Metrics;
  log: Logger;
  adminTokenHash?: string;
  now(): Date;
  /** Listeners told about committed ingests (live stream, tests). */
  onIngest: Set<(r: IngestResult) => void>;
  close(): Promise<void>;
}

/** SHA-256 of a token, hex; tokens are stored and compared only as hashes. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Opens the store, syncs the configured registry into it and wires the pipeline and runner. */
export async function createService(opts: ServiceOptions): Promise<Service> {
  const log = opts.log ?? createLogger();
  const metrics = opts.metrics ?? createMetrics(false);
  const now = opts.now ?? (() => new Date());
  const db = await openDb({ url: opts.databaseUrl, dataDir: opts.dataDir });
  const chain = buildChain(opts.config);
  await syncRegistry(db, opts.config);
  const onIngest = new Set<(r: IngestResult) => void>();
  const policy = opts.config.policy;
  const runner = new WorkflowRunner(db, {
    steps: incidentSteps(chain),
    maxAttempts: policy.workflow.maxAttempts,
    backoffBaseMs: policy.workflow.backoffBaseMs,
    backoffMaxMs: policy.workflow.backoffMaxMs,
    metrics,
    log,
    now,
  });
  const pipeline = new IngestPipeline(db, chain, {
    metrics,
    now,
    ...opts.ingest,
    onCommitted: (r) => {
      if (r.incidentsOpened.length > 0 || r.incidentsUpdated.length > 0) runner.kick();
      for (const l of onIngest) l(r);
    },
  });
  if (opts.startRunner) runner.start();
  return {
    db,
    config: opts.config,
    chain,
    pipeline,
    runner,
    metrics,
    log,
    ...(opts.adminToken ? { adminTokenHash: hashToken(opts.adminToken) } : {}),
    now,
    onIngest,
    async close() {
      await runner.stop();
      await db.close();
    },
  };
}

/**
 * Copies the configured assets into the store's registry. Configuration owns name, value, zone and
 * vulnerability; the store owns status (changed by the workflow), which a sync never resets.
 */
export async function syncRegistry(db: Db, config: Config): Promise<void> {
  const assets = config.sites.flatMap((s) =>
    s.assets.map((a) => ({
      id: a.id,
      site: s.id,
      zone: a.zone,
      name: a.name,
      category: a.category,
      value: a.value,
      currency: config.organization.currency,
      vulnerability: a.vulnerability,
      sensitive_data: a.sensitiveData,
      position: a.position ?? null,
      status: a.status,
    })),
  );
  if (assets.length === 0) return;
  await db.query(
    `INSERT INTO assets (id, site, zone, name, category, value, currency, vulnerability, sensitive_data, position, status)
     SELECT id, site, zone, name, category, value, currency, vulnerability, sensitive_data, position, status
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, site text, zone text, name text, category text, value numeric, currency text,
            vulnerability real, sensitive_data boolean, position jsonb, status text)
     ON CONFLICT (id) DO UPDATE SET site = EXCLUDED.site, zone = EXCLUDED.zone, name = EXCLUDED.name, category = EXCLUDED.category,
       value = EXCLUDED.value, currency = EXCLUDED.currency, vulnerability = EXCLUDED.vulnerability,
       sensitive_data = EXCLUDED.sensitive_data, position = EXCLUDED.position, updated_at = now()`,
    [JSON.stringify(assets)],
  );
}
