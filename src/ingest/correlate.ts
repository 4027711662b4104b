/**
 * Correlating a stored batch: load the unresolved incidents and pending POS exceptions of the
 * batch's sites (locked per site on a server), decide for each new event in time order whether it
 * opens an incident, joins one or is noise (domain/correlation), fold it into its incident's
 * aggregate, and note what device events say of their devices.
 */
import { randomBytes } from 'node:crypto';
import type { Policy } from '../config/schema.js';
import { foldEvent, newAggregate, type IncidentAggregate } from '../domain/assessment.js';
import { Correlator, ruleFor, type OpenIncidentRef, type PendingPosEvent } from '../domain/correlation.js';
import { timeId } from '../domain/ids.js';
import type { OrgModel } from '../domain/site-model.js';
import type { Band, SecurityEvent } from '../domain/types.js';
import type { Db, Queryable } from '../store/db.js';
import type { DeviceUpdate } from '../store/devices.js';
import { lockSitesForCorrelation, pendingPosExceptions } from '../store/events.js';
import { loadOpenIncidentsAndContext, type SitesContext } from '../store/assessment-context.js';
import { openIncidentsForCorrelation, type OpenIncidentRow } from '../store/incidents.js';

/** An incident this batch opened or changed. */
export interface TouchedIncident {
  ref: OpenIncidentRef;
  agg: IncidentAggregate;
  isNew: boolean;
  openedAt: string;
  scoreSeq: number;
  /** Sequence numbers of the events this batch added. */
  events: number[];
  /** Band before this batch (existing incidents). */
  band?: Band;
}

/** What correlation decided for a batch. */
export interface Correlated {
  /** The batch's sites, sorted. */
  sites: string[];
  /** Incidents opened or changed, by id, in the order first touched. */
  touched: Map<string, TouchedIncident>;
  /** Per fresh event (same order as `fresh`): the incident it opened or joined. */
  incidentOf: (string | null)[];
  /** Event -> incident links to store (fresh events and earlier POS exceptions taken in). */
  links: { seq: number; incident: string }[];
  deviceUpdates: Map<string, DeviceUpdate>;
  /** The sites' assessment context, when it was read with the open incidents (see correlateBatch). */
  context?: SitesContext;
}

const posPatternTypes = (policy: Policy) =>
  Object.entries(policy.eventRules)
    .filter(([k, r]) => k.startsWith('pos.') && r.opens === 'posPattern')
    .map(([k]) => k.slice(4));

/**
 * Correlates the fresh events of a batch (`fresh` are input indices, sorted here by time) inside
 * the batch's transaction. `seqOf` gives each fresh event's sequence number.
 */
export async function correlateBatch(
  db: Db,
  tx: Queryable,
  org: OrgModel,
  events: readonly SecurityEvent[],
  fresh: number[],
  seqOf: ReadonlyMap<number, number>,
  now: Date,
): Promise<Correlated> {
  const policy = org.config.policy;
  fresh.sort((a, b) => (events[a].occurredAt < events[b].occurredAt ? -1 : events[a].occurredAt > events[b].occurredAt ? 1 : a - b));
  const sites = [...new Set(fresh.map((i) => events[i].site))].sort();
  // Only events whose rule can open or join an incident need the correlation state.
  const correlating = fresh.some((i) => {
    const rule = ruleFor(policy, events[i].source, events[i].type);
    return rule !== undefined && rule.opens !== 'never';
  });
  // Several processes on one server correlate a site one at a time.
  if (correlating) await lockSitesForCorrelation(db, tx, sites);
  const firstAt = Date.parse(events[fresh[0]].occurredAt);
  const since = new Date(firstAt - policy.correlation.windowMinutes * 60_000);
  // A batch that changes no device state reads the assessment context with the open incidents, in
  // one statement (the context reads device state, so device events have it read after their update).
  const changesDevices = fresh.some((i) => events[i].source === 'device' && events[i].device);
  let context: SitesContext | undefined;
  let openRows: OpenIncidentRow[] = [];
  if (correlating && !changesDevices) ({ open: openRows, ctx: context } = await loadOpenIncidentsAndContext(tx, org, sites, since, now));
  else if (correlating) openRows = await openIncidentsForCorrelation(tx, sites, since);
  const known = new Map<string, TouchedIncident>();
  const openRefs: OpenIncidentRef[] = openRows.map((r) => {
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
  const posRows =
    correlating && fresh.some((i) => events[i].source === 'pos')
      ? await pendingPosExceptions(tx, {
          sites,
          types: posPatternTypes(policy),
          since: new Date(firstAt - policy.correlation.pos.spreeMinutes * 60_000),
          exceptSeqs: fresh.filter((i) => events[i].source === 'pos').map((i) => seqOf.get(i)!),
        })
      : [];
  const pendingEvents = new Map<string, SecurityEvent>();
  const pending: PendingPosEvent[] = posRows.map((r) => {
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
  const correlator = new Correlator(org, policy, openRefs, pending);
  const incidentOf = new Array<string | null>(fresh.length).fill(null);
  const links: { seq: number; incident: string }[] = [];
  const touched = new Map<string, TouchedIncident>();
  const deviceUpdates = new Map<string, DeviceUpdate>();
  const newId = () => timeId('inc', now.getTime(), randomBytes(4));
  for (let k = 0; k < fresh.length; k++) {
    const e = events[fresh[k]];
    if (e.source === 'device' && e.device) trackDevice(deviceUpdates, e);
    const d = correlator.decide(e, `s${seqs[k]}`, newId);
    if (d.kind === 'ignore') continue;
    let t: TouchedIncident | undefined;
    if (d.kind === 'open') {
      t = { ref: d.incident, agg: newAggregate(e, d.incident.type), isNew: true, openedAt: now.toISOString(), scoreSeq: 0, events: [] };
      known.set(d.incident.id, t);
      for (const key of d.attach) {
        const pe = pendingEvents.get(key);
        if (pe) {
          foldEvent(t.agg, pe, org, policy, t.ref.type);
          links.push({ seq: Number(key.slice(1)), incident: d.incident.id });
        } else {
          // Attached from earlier in this same batch: point that new row at the incident.
          const idx = seqs.indexOf(Number(key.slice(1)));
          if (idx >= 0) {
            incidentOf[idx] = d.incident.id;
            foldEvent(t.agg, events[fresh[idx]], org, policy, t.ref.type);
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
    foldEvent(t.agg, e, org, policy, t.ref.type);
    touched.set(t.ref.id, t);
  }
  for (let k = 0; k < fresh.length; k++) if (incidentOf[k]) links.push({ seq: seqs[k], incident: incidentOf[k]! });
  return { sites, touched, incidentOf, links, deviceUpdates, ...(context ? { context } : {}) };
}

/** Notes what a device event says of its device (the latest event's time wins). */
function trackDevice(updates: Map<string, DeviceUpdate>, e: SecurityEvent): void {
  const u = updates.get(e.device!) ?? { site: e.site, at: new Date(e.occurredAt) };
  const at = new Date(e.occurredAt);
  if (at >= u.at) u.at = at;
  if (e.type === 'offline') u.online = false;
  else if (e.type === 'online' || e.type === 'heartbeat') u.online = true;
  else if (e.type === 'recording_on') u.recording = true;
  else if (e.type === 'recording_off') u.recording = false;
  updates.set(e.device!, u);
}
