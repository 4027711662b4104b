/**
 * Step 12, the access-log review: badge events in, findings out. Pure: the caller reads the events
 * (the incident's zone and adjacent zones in its window, or a whole site's day) and stores what
 * comes back. One function per rule; thresholds come from policy.accessReview.
 *
 * Rules (the `rule` of a finding, as access_findings.rule):
 * - off_shift: an entry by a person with a shift, outside it (site time zone, with a grace).
 * - after_hours: an entry by a person without a shift (or an unknown badge) outside business hours.
 * - no_clearance: an entry into a restricted zone without its required clearance (or by a badge
 *   nobody holds).
 * - denied_burst: at least deniedBurst.count denials of one badge (of one reader for events with
 *   no badge) within deniedBurst.minutes.
 * - tailgating: a tailgating alarm (with the granted entry before it at the same reader), or a
 *   grant that let several people in (details.entries >= 2 or details.followers > 0).
 * - anti_passback: a second entry into a zone without an exit in between, within
 *   antiPassbackMinutes; only zones whose readers record exits (an event with direction "out") are
 *   checked, since elsewhere an exit is never seen.
 * - impossible_travel: two consecutive badge events of one badge farther apart than the walking
 *   speed allows: reader positions (zone centroids when a reader has none) on the site plan, or
 *   the sites' locations (great-circle distance) between sites.
 * - inactive_badge: a badge of inactive personnel, or one no configured person holds, used at a
 *   reader (events of one badge at one zone within inactiveClusterMinutes of each other are one finding).
 *
 * Finding ids are deterministic: the review's scope (an incident, or a site's daily review), the
 * rule and the finding's first evidence event. A re-run over the same or more events yields the
 * same ids, so storing is idempotent and a finding whose evidence grew keeps its id.
 */
import { createHash } from 'node:crypto';
import type { Policy } from '../config/schema.js';
import { localTime, withinHours, WEEKDAYS } from './local-time.js';
import type { OrgModel } from './site-model.js';

/** The rules, in the order findings are listed. */
export const ACCESS_RULES = ['inactive_badge', 'no_clearance', 'denied_burst', 'tailgating', 'anti_passback', 'impossible_travel', 'off_shift', 'after_hours'] as const;
export type AccessRule = (typeof ACCESS_RULES)[number];
export type FindingSeverity = 'low' | 'medium' | 'high';

/** A stored access-control (or other badge-carrying) event, as the review reads it. */
export interface BadgeEvent {
  seq: number;
  /** Event type: access_granted, access_denied, tailgating, door_forced, ... */
  type: string;
  /** Epoch milliseconds. */
  at: number;
  site: string;
  zone: string | null;
  /** The reader. */
  device: string | null;
  badge: string | null;
  details: Record<string, unknown>;
}

/** One finding (the access_findings row, times as ISO strings). */
export interface AccessFinding {
  id: string;
  rule: AccessRule;
  site: string;
  badge: string | null;
  /** Personnel id, when the badge is known. */
  person: string | null;
  zone: string | null;
  at: string;
  severity: FindingSeverity;
  summary: string;
  /** Event seqs, in time order. */
  evidence: number[];
  details: Record<string, unknown>;
}

type AccessPolicy = Policy['accessReview'];
/** What a rule finds, before the id, severity and person are added. */
export type Draft = Omit<AccessFinding, 'id' | 'rule' | 'severity' | 'site' | 'person' | 'at'> & { anchor: BadgeEvent };

const MINUTE = 60_000;

/** Deterministic id of a finding: scope + rule + first evidence event. */
export function accessFindingId(scope: string, rule: string, anchorSeq: number): string {
  return `af-${createHash('sha256').update(`${scope}|${rule}|${anchorSeq}`).digest('hex').slice(0, 24)}`;
}

const direction = (e: BadgeEvent): 'in' | 'out' => (e.details.direction === 'out' ? 'out' : 'in');
const isEntry = (e: BadgeEvent, p: AccessPolicy) => p.entryTypes.includes(e.type) && direction(e) === 'in';
const byTime = (a: BadgeEvent, b: BadgeEvent) => a.at - b.at || a.seq - b.seq;
const iso = (ms: number) => new Date(ms).toISOString();

/** Runs every rule over the events; findings in rule order, then time. `scope` keys the ids. */
export function reviewAccess(events: readonly BadgeEvent[], org: OrgModel, policy: AccessPolicy, scope: string): AccessFinding[] {
  const sorted = [...events].sort(byTime);
  const drafts: [AccessRule, Draft[]][] = [
    ['inactive_badge', inactiveBadge(sorted, org, policy)],
    ['no_clearance', noClearance(sorted, org, policy)],
    ['denied_burst', deniedBurst(sorted, policy)],
    ['tailgating', tailgating(sorted, policy)],
    ['anti_passback', antiPassback(sorted, policy)],
    ['impossible_travel', impossibleTravel(sorted, org, policy)],
    ['off_shift', offShift(sorted, org, policy)],
    ['after_hours', afterHours(sorted, org, policy)],
  ];
  const out: AccessFinding[] = [];
  for (const [rule, list] of drafts) {
    for (const d of list) {
      const person = d.badge ? org.badges.get(d.badge) : undefined;
      out.push({
        id: accessFindingId(scope, rule, d.anchor.seq),
        rule,
        site: d.anchor.site,
        badge: d.badge,
        person: person?.id ?? null,
        zone: d.zone,
        at: iso(d.anchor.at),
        severity: policy.severity[rule],
        summary: d.summary,
        evidence: d.evidence,
        details: { ...d.details, anchor: d.anchor.seq },
      });
    }
  }
  return out;
}

/** Who used a badge in the events: one line per badge, with the person when known. */
export interface BadgeHolder {
  badge: string;
  person: string | null;
  name: string | null;
  role: string | null;
  active: boolean | null;
  zones: string[];
  granted: number;
  denied: number;
  first: string;
  last: string;
}

/** The badge holders seen in the events (the "who badged in around it" of an incident). */
export function badgeHolders(events: readonly BadgeEvent[], org: OrgModel): BadgeHolder[] {
  const by = new Map<string, BadgeHolder>();
  for (const e of [...events].sort(byTime)) {
    if (!e.badge) continue;
    let h = by.get(e.badge);
    if (!h) {
      const p = org.badges.get(e.badge);
      h = { badge: e.badge, person: p?.id ?? null, name: p?.name ?? null, role: p?.role ?? null, active: p ? p.active : null, zones: [], granted: 0, denied: 0, first: iso(e.at), last: iso(e.at) };
      by.set(e.badge, h);
    }
    if (e.zone && !h.zones.includes(e.zone)) h.zones.push(e.zone);
    if (e.type === 'access_granted') h.granted++;
    if (e.type === 'access_denied') h.denied++;
    h.last = iso(e.at);
  }
  return [...by.values()];
}

/** Entries by people with a shift, outside it (with the grace), in the site's time zone. */
export function offShift(events: readonly BadgeEvent[], org: OrgModel, p: AccessPolicy): Draft[] {
  const out: Draft[] = [];
  for (const e of events) {
    if (!e.badge || !isEntry(e, p)) continue;
    const person = org.badges.get(e.badge);
    const site = org.sites.get(e.site)?.site;
    if (!person?.active || !person.shift || !site) continue;
    const l = localTime(new Date(e.at), site.timezone);
    if (onShift(person.shift, l, p.shiftGraceMinutes)) continue;
    out.push({
      badge: e.badge,
      zone: e.zone,
      summary: `${person.name} (${e.badge}) entered ${e.zone ?? 'a zone'} at ${l.hhmm} local, off shift (${person.shift.days.join(',')} ${person.shift.start}-${person.shift.end})`,
      evidence: [e.seq],
      details: { local: `${l.date} ${l.hhmm}`, weekday: l.day, shift: person.shift, graceMinutes: p.shiftGraceMinutes, timezone: site.timezone },
      anchor: e,
    });
  }
  return out;
}

/**
 * True when the local time is on the shift, widened by `grace` minutes at both ends. A shift that
 * ends before it starts runs past midnight and belongs to the day it starts (Fri 22:00-06:00 covers
 * Saturday 02:00); times are compared on the week's circle so the grace may cross midnight too.
 */
export function onShift(shift: { days: readonly string[]; start: string; end: string }, l: { day: string; minutes: number }, grace: number): boolean {
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const start = toMin(shift.start);
  const length = (((toMin(shift.end) - start) % 1440) + 1440) % 1440 || 1440;
  const WEEK = 7 * 1440;
  const now = WEEKDAYS.indexOf(l.day as (typeof WEEKDAYS)[number]) * 1440 + l.minutes;
  for (const d of shift.days) {
    const from = WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]) * 1440 + start - grace;
    const since = (((now - from) % WEEK) + WEEK) % WEEK;
    if (since < length + 2 * grace) return true;
  }
  return false;
}

/** Entries by people without a shift (or unknown badges) outside the site's business hours. */
export function afterHours(events: readonly BadgeEvent[], org: OrgModel, p: AccessPolicy): Draft[] {
  const out: Draft[] = [];
  for (const e of events) {
    if (!e.badge || !isEntry(e, p)) continue;
    const person = org.badges.get(e.badge);
    if (person && (!person.active || person.shift)) continue; // inactive_badge and off_shift judge those
    const site = org.sites.get(e.site)?.site;
    if (!site) continue;
    const l = localTime(new Date(e.at), site.timezone);
    if (withinHours(l, site.businessHours)) continue;
    out.push({
      badge: e.badge,
      zone: e.zone,
      summary: `${person ? `${person.name} (${e.badge})` : `Badge ${e.badge}`} entered ${e.zone ?? 'a zone'} at ${l.hhmm} local, outside business hours ${site.businessHours.open}-${site.businessHours.close}`,
      evidence: [e.seq],
      details: { local: `${l.date} ${l.hhmm}`, weekday: l.day, businessHours: site.businessHours, timezone: site.timezone },
      anchor: e,
    });
  }
  return out;
}

/** Entries into restricted zones without the zone's required clearance, or by unknown badges. */
export function noClearance(events: readonly BadgeEvent[], org: OrgModel, p: AccessPolicy): Draft[] {
  const out: Draft[] = [];
  for (const e of events) {
    if (!e.badge || !e.zone || !isEntry(e, p)) continue;
    const zone = org.sites.get(e.site)?.zones.get(e.zone);
    if (!zone?.restricted) continue;
    const person = org.badges.get(e.badge);
    const need = zone.requiredClearance;
    if (person && (!need || person.clearances.includes(need))) continue;
    out.push({
      badge: e.badge,
      zone: e.zone,
      summary: person
        ? `${person.name} (${e.badge}) entered restricted ${zone.name} without clearance "${need}"`
        : `Badge ${e.badge}, held by no configured person, entered restricted ${zone.name}`,
      evidence: [e.seq],
      details: { requiredClearance: need ?? null, clearances: person?.clearances ?? [], registered: person !== undefined },
      anchor: e,
    });
  }
  return out;
}

/** Bursts of denied attempts per badge (per reader when the badge is missing). */
export function deniedBurst(events: readonly BadgeEvent[], p: AccessPolicy): Draft[] {
  const groups = new Map<string, BadgeEvent[]>();
  for (const e of events) {
    if (e.type !== 'access_denied') continue;
    const key = e.badge ? `b|${e.badge}` : `r|${e.site}|${e.device ?? '-'}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const out: Draft[] = [];
  const span = p.deniedBurst.minutes * MINUTE;
  for (const list of groups.values()) {
    let i = 0;
    while (i < list.length) {
      let j = i;
      while (j + 1 < list.length && list[j + 1]!.at - list[i]!.at <= span) j++;
      if (j - i + 1 >= p.deniedBurst.count) {
        const burst = list.slice(i, j + 1);
        const first = burst[0]!;
        const zones = [...new Set(burst.map((e) => e.zone).filter((z): z is string => z !== null))];
        const seconds = Math.round((burst[burst.length - 1]!.at - first.at) / 1000);
        out.push({
          badge: first.badge,
          zone: first.zone,
          summary: `${burst.length} denied attempts ${first.badge ? `with badge ${first.badge}` : `at reader ${first.device ?? '?'}`} within ${seconds} s${zones.length ? ` at ${zones.join(', ')}` : ''}`,
          evidence: burst.map((e) => e.seq),
          details: { attempts: burst.length, seconds, readers: [...new Set(burst.map((e) => e.device))], reasons: [...new Set(burst.map((e) => e.details.reason).filter((r) => r !== undefined))], threshold: p.deniedBurst },
          anchor: first,
        });
        i = j + 1;
      } else i++;
    }
  }
  return out.sort((a, b) => byTime(a.anchor, b.anchor));
}

/** Tailgating alarms with the grant they followed, and grants that let several people in. */
export function tailgating(events: readonly BadgeEvent[], p: AccessPolicy): Draft[] {
  const out: Draft[] = [];
  const alarmed = new Set<number>();
  for (let k = 0; k < events.length; k++) {
    const e = events[k]!;
    if (e.type !== 'tailgating') continue;
    let grant: BadgeEvent | undefined;
    for (let j = k - 1; j >= 0; j--) {
      const g = events[j]!;
      if (e.at - g.at > p.tailgatingSeconds * 1000) break;
      if (isEntry(g, p) && g.device === e.device && g.site === e.site) {
        grant = g;
        break;
      }
    }
    if (grant) alarmed.add(grant.seq);
    const badge = e.badge ?? grant?.badge ?? null;
    const followers = Number(e.details.followers ?? 0) || null;
    out.push({
      badge,
      zone: e.zone,
      summary: `Tailgating at ${e.device ?? 'a reader'} in ${e.zone ?? 'a zone'}${badge ? ` behind badge ${badge}` : ''}${followers ? ` (${followers} followed)` : ''}`,
      evidence: grant ? [grant.seq, e.seq] : [e.seq],
      details: { reader: e.device, followers, grantSeq: grant?.seq ?? null },
      anchor: grant ?? e,
    });
  }
  for (const e of events) {
    if (!isEntry(e, p) || alarmed.has(e.seq)) continue;
    const entries = Number(e.details.entries ?? 1);
    const followers = Number(e.details.followers ?? 0);
    if (!(entries >= 2 || followers > 0)) continue;
    const n = Math.max(entries, followers + 1);
    out.push({
      badge: e.badge,
      zone: e.zone,
      summary: `${n} entries on one grant at ${e.device ?? 'a reader'} in ${e.zone ?? 'a zone'}${e.badge ? ` (badge ${e.badge})` : ''}`,
      evidence: [e.seq],
      details: { reader: e.device, entries: n },
      anchor: e,
    });
  }
  return out.sort((a, b) => byTime(a.anchor, b.anchor));
}

/** A second entry into a zone without an exit in between (zones whose readers record exits only). */
export function antiPassback(events: readonly BadgeEvent[], p: AccessPolicy): Draft[] {
  const withExits = new Set(events.filter((e) => e.zone && direction(e) === 'out' && p.entryTypes.includes(e.type)).map((e) => `${e.site}|${e.zone}`));
  const inside = new Map<string, BadgeEvent>();
  const out: Draft[] = [];
  for (const e of events) {
    if (!e.badge || !e.zone || !p.entryTypes.includes(e.type) || !withExits.has(`${e.site}|${e.zone}`)) continue;
    const key = `${e.badge}|${e.site}|${e.zone}`;
    if (direction(e) === 'out') {
      inside.delete(key);
      continue;
    }
    const prev = inside.get(key);
    if (prev && e.at - prev.at <= p.antiPassbackMinutes * MINUTE) {
      out.push({
        badge: e.badge,
        zone: e.zone,
        summary: `Badge ${e.badge} entered ${e.zone} twice without an exit (${Math.round((e.at - prev.at) / MINUTE)} min apart)`,
        evidence: [prev.seq, e.seq],
        details: { firstEntry: iso(prev.at), secondEntry: iso(e.at), readers: [prev.device, e.device] },
        anchor: prev,
      });
    }
    inside.set(key, e);
  }
  return out;
}

/** Where a badge event happened: its reader's position, else its zone's centroid, on the site plan. */
function placeOf(e: BadgeEvent, org: OrgModel): [number, number] | undefined {
  const dev = e.device ? org.devices.get(e.device) : undefined;
  if (dev?.position && dev.site === e.site) return [dev.position[0], dev.position[1]];
  return e.zone ? org.sites.get(e.site)?.centroids.get(e.zone) : undefined;
}

/** Great-circle distance in metres (haversine, mean Earth radius). */
export function haversineMetres(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Distance between two badge events' places, in metres, when both are known. */
export function travelMetres(a: BadgeEvent, b: BadgeEvent, org: OrgModel): number | undefined {
  if (a.site === b.site) {
    const pa = placeOf(a, org);
    const pb = placeOf(b, org);
    return pa && pb ? Math.hypot(pa[0] - pb[0], pa[1] - pb[1]) : undefined;
  }
  const la = org.sites.get(a.site)?.site.location;
  const lb = org.sites.get(b.site)?.site.location;
  return la && lb ? haversineMetres(la, lb) : undefined;
}

/** Consecutive events of one badge too far apart for the time between them. */
export function impossibleTravel(events: readonly BadgeEvent[], org: OrgModel, p: AccessPolicy): Draft[] {
  const last = new Map<string, BadgeEvent>();
  const out: Draft[] = [];
  for (const e of events) {
    if (!e.badge) continue;
    const prev = last.get(e.badge);
    last.set(e.badge, e);
    if (!prev || (prev.device === e.device && prev.site === e.site)) continue;
    const metres = travelMetres(prev, e, org);
    if (metres === undefined || metres < p.minTravelMetres) continue;
    const seconds = Math.max(1, (e.at - prev.at) / 1000);
    const speed = metres / seconds;
    if (speed <= p.walkingSpeedMetresPerSecond) continue;
    out.push({
      badge: e.badge,
      zone: e.zone,
      summary: `Badge ${e.badge} at ${prev.device ?? prev.zone ?? prev.site} then ${e.device ?? e.zone ?? e.site}: ${Math.round(metres)} m in ${Math.round(seconds)} s (${speed.toFixed(1)} m/s, limit ${p.walkingSpeedMetresPerSecond})`,
      evidence: [prev.seq, e.seq],
      details: { from: { site: prev.site, zone: prev.zone, reader: prev.device }, to: { site: e.site, zone: e.zone, reader: e.device }, metres: Math.round(metres * 10) / 10, seconds: Math.round(seconds), metresPerSecond: Math.round(speed * 100) / 100 },
      anchor: prev,
    });
  }
  return out;
}

/** Badges of inactive personnel or held by nobody configured, clustered per badge and zone. */
export function inactiveBadge(events: readonly BadgeEvent[], org: OrgModel, p: AccessPolicy): Draft[] {
  const open = new Map<string, Draft>();
  const out: Draft[] = [];
  for (const e of events) {
    if (!e.badge) continue;
    const person = org.badges.get(e.badge);
    if (person?.active) continue;
    const key = `${e.badge}|${e.site}|${e.zone ?? ''}`;
    const cur = open.get(key);
    const lastSeq = cur?.evidence[cur.evidence.length - 1];
    const lastAt = cur ? (cur.details.lastAt as number) : 0;
    if (cur && lastSeq !== undefined && e.at - lastAt <= p.inactiveClusterMinutes * MINUTE) {
      cur.evidence.push(e.seq);
      cur.details.lastAt = e.at;
      cur.details.events = cur.evidence.length;
      const types = cur.details.types as string[];
      if (!types.includes(e.type)) types.push(e.type);
      continue;
    }
    const d: Draft = {
      badge: e.badge,
      zone: e.zone,
      summary: person ? `Badge ${e.badge} of inactive ${person.name} used at ${e.device ?? e.zone ?? e.site}` : `Badge ${e.badge}, held by no configured person, used at ${e.device ?? e.zone ?? e.site}`,
      evidence: [e.seq],
      details: { registered: person !== undefined, lastAt: e.at, events: 1, types: [e.type] },
      anchor: e,
    };
    open.set(key, d);
    out.push(d);
  }
  for (const d of out) {
    d.details.lastAt = iso(d.details.lastAt as number);
    d.summary += d.evidence.length > 1 ? ` (${d.evidence.length} events)` : '';
  }
  return out;
}
