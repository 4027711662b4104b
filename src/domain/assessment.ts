/**
 * Steps 2-4 over one incident: which assets it touches and which of them are high risk (step 2),
 * its severity (step 3) and its loss (step 4). Works on an IncidentAggregate, a compact fold of the
 * incident's events, so that an incident with thousands of events is re-assessed without reading
 * them all back.
 */
import type { AssetConfig, Policy, ZoneConfig } from '../config/schema.js';
import type { OrgModel } from './site-model.js';
import { distanceToPolygon } from './geometry.js';
import { localTime } from './local-time.js';
import { isAfterHours, ruleFor } from './correlation.js';
import { computeLoss } from './loss.js';
import { fromMinor, toMinor } from './money.js';
import { computeSeverity } from './severity.js';
import type { Band, IncidentType, Loss, SecurityEvent, Severity } from './types.js';

/** What an incident remembers of its events. Plain JSON (stored with the incident). */
export interface IncidentAggregate {
  site: string;
  type: IncidentType;
  /** Zone of the most serious event so far. */
  zone?: string;
  zones: string[];
  eventCount: number;
  sources: string[];
  breach: number;
  breachEvent: string;
  afterHours: boolean;
  /** Local time of the first after-hours event, "02:14". */
  afterHoursAt?: string;
  namedAssets: string[];
  devices: string[];
  badges: string[];
  /** Money carried by events per event type, in minor units as a string (JSON-safe). */
  amounts: Record<string, { count: number; currency: string; minor: string }>;
  recoveries: { description: string; currency: string; minor: string }[];
  /**
   * Keys of the POS lines whose money is already in `amounts` ("store/workstation/sequence/line",
   * domain/pos-exceptions.ts posLineKey): a line event and a POS exception covering that line
   * count its money once.
   */
  posLines?: string[];
  firstEventAt: string;
  lastEventAt: string;
}

/** A fresh aggregate for an incident opened by `event`. */
export function newAggregate(event: SecurityEvent, type: IncidentType): IncidentAggregate {
  return {
    site: event.site,
    type,
    zones: [],
    eventCount: 0,
    sources: [],
    breach: -1,
    breachEvent: '',
    afterHours: false,
    namedAssets: [],
    devices: [],
    badges: [],
    amounts: {},
    recoveries: [],
    firstEventAt: event.occurredAt,
    lastEventAt: event.occurredAt,
  };
}

const addUnique = (list: string[], v: string | undefined, cap = 200) => {
  if (v !== undefined && !list.includes(v) && list.length < cap) list.push(v);
};

const MAX_POS_LINES = 5000;

/** The POS line an event is, when its details name one (POSLog line events). */
function posLineOf(event: SecurityEvent): string | undefined {
  const d = event.details;
  const parts = [d.store, d.workstation, d.sequence, d.lineSequence];
  return parts.every((p) => typeof p === 'string' && p !== '') ? parts.join('/') : undefined;
}

/** True when the event's line money is already counted (an exception covered it); otherwise notes the line. */
function countedPosLine(agg: IncidentAggregate, event: SecurityEvent): boolean {
  if (event.source !== 'pos') return false;
  const key = posLineOf(event);
  if (!key) return false;
  const lines = (agg.posLines ??= []);
  if (lines.includes(key)) return true;
  if (lines.length < MAX_POS_LINES) lines.push(key);
  return false;
}

/** Folds a POS exception's evidence lines (each line's money once per incident) into the amounts. */
function foldPosEvidence(agg: IncidentAggregate, event: SecurityEvent): void {
  const currency = event.amount?.currency;
  if (!currency) return;
  const lines = (agg.posLines ??= []);
  for (const item of event.details.evidence as unknown[]) {
    if (!item || typeof item !== 'object') continue;
    const { key, amount } = item as { key?: unknown; amount?: unknown };
    if (typeof key !== 'string' || typeof amount !== 'string' || lines.includes(key)) continue;
    let minor: bigint;
    try {
      minor = toMinor(amount, currency);
    } catch {
      continue;
    }
    if (lines.length < MAX_POS_LINES) lines.push(key);
    const slot: { count: number; currency: string; minor: string } = (agg.amounts[event.type] ??= { count: 0, currency, minor: '0' });
    if (slot.currency !== currency) continue;
    slot.count += 1;
    slot.minor = String(BigInt(slot.minor) + (minor < 0n ? -minor : minor));
  }
}

/** Folds one event into the aggregate (mutates it). */
export function foldEvent(agg: IncidentAggregate, event: SecurityEvent, org: OrgModel, policy: Policy, type: IncidentType): void {
  agg.eventCount += 1;
  agg.type = type;
  addUnique(agg.sources, event.source);
  addUnique(agg.zones, event.zone);
  addUnique(agg.devices, event.device);
  addUnique(agg.badges, event.badge);
  for (const a of event.assets ?? []) if (org.assets.get(a)?.site === event.site) addUnique(agg.namedAssets, a);
  const rule = ruleFor(policy, event.source, event.type);
  const breach = rule?.breach ?? 0;
  if (breach > agg.breach) {
    agg.breach = breach;
    agg.breachEvent = `${event.source}.${event.type}`;
    if (event.zone) agg.zone = event.zone;
  }
  if (!agg.zone && event.zone) agg.zone = event.zone;
  const at = new Date(event.occurredAt);
  if (!agg.afterHours && isAfterHours(org, event.site, at)) {
    agg.afterHours = true;
    const tz = org.sites.get(event.site)?.site.timezone;
    if (tz) agg.afterHoursAt = localTime(at, tz).hhmm;
  }
  if (event.occurredAt < agg.firstEventAt) agg.firstEventAt = event.occurredAt;
  if (event.occurredAt > agg.lastEventAt) agg.lastEventAt = event.occurredAt;
  const exception = event.source === 'pos' && event.details.posException === true && Array.isArray(event.details.evidence);
  if (exception) foldPosEvidence(agg, event);
  else if (event.amount && !countedPosLine(agg, event)) {
    const minor = toMinor(event.amount.value, event.amount.currency);
    const recovered = event.details.recovered === true;
    if (recovered) {
      if (agg.recoveries.length < 100) {
        agg.recoveries.push({ description: `recovered at ${event.device ?? event.zone ?? event.site} (${event.type})`, currency: event.amount.currency, minor: String(minor < 0n ? -minor : minor) });
      }
    }
    // A recovered item was still taken first: its value counts in the loss and again as recovered.
    const slot = (agg.amounts[event.type] ??= { count: 0, currency: event.amount.currency, minor: '0' });
    if (slot.currency === event.amount.currency) {
      slot.count += 1;
      slot.minor = String(BigInt(slot.minor) + (minor < 0n ? -minor : minor));
    }
  }
  const recoveredAmount = event.details.recoveredAmount;
  if ((typeof recoveredAmount === 'string' || typeof recoveredAmount === 'number') && agg.recoveries.length < 100) {
    const currency = event.amount?.currency ?? org.config.organization.currency;
    try {
      agg.recoveries.push({ description: `recovery reported by ${event.source}.${event.type}`, currency, minor: String(toMinor(recoveredAmount, currency)) });
    } catch {
      // An unparseable recovery amount is ignored here; the event itself is kept as is.
    }
  }
}

export interface TouchedAsset {
  id: string;
  name: string;
  zone: string;
  value: string;
  category: string;
  relation: 'named' | 'zone' | 'reach';
  highRisk: boolean;
  highRiskReasons: string[];
}

/** Facts from the store that the assessment needs (device state, history). */
export interface AssessmentContext {
  /** Ids of devices currently offline or not recording. */
  devicesDown: ReadonlySet<string>;
  /** Incidents in the same zone within policy.severity.recurrenceDays before this one. */
  priorIncidentsInZone: number;
  /** Per asset: incidents that touched it within policy.highRisk.recentDays. */
  assetRecentIncidents: ReadonlyMap<string, number>;
  /** The current risk (step 11) of the incident's zone, when it has been assessed (domain/risk.ts riskAt). */
  zoneRisk?: { band: Band; score: number; recurring: boolean };
}

/** Why an asset is high risk under the policy (empty when it is not). */
export function highRiskReasons(asset: AssetConfig, zone: ZoneConfig | undefined, recentIncidents: number, currency: string, policy: Policy): string[] {
  const h = policy.highRisk;
  const reasons: string[] = [];
  if (toMinor(asset.value, currency) >= toMinor(h.minValue, currency)) reasons.push(`value ${asset.value} >= ${h.minValue}`);
  if (h.categories.includes(asset.category)) reasons.push(`category ${asset.category}`);
  if (h.restrictedZone && zone?.restricted) reasons.push(`in restricted zone ${zone.id}`);
  if (h.sensitiveData && asset.sensitiveData) reasons.push('holds sensitive data');
  if (recentIncidents >= h.recentIncidents) reasons.push(`${recentIncidents} incidents in ${h.recentDays} days`);
  return reasons;
}

export interface Assessment {
  assets: TouchedAsset[];
  adjacentHighRisk: TouchedAsset[];
  severity: Severity;
  loss: Loss;
}

/** Assesses an incident: touched and adjacent high-risk assets, severity and loss. Pure. */
export function assessIncident(agg: IncidentAggregate, org: OrgModel, policy: Policy, ctx: AssessmentContext): Assessment {
  const model = org.sites.get(agg.site);
  if (!model) throw new Error(`unknown site ${agg.site}`);
  const currency = org.config.organization.currency;
  const describe = (a: AssetConfig, relation: TouchedAsset['relation']): TouchedAsset => {
    const reasons = highRiskReasons(a, model.zones.get(a.zone), ctx.assetRecentIncidents.get(a.id) ?? 0, currency, policy);
    return { id: a.id, name: a.name, zone: a.zone, value: a.value, category: a.category, relation, highRisk: reasons.length > 0, highRiskReasons: reasons };
  };
  const touched = new Map<string, TouchedAsset>();
  for (const id of agg.namedAssets) {
    const a = org.assets.get(id);
    if (a) touched.set(id, describe(a, 'named'));
  }
  for (const z of agg.zones) for (const a of model.assetsByZone.get(z) ?? []) if (!touched.has(a.id)) touched.set(a.id, describe(a, 'zone'));
  // Within reach: assets in adjacent zones standing within reachMetres of an incident zone.
  const adjacentZones = new Set<string>();
  for (const z of agg.zones) for (const n of model.adjacency.get(z) ?? []) if (!agg.zones.includes(n)) adjacentZones.add(n);
  const adjacentHighRisk: TouchedAsset[] = [];
  for (const z of adjacentZones) {
    for (const a of model.assetsByZone.get(z) ?? []) {
      if (touched.has(a.id)) continue;
      const near = a.position !== undefined && agg.zones.some((iz) => {
        const poly = model.zones.get(iz)?.polygon;
        return poly !== undefined && distanceToPolygon(a.position!, poly) <= policy.highRisk.reachMetres;
      });
      if (near) touched.set(a.id, describe(a, 'reach'));
      else {
        const d = describe(a, 'reach');
        if (d.highRisk) adjacentHighRisk.push(d);
      }
    }
  }
  const assets = [...touched.values()];
  const zoneCfg = agg.zone ? model.zones.get(agg.zone) : undefined;
  const restricted = agg.zones.some((z) => model.zones.get(z)?.restricted);
  const cameras = new Set<string>();
  for (const z of agg.zones) for (const d of model.devicesByZone.get(z) ?? []) if (d.kind === 'camera') cameras.add(d.id);
  const down = [...cameras].filter((c) => ctx.devicesDown.has(c)).length;
  const hours = model.site.businessHours;
  const severity = computeSeverity(
    {
      breach: Math.max(0, agg.breach),
      breachDetail: `${agg.breachEvent || 'no scored event'} (${Math.max(0, agg.breach)})`,
      assets: assets.map((a) => ({ id: a.id, value: a.value, vulnerability: org.assets.get(a.id)?.vulnerability ?? 0.5 })),
      coveringCameras: cameras.size,
      camerasDown: down,
      adjacentHighRisk: adjacentHighRisk.map((a) => ({ id: a.id, value: a.value })),
      afterHours: agg.afterHours,
      afterHoursDetail: agg.afterHours
        ? `${agg.afterHoursAt ?? '?'} local (${model.site.timezone}), outside ${hours.open}-${hours.close}`
        : `within business hours ${hours.open}-${hours.close} (${model.site.timezone})`,
      restrictedZone: restricted ?? false,
      zoneName: zoneCfg?.name ?? agg.zone ?? 'site',
      priorIncidents: ctx.priorIncidentsInZone,
      ...(ctx.zoneRisk ? { zoneRisk: ctx.zoneRisk } : {}),
      distinctSources: agg.sources.length,
      currency,
    },
    policy,
  );
  const loss = computeLoss(
    {
      incidentType: agg.type,
      currency,
      hourlyOperatingCost: model.site.hourlyOperatingCost,
      assets: assets.map((a) => {
        const cfg = org.assets.get(a.id)!;
        return { id: a.id, name: a.name, value: a.value, category: a.category, sensitiveData: cfg.sensitiveData, named: a.relation === 'named' };
      }),
      eventAmounts: Object.entries(agg.amounts).map(([type, s]) => ({ type, count: s.count, amount: { value: fromMinor(BigInt(s.minor), s.currency), currency: s.currency } })),
      recoveries: agg.recoveries.map((r) => ({ description: r.description, amount: { value: fromMinor(BigInt(r.minor), r.currency), currency: r.currency } })),
    },
    policy,
  );
  return { assets, adjacentHighRisk, severity, loss };
}
