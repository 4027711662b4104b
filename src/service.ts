/**
 * The Vigil service: one store, one configuration, the ingest pipeline and the workflow runner,
 * wired together. The HTTP server, the CLI and the tests all start from here.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Dispatcher, providersFromConfig, type DispatcherOptions, type Providers } from './channels/dispatcher.js';
import type { Config } from './config/schema.js';
import { buildOrgModel, type OrgModel } from './domain/site-model.js';
import { IngestPipeline, type IngestOptions, type IngestResult } from './ingest/pipeline.js';
import { createLogger, type Logger } from './ops/log.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { openDb, type Db } from './store/db.js';
import { incidentSteps } from './workflow/step-registry.js';
import { ResponseMonitor } from './workflow/response-monitor.js';
import { WorkflowRunner } from './workflow/runner.js';

/** Live changes the dashboard stream and webhooks hear about. */
export interface LiveEvent {
  kind: 'incident.opened' | 'incident.updated' | 'notification.updated' | 'patrol.updated' | 'step.finished';
  incidentId?: string;
  data: Record<string, unknown>;
}

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
  /** Delivery providers (tests pass their own; default: from the configuration). */
  providers?: Providers;
  /** Start the dispatcher and the response monitor loops (the server does). */
  startDelivery?: boolean;
  dispatcher?: Pick<DispatcherOptions, 'afterSmsAccepted' | 'random' | 'leaseMs'>;
}

export interface Service {
  db: Db;
  config: Config;
  org: OrgModel;
  pipeline: IngestPipeline;
  runner: WorkflowRunner;
  metrics: Metrics;
  log: Logger;
  adminTokenHash?: string;
  now(): Date;
  dispatcher: Dispatcher;
  monitor: ResponseMonitor;
  /** Live changes (SSE stream); emits 'change' with a LiveEvent. */
  bus: EventEmitter;
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
  const org = buildOrgModel(opts.config);
  await syncRegistry(db, opts.config);
  const onIngest = new Set<(r: IngestResult) => void>();
  const policy = opts.config.policy;
  const bus = new EventEmitter();
  bus.setMaxListeners(1000);
  const emit = (e: LiveEvent) => bus.emit('change', e);
  const dispatcher = new Dispatcher(db, opts.config, opts.providers ?? providersFromConfig(opts.config), {
    now,
    log,
    ...opts.dispatcher,
    onChange: (n) => emit({ kind: 'notification.updated', incidentId: n.incidentId, data: n }),
  });
  const monitor = new ResponseMonitor(db, org, opts.config, { now, log, onQueued: () => dispatcher.kick() });
  const steps = incidentSteps(org);
  const runner = new WorkflowRunner(db, {
    steps,
    maxAttempts: policy.workflow.maxAttempts,
    backoffBaseMs: policy.workflow.backoffBaseMs,
    backoffMaxMs: policy.workflow.backoffMaxMs,
    metrics,
    log,
    now,
    onStepFinished: (incidentId, step, status) => {
      if (step === 'send-emergency-sms' || step === 'notify-management' || step === 'assign-guard-patrol') dispatcher.kick();
      emit({ kind: 'step.finished', incidentId, data: { step, status } });
    },
  });
  const pipeline = new IngestPipeline(db, org, {
    metrics,
    now,
    inlineStep: steps.find((s) => s.id === 'send-emergency-sms'),
    // Only a process that delivers takes the SMS it decides straight to the provider.
    ...(opts.startDelivery ? { claimFor: { workerId: dispatcher.workerId, leaseMs: 30_000 } } : {}),
    ...opts.ingest,
    onCommitted: (r) => {
      if (r.claimed && r.claimed.length > 0) void dispatcher.deliverClaimed(r.claimed).catch((e) => log.error({ err: (e as Error).message }, 'immediate delivery failed'));
      if (r.incidentsOpened.length > 0 || r.incidentsUpdated.length > 0) runner.kick();
      for (const id of r.incidentsOpened) emit({ kind: 'incident.opened', incidentId: id, data: {} });
      for (const id of r.incidentsUpdated) emit({ kind: 'incident.updated', incidentId: id, data: {} });
      for (const l of onIngest) l(r);
    },
  });
  // On the embedded store this is the only process: a step left running is an orphan of a crash.
  if (opts.startRunner && db.kind === 'pglite') await runner.releaseOrphans();
  if (opts.startRunner) runner.start();
  if (opts.startDelivery) {
    // On the embedded store this is the only process: a notification left `sending` is an orphan
    // of a crash and is settled (reconciled with the provider) right away.
    if (db.kind === 'pglite') await dispatcher.releaseOrphans();
    dispatcher.start();
    monitor.start();
  }
  return {
    db,
    config: opts.config,
    org,
    pipeline,
    runner,
    metrics,
    log,
    ...(opts.adminToken ? { adminTokenHash: hashToken(opts.adminToken) } : {}),
    now,
    dispatcher,
    monitor,
    bus,
    onIngest,
    async close() {
      monitor.stop();
      await runner.stop();
      await dispatcher.stop();
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
  const guards = config.sites.flatMap((s) =>
    s.guards.map((g) => ({ id: g.id, site: s.id, name: g.name, phone: g.phone, position: g.position ?? null, on_shift: g.onShift, shift: g.shift ?? null })),
  );
  if (guards.length > 0) {
    // Identity and shift come from configuration; live position, availability and status are kept.
    await db.query(
      `INSERT INTO guards (id, site, name, phone, position, on_shift, shift)
       SELECT id, site, name, phone, position, on_shift, shift
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, site text, name text, phone text, position jsonb, on_shift boolean, shift jsonb)
       ON CONFLICT (id) DO UPDATE SET site = EXCLUDED.site, name = EXCLUDED.name, phone = EXCLUDED.phone, shift = EXCLUDED.shift,
         position = coalesce(guards.position, EXCLUDED.position), updated_at = now()`,
      [JSON.stringify(guards)],
    );
  }
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
