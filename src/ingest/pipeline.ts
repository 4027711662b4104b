/**
 * The ingest pipeline: validated events in, stored events and assessed incidents out, in ONE
 * transaction per batch. Order inside the transaction:
 *
 *   1. store the events once (store-events.ts: the insert is the duplicate check)
 *   2. correlate the new ones (correlate.ts: site locks, open incidents, pending POS exceptions)
 *   3. update device state
 *   4. assess and write every touched incident with the links of its events (assess-incidents.ts)
 *   5. hand the assessed incidents to the workflow (IngestOptions.handOff: the runner's inline
 *      run, which journals them and takes the first steps inside this same transaction)
 *
 * The caller gets its answer only after COMMIT: an accepted event is a stored event. The pipeline
 * knows nothing of the workflow's steps or of channels: what the hand-off returns is passed on to
 * `onCommitted` untouched.
 */
import { InvalidError, type Problem } from '../domain/errors.js';
import type { OrgModel } from '../domain/site-model.js';
import type { SecurityEvent } from '../domain/types.js';
import type { Metrics } from '../ops/metrics.js';
import { checkRefs, type KnownRefs } from '../sources/event-input.js';
import type { Db, Queryable } from '../store/db.js';
import { upsertDeviceState } from '../store/devices.js';
import { linkEventsToIncidents } from '../store/events.js';
import type { NotificationRow } from '../store/notifications.js';
import { assessAndWriteIncidents, type AssessedTouch } from './assess-incidents.js';
import { correlateBatch } from './correlate.js';
import { GroupCommit } from './group-commit.js';
import { storeEvents } from './store-events.js';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** Event ids in input order (existing ids for duplicates). */
  ids: string[];
  incidentsOpened: string[];
  incidentsUpdated: string[];
  /** The site of each incident opened or updated (listeners announce changes without looking it up). */
  incidentSites?: Record<string, string>;
  /** Notifications the hand-off claimed in the ingest transaction for immediate delivery. */
  claimed?: NotificationRow[];
}

/** Receives a batch's assessed incidents inside its transaction; what it returns is handed on after the commit. */
export type HandOff = (tx: Queryable, incidents: readonly AssessedTouch[], now: Date) => Promise<NotificationRow[]>;

export interface IngestOptions {
  metrics?: Metrics;
  /** Called after commit with the ids of incidents opened or changed. */
  onCommitted?: (r: IngestResult) => void;
  /** Test hook: throw from the inline assessment to exercise the runner's recovery path. */
  failAssessment?: (incidentId: string) => boolean;
  /** Clock (tests). */
  now?: () => Date;
  /** The workflow's inline run (see HandOff). */
  handOff?: HandOff;
}

/** A batch's result with what each input event became (for group commit). */
interface BatchResult extends IngestResult {
  isNew: boolean[];
  incidentOf: (string | null)[];
  /** Events stored per source, and incidents opened (counted in the metrics once committed). */
  bySource: Record<string, number>;
  openedLabels: { type: string; band: string }[];
}

const stripBatch = ({ isNew: _n, incidentOf: _i, bySource: _b, openedLabels: _o, ...r }: BatchResult): IngestResult => r;

const EMPTY: IngestResult = { accepted: 0, duplicates: 0, ids: [], incidentsOpened: [], incidentsUpdated: [] };

export class IngestPipeline {
  /** The sites and zones events may name; edges pass it to validation so one answer lists every problem. */
  readonly refs: KnownRefs;
  private readonly group: GroupCommit<IngestResult>;

  constructor(
    private readonly db: Db,
    private readonly org: OrgModel,
    private readonly opts: IngestOptions = {},
  ) {
    this.refs = { zonesBySite: new Map([...org.sites].map(([id, m]) => [id, m.zones])) };
    this.group = new GroupCommit((events) => this.commitGroup(events));
  }

  /** Events validated and not yet committed (queued for a group commit or in the one being written). */
  get pendingEvents(): number {
    return this.group.pendingEvents;
  }

  /** Stores and correlates one batch of validated events (all or nothing), committed with other callers' batches. */
  async ingest(events: readonly SecurityEvent[]): Promise<IngestResult> {
    if (events.length === 0) return { ...EMPTY, ids: [] };
    this.checkRefs(events);
    return this.group.submit(events);
  }

  private async commitGroup(events: readonly SecurityEvent[]) {
    const started = performance.now();
    const r = await this.db.transaction((tx) => this.ingestInTx(tx, events));
    this.countCommitted(r);
    this.opts.metrics?.ingestBatchSeconds.observe((performance.now() - started) / 1000);
    this.opts.onCommitted?.(r);
    return {
      whole: stripBatch(r),
      slice: (offset: number, k: number): IngestResult => {
        const mine = new Set(r.incidentOf.slice(offset, offset + k).filter((x): x is string => x !== null));
        const fresh = r.isNew.slice(offset, offset + k).filter(Boolean).length;
        return {
          accepted: fresh,
          duplicates: k - fresh,
          ids: r.ids.slice(offset, offset + k),
          incidentsOpened: r.incidentsOpened.filter((id) => mine.has(id)),
          incidentsUpdated: r.incidentsUpdated.filter((id) => mine.has(id)),
          ...(r.incidentSites ? { incidentSites: Object.fromEntries(Object.entries(r.incidentSites).filter(([id]) => mine.has(id))) } : {}),
        };
      },
    };
  }

  /**
   * Runs `fn` with a batch ingester bound to ONE transaction (a whole file): if `fn` throws, none of
   * its batches is kept. Listeners hear of the batches only after the commit.
   */
  async inOneTransaction<T>(fn: (ingestBatch: (events: readonly SecurityEvent[]) => Promise<IngestResult>) => Promise<T>): Promise<T> {
    const results: BatchResult[] = [];
    const out = await this.db.transaction((tx) =>
      fn(async (events) => {
        if (events.length === 0) return { ...EMPTY, ids: [] };
        this.checkRefs(events);
        const r = await this.ingestInTx(tx, events);
        results.push(r);
        return stripBatch(r);
      }),
    );
    for (const r of results) {
      this.countCommitted(r);
      this.opts.onCommitted?.(stripBatch(r));
    }
    return out;
  }

  /** Counts a committed batch in the metrics (never before the commit: a rollback stores nothing). */
  private countCommitted(r: BatchResult): void {
    const m = this.opts.metrics;
    if (!m) return;
    for (const [source, n] of Object.entries(r.bySource)) m.eventsIngested.inc({ source }, n);
    for (const l of r.openedLabels) m.incidentsOpened.inc(l);
    if (r.duplicates) m.eventsDuplicate.inc(r.duplicates);
  }

  /**
   * Refuses the whole batch when an event names an unknown site or zone (paths like "[3].site").
   * The edges already check this in validation, with every other problem (`refs`); this is the
   * guard for any caller that hands events in directly.
   */
  private checkRefs(events: readonly SecurityEvent[]): void {
    const problems: Problem[] = [];
    for (let i = 0; i < events.length && problems.length < 1000; i++) {
      problems.push(...checkRefs(events[i], this.refs, events.length === 1 ? '' : `[${i}]`));
    }
    if (problems.length > 0) throw new InvalidError(problems);
  }

  private async ingestInTx(tx: Queryable, events: readonly SecurityEvent[]): Promise<BatchResult> {
    const now = this.opts.now?.() ?? new Date();
    const { ids, isNew, fresh, seqOf, duplicates } = await storeEvents(tx, events);
    const incidentOfInput = new Array<string | null>(events.length).fill(null);
    if (fresh.length === 0) return { ...EMPTY, duplicates, ids, isNew, incidentOf: incidentOfInput, bySource: {}, openedLabels: [] };

    const c = await correlateBatch(this.db, tx, this.org, events, fresh, seqOf, now);
    await upsertDeviceState(tx, c.deviceUpdates);

    const opened: string[] = [];
    const updated: string[] = [];
    const openedLabels: { type: string; band: string }[] = [];
    const incidentSites: Record<string, string> = {};
    let claimed: NotificationRow[] = [];
    if (c.touched.size > 0) {
      // Every link points at a touched incident: the links are written with the incidents.
      const assessed = await assessAndWriteIncidents(tx, this.org, [...c.touched.values()], c.sites, now, c.links, this.opts.failAssessment, c.context);
      if (this.opts.handOff) claimed = await this.opts.handOff(tx, assessed, now);
      for (const a of assessed) {
        (a.touched.isNew ? opened : updated).push(a.touched.ref.id);
        incidentSites[a.touched.ref.id] = a.touched.ref.site;
        if (a.touched.isNew && a.assessment) openedLabels.push({ type: a.touched.agg.type, band: a.assessment.severity.band });
      }
    } else if (c.links.length > 0) {
      // Unreachable today (every link points at a touched incident), kept so no link is ever dropped.
      await linkEventsToIncidents(tx, c.links);
    }
    const bySource: Record<string, number> = {};
    for (const i of fresh) bySource[events[i].source] = (bySource[events[i].source] ?? 0) + 1;
    for (let k = 0; k < fresh.length; k++) incidentOfInput[fresh[k]] = c.incidentOf[k];
    return { accepted: fresh.length, duplicates, ids, incidentsOpened: opened, incidentsUpdated: updated, incidentSites, isNew, incidentOf: incidentOfInput, claimed, bySource, openedLabels };
  }
}
