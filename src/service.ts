/**
 * The Vigil service: one store, one configuration, the ingest pipeline and the workflow runner,
 * wired together. The HTTP server, the CLI and the tests all start from here.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { loadSigner } from './archive/keys.js';
import { sealLog } from './archive/transparency-log.js';
import { Dispatcher, providersFromConfig, type DispatcherOptions, type NotificationRow, type Providers } from './channels/dispatcher.js';
import type { Config } from './config/schema.js';
import type { CheckpointSigner } from './domain/checkpoint.js';
import { buildOrgModel, type OrgModel } from './domain/site-model.js';
import { IngestPipeline, type IngestOptions, type IngestResult } from './ingest/pipeline.js';
import { createLogger, type Logger } from './ops/log.js';
import { createMetrics, watchSources, type Metrics } from './ops/metrics.js';
import { DEFAULT_QUIET, waitForQuiet, type QuietOptions } from './ops/quiet.js';
import { FrigateSource } from './sources/live/frigate-mqtt.js';
import { natsSource } from './sources/live/nats-jetstream.js';
import { SourceRegistry } from './sources/live/source-status.js';
import { syncAssets } from './store/assets.js';
import { openDb, type Db } from './store/db.js';
import { latestCheckpoint } from './store/transparency-log.js';
import { syncGuards } from './store/guards.js';
import { ensureWeeklyRollup } from './store/weekly-reports.js';
import { ensureEventPartitions } from './store/partitions.js';
import { listenForWork, notifyWorkers, type WorkKind, type WorkListener } from './store/work-notify.js';
import { incidentSite } from './store/read/incidents.js';
import { EquipmentMonitor } from './workflow/equipment-monitor.js';
import { ALERTING_STEPS, BUILT_INCIDENT_STEPS, BUILT_SCHEDULED_JOBS } from './workflow/incident-response.js';
import { ResponseMonitor } from './workflow/response-monitor.js';
import { investigationTaskId } from './workflow/investigation-actions.js';
import { TaskMonitor } from './workflow/task-monitor.js';
import { WorkflowRunner } from './workflow/runner.js';
import { Scheduler } from './workflow/scheduler.js';
import { incidentSteps, scheduledJobs } from './workflow/step-registry.js';

/**
 * A live change as the bus carries it (the dashboard stream hears these). Every change carries the
 * site it happened at, so a site-scoped listener can be told only its own sites' changes.
 */
export interface LiveEvent {
  kind: 'incident.opened' | 'incident.updated' | 'incident.note' | 'notification.updated' | 'patrol.updated' | 'guard.updated' | 'asset.updated' | 'step.finished' | 'task.updated';
  site: string;
  incidentId?: string;
  data: Record<string, unknown>;
}

/** A change to announce: with its site, or with the incident it belongs to (the site is looked up). */
export type LiveChange = Omit<LiveEvent, 'site'> & { site?: string };

/** Most incident -> site entries the announcer remembers (an incident never changes site). */
const SITE_CACHE_MAX = 10_000;

/**
 * Announces changes on the bus in the order they were announced, each with its site: a change
 * that names only its incident waits for the incident's site (cached), and changes behind it wait
 * too, so a listener never hears an update before the opening it follows. A change whose site
 * cannot be found (the incident is gone) is not announced: nobody could be told it safely.
 */
function createAnnouncer(db: Db, bus: EventEmitter, log: Logger): (c: LiveChange) => void {
  const sites = new Map<string, string>();
  let queue: Promise<void> = Promise.resolve();
  let waiting = 0;
  const siteOf = async (incidentId: string): Promise<string | undefined> => {
    const known = sites.get(incidentId);
    if (known) return known;
    const site = await incidentSite(db, incidentId);
    if (site) {
      if (sites.size >= SITE_CACHE_MAX) sites.clear();
      sites.set(incidentId, site);
    }
    return site;
  };
  return (c) => {
    if (c.site && c.incidentId && !sites.has(c.incidentId)) {
      // A change that names both teaches the cache: later changes of the incident need no lookup.
      if (sites.size >= SITE_CACHE_MAX) sites.clear();
      sites.set(c.incidentId, c.site);
    }
    const site = c.site ?? (c.incidentId ? sites.get(c.incidentId) : undefined);
    if (site && waiting === 0) {
      bus.emit('change', { ...c, site } satisfies LiveEvent);
      return;
    }
    waiting++;
    queue = queue
      .then(async () => {
        const s = site ?? (c.incidentId ? await siteOf(c.incidentId) : undefined);
        if (s) bus.emit('change', { ...c, site: s } satisfies LiveEvent);
      })
      .catch((e) => log.debug({ err: (e as Error).message, kind: c.kind }, 'live change not announced'))
      .finally(() => {
        waiting--;
      });
  };
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
  /** Start the workflow runner's and the scheduler's loops (the server does; one-shot CLI commands drain instead). */
  startRunner?: boolean;
  ingest?: Pick<IngestOptions, 'failAssessment'>;
  /** Delivery providers (tests pass their own; default: from the configuration). */
  providers?: Providers;
  /** Start the dispatcher and the response monitor loops (the server does). */
  startDelivery?: boolean;
  dispatcher?: Pick<DispatcherOptions, 'afterSmsAccepted' | 'random' | 'leaseMs'>;
  /** The transparency log's key (tests); default: archive/keys.ts (configuration, data directory, or in memory). */
  logSigner?: CheckpointSigner;
  /**
   * Scheduled jobs give way to the foreground (vigil serve): the scheduler's first pass waits
   * `startDelayMs` after the start, and each run waits for a quiet event loop (ops/quiet.ts).
   * Absent (tests, one-shot commands): the scheduler starts at once and never waits.
   */
  background?: { startDelayMs: number; quiet: QuietOptions };
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
  /** Flags overdue tasks and notifies their assignee and the site's managers (runs with delivery). */
  taskMonitor: TaskMonitor;
  scheduler: Scheduler;
  /** The frequent device check: offline by silence, maintenance tasks (step 13). */
  equipment: EquipmentMonitor;
  /** Signs the transparency log's checkpoints; pass it to appendAuditRecord. */
  logSigner: CheckpointSigner;
  /** Live changes (SSE stream); emits 'change' with a LiveEvent. Announce through `announce`. */
  bus: EventEmitter;
  /** Announces a change a user can see in a list (on `bus`, with its site, in order). */
  announce(change: LiveChange): void;
  /** Listeners told about committed ingests (live stream, tests). */
  onIngest: Set<(r: IngestResult) => void>;
  /** Live sources (broker connections that feed events); started with the runner, stopped first on close. */
  sources: SourceRegistry;
  close(): Promise<void>;
}

/** How vigil serve's scheduled jobs give way to the foreground, from policy.schedule. */
export function serveBackground(config: Config): NonNullable<ServiceOptions['background']> {
  const { startDelaySeconds, quietWaitSeconds } = config.policy.schedule;
  return { startDelayMs: startDelaySeconds * 1000, quiet: { ...DEFAULT_QUIET, maxWaitMs: quietWaitSeconds * 1000 } };
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
  let logSigner: CheckpointSigner;
  try {
    logSigner = opts.logSigner ?? loadSigner({ ...(opts.config.archive?.signingKey ? { keyFile: opts.config.archive.signingKey } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
  } catch (e) {
    await db.close();
    throw e;
  }
  await syncRegistry(db, opts.config);
  // Audit records from before the transparency log join it, in order; an unsigned head is signed.
  await sealLog(db, logSigner, now());
  const signedBy = (await latestCheckpoint(db))?.keyId;
  if (signedBy && signedBy !== logSigner.keyId)
    log.warn({ logKey: signedBy, ownKey: logSigner.keyId }, 'the transparency log was signed with another key than this process has: give every process the same key (archive.signingKey), or vigil verify will name these checkpoints');
  // The weekly report's pre-aggregate follows the organisation's time zone (rebuilt when it changed).
  await ensureWeeklyRollup(db, opts.config.organization.timezone);
  // The event log's monthly partitions for this month and the next ones (made ahead; see store/partitions.ts).
  await ensureEventPartitions(db, now());
  const onIngest = new Set<(r: IngestResult) => void>();
  const policy = opts.config.policy;
  const bus = new EventEmitter();
  bus.setMaxListeners(1000);
  const emit = createAnnouncer(db, bus, log);
  const dispatcher = new Dispatcher(db, opts.config, opts.providers ?? providersFromConfig(opts.config), {
    now,
    log,
    ...opts.dispatcher,
    // A report email belongs to no incident and no one site: it is not announced.
    onChange: (n) => {
      if (n.incidentId) emit({ kind: 'notification.updated', incidentId: n.incidentId, data: n });
    },
  });
  const monitor = new ResponseMonitor(db, org, opts.config, { now, log, logSigner, onQueued: () => dispatcher.kick() });
  const taskMonitor = new TaskMonitor(db, org, {
    now,
    log,
    logSigner,
    onQueued: () => dispatcher.kick(),
    onOverdue: (n) => emit({ kind: 'task.updated', site: n.site, ...(n.incidentId ? { incidentId: n.incidentId } : {}), data: { id: n.task, overdue: true, notified: n.recipients } }),
    onRefreshed: (t) => emit({ kind: 'task.updated', site: t.site, ...(t.incidentId ? { incidentId: t.incidentId } : {}), data: { id: t.task, change: 'evidence' } }),
  });
  const steps = incidentSteps(org, { logSigner });
  const runner = new WorkflowRunner(db, {
    workflow: BUILT_INCIDENT_STEPS,
    steps,
    maxAttempts: policy.workflow.maxAttempts,
    backoffBaseMs: policy.workflow.backoffBaseMs,
    backoffMaxMs: policy.workflow.backoffMaxMs,
    metrics,
    log,
    now,
    onStepFinished: (incidentId, step, status) => {
      if (ALERTING_STEPS.includes(step)) dispatcher.kick();
      emit({ kind: 'step.finished', incidentId, data: { step, status } });
      if (step === 'create-investigation-task' && status === 'done') emit({ kind: 'task.updated', incidentId, data: { id: investigationTaskId(incidentId), change: 'workflow' } });
    },
  });
  const background = opts.background;
  const scheduler = new Scheduler(db, {
    listed: BUILT_SCHEDULED_JOBS,
    jobs: scheduledJobs(org, { logSigner }),
    policy,
    timezone: opts.config.organization.timezone,
    now,
    log,
    ...(background ? { giveWay: () => waitForQuiet(background.quiet) } : {}),
  });
  // Only a process that delivers takes the SMS it decides straight to the provider.
  const deliversNow = opts.startDelivery === true;
  const pipeline = new IngestPipeline(db, org, {
    metrics,
    now,
    // The workflow's fast path: the runner journals the batch's incidents and takes their inline
    // steps in the ingest transaction; the emergency SMS they decide go into the outbox already
    // claimed for this process's dispatcher and are delivered right after the commit.
    handOff: async (tx, assessed, at) => {
      const outbox = deliversNow ? { claim: dispatcher.outboxClaim(), claimed: [] as NotificationRow[] } : undefined;
      const done = await runner.runInline(
        tx,
        assessed.map((a) => ({
          incidentId: a.touched.ref.id,
          isNew: a.touched.isNew,
          ...(a.touched.band ? { previousBand: a.touched.band } : {}),
          agg: a.touched.agg,
          ...(a.assessment ? { assessment: a.assessment } : {}),
          ...(a.failure !== undefined ? { failure: a.failure } : {}),
          eventSeqs: a.touched.events,
          ...(a.incident ? { incident: a.incident } : {}),
        })),
        at,
        outbox ? { outbox } : {},
      );
      const decided = done.get('send-emergency-sms') ?? [];
      // An API-only process (serve --role api) leaves the rest to the workers: it wakes them when this commits.
      if (db.kind === 'postgres' && (!opts.startRunner || !deliversNow)) {
        const wake: WorkKind[] = [];
        if (!opts.startRunner) wake.push('steps');
        if (!deliversNow && decided.length > 0) wake.push('outbox');
        await notifyWorkers(tx, wake);
      }
      return outbox?.claimed ?? [];
    },
    ...opts.ingest,
    onCommitted: (r) => {
      if (r.claimed && r.claimed.length > 0) void dispatcher.deliverClaimed(r.claimed).catch((e) => log.error({ err: (e as Error).message }, 'immediate delivery failed'));
      if (r.incidentsOpened.length > 0 || r.incidentsUpdated.length > 0) runner.kick();
      // The batch knows each incident's site: announcing needs no lookup (on the embedded store a
      // lookup here would hold the event loop before the SMS just handed to delivery leaves).
      const siteOf = (id: string) => (r.incidentSites?.[id] ? { site: r.incidentSites[id] } : {});
      for (const id of r.incidentsOpened) emit({ kind: 'incident.opened', incidentId: id, ...siteOf(id), data: {} });
      for (const id of r.incidentsUpdated) emit({ kind: 'incident.updated', incidentId: id, ...siteOf(id), data: {} });
      for (const l of onIngest) l(r);
    },
  });
  const equipment = new EquipmentMonitor(db, org, (events) => pipeline.ingest(events), { now, log, config: opts.config });
  // Live sources from the configuration register here (one line each), and start with the runner.
  const sources = new SourceRegistry();
  if (opts.config.sources.nats) sources.add(natsSource(opts.config.sources.nats, pipeline, metrics, log));
  if (opts.config.sources.frigate) sources.add(new FrigateSource(opts.config.sources.frigate, { org, refs: pipeline.refs, ingest: (e) => pipeline.ingest(e), log, metrics, policy, now }));
  watchSources(metrics, () => sources.list(), now);
  // On the embedded store this is the only process: a step or run left running is an orphan of a crash.
  if (opts.startRunner && db.kind === 'pglite') {
    await runner.releaseOrphans();
    await scheduler.releaseOrphans();
  }
  if (opts.startRunner) {
    runner.start();
    scheduler.start(background?.startDelayMs ?? 0);
    equipment.start();
    await sources.startAll();
  }
  // Workers sharing a PostgreSQL server with API processes wake on their notifications (store/work-notify.ts),
  // and keep the event log's partitions made ahead once a day.
  let listener: WorkListener | undefined;
  let partitionTimer: NodeJS.Timeout | undefined;
  if (db.kind === 'postgres' && opts.databaseUrl && (opts.startRunner || opts.startDelivery))
    listener = listenForWork(opts.databaseUrl, (kind) => (kind === 'outbox' ? opts.startDelivery && dispatcher.kick() : opts.startRunner && runner.kick()), log);
  if (opts.startRunner) {
    partitionTimer = setInterval(() => void ensureEventPartitions(db, now()).catch((e) => log.error({ err: (e as Error).message }, 'making event partitions failed')), 24 * 3600_000);
    partitionTimer.unref();
  }
  if (opts.startDelivery) {
    // On the embedded store this is the only process: a notification left `sending` is an orphan
    // of a crash and is settled (reconciled with the provider) right away.
    if (db.kind === 'pglite') await dispatcher.releaseOrphans();
    dispatcher.start();
    monitor.start();
    taskMonitor.start();
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
    taskMonitor,
    scheduler,
    equipment,
    logSigner,
    bus,
    announce: emit,
    onIngest,
    sources,
    async close() {
      clearInterval(partitionTimer);
      await listener?.close();
      await sources.stopAll();
      await monitor.stop();
      await taskMonitor.stop();
      await scheduler.stop();
      await equipment.stop();
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
  await syncGuards(db, guards);
  await syncAssets(db, assets);
}
