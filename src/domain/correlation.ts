/**
 * Step 1 (second half): correlation of events into incidents.
 *
 * Rules (policy.correlation and policy.eventRules):
 * - An event joins an open incident of the same site whose zones include the event's zone or a zone
 *   adjacent to it, when it occurred within windowMinutes of the incident's events.
 * - POS exceptions and physical signals are kept apart: a void at a till does not join a forced
 *   door in the back, and a door alarm does not join a till's fraud case. A POS exception joins
 *   the open fraud incident of the same workstation (device).
 * - Business-hours motion in an unrestricted zone (an `offHoursOrRestricted` rule, when policy
 *   ignores such motion) is noise: it joins an incident only when the incident is already in its
 *   zone, as context that neither moves the incident's window nor adds zones, and opens nothing.
 * - With no incident to join, the event's rule decides: `always` opens one, `offHoursOrRestricted`
 *   opens one only outside business hours (site time) or in a restricted zone, `posPattern` opens a
 *   fraud incident once spreeCount exceptions from one workstation fall within spreeMinutes (or one
 *   is worth singleAmount), `never` opens nothing (device state, access log).
 *
 * The Correlator holds the open incidents and recent POS exceptions it was given and updates them
 * as it decides, so a batch is correlated in memory and written once. No I/O.
 */
import type { Policy } from '../config/schema.js';
import type { OrgModel } from './site-model.js';
import { localTime, withinHours } from './local-time.js';
import { toMinor } from './money.js';
import type { IncidentType, SecurityEvent } from './types.js';

/** What the correlator knows of an open incident. */
export interface OpenIncidentRef {
  id: string;
  site: string;
  zones: string[];
  type: IncidentType;
  group: 'pos' | 'physical';
  /** Workstation of a POS incident. */
  device?: string;
  firstEventAt: number;
  lastEventAt: number;
}

/** A POS exception not (yet) part of an incident. */
export interface PendingPosEvent {
  key: string;
  site: string;
  device: string;
  occurredAt: number;
  amountMinor: bigint;
}

export type Decision =
  | { kind: 'join'; incidentId: string }
  | { kind: 'open'; incident: OpenIncidentRef; attach: string[] }
  | { kind: 'ignore'; reason: 'device_state' | 'access_log' | 'no_rule' | 'noise' | 'below_pos_pattern' | 'unknown_site' };

/** The rule for an event type, or undefined when policy has none. */
export function ruleFor(policy: Policy, source: string, type: string) {
  return policy.eventRules[`${source}.${type}`];
}

/** True when the instant is outside the site's business hours, in the site's time zone. */
export function isAfterHours(org: OrgModel, site: string, at: Date): boolean {
  const m = org.sites.get(site);
  if (!m) return false;
  return !withinHours(localTime(at, m.site.timezone), m.site.businessHours);
}

export class Correlator {
  private readonly open = new Map<string, OpenIncidentRef[]>();
  private readonly pending = new Map<string, PendingPosEvent[]>();
  private readonly windowMs: number;
  private readonly spreeMs: number;

  constructor(
    private readonly org: OrgModel,
    private readonly policy: Policy,
    openIncidents: OpenIncidentRef[],
    pendingPos: PendingPosEvent[],
  ) {
    this.windowMs = policy.correlation.windowMinutes * 60_000;
    this.spreeMs = policy.correlation.pos.spreeMinutes * 60_000;
    for (const i of openIncidents) this.bucket(this.open, i.site).push(i);
    for (const p of pendingPos) this.bucket(this.pending, `${p.site}|${p.device}`).push(p);
  }

  private bucket<T>(m: Map<string, T[]>, k: string): T[] {
    let b = m.get(k);
    if (!b) m.set(k, (b = []));
    return b;
  }

  /**
   * Decides what an event means. `key` identifies the event (its future row); `newId` mints an
   * incident id when one is opened.
   */
  decide(event: SecurityEvent, key: string, newId: () => string): Decision {
    const site = this.org.sites.get(event.site);
    if (!site) return { kind: 'ignore', reason: 'unknown_site' };
    const rule = ruleFor(this.policy, event.source, event.type);
    if (!rule) return { kind: 'ignore', reason: 'no_rule' };
    if (rule.opens === 'never') return { kind: 'ignore', reason: event.source === 'device' ? 'device_state' : 'access_log' };
    const at = Date.parse(event.occurredAt);
    const isPos = event.source === 'pos';
    const group = isPos ? 'pos' : 'physical';

    // Business-hours motion in an open zone is noise: it never opens an incident, and it joins one
    // only as context (an incident already in its zone) without widening the incident's window or
    // zones, so a busy shop floor cannot keep one incident open all day and swallow every alert.
    const noise = rule.opens === 'offHoursOrRestricted' && this.isBusinessHoursNoise(event, at);
    const candidate = this.findIncident(event, at, group);
    if (noise) {
      if (candidate && (!event.zone || candidate.zones.includes(event.zone))) return { kind: 'join', incidentId: candidate.id };
      return { kind: 'ignore', reason: 'noise' };
    }
    if (candidate) {
      candidate.lastEventAt = Math.max(candidate.lastEventAt, at);
      candidate.firstEventAt = Math.min(candidate.firstEventAt, at);
      if (event.zone && !candidate.zones.includes(event.zone)) candidate.zones.push(event.zone);
      if (this.rank(rule.incidentType) < this.rank(candidate.type)) candidate.type = rule.incidentType;
      return { kind: 'join', incidentId: candidate.id };
    }

    let attach: string[] = [];
    let firstAt = at;
    if (rule.opens === 'posPattern' && event.details.posException !== true) {
      // A POS exception (domain/pos-exceptions.ts) is already a pattern: it opens by itself.
      const device = event.device ?? '-';
      const list = this.bucket(this.pending, `${event.site}|${device}`);
      const amountMinor = event.amount ? abs(toMinor(event.amount.value, event.amount.currency)) : 0n;
      // Drop exceptions that fell out of the spree window.
      const fresh = list.filter((p) => Math.abs(at - p.occurredAt) <= this.spreeMs);
      list.length = 0;
      list.push(...fresh);
      const single = event.amount ? amountMinor >= toMinor(this.policy.correlation.pos.singleAmount, event.amount.currency) : false;
      if (fresh.length + 1 < this.policy.correlation.pos.spreeCount && !single) {
        list.push({ key, site: event.site, device, occurredAt: at, amountMinor });
        return { kind: 'ignore', reason: 'below_pos_pattern' };
      }
      attach = fresh.map((p) => p.key);
      for (const p of fresh) firstAt = Math.min(firstAt, p.occurredAt);
      list.length = 0;
    }

    const incident: OpenIncidentRef = {
      id: newId(),
      site: event.site,
      zones: event.zone ? [event.zone] : [],
      type: rule.incidentType,
      group,
      ...(isPos && event.device ? { device: event.device } : {}),
      firstEventAt: firstAt,
      lastEventAt: at,
    };
    this.bucket(this.open, event.site).push(incident);
    return { kind: 'open', incident, attach };
  }

  /** An `offHoursOrRestricted` event inside business hours in an unrestricted zone (when policy ignores such motion). */
  private isBusinessHoursNoise(event: SecurityEvent, at: number): boolean {
    if (!this.policy.correlation.ignoreBusinessHoursMotion) return false;
    const zone = event.zone ? this.org.sites.get(event.site)?.zones.get(event.zone) : undefined;
    if (zone?.restricted) return false;
    return !isAfterHours(this.org, event.site, new Date(at));
  }

  private rank(t: IncidentType): number {
    const i = this.policy.incidentTypePriority.indexOf(t);
    return i < 0 ? 99 : i;
  }

  private findIncident(event: SecurityEvent, at: number, group: 'pos' | 'physical'): OpenIncidentRef | undefined {
    const list = this.open.get(event.site);
    if (!list) return undefined;
    const model = this.org.sites.get(event.site)!;
    let best: OpenIncidentRef | undefined;
    for (const inc of list) {
      if (inc.group !== group) continue;
      if (at > inc.lastEventAt + this.windowMs || at < inc.firstEventAt - this.windowMs) continue;
      if (group === 'pos') {
        if (inc.device !== event.device) continue;
      } else if (event.zone && inc.zones.length > 0) {
        const near = inc.zones.some((z) => z === event.zone || model.adjacency.get(z)?.has(event.zone!));
        if (!near) continue;
      }
      if (!best || inc.lastEventAt > best.lastEventAt) best = inc;
    }
    return best;
  }
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}
