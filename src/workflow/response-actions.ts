/**
 * The response actions shared by the response steps (5-7), the response monitor and the
 * checkpoint-patrol job: the alert view of an incident, sending a guard, telling the security
 * lead that none could be sent, and planning a checkpoint patrol. Each writes through the store
 * in the caller's transaction; alerts leave through the outbox with an idempotency key.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { noGuardSms, patrolSms, type AlertIncident } from '../domain/alert-content.js';
import { contactsFor } from '../domain/contacts.js';
import { assignGuards, checkpointRoute } from '../domain/guard-dispatch.js';
import { timeId } from '../domain/ids.js';
import { compareMoney } from '../domain/money.js';
import { localTime } from '../domain/local-time.js';
import { riskAt, riskWantsPatrol } from '../domain/risk.js';
import type { OrgModel } from '../domain/site-model.js';
import { BANDS, type Band } from '../domain/types.js';
import type { Queryable } from '../store/db.js';
import { lockSiteGuards, markGuardAssigned } from '../store/guards.js';
import { countIncidentsInZone, incidentsWaitingForGuard, type IncidentRow } from '../store/incidents.js';
import { enqueue } from '../store/notifications.js';
import { insertCheckpointPatrol, insertResponsePatrol } from '../store/patrols.js';
import { zoneRiskScore } from '../store/risk.js';

/** Position of a band in low < medium < high < critical. */
export const bandRank = (b: string): number => BANDS.indexOf(b as Band);

/** The alert summary of an incident. */
export function alertView(inc: IncidentRow, org: OrgModel, config: Config): AlertIncident {
  const model = org.sites.get(inc.site);
  const tz = model?.site.timezone ?? config.organization.timezone;
  const lt = localTime(inc.first_event_at, tz);
  const touched = inc.assets?.touched ?? [];
  const top = [...touched].sort((a, b) => compareMoney(b.value, a.value))[0];
  return {
    id: inc.id,
    type: inc.type,
    band: inc.band,
    score: inc.score,
    siteName: model?.site.name ?? inc.site,
    ...(inc.zone ? { zoneName: model?.zones.get(inc.zone)?.name ?? inc.zone } : {}),
    localTime: lt.hhmm,
    localDate: lt.date,
    timezone: tz,
    ...(top ? { topAsset: { name: top.name, value: top.value } } : {}),
    ...(inc.ack_code ? { ackCode: inc.ack_code } : {}),
    ...(inc.loss ? { netLoss: inc.loss.net } : {}),
    currency: config.organization.currency,
    url: `${config.publicUrl.replace(/\/+$/, '')}/#incident=${encodeURIComponent(inc.id)}`,
    ...(inc.severity ? { factors: inc.severity.factors } : {}),
  };
}

/** Where a guard should go: the most valuable touched asset with a position, else the zone's centre. */
export function patrolTarget(inc: IncidentRow, org: OrgModel): { target?: [number, number]; assets: string[] } {
  const model = org.sites.get(inc.site);
  const touched = [...(inc.assets?.touched ?? [])].sort((a, b) => compareMoney(b.value, a.value));
  const withPos = touched.map((a) => org.assets.get(a.id)).find((a) => a?.position);
  const target = withPos?.position ?? (inc.zone ? model?.centroids.get(inc.zone) : undefined);
  return { ...(target ? { target: [target[0], target[1]] as [number, number] } : {}), assets: touched.filter((a) => a.highRisk || a.relation === 'named').map((a) => a.name) };
}

/**
 * Assigns the best guard to an incident, considering the other incidents of the site waiting for
 * a guard at the same time (optimal assignment weighted by severity). Writes the patrol, marks the
 * guard assigned and queues the guard's SMS. Returns what happened.
 */
export async function dispatchGuard(
  tx: Queryable,
  org: OrgModel,
  config: Config,
  inc: IncidentRow,
  now: Date,
  opts: { attempt: number; exclude: string[] },
): Promise<{ patrolId?: string; guardId?: string; reason?: string; metres?: number; etaSeconds?: number }> {
  const model = org.sites.get(inc.site);
  if (!model) return { reason: `site ${inc.site} is not configured` };
  const { target, assets } = patrolTarget(inc, org);
  if (!target) return { reason: 'the incident has no position on the site plan' };
  const guards = (await lockSiteGuards(tx, inc.site)).filter((g) => !opts.exclude.includes(g.id));
  // Other incidents of the site still waiting for a guard compete for the same guards.
  const competitors = (await incidentsWaitingForGuard(tx, inc.site, inc.id))
    .filter((w) => bandRank(w.band) >= bandRank(config.policy.patrol.minBand))
    .map((w) => ({ id: w.id, target: patrolTarget(w, org).target, severity: w.score }))
    .filter((w): w is { id: string; target: [number, number]; severity: number } => w.target !== undefined);
  const plan = assignGuards(model, [{ id: inc.id, target, severity: inc.score }, ...competitors], guards, now, config.policy.patrol.walkingSpeedMps);
  const mine = plan.find((p) => p.incidentId === inc.id)!;
  if (!mine.guardId) return { reason: mine.reason ?? 'no guard available' };
  const guard = guards.find((g) => g.id === mine.guardId)!;
  const phone = model.site.guards.find((g) => g.id === guard.id)?.phone;
  const patrolId = timeId('pat', now.getTime(), randomBytes(4));
  const reason = `${inc.band} ${inc.type.replace(/_/g, ' ')}${inc.zone ? ` in ${model.zones.get(inc.zone)?.name ?? inc.zone}` : ''}`;
  await insertResponsePatrol(tx, {
    id: patrolId,
    incidentId: inc.id,
    site: inc.site,
    guardId: guard.id,
    zone: inc.zone,
    target,
    assets,
    reason,
    metres: mine.metres ?? null,
    etaSeconds: Math.round(mine.etaSeconds ?? 0),
    attempt: opts.attempt,
    ackDeadline: new Date(now.getTime() + config.policy.patrol.ackMinutes * 60_000),
    assignedAt: now,
  });
  await markGuardAssigned(tx, guard.id);
  if (phone) {
    const body = patrolSms({ guardName: guard.name, siteName: model.site.name, ...(inc.zone ? { zoneName: model.zones.get(inc.zone)?.name ?? inc.zone } : {}), target, assets, reason, ...(mine.etaSeconds !== undefined ? { etaSeconds: mine.etaSeconds } : {}), patrolId });
    await enqueue(tx, [{ incidentId: inc.id, channel: 'sms', kind: `patrol:${patrolId}`, recipient: guard.id, address: phone, body, band: inc.band }], now);
  }
  return { patrolId, guardId: guard.id, metres: mine.metres, etaSeconds: mine.etaSeconds };
}

/** Tells the site's security leads that no guard could be sent (once per incident and reason kind). */
export async function reportNoGuard(tx: Queryable, org: OrgModel, config: Config, inc: IncidentRow, reason: string, now: Date, kind = 'no_guard'): Promise<void> {
  const body = noGuardSms(alertView(inc, org, config), reason);
  const leads = contactsFor(config, inc.site, ['security_lead']).filter((c) => c.phone);
  await enqueue(tx, leads.map((c) => ({ incidentId: inc.id, channel: 'sms' as const, kind, recipient: c.id, address: c.phone!, body, band: inc.band })), now);
}

/**
 * A zone with repeated incidents (policy.patrol.checkpointAfterIncidents within the recurrence
 * window), or whose current risk (step 11) is recurring or at policy.risk.patrolMinBand or above,
 * gets a checkpoint patrol for the next shift: a route through the zone and its neighbours,
 * created once per zone and local day (its id says which), so the step and the scheduled job
 * never plan it twice. Returns the patrol id when one was created.
 */
export async function planCheckpointPatrol(tx: Queryable, org: OrgModel, p: { site: string; zone: string; incidentId: string | null; now: Date }): Promise<string | undefined> {
  const model = org.sites.get(p.site);
  if (!model || !model.zones.has(p.zone)) return undefined;
  const policy = org.config.policy;
  const days = policy.severity.recurrenceDays;
  const n = await countIncidentsInZone(tx, { site: p.site, zone: p.zone, from: new Date(p.now.getTime() - days * 86_400_000) });
  const reasons: string[] = [];
  if (n >= policy.patrol.checkpointAfterIncidents) reasons.push(`${n} incidents in ${model.zones.get(p.zone)?.name ?? p.zone} within ${days} days`);
  const stored = await zoneRiskScore(tx, p.site, p.zone);
  const risk = stored ? riskAt(stored, p.now, policy.risk) : undefined;
  if (risk && riskWantsPatrol(risk, policy.risk)) reasons.push(`zone risk ${risk.band} (${risk.score}/25)${risk.recurring ? `, recurring (${policy.risk.recurring.count} or more incidents within ${policy.risk.recurring.days} days)` : ''}`);
  if (reasons.length === 0) return undefined;
  const day = localTime(p.now, model.site.timezone).date;
  const id = `chk-${p.site}-${p.zone}-${day}`;
  const zones = [p.zone, ...(model.adjacency.get(p.zone) ?? [])];
  const route = checkpointRoute(model, zones, model.centroids.get(p.zone) ?? [0, 0]);
  const created = await insertCheckpointPatrol(tx, {
    id,
    incidentId: p.incidentId,
    site: p.site,
    zone: p.zone,
    route,
    reason: reasons.join('; '),
    assignedAt: p.now,
    scheduledFor: new Date(p.now.getTime() + 8 * 3_600_000),
  });
  return created ? id : undefined;
}
