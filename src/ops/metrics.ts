/**
 * Prometheus metrics of one process. A registry per process (not the global default) so tests
 * that start several services in one process keep their counts apart.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  eventsIngested: Counter<'source'>;
  eventsDuplicate: Counter;
  eventsRejected: Counter;
  incidentsOpened: Counter<'type' | 'band'>;
  stepDuration: Histogram<'step' | 'status'>;
  stepFailures: Counter<'step'>;
  ingestBatchSeconds: Histogram;
  ingestShed: Counter<'reason'>;
  ingestInflightBytes: Gauge;
  /** Messages of live sources by what they became (accepted, duplicate, rejected, ignored). */
  sourceMessages: Counter<'source' | 'outcome'>;
}

/** Creates the metric set; `defaults` adds process metrics (memory, event loop). */
export function createMetrics(defaults = false): Metrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  return {
    registry,
    eventsIngested: new Counter({ name: 'vigil_events_ingested_total', help: 'Events accepted and stored', labelNames: ['source'], registers: [registry] }),
    eventsDuplicate: new Counter({ name: 'vigil_events_duplicate_total', help: 'Events dropped as duplicates of (source, sourceEventId)', registers: [registry] }),
    eventsRejected: new Counter({ name: 'vigil_events_rejected_total', help: 'Events refused by validation', registers: [registry] }),
    incidentsOpened: new Counter({ name: 'vigil_incidents_opened_total', help: 'Incidents opened', labelNames: ['type', 'band'], registers: [registry] }),
    stepDuration: new Histogram({
      name: 'vigil_step_duration_seconds',
      help: 'Workflow step duration',
      labelNames: ['step', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    stepFailures: new Counter({ name: 'vigil_step_failures_total', help: 'Workflow step attempts that failed', labelNames: ['step'], registers: [registry] }),
    ingestBatchSeconds: new Histogram({
      name: 'vigil_ingest_batch_seconds',
      help: 'Time to validate, correlate, score and commit one ingest batch',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    ingestInflightBytes: new Gauge({ name: 'vigil_ingest_inflight_bytes', help: 'Ingest request body bytes in flight (admission control counts them from the first byte to the answer)', registers: [registry] }),
    sourceMessages: new Counter({ name: 'vigil_source_messages_total', help: 'Messages of live sources by outcome (accepted, duplicate, rejected, ignored)', labelNames: ['source', 'outcome'], registers: [registry] }),
    ingestShed: new Counter({ name: 'vigil_ingest_shed_total', help: 'Ingest requests refused with 503 by admission control, by budget (bytes, work, busy, events, delay)', labelNames: ['reason'], registers: [registry] }),
  };
}

/** What the source gauges read at each scrape (a live source's status, sources/live/source-status.ts). */
export interface SourceGaugeInput {
  id: string;
  state: string;
  lastMessageAt: string | null;
}

/** The states a source gauge reports (one series per state, 1 for the current one). */
const SOURCE_GAUGE_STATES = ['connecting', 'connected', 'reconnecting', 'failed', 'stopped'];

/**
 * Adds the live sources' gauges, read at scrape time: `vigil_source_up{source,state}` (1 for the
 * source's current state, 0 for the others) and `vigil_source_last_message_age_seconds{source}`
 * (absent before the first message).
 */
export function watchSources(metrics: Metrics, list: () => readonly SourceGaugeInput[], now: () => Date = () => new Date()): void {
  // A registry shared by a second service reads the newest one's sources.
  for (const name of ['vigil_source_up', 'vigil_source_last_message_age_seconds']) if (metrics.registry.getSingleMetric(name)) metrics.registry.removeSingleMetric(name);
  new Gauge({
    name: 'vigil_source_up',
    help: 'Live source state: 1 for the state the source is in, 0 for the others',
    labelNames: ['source', 'state'],
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const s of list()) for (const st of SOURCE_GAUGE_STATES) this.set({ source: s.id, state: st }, s.state === st ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vigil_source_last_message_age_seconds',
    help: 'Seconds since the live source last received a message',
    labelNames: ['source'],
    registers: [metrics.registry],
    collect() {
      this.reset();
      const t = now().getTime();
      for (const s of list()) if (s.lastMessageAt) this.set({ source: s.id }, Math.max(0, (t - Date.parse(s.lastMessageAt)) / 1000));
    },
  });
}

/** Ingest requests admission control refused so far, by budget (bytes, work, busy, events, delay). */
export async function shedByReason(metrics: Metrics): Promise<Record<string, number>> {
  return Object.fromEntries((await metrics.ingestShed.get()).values.map((v) => [String(v.labels.reason), v.value]));
}

/** The refusals between two counts of `shedByReason`, by budget (budgets that refused nothing left out). */
export function shedSince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}
