/**
 * Step 11: risk per asset, zone and site on an ISO 31000 style 5x5 matrix (docs/risk.md).
 *
 *   likelihood 1-5  from the decayed incident sum S = sum_i bandWeight_i x 2^(-age_i / halfLife),
 *                   mapped by policy.risk.likelihoodThresholds, raised by recurring.likelihoodRaise
 *                   when the scope is recurring (at least recurring.count incidents within
 *                   recurring.days), capped at 5;
 *   impact 1-5      from the asset value (exact decimal thresholds in the organisation currency),
 *                   raised by a critical category, sensitive data and a restricted zone, capped at 5;
 *                   a zone takes the highest of its assets (or zoneDefault), a site its worst zone;
 *   score = likelihood x impact (1-25), band from policy.risk.bands.
 *
 * Every decayed weight shrinks by the same factor as time passes, so a stored sum S computed at t0
 * is S x 2^(-(t - t0) / halfLife) at t with no new incident: `riskAt` gives the current value of a
 * stored score without reading incidents again (what the severity and the patrol planning use).
 *
 * Pure: incidents, time and policy come in as arguments.
 */
import type { AssetConfig, RiskPolicy } from '../config/schema.js';
import { compareMoney } from './money.js';
import type { SiteModel } from './site-model.js';
import { BANDS, type Band } from './types.js';

export const RISK_SCOPES = ['asset', 'zone', 'site'] as const;
export type RiskScope = (typeof RISK_SCOPES)[number];

const DAY_MS = 86_400_000;
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const clampLevel = (x: number) => Math.min(5, Math.max(1, Math.round(x)));

/** An incident as risk sees it. */
export interface RiskIncident {
  id: string;
  openedAt: Date;
  band: string;
}

/** Weight of an incident `ageDays` old: 2^(-age / halfLife); an incident from the future counts as new. */
export function decayWeight(ageDays: number, halfLifeDays: number): number {
  return 2 ** (-Math.max(0, ageDays) / halfLifeDays);
}

/** Age of an incident at `now`, in days (0 for one opened after `now`). */
export const ageDays = (openedAt: Date, now: Date): number => Math.max(0, (now.getTime() - openedAt.getTime()) / DAY_MS);

/** Likelihood 1-5 of a decayed sum: 1 + the number of thresholds it reaches. */
export function likelihoodFor(sum: number, thresholds: readonly number[]): number {
  let level = 1;
  for (const t of thresholds) if (sum >= t) level++;
  return clampLevel(level);
}

/** Impact 1-5 of an asset value: 1 + the number of value thresholds it reaches (exact decimal comparison). */
export function valueImpact(value: string, thresholds: readonly string[]): number {
  let level = 1;
  for (const t of thresholds) if (compareMoney(value, t) >= 0) level++;
  return clampLevel(level);
}

/** The band of a score (1-25) under policy.risk.bands. */
export function riskBandFor(score: number, bands: RiskPolicy['bands']): Band {
  if (score >= bands.critical) return 'critical';
  if (score >= bands.high) return 'high';
  if (score >= bands.medium) return 'medium';
  return 'low';
}

/** Position of a band in low < medium < high < critical. */
export const riskBandRank = (b: string): number => BANDS.indexOf(b as Band);

/** Whether a scope is recurring at `now`: at least `count` incidents within the last `days`, and until when. */
export function recurringAt(incidents: readonly RiskIncident[], now: Date, r: RiskPolicy['recurring']): { inWindow: number; flagged: boolean; until: Date | null } {
  const opened = incidents.map((i) => Math.min(i.openedAt.getTime(), now.getTime())).sort((a, b) => b - a);
  const windowMs = r.days * DAY_MS;
  const inWindow = opened.filter((t) => now.getTime() - t < windowMs).length;
  const flagged = inWindow >= r.count;
  // The flag holds until the count-th newest incident leaves the window.
  return { inWindow, flagged, until: flagged ? new Date(opened[r.count - 1]! + windowMs) : null };
}

/** The likelihood side of an assessment, with what it came from. */
export interface LikelihoodInputs {
  incidents: number;
  decayedSum: number;
  halfLifeDays: number;
  lookbackDays: number;
  thresholds: number[];
  fromSum: number;
  raisedBy: number;
  /** The newest incidents (at most 10) with their age and weight. */
  recent: { id: string; ageDays: number; band: string; weight: number }[];
}

/** The impact side of an assessment. */
export interface ImpactInputs {
  level: number;
  reason: string;
  value?: string;
  valueThresholds?: string[];
  fromValue?: number;
  raises?: string[];
  /** Zones and sites: the asset or zone the impact comes from. */
  from?: string;
}

/** Everything a result was computed from (stored with every score and history row). */
export interface RiskInputs {
  policyVersion: string;
  likelihood: LikelihoodInputs;
  recurring: { count: number; days: number; inWindow: number; flagged: boolean; until: string | null };
  impact: ImpactInputs;
  /** Assets: the zone the asset stands in. */
  zone?: string;
  /** Sites: the zone (or site-wide incidents) whose risk the site takes. */
  worst?: string;
  /** Sites: zones that are recurring. */
  recurringZones?: string[];
  latestIncident: string | null;
  /** One line a person reads. */
  explanation: string;
}

/** A risk assessment of one scope. */
export interface RiskAssessment {
  scope: RiskScope;
  /** Asset id, `<site>/<zone>`, or site id. */
  id: string;
  site: string;
  zone?: string;
  likelihood: number;
  impact: number;
  score: number;
  band: Band;
  recurring: boolean;
  /** Unrounded decayed sum (what `riskAt` decays further). */
  decayedSum: number;
  recurringUntil: Date | null;
  inputs: RiskInputs;
}

/** The decayed sum of incidents at `now`. */
export function decayedSum(incidents: readonly RiskIncident[], now: Date, policy: RiskPolicy): number {
  let sum = 0;
  for (const i of incidents) sum += bandWeight(i.band, policy) * decayWeight(ageDays(i.openedAt, now), policy.halfLifeDays);
  return sum;
}

function bandWeight(band: string, policy: RiskPolicy): number {
  return (policy.bandWeights as Record<string, number>)[band] ?? 1;
}

/** Likelihood 1-5 of a scope's incidents at `now` (decayed sum, then the recurring raise), with its inputs. */
export function assessLikelihood(incidents: readonly RiskIncident[], now: Date, policy: RiskPolicy): { likelihood: number; recurring: RiskInputs['recurring']; inputs: LikelihoodInputs; until: Date | null; sum: number; latest: string | null } {
  const sum = decayedSum(incidents, now, policy);
  const fromSum = likelihoodFor(sum, policy.likelihoodThresholds);
  const rec = recurringAt(incidents, now, policy.recurring);
  const raisedBy = rec.flagged ? Math.min(policy.recurring.likelihoodRaise, 5 - fromSum) : 0;
  const newest = [...incidents].sort((a, b) => b.openedAt.getTime() - a.openedAt.getTime() || (a.id < b.id ? 1 : -1));
  return {
    likelihood: fromSum + raisedBy,
    sum,
    until: rec.until,
    latest: newest[0]?.id ?? null,
    recurring: { count: policy.recurring.count, days: policy.recurring.days, inWindow: rec.inWindow, flagged: rec.flagged, until: rec.until?.toISOString() ?? null },
    inputs: {
      incidents: incidents.length,
      decayedSum: round4(sum),
      halfLifeDays: policy.halfLifeDays,
      lookbackDays: policy.lookbackDays,
      thresholds: [...policy.likelihoodThresholds],
      fromSum,
      raisedBy,
      recent: newest.slice(0, 10).map((i) => {
        const age = ageDays(i.openedAt, now);
        return { id: i.id, ageDays: round4(age), band: i.band, weight: round4(bandWeight(i.band, policy) * decayWeight(age, policy.halfLifeDays)) };
      }),
    },
  };
}

/** Impact 1-5 of an asset: its value level, raised by a critical category, sensitive data and a restricted zone. */
export function assetImpact(asset: Pick<AssetConfig, 'value' | 'category' | 'sensitiveData'>, restrictedZone: boolean, policy: RiskPolicy): ImpactInputs {
  const p = policy.impact;
  const fromValue = valueImpact(asset.value, p.valueThresholds);
  const raises: string[] = [];
  let level = fromValue;
  if (p.criticalCategories.includes(asset.category) && p.categoryRaise > 0) {
    level += p.categoryRaise;
    raises.push(`category ${asset.category} +${p.categoryRaise}`);
  }
  if (asset.sensitiveData && p.sensitiveDataRaise > 0) {
    level += p.sensitiveDataRaise;
    raises.push(`sensitive data +${p.sensitiveDataRaise}`);
  }
  if (restrictedZone && p.restrictedZoneRaise > 0) {
    level += p.restrictedZoneRaise;
    raises.push(`restricted zone +${p.restrictedZoneRaise}`);
  }
  const raw = level;
  level = clampLevel(raw);
  const reason = `value ${asset.value} gives ${fromValue}${raises.length ? `, ${raises.join(', ')}` : ''}${raw > 5 ? ' (capped at 5)' : ''}`;
  return { level, reason, value: asset.value, valueThresholds: [...p.valueThresholds], fromValue, raises };
}

/** Impact of a zone without assets (zoneDefault, raised when restricted). */
export function defaultZoneImpact(restricted: boolean, policy: RiskPolicy): ImpactInputs {
  const raise = restricted ? policy.impact.restrictedZoneRaise : 0;
  const level = clampLevel(policy.impact.zoneDefault + raise);
  return { level, reason: `no asset: zone default ${policy.impact.zoneDefault}${raise ? `, restricted zone +${raise}` : ''}`, from: 'zone default' };
}

function finish(
  base: { scope: RiskScope; id: string; site: string; zone?: string },
  l: ReturnType<typeof assessLikelihood>,
  impact: ImpactInputs,
  policy: RiskPolicy,
  policyVersion: string,
  extra: Partial<RiskInputs> = {},
): RiskAssessment {
  const score = l.likelihood * impact.level;
  const band = riskBandFor(score, policy.bands);
  const explanation =
    `likelihood ${l.likelihood} (${l.inputs.incidents} incident(s), decayed sum ${l.inputs.decayedSum} with half-life ${policy.halfLifeDays} d gives ${l.inputs.fromSum}` +
    `${l.inputs.raisedBy ? `, +${l.inputs.raisedBy} recurring: ${l.recurring.inWindow} within ${policy.recurring.days} d` : ''})` +
    ` x impact ${impact.level} (${impact.from && impact.from !== 'zone default' ? `${impact.from}: ` : ''}${impact.reason}) = ${score}, ${band}`;
  return {
    ...base,
    likelihood: l.likelihood,
    impact: impact.level,
    score,
    band,
    recurring: l.recurring.flagged,
    decayedSum: l.sum,
    recurringUntil: l.until,
    inputs: { policyVersion, likelihood: l.inputs, recurring: l.recurring, impact, latestIncident: l.latest, explanation, ...extra },
  };
}

/** A site incident with the zones it happened in. */
export interface SiteIncident extends RiskIncident {
  /** Zones of the incident's events (empty: no zone). */
  zones: readonly string[];
}

/** What a site's recalculation reads. */
export interface SiteRiskInput {
  model: SiteModel;
  /** The site's incidents in the look-back (false alarms left out). */
  incidents: readonly SiteIncident[];
  /** Per asset of the site: the incidents that touched it in the look-back. */
  assetIncidents: ReadonlyMap<string, readonly RiskIncident[]>;
  now: Date;
  policy: RiskPolicy;
  policyVersion: string;
}

/** Zone scope id: `<site>/<zone>`. */
export const zoneScopeId = (site: string, zone: string): string => `${site}/${zone}`;

/**
 * Assesses every asset and zone of a site and the site itself at `now`. A zone counts every
 * incident whose events were in it; its impact is the highest of its assets' (or the zone
 * default). The site takes its worst zone (highest score, then likelihood), with incidents that
 * have no zone assessed together at the zone default impact as one more candidate.
 */
export function assessSite(input: SiteRiskInput): RiskAssessment[] {
  const { model, now, policy, policyVersion } = input;
  const site = model.site.id;
  const out: RiskAssessment[] = [];
  const assetResults = new Map<string, { impact: ImpactInputs; assetId: string }[]>();
  for (const a of model.site.assets) {
    const restricted = model.zones.get(a.zone)?.restricted ?? false;
    const impact = assetImpact(a, restricted, policy);
    const l = assessLikelihood(input.assetIncidents.get(a.id) ?? [], now, policy);
    out.push(finish({ scope: 'asset', id: a.id, site, zone: a.zone }, l, impact, policy, policyVersion, { zone: a.zone }));
    const list = assetResults.get(a.zone) ?? [];
    list.push({ impact, assetId: a.id });
    assetResults.set(a.zone, list);
  }
  const byZone = new Map<string, RiskIncident[]>();
  const siteWide: RiskIncident[] = [];
  for (const inc of input.incidents) {
    const zones = inc.zones.filter((z) => model.zones.has(z));
    if (zones.length === 0) siteWide.push(inc);
    for (const z of new Set(zones)) {
      const list = byZone.get(z) ?? [];
      list.push(inc);
      byZone.set(z, list);
    }
  }
  const zoneResults: RiskAssessment[] = [];
  for (const z of model.site.zones) {
    const assets = assetResults.get(z.id) ?? [];
    let impact = defaultZoneImpact(z.restricted, policy);
    for (const a of assets) if (a.impact.level > impact.level) impact = { ...a.impact, from: `asset ${a.assetId}` };
    const l = assessLikelihood(byZone.get(z.id) ?? [], now, policy);
    const r = finish({ scope: 'zone', id: zoneScopeId(site, z.id), site, zone: z.id }, l, impact, policy, policyVersion);
    zoneResults.push(r);
    out.push(r);
  }
  const candidates: { label: string; r: RiskAssessment }[] = zoneResults.map((r) => ({ label: r.id, r }));
  if (siteWide.length > 0) {
    const impact = { ...defaultZoneImpact(false, policy), from: 'incidents without a zone' };
    candidates.push({ label: 'incidents without a zone', r: finish({ scope: 'site', id: site, site }, assessLikelihood(siteWide, now, policy), impact, policy, policyVersion) });
  }
  candidates.sort((a, b) => b.r.score - a.r.score || b.r.likelihood - a.r.likelihood || b.r.impact - a.r.impact || (a.label < b.label ? -1 : 1));
  const worst = candidates[0];
  const recurringZones = zoneResults.filter((r) => r.recurring).map((r) => r.zone!);
  if (worst) {
    const w = worst.r;
    out.push({
      scope: 'site',
      id: site,
      site,
      likelihood: w.likelihood,
      impact: w.impact,
      score: w.score,
      band: w.band,
      recurring: w.recurring,
      decayedSum: w.decayedSum,
      recurringUntil: w.recurringUntil,
      inputs: { ...w.inputs, worst: worst.label, recurringZones, explanation: `worst of the site is ${worst.label}: ${w.inputs.explanation}` },
    });
  }
  return out;
}

/** What `riskAt` needs of a stored score. */
export interface StoredRisk {
  impact: number;
  decayedSum: number;
  computedAt: Date;
  recurringUntil: Date | null;
}

/** A stored score as it stands at `now`, with no incident since it was computed. */
export interface CurrentRisk {
  likelihood: number;
  impact: number;
  score: number;
  band: Band;
  recurring: boolean;
  decayedSum: number;
}

/**
 * The value of a stored score at `now`: its decayed sum decays further by 2^(-elapsed / halfLife),
 * the recurring flag holds until `recurringUntil`. At `computedAt` this is the stored result.
 * (Incidents that would leave the look-back meanwhile are still counted: their weight is at most
 * 2^(-lookbackDays / halfLifeDays) each.)
 */
export function riskAt(stored: StoredRisk, now: Date, policy: RiskPolicy): CurrentRisk {
  const elapsed = Math.max(0, (now.getTime() - stored.computedAt.getTime()) / DAY_MS);
  const sum = stored.decayedSum * decayWeight(elapsed, policy.halfLifeDays);
  const recurring = stored.recurringUntil !== null && now.getTime() < stored.recurringUntil.getTime();
  const fromSum = likelihoodFor(sum, policy.likelihoodThresholds);
  const likelihood = fromSum + (recurring ? Math.min(policy.recurring.likelihoodRaise, 5 - fromSum) : 0);
  const impact = clampLevel(stored.impact);
  const score = likelihood * impact;
  return { likelihood, impact, score, band: riskBandFor(score, policy.bands), recurring, decayedSum: sum };
}

/** The severity recurrence value a zone's current risk gives (policy.risk.severityRecurrence). */
export function riskRecurrenceValue(current: Pick<CurrentRisk, 'band' | 'recurring'>, policy: RiskPolicy): number {
  const s = policy.severityRecurrence;
  return Math.max(s[current.band], current.recurring ? s.recurring : 0);
}

/** Whether a zone's current risk asks for a checkpoint patrol (recurring, or at policy.risk.patrolMinBand or above). */
export function riskWantsPatrol(current: Pick<CurrentRisk, 'band' | 'recurring'>, policy: RiskPolicy): boolean {
  return current.recurring || riskBandRank(current.band) >= riskBandRank(policy.patrolMinBand);
}
