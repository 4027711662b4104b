/**
 * The ingest pipeline: validated events in, stored events and assessed incidents out, in ONE
 * transaction per batch. Order inside the transaction:
 *
 *   1. drop duplicates of (source, sourceEventId) already stored or repeated in the batch
 *   2. lock the batch's sites (several processes on PostgreSQL correlate one site at a time)
 *   3. load the open incidents and pending POS exceptions of those sites
 *   4. correlate in memory (domain/correlation), update device state
 *   5. insert the events with their incident ids (one multi-row insert)
 *   6. fold, assess (steps 2-4) and upsert every touched incident, its score history, its assets
 *      and its workflow journal (steps 1-4 done, or pending for the runner if assessment failed)
 *
 * The caller gets its answer only after COMMIT: an accepted event is a stored event.
 */
import { randomBytes } from 'node:crypto';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import type { Policy } from '../config/schema.js';
import { assessIncident, foldEvent, newAggregate, type Assessment, type IncidentAggregate } from '../domain/assessment.js';
import type { OrgModel } from '../domain/site-model.js';
import { InvalidError, RetryableError, type Problem } from '../domain/errors.js';
import { checkRefs } from '../sources/event-input.js';
import { Correlator, ruleFor, type OpenIncidentRef, type PendingPosEvent } from '../domain/correlation.js';
import { timeId } from '../domain/ids.js';
import type { IncidentType, SecurityEvent } from '../domain/types.js';
import type { Metrics } from '../ops/metrics.js';
import { loadSitesContext } from '../store/assessment-context.js';
import type { Db, Queryable } from '../store/db.js';
import { eventId } from '../store/event-ids.js';
import { BUILT_INCIDENT_STEPS, RESPONSE_STEPS } from '../workflow/incident-response.js';
import type { StepDefinition } from '../workflow/runner.js';
import type { NotificationRow } from '../channels/dispatcher.js';
import { BANDS } from '../domain/types.js';
import { INLINE_STEPS } from '../workflow/steps/assess.js';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** Event ids in input order (existing ids for duplicates). */
  ids: string[];
  incidentsOpened: string[];
  incidentsUpdated: string[];
  /** Notifications claimed in the ingest transaction for immediate delivery (see IngestOptions.claimFor). */
  claimed?: NotificationRow[];
}

export interface IngestOptions {
  metrics?: Metrics;
  /** Called after commit with the ids of incidents opened or changed. */
  onCommitted?: (r: IngestResult) => void;
  /** Test hook: throw from the inline assessment to exercise the runner's recovery path. */
  failAssessment?: (incidentId: string) => boolean;
  /** Clock (tests). */
  now?: () => Date;
  /** The workflow step run in the ingest transaction right after the assessment (send-emergency-sms). */
  inlineStep?: StepDefinition;
  /**
   * SMS the inline step queued are claimed in the same transaction for this dispatcher, and handed
   * over after the commit (IngestResult.claimed), so they go out without waiting for a claim.
   */
  claimFor?: { workerId: string; leaseMs: number };
}


const POS_PATTERN_TYPES = (policy: Policy) =>
  Object.entries(policy.eventRules)
    .filter(([k, r]) => k.startsWith('pos.') && r.opens === 'posPattern')
    .map(([k]) => k.slice(4));

/** Most events one group commit carries. */
const MAX_GROUP_EVENTS = 5000;
/** Most events waiting for a group commit before new requests are refused with 503. */
const MAX_WAITING_EVENTS = 20_000;

interface Waiting {
  events: readonly SecurityEvent[];
  resolve(r: IngestResult): void;
  reject(e: unknown): void;
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

interface TouchedIncident {
  ref: OpenIncidentRef;
  agg: IncidentAggregate;
  isNew: boolean;
  openedAt: string;
  scoreSeq: number;
  events: number[];
  /** Band before this batch (existing incidents). */
  band?: string;
}

export class IngestPipeline {
  private readonly waiting: Waiting[] = [];
  private waitingEvents = 0;
  private flushing = false;

  constructor(
    private readonly db: Db,
    private readonly org: OrgModel,
    private readonly opts: IngestOptions = {},
  ) {
    this.zonesBySite = new Map([...org.sites].map(([id, m]) => [id, m.zones]));
  }

  private get policy(): Policy {
    return this.org.config.policy;
  }

  /** Stores and correlates one batch of validated events (all or nothing). */
  async ingest(events: readonly SecurityEvent[]): Promise<IngestResult> {
    if (events.length === 0) return { accepted: 0, duplicates: 0, ids: [], incidentsOpened: [], incidentsUpdated: [] };
    this.checkRefs(events);
    // Past this backlog a caller waits longer than it would take to try again: say so (503) rather
    // than hold the request until the client times out. Nothing of a refused request is stored.
    if (this.waitingEvents + events.length > MAX_WAITING_EVENTS) throw new RetryableError(`ingest is overloaded (${this.waitingEvents} events waiting); retry shortly`, 1000);
    return new Promise<IngestResult>((resolve, reject) => {
      this.waitingEvents += events.length;
      this.waiting.push({ events, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /**
   * Group commit: requests that arrive while a transaction is running are stored together in the
   * next one. Under load a transaction carries many requests, so each pays a fraction of the
   * commit; alone, a request is committed at once. Every caller hears back only after the COMMIT
   * that holds its events. If a shared transaction fails, its requests are retried one by one so
   * that one request's problem is not another's.
   */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        // PGlite runs a transaction without yielding to the event loop, so requests that arrived
        // meanwhile are still unread on their sockets: let the loop read them first to join this group.
        await setImmediatePromise();
        const group: Waiting[] = [];
        let n = 0;
        while (this.waiting.length > 0 && (group.length === 0 || n + this.waiting[0].events.length <= MAX_GROUP_EVENTS)) {
          const w = this.waiting.shift()!;
          group.push(w);
          n += w.events.length;
        }
        this.waitingEvents -= n;
        try {
          await this.commitGroup(group);
        } catch (e) {
          if (group.length === 1) group[0].reject(e);
          else for (const w of group) await this.commitGroup([w]).catch((err: unknown) => w.reject(err));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commitGroup(group: Waiting[]): Promise<void> {
    const all = group.length === 1 ? group[0].events : group.flatMap((w) => w.events);
    const started = performance.now();
    const r = await this.db.transaction((tx) => this.ingestInTx(tx, all));
    this.countCommitted(r);
    this.opts.metrics?.ingestBatchSeconds.observe((performance.now() - started) / 1000);
    this.opts.onCommitted?.(r);
    let offset = 0;
    for (const w of group) {
      const k = w.events.length;
      if (group.length === 1) {
        w.resolve(stripBatch(r));
        continue;
      }
      const mine = new Set(r.incidentOf.slice(offset, offset + k).filter((x): x is string => x !== null));
      const fresh = r.isNew.slice(offset, offset + k).filter(Boolean).length;
      w.resolve({
        accepted: fresh,
        duplicates: k - fresh,
        ids: r.ids.slice(offset, offset + k),
        incidentsOpened: r.incidentsOpened.filter((id) => mine.has(id)),
        incidentsUpdated: r.incidentsUpdated.filter((id) => mine.has(id)),
      });
      offset += k;
    }
  }

  /**
   * Runs `fn` with a batch ingester bound to ONE transaction (a whole file): if `fn` throws, none of
   * its batches is kept. Listeners hear of the batches only after the commit.
   */
  async inOneTransaction<T>(fn: (ingestBatch: (events: readonly SecurityEvent[]) => Promise<IngestResult>) => Promise<T>): Promise<T> {
    const results: BatchResult[] = [];
    const out = await this.db.transaction((tx) =>
      fn(async (events) => {
        if (events.length === 0) return { accepted: 0, duplicates: 0, ids: [], incidentsOpened: [], incidentsUpdated: [] };
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

  /** Refuses the whole batch when an event names an unknown site or zone (paths like "[3].site"). */
  private checkRefs(events: readonly SecurityEvent[]): void {
    const problems: Problem[] = [];
    for (let i = 0; i < events.length && problems.length < 1000; i++) {
      problems.push(...checkRefs(events[i], { zonesBySite: this.zonesBySite }, events.length === 1 ? '' : `[${i}]`));
    }
    if (problems.length > 0) throw new InvalidError(problems);
  }

  private readonly zonesBySite: ReadonlyMap<string, ReadonlyMap<string, unknown>>;

  private async ingestInTx(tx: Queryable, events: readonly SecurityEvent[]): Promise<BatchResult> {
    const policy = this.policy;
    const now = this.opts.now?.() ?? new Date();
    const ids: string[] = new Array(events.length);

    // 1. Store the events: one multi-row insert; (source, sourceEventId) already stored is skipped by
    //    the unique index (ON CONFLICT), so the insert is also the duplicate check. Repeats within the
    //    batch are dropped here first. Incident ids are filled in after correlation (step 4).
    const candidates: number[] = [];
    const firstCopy = new Map<string, number>();
    let duplicates = 0;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.sourceEventId !== undefined) {
        const k = `${e.source}\u0000${e.sourceEventId}`;
        const dupOf = firstCopy.get(k);
        if (dupOf !== undefined) {
          ids[i] = `@${dupOf}`; // resolved to the first copy's id below
          duplicates++;
          continue;
        }
        firstCopy.set(k, i);
      }
      candidates.push(i);
    }
    const inserted = await tx.query<{ seq: number; source: string; source_event_id: string | null }>(
      `INSERT INTO events (source, type, source_event_id, occurred_at, site, zone, device, badge, assets, amount, currency, details)
       SELECT source, type, sid, at, site, zone, device, badge,
              CASE WHEN assets IS NULL THEN NULL ELSE string_to_array(assets, ',') END, amount, currency, details
         FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::text[], $10::numeric[], $11::text[], $12::jsonb[])
           AS x(source, type, sid, at, site, zone, device, badge, assets, amount, currency, details)
       ON CONFLICT (source, source_event_id) DO NOTHING
       RETURNING seq, source, source_event_id`,
      [
        candidates.map((i) => events[i].source),
        candidates.map((i) => events[i].type),
        candidates.map((i) => events[i].sourceEventId ?? null),
        candidates.map((i) => events[i].occurredAt),
        candidates.map((i) => events[i].site),
        candidates.map((i) => events[i].zone ?? null),
        candidates.map((i) => events[i].device ?? null),
        candidates.map((i) => events[i].badge ?? null),
        candidates.map((i) => (events[i].assets ? events[i].assets!.join(',') : null)),
        candidates.map((i) => events[i].amount?.value ?? null),
        candidates.map((i) => events[i].amount?.currency ?? null),
        candidates.map((i) => JSON.stringify(events[i].details)),
      ],
    );
    // Map the stored rows back to the input: by key, and (events without a key, which can never
    // conflict) by their order, which an INSERT ... SELECT over unnest keeps.
    const seqOf = new Map<number, number>();
    const unkeyed = candidates.filter((i) => events[i].sourceEventId === undefined);
    let u = 0;
    for (const row of inserted.rows) {
      if (row.source_event_id === null) seqOf.set(unkeyed[u++], Number(row.seq));
      else seqOf.set(firstCopy.get(`${row.source}\u0000${row.source_event_id}`)!, Number(row.seq));
    }
    if (u !== unkeyed.length) throw new Error(`ingest: ${unkeyed.length} unkeyed events sent, ${u} stored`);
    const fresh = candidates.filter((i) => seqOf.has(i));
    const stored = candidates.filter((i) => !seqOf.has(i));
    if (stored.length > 0) {
      // Already stored before this batch: answer with the stored event's id.
      const r = await tx.query<{ seq: number; source: string; source_event_id: string }>(
        `SELECT e.seq, e.source, e.source_event_id FROM events e
           JOIN unnest($1::text[], $2::text[]) AS k(source, sid) ON e.source = k.source AND e.source_event_id = k.sid`,
        [stored.map((i) => events[i].source), stored.map((i) => events[i].sourceEventId)],
      );
      const old = new Map(r.rows.map((x) => [`${x.source}\u0000${x.source_event_id}`, Number(x.seq)]));
      for (const i of stored) ids[i] = eventId(old.get(`${events[i].source}\u0000${events[i].sourceEventId}`)!);
      duplicates += stored.length;
    }
    for (const i of fresh) ids[i] = eventId(seqOf.get(i)!);
    for (let i = 0; i < ids.length; i++) if (ids[i].startsWith('@')) ids[i] = ids[Number(ids[i].slice(1))];
    const isNew = new Array<boolean>(events.length).fill(false);
    for (const i of fresh) isNew[i] = true;
    const incidentOfInput = new Array<string | null>(events.length).fill(null);
    if (fresh.length === 0) return { accepted: 0, duplicates, ids, incidentsOpened: [], incidentsUpdated: [], isNew, incidentOf: incidentOfInput, bySource: {}, openedLabels: [] };

    // 2-3. Lock the sites, load their open incidents and pending POS exceptions.
    fresh.sort((a, b) => (events[a].occurredAt < events[b].occurredAt ? -1 : events[a].occurredAt > events[b].occurredAt ? 1 : a - b));
    const sites = [...new Set(fresh.map((i) => events[i].site))].sort();
    // Only events whose rule can open or join an incident need the correlation state.
    const correlating = fresh.some((i) => ruleFor(policy, events[i].source, events[i].type)?.opens !== 'never' && ruleFor(policy, events[i].source, events[i].type) !== undefined);
    // Several processes on one server correlate a site one at a time; the embedded store has one process.
    if (correlating && this.db.kind === 'postgres') {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('vigil-site:' || s)) FROM unnest($1::text[]) AS s ORDER BY s`, [sites]);
    }
    const minAt = new Date(Date.parse(events[fresh[0]].occurredAt) - policy.correlation.windowMinutes * 60_000);
    const openRows = !correlating ? { rows: [] } : await tx.query<{
      id: string; site: string; zones: string[]; type: IncidentType; band: string; context: { agg: IncidentAggregate; group: 'pos' | 'physical'; device?: string }; opened_at: Date; score_seq: number;
    }>(
      `SELECT id, site, zones, type, band, context, opened_at,
              (SELECT coalesce(max(seq), 0) FROM incident_scores s WHERE s.incident_id = i.id) AS score_seq
         FROM incidents i
        WHERE site = ANY($1) AND status IN ('open', 'acknowledged', 'investigating') AND last_event_at >= $2`,
      [sites, minAt],
    );
    const known = new Map<string, TouchedIncident>();
    const openRefs: OpenIncidentRef[] = openRows.rows.map((r) => {
      const ref: OpenIncidentRef = {
        id: r.id,
        site: r.site,
        zones: [...r.zones],
        type: r.type,
        group: r.context.group,
        ...(r.context.device ? { device: r.context.device } : {}),
        firstEventAt: Date.parse(r.context.agg.firstEventAt),
        lastEventAt: Date.parse(r.context.agg.lastEventAt),
      };
      known.set(r.id, { ref, agg: r.context.agg, isNew: false, openedAt: r.opened_at.toISOString(), scoreSeq: Number(r.score_seq), events: [], band: r.band });
      return ref;
    });
    const posTypes = POS_PATTERN_TYPES(policy);
    const posRows = correlating && fresh.some((i) => events[i].source === 'pos')
      ? await tx.query<{ seq: number; site: string; device: string | null; occurred_at: Date; type: string; amount: string | null; currency: string | null; zone: string | null; badge: string | null; assets: string[] | null; details: Record<string, unknown> }>(
          `SELECT seq, site, device, occurred_at, type, amount::text AS amount, currency, zone, badge, assets, details FROM events
            WHERE site = ANY($1) AND source = 'pos' AND type = ANY($2) AND incident_id IS NULL AND occurred_at >= $3 AND seq <> ALL($4::bigint[])`,
          [sites, posTypes, new Date(Date.parse(events[fresh[0]].occurredAt) - policy.correlation.pos.spreeMinutes * 60_000), fresh.filter((i) => events[i].source === 'pos').map((i) => seqOf.get(i)!)],
        )
      : { rows: [] };
    const pendingEvents = new Map<string, SecurityEvent>();
    const pending: PendingPosEvent[] = posRows.rows.map((r) => {
      const key = `s${r.seq}`;
      const ev: SecurityEvent = { source: 'pos', type: r.type, occurredAt: r.occurred_at.toISOString(), site: r.site, details: r.details };
      if (r.zone) ev.zone = r.zone;
      if (r.device) ev.device = r.device;
      if (r.badge) ev.badge = r.badge;
      if (r.assets) ev.assets = r.assets;
      if (r.amount !== null && r.currency) ev.amount = { value: r.amount, currency: r.currency };
      pendingEvents.set(key, ev);
      return { key, site: r.site, device: r.device ?? '-', occurredAt: r.occurred_at.getTime(), amountMinor: 0n };
    });

    const seqs = fresh.map((i) => seqOf.get(i)!);

    // 4. Correlate.
    const correlator = new Correlator(this.org, policy, openRefs, pending);
    const incidentOf = new Array<string | null>(fresh.length).fill(null);
    const attachUpdates: { seq: number; incident: string }[] = [];
    const touched = new Map<string, TouchedIncident>();
    const deviceUpdates = new Map<string, { site: string; online?: boolean; recording?: boolean; at: Date }>();
    const newId = () => timeId('inc', now.getTime(), randomBytes(4));
    for (let k = 0; k < fresh.length; k++) {
      const e = events[fresh[k]];
      ids[fresh[k]] = eventId(seqs[k]);
      if (e.source === 'device' && e.device) this.trackDevice(deviceUpdates, e);
      const d = correlator.decide(e, `s${seqs[k]}`, newId);
      if (d.kind === 'ignore') continue;
      let t: TouchedIncident | undefined;
      if (d.kind === 'open') {
        t = { ref: d.incident, agg: newAggregate(e, d.incident.type), isNew: true, openedAt: now.toISOString(), scoreSeq: 0, events: [] };
        known.set(d.incident.id, t);
        for (const key of d.attach) {
          const pe = pendingEvents.get(key);
          if (pe) {
            foldEvent(t.agg, pe, this.org, policy, t.ref.type);
            attachUpdates.push({ seq: Number(key.slice(1)), incident: d.incident.id });
          } else {
            // Attached from earlier in this same batch: point that new row at the incident.
            const idx = seqs.indexOf(Number(key.slice(1)));
            if (idx >= 0) {
              incidentOf[idx] = d.incident.id;
              foldEvent(t.agg, events[fresh[idx]], this.org, policy, t.ref.type);
              t.events.push(seqs[idx]);
            }
          }
        }
      } else {
        t = known.get(d.incidentId);
        if (!t) continue;
      }
      incidentOf[k] = t.ref.id;
      t.events.push(seqs[k]);
      foldEvent(t.agg, e, this.org, policy, t.ref.type);
      touched.set(t.ref.id, t);
    }

    // 5. Point the events that opened or joined incidents at them (usually a few of the batch).
    const links = [...attachUpdates];
    for (let k = 0; k < fresh.length; k++) if (incidentOf[k]) links.push({ seq: seqs[k], incident: incidentOf[k]! });
    if (links.length > 0) {
      // `seq = ANY` keeps this on the primary key (a join with unnest can make the planner scan the table).
      await tx.query(`UPDATE events e SET incident_id = ($2::text[])[array_position($1::bigint[], e.seq)] WHERE e.seq = ANY($1::bigint[])`, [
        links.map((l) => l.seq),
        links.map((l) => l.incident),
      ]);
    }
    if (deviceUpdates.size > 0) await this.writeDeviceState(tx, deviceUpdates);

    // 6. Assess and write the touched incidents.
    const opened: string[] = [];
    const updated: string[] = [];
    let claimed: NotificationRow[] = [];
    const openedLabels: { type: string; band: string }[] = [];
    if (touched.size > 0) {
      claimed = await this.writeIncidents(tx, [...touched.values()], sites, now, openedLabels);
      for (const t of touched.values()) (t.isNew ? opened : updated).push(t.ref.id);
    }
    const bySource: Record<string, number> = {};
    for (const i of fresh) bySource[events[i].source] = (bySource[events[i].source] ?? 0) + 1;
    for (let k = 0; k < fresh.length; k++) incidentOfInput[fresh[k]] = incidentOf[k];
    return { accepted: fresh.length, duplicates, ids, incidentsOpened: opened, incidentsUpdated: updated, isNew, incidentOf: incidentOfInput, claimed, bySource, openedLabels };
  }

  private trackDevice(updates: Map<string, { site: string; online?: boolean; recording?: boolean; at: Date }>, e: SecurityEvent): void {
    const u = updates.get(e.device!) ?? { site: e.site, at: new Date(e.occurredAt) };
    const at = new Date(e.occurredAt);
    if (at >= u.at) u.at = at;
    if (e.type === 'offline') u.online = false;
    else if (e.type === 'online' || e.type === 'heartbeat') u.online = true;
    else if (e.type === 'recording_on') u.recording = true;
    else if (e.type === 'recording_off') u.recording = false;
    updates.set(e.device!, u);
  }

  private async writeDeviceState(tx: Queryable, updates: Map<string, { site: string; online?: boolean; recording?: boolean; at: Date }>): Promise<void> {
    const list = [...updates.entries()];
    // Only the fields an event changed are written; the others keep their stored value.
    await tx.query(
      `WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::boolean[], $5::timestamptz[]) AS u(id, site, online, recording, at)),
       upd AS (
         UPDATE device_state d SET online = coalesce(u.online, d.online), recording = coalesce(u.recording, d.recording),
                last_seen_at = greatest(d.last_seen_at, u.at), changed_at = u.at, updated_at = now()
           FROM u WHERE d.id = u.id RETURNING d.id)
       INSERT INTO device_state (id, site, online, recording, last_seen_at, changed_at, updated_at)
       SELECT id, site, coalesce(online, true), coalesce(recording, true), at, at, now() FROM u WHERE id NOT IN (SELECT id FROM upd)
       ON CONFLICT (id) DO NOTHING`,
      [list.map(([id]) => id), list.map(([, u]) => u.site), list.map(([, u]) => u.online ?? null), list.map(([, u]) => u.recording ?? null), list.map(([, u]) => u.at)],
    );
  }

  /**
   * The fast path of detection to alert: the step due right after the inline assessment (the
   * emergency SMS decision) runs in this same transaction, so its alerts are queued by the commit
   * that stores the event. It runs under a savepoint: if it fails, the ingest still commits and the
   * step stays due for the runner (the normal path), with the error recorded.
   */
  private async runInlineStep(tx: Queryable, stepRows: Record<string, unknown>[], now: Date): Promise<NotificationRow[]> {
    const step = this.opts.inlineStep;
    if (!step) return [];
    const decided: string[] = [];
    for (const row of stepRows) {
      if (row.step !== step.id || row.next_run_at === null) continue;
      const started = performance.now();
      await tx.query('SAVEPOINT vigil_inline_step');
      try {
        const out = await step.run({ tx, incidentId: row.incident_id as string, attempt: 1, now });
        await tx.query('RELEASE SAVEPOINT vigil_inline_step');
        if (out.status === 'waiting') continue;
        Object.assign(row, {
          status: out.status,
          attempts: 1,
          started_at: now.toISOString(),
          finished_at: now.toISOString(),
          next_run_at: null,
          reason: out.status === 'skipped' ? out.reason : null,
          result: out.result ?? null,
        });
        if (out.status === 'done') decided.push(row.incident_id as string);
        const next = stepRows.find((r) => r.incident_id === row.incident_id && r.ord === (row.ord as number) + 1);
        if (next) next.next_run_at = now.toISOString();
        this.opts.metrics?.stepDuration.observe({ step: step.id, status: out.status }, (performance.now() - started) / 1000);
      } catch (e) {
        await tx.query('ROLLBACK TO SAVEPOINT vigil_inline_step');
        row.error = `inline run failed, left to the runner: ${(e as Error).message}`.slice(0, 2000);
        this.opts.metrics?.stepFailures.inc({ step: step.id });
      }
    }
    const claim = this.opts.claimFor;
    if (!claim || decided.length === 0) return [];
    // Each claimed SMS carries what its recipient already used of the rate limit (sent within the
    // window, or in flight elsewhere), so delivery after the commit needs no query before sending.
    const r = await tx.query<NotificationRow & { used: number }>(
      `UPDATE notifications n SET status = 'sending', attempts = n.attempts + 1, sending_at = $2, locked_until = $3, locked_by = $4, updated_at = now()
        WHERE n.incident_id = ANY($1::text[]) AND n.status = 'queued' AND n.channel = 'sms'
        RETURNING n.id, n.incident_id, n.channel, n.kind, n.recipient, n.address, n.subject, n.body, n.html, n.status, n.attempts, n.created_at,
                  'queued' AS prev_status,
                  (SELECT count(*)::int FROM notifications x
                    WHERE x.channel = 'sms' AND x.address = n.address AND x.id <> n.id
                      AND ((x.status IN ('sent', 'acknowledged') AND x.sent_at > $5) OR (x.status = 'sending' AND x.locked_until > $2))) AS used`,
      [decided, now, new Date(now.getTime() + claim.leaseMs), claim.workerId, new Date(now.getTime() - this.policy.notify.rateLimit.windowMinutes * 60_000)],
    );
    return r.rows;
  }

  private async writeIncidents(tx: Queryable, list: TouchedIncident[], sites: string[], now: Date, openedLabels: { type: string; band: string }[]): Promise<NotificationRow[]> {
    const ctx = await loadSitesContext(tx, this.org, sites, now);
    const currency = this.org.config.organization.currency;
    const rows: Record<string, unknown>[] = [];
    const scores: Record<string, unknown>[] = [];
    const assetRows: Record<string, unknown>[] = [];
    const stepRows: Record<string, unknown>[] = [];
    const newZoneCounts = new Map<string, number>();
    for (const t of list) {
      const zoneKey = `${t.ref.site}|${t.agg.zone ?? ''}`;
      const inBatch = newZoneCounts.get(zoneKey) ?? 0;
      const prior = Math.max(0, (ctx.zoneCounts.get(zoneKey) ?? 0) + inBatch - (t.isNew ? 0 : 1));
      if (t.isNew) newZoneCounts.set(zoneKey, inBatch + 1);
      let assessment: Assessment | undefined;
      let failure: string | undefined;
      try {
        if (this.opts.failAssessment?.(t.ref.id)) throw new Error('assessment failed (injected)');
        assessment = assessIncident(t.agg, this.org, this.policy, { devicesDown: ctx.devicesDown, priorIncidentsInZone: prior, assetRecentIncidents: ctx.assetRecentIncidents });
      } catch (e) {
        failure = (e as Error).message;
      }
      rows.push({
        id: t.ref.id,
        site: t.ref.site,
        zone: t.agg.zone ?? null,
        zones: t.agg.zones,
        type: t.agg.type,
        opened_at: t.openedAt,
        first_event_at: t.agg.firstEventAt,
        last_event_at: t.agg.lastEventAt,
        event_count: t.agg.eventCount,
        sources: t.agg.sources,
        score: assessment?.severity.score ?? null,
        band: assessment?.severity.band ?? null,
        severity: assessment ? assessment.severity : null,
        loss: assessment ? assessment.loss : null,
        net_loss: assessment?.loss.net ?? null,
        currency,
        assets: assessment ? { touched: assessment.assets, adjacentHighRisk: assessment.adjacentHighRisk } : null,
        context: { agg: t.agg, group: t.ref.group, ...(t.ref.device ? { device: t.ref.device } : {}) },
      });
      if (assessment) {
        t.scoreSeq += 1;
        scores.push({ incident_id: t.ref.id, seq: t.scoreSeq, score: assessment.severity.score, band: assessment.severity.band, factors: assessment.severity.factors, policy_version: assessment.severity.policyVersion, event_count: t.agg.eventCount, computed_at: now.toISOString() });
        for (const a of assessment.assets) assetRows.push({ incident_id: t.ref.id, asset_id: a.id, relation: a.relation, opened_at: t.openedAt });
        if (t.isNew) openedLabels.push({ type: t.agg.type, band: assessment.severity.band });
      }
      const results = assessment ? INLINE_STEPS.results(t.agg, assessment, t.events) : undefined;
      // A band that rises re-runs the response steps (their outbox keys carry the band, so only the new band alerts).
      const rose = !t.isNew && assessment !== undefined && t.band !== undefined && BANDS.indexOf(assessment.severity.band) > BANDS.indexOf(t.band as never);
      for (const [ord, stepId] of BUILT_INCIDENT_STEPS.entries()) {
        const inline = INLINE_STEPS.ids.includes(stepId);
        const rerun = rose && (RESPONSE_STEPS as readonly string[]).includes(stepId);
        if (!t.isNew && !inline && !rerun) continue;
        const res = results?.[stepId];
        stepRows.push({
          incident_id: t.ref.id,
          step: stepId,
          ord,
          status: inline ? (res ? 'done' : 'pending') : 'pending',
          attempts: inline ? 1 : 0,
          started_at: inline ? now.toISOString() : null,
          finished_at: inline && res ? now.toISOString() : null,
          // The first step after the inline ones is due now; later ones wait for their turn.
          next_run_at: inline ? (res ? null : now.toISOString()) : ord === INLINE_STEPS.ids.length && !failure ? now.toISOString() : null,
          reason: null,
          error: inline && !res ? failure ?? null : null,
          result: res ?? null,
        });
      }
    }
    // The incidents, their score history and the assets they touch, in one statement.
    await tx.query(
      `WITH inc AS (
         INSERT INTO incidents (id, site, zone, zones, type, status, opened_at, first_event_at, last_event_at, updated_at, event_count, sources,
                                score, band, severity, loss, net_loss, currency, assets, context)
         SELECT id, site, zone, zones, type, 'open', opened_at, first_event_at, last_event_at, now(), event_count, sources,
                coalesce(score, 0), coalesce(band, 'low'), severity, loss, coalesce(net_loss, 0), currency, coalesce(assets, '[]'::jsonb), context
           FROM jsonb_to_recordset($1::jsonb) AS x(id text, site text, zone text, zones text[], type text, opened_at timestamptz, first_event_at timestamptz,
                last_event_at timestamptz, event_count int, sources text[], score real, band text, severity jsonb, loss jsonb, net_loss numeric,
                currency text, assets jsonb, context jsonb)
         ON CONFLICT (id) DO UPDATE SET
           zone = EXCLUDED.zone, zones = EXCLUDED.zones, type = EXCLUDED.type, first_event_at = EXCLUDED.first_event_at,
           last_event_at = EXCLUDED.last_event_at, updated_at = now(), event_count = EXCLUDED.event_count, sources = EXCLUDED.sources,
           score = CASE WHEN EXCLUDED.severity IS NULL THEN incidents.score ELSE EXCLUDED.score END,
           band = CASE WHEN EXCLUDED.severity IS NULL THEN incidents.band ELSE EXCLUDED.band END,
           severity = coalesce(EXCLUDED.severity, incidents.severity), loss = coalesce(EXCLUDED.loss, incidents.loss),
           net_loss = CASE WHEN EXCLUDED.loss IS NULL THEN incidents.net_loss ELSE EXCLUDED.net_loss END,
           assets = CASE WHEN EXCLUDED.severity IS NULL THEN incidents.assets ELSE EXCLUDED.assets END,
           context = EXCLUDED.context, version = incidents.version + 1
         RETURNING 1),
       scores AS (
         INSERT INTO incident_scores (incident_id, seq, score, band, factors, policy_version, event_count, computed_at)
         SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(incident_id text, seq int, score real, band text, factors jsonb, policy_version text, event_count int, computed_at timestamptz)
         ON CONFLICT DO NOTHING RETURNING 1),
       touched AS (
         INSERT INTO incident_assets (incident_id, asset_id, relation, opened_at)
         SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(incident_id text, asset_id text, relation text, opened_at timestamptz)
         ON CONFLICT (incident_id, asset_id) DO UPDATE SET relation = EXCLUDED.relation RETURNING 1)
       SELECT (SELECT count(*) FROM inc) AS incidents`,
      [JSON.stringify(rows), JSON.stringify(scores), JSON.stringify(assetRows)],
    );
    const claimed = await this.runInlineStep(tx, stepRows, now);
    await tx.query(
      `INSERT INTO workflow_steps (incident_id, step, ord, status, attempts, started_at, finished_at, next_run_at, error, reason, result, updated_at)
       SELECT incident_id, step, ord, status, attempts, started_at, finished_at, next_run_at, error, reason, result, now()
         FROM jsonb_to_recordset($1::jsonb) AS x(incident_id text, step text, ord int, status text, attempts int, started_at timestamptz,
              finished_at timestamptz, next_run_at timestamptz, error text, reason text, result jsonb)
       ON CONFLICT (incident_id, step) DO UPDATE SET
         status = EXCLUDED.status, attempts = workflow_steps.attempts + CASE WHEN EXCLUDED.started_at IS NULL THEN 0 ELSE 1 END,
         finished_at = EXCLUDED.finished_at, next_run_at = EXCLUDED.next_run_at, error = EXCLUDED.error, reason = EXCLUDED.reason,
         result = coalesce(EXCLUDED.result, workflow_steps.result), updated_at = now()`,
      [JSON.stringify(stepRows)],
    );
    return claimed;
  }
}
