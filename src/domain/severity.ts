/**
 * Step 3: the incident severity score. A weighted sum of factors, each in [0, 1]:
 *
 *   score = 100 x sum_i(weight_i x value_i),   weights from policy.severity.weights (sum 1)
 *
 * Factors and the assumptions behind them:
 * - breachType: the most serious event in the incident (policy eventRules.*.breach); a forced door
 *   (0.85) is worse than a loitering person (0.35).
 * - assetCriticality: log-scaled value of the most valuable touched asset, ln(1+v)/ln(1+V) capped at 1
 *   with V = criticalAssetValue. Log scale because a $50k safe is not 50x as critical as a $1k printer.
 * - assetVulnerability: the most vulnerable touched asset, raised towards 1 by the share of
 *   covering cameras that are offline or not recording: v' = v + (1 - v) x boost x downShare.
 * - contagion: high-risk assets in adjacent zones the intruder can reach next:
 *   1 - prod(1 - 0.5 x criticality(asset)) - two adjacent $50k assets make 0.75.
 * - afterHours: any event outside business hours in the site's own time zone.
 * - restrictedZone: the incident is in a restricted zone.
 * - recurrence: earlier incidents in the same zone within recurrenceDays, saturating; or, when it
 *   is higher, the value the zone's current risk band gives (policy.risk.severityRecurrence, step 11).
 * - corroboration: distinct sources that saw it (1 source = 0, corroborationSaturation = 1).
 */
import type { Policy } from '../config/schema.js';
import { approxMajorUnits } from './money.js';
import { riskRecurrenceValue } from './risk.js';
import type { Band, Severity, SeverityFactor } from './types.js';

export interface SeverityInput {
  /** Highest breach value among the incident's events (0..1). */
  breach: number;
  breachDetail: string;
  /** Touched assets (named, in zone or within reach). */
  assets: { id: string; value: string; vulnerability: number }[];
  /** Cameras that cover the zone, and how many of them are offline or not recording. */
  coveringCameras: number;
  camerasDown: number;
  /** High-risk assets in adjacent zones. */
  adjacentHighRisk: { id: string; value: string }[];
  afterHours: boolean;
  afterHoursDetail: string;
  restrictedZone: boolean;
  zoneName: string;
  /** Incidents in the same zone within policy.severity.recurrenceDays before this one. */
  priorIncidents: number;
  /** The zone's current risk (step 11), when it has been assessed: it can raise the recurrence factor. */
  zoneRisk?: { band: Band; score: number; recurring: boolean };
  distinctSources: number;
  currency: string;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Criticality of an asset value in [0, 1] (log scale, 1 at policy.severity.criticalAssetValue). */
export function valueCriticality(value: string, currency: string, policy: Policy): number {
  const v = approxMajorUnits(value, currency);
  const cap = approxMajorUnits(policy.severity.criticalAssetValue, currency);
  if (v <= 0 || cap <= 0) return 0;
  return Math.min(1, Math.log1p(v) / Math.log1p(cap));
}

/** The band for a score under the policy thresholds. */
export function bandFor(score: number, policy: Policy): Band {
  const b = policy.severity.bands;
  if (score >= b.critical) return 'critical';
  if (score >= b.high) return 'high';
  if (score >= b.medium) return 'medium';
  return 'low';
}

/** Computes the explainable severity of an incident. Pure and deterministic. */
export function computeSeverity(input: SeverityInput, policy: Policy): Severity {
  const w = policy.severity.weights;
  const s = policy.severity;
  const clamp = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

  let topAsset: { id: string; crit: number } | undefined;
  for (const a of input.assets) {
    const crit = valueCriticality(a.value, input.currency, policy);
    if (!topAsset || crit > topAsset.crit) topAsset = { id: a.id, crit };
  }
  const baseVuln = input.assets.reduce((m, a) => Math.max(m, clamp(a.vulnerability)), 0);
  const downShare = input.coveringCameras > 0 ? clamp(input.camerasDown / input.coveringCameras) : 0;
  const vuln = clamp(baseVuln + (1 - baseVuln) * s.cameraOutageBoost * downShare);
  let notReached = 1;
  for (const a of input.adjacentHighRisk) notReached *= 1 - 0.5 * valueCriticality(a.value, input.currency, policy);
  const contagion = clamp(1 - notReached);
  // Recurrence: the count of earlier incidents, or the zone's risk (step 11) when that says more.
  const countRecurrence = clamp(input.priorIncidents / s.recurrenceSaturation);
  const riskRecurrence = input.zoneRisk ? clamp(riskRecurrenceValue(input.zoneRisk, policy.risk)) : 0;
  const recurrence = Math.max(countRecurrence, riskRecurrence);
  const countDetail = `${input.priorIncidents} earlier incident(s) in the zone within ${s.recurrenceDays} days`;
  const riskDetail = input.zoneRisk
    ? `zone risk ${input.zoneRisk.band} (${input.zoneRisk.score}/25)${input.zoneRisk.recurring ? ', recurring' : ''} gives ${round2(riskRecurrence)}`
    : undefined;
  const recurrenceDetail =
    riskDetail && riskRecurrence > countRecurrence ? `from the zone's risk: ${riskDetail}; ${countDetail}` : riskDetail ? `${countDetail}; ${riskDetail}` : countDetail;
  const corroboration = clamp((input.distinctSources - 1) / (s.corroborationSaturation - 1));

  const raw: [keyof typeof w, number, string][] = [
    ['breachType', clamp(input.breach), input.breachDetail],
    ['assetCriticality', topAsset?.crit ?? 0, topAsset ? `most valuable touched asset ${topAsset.id}` : 'no asset touched'],
    [
      'assetVulnerability',
      vuln,
      `asset vulnerability ${baseVuln.toFixed(2)}` +
        (input.coveringCameras > 0 ? `, ${input.camerasDown} of ${input.coveringCameras} covering cameras down` : ', no covering camera'),
    ],
    ['contagion', contagion, input.adjacentHighRisk.length > 0 ? `high-risk assets next door: ${input.adjacentHighRisk.map((a) => a.id).join(', ')}` : 'no high-risk asset in adjacent zones'],
    ['afterHours', input.afterHours ? 1 : 0, input.afterHoursDetail],
    ['restrictedZone', input.restrictedZone ? 1 : 0, input.restrictedZone ? `${input.zoneName} is restricted` : `${input.zoneName} is not restricted`],
    ['recurrence', recurrence, recurrenceDetail],
    ['corroboration', corroboration, `${input.distinctSources} distinct source(s)`],
  ];
  // Values are stored to 4 decimals and contributions computed from the stored value, so anyone
  // multiplying the numbers shown gets the contribution shown, and the contributions add up to the score.
  const factors: SeverityFactor[] = raw.map(([name, value, detail]) => {
    const v = Math.round(clamp(value) * 10_000) / 10_000;
    return { name, value: v, weight: w[name], contribution: round2(100 * w[name] * v), detail };
  });
  const exact = factors.reduce((sum, f) => sum + f.contribution, 0);
  const score = Math.min(100, Math.max(0, Math.round(exact * 10) / 10));
  return { score, band: bandFor(score, policy), policyVersion: policy.version, factors };
}
