/**
 * Steps 5-7 of the incident workflow: send-emergency-sms, notify-management, assign-guard-patrol.
 *
 * Each step DECIDES its alerts and writes them to the outbox (store/outbox.ts) in the step's own
 * transaction; the dispatcher delivers them. The outbox's idempotency key contains the band, so
 * running a step again for the same band queues nothing new, and a band that rises re-alerts once.
 * A patrol, once assigned, is not assigned again for the same incident unless the guard fails to
 * acknowledge (see response-monitor.ts).
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Config, ContactConfig } from '../../config/schema.js';
import { emergencySms, managementEmail, noGuardSms, patrolSms, type AlertIncident } from '../../domain/alert-content.js';
import type { OrgModel } from '../../domain/site-model.js';
import { localTime } from '../../domain/local-time.js';
import { NotFoundError } from '../../domain/errors.js';
import { assignGuards, checkpointRoute, type GuardState } from '../../domain/guard-dispatch.js';
import { timeId } from '../../domain/ids.js';
import { BANDS, type Band, type Loss, type Severity } from '../../domain/types.js';
import type { Queryable } from '../../store/db.js';
import { enqueue, type OutboxItem } from '../../store/outbox.js';
import type { StepDefinition, StepOutcome } from '../runner.js';

/** Position of a band in low < medium < high < critical. */
export const bandRank = (b: string): number => BANDS.indexOf(b as Band);

export interface IncidentRow {
  id: string;
  site: string;
  zone: string | null;
  zones: string[];
  type: string;
  status: string;
  band: Band;
  score: number;
  severity: Severity | null;
  loss: Loss | null;
  assets: { touched?: { id: string; name: string; value: string; relation: string; highRisk: boolean }[] } | null;
  first_event_at: Date;
  ack_code: string | null;
  escalation_level: number;
}

/** Loads an incident for the response steps (locked for the step's transaction). */
export async function loadIncident(tx: Queryable, id: string): Promise<IncidentRow> {
  const r = await tx.query<IncidentRow>(
    `SELECT id, site, zone, zones, type, status, band, score, severity, loss, assets, first_event_at, ack_code, escalation_level FROM incidents WHERE id = $1 FOR UPDATE`,
    [id],
  );
  if (!r.rows[0]) throw new NotFoundError(`incident ${id}`);
  return r.rows[0];
}

/** The alert summary of an incident. */
export function alertView(inc: IncidentRow, org: OrgModel, config: Config): AlertIncident {
  const model = org.sites.get(inc.site);
  const tz = model?.site.timezone ?? config.organization.timezone;
  const lt = localTime(inc.first_event_at, tz);
  const touched = inc.assets?.touched ?? [];
  const top = [...touched].sort((a, b) => Number(b.value) - Number(a.value))[0];
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

/** Contacts of a role that cover a site (a contact with no sites covers all). */
export function contactsFor(config: Config, site: string, roles: ContactConfig['role'][]): ContactConfig[] {
  return config.contacts.filter((c) => roles.includes(c.role) && (c.sites.length === 0 || c.sites.includes(site)));
}

/** Step 5: the emergency SMS to the site's security leads and rapid-response contacts. */
function sendEmergencySms(org: OrgModel, config: Config): StepDefinition {
  return {
    id: 'send-emergency-sms',
    async run({ tx, incidentId, now }): Promise<StepOutcome> {
      const inc = await loadIncident(tx, incidentId);
      const min = config.policy.notify.smsMinBand;
      if (bandRank(inc.band) < bandRank(min)) return { status: 'skipped', reason: `band ${inc.band} is below the SMS threshold (${min})` };
      if (inc.status === 'resolved' || inc.status === 'archived') return { status: 'skipped', reason: `incident already ${inc.status}` };
      const recipients = contactsFor(config, inc.site, ['security_lead', 'rapid_response']).filter((c) => c.phone);
      if (recipients.length === 0) return { status: 'skipped', reason: `no security lead or rapid-response contact with a phone covers ${inc.site}` };
      // Nobody acknowledging within the policy's minutes escalates (response-monitor.ts looks then).
      const escalateAt = inc.status === 'open' && config.policy.notify.escalation.maxLevels > 0 ? new Date(now.getTime() + config.policy.notify.escalation.afterMinutes * 60_000) : null;
      // A short acknowledgement code, unique among the site's unresolved incidents (a reply is
      // matched by code and by the sender being a contact of the site): the first free candidate.
      const candidates = Array.from({ length: 8 }, () => String(randomInt(1000, 10000)));
      const r = await tx.query<{ ack_code: string | null }>(
        `UPDATE incidents SET alerted_band = $4, next_escalation_at = coalesce(next_escalation_at, $5),
                ack_code = coalesce(ack_code, (SELECT c FROM unnest($2::text[]) AS c
                                                WHERE NOT EXISTS (SELECT 1 FROM incidents x WHERE x.site = $3 AND x.ack_code = c AND x.status NOT IN ('resolved', 'archived'))
                                                LIMIT 1))
          WHERE id = $1 RETURNING ack_code`,
        [inc.id, candidates, inc.site, inc.band, escalateAt],
      );
      if (!r.rows[0]?.ack_code) throw new Error('no free acknowledgement code among 8 candidates; retrying');
      inc.ack_code = r.rows[0].ack_code;
      const body = emergencySms(alertView(inc, org, config));
      const items: OutboxItem[] = recipients.map((c) => ({ incidentId: inc.id, channel: 'sms', kind: `emergency:${inc.band}`, recipient: c.id, address: c.phone!, body, band: inc.band }));
      const queued = await enqueue(tx, items, now);
      return { status: 'done', result: { band: inc.band, ackCode: inc.ack_code, recipients: recipients.map((c) => ({ id: c.id, role: c.role, phone: c.phone })), queued: queued.length } };
    },
  };
}

/** Step 6: email to managers (and executives), signed webhooks; CAP and the live stream read the result. */
function notifyManagement(org: OrgModel, config: Config): StepDefinition {
  return {
    id: 'notify-management',
    async run({ tx, incidentId, now }): Promise<StepOutcome> {
      const inc = await loadIncident(tx, incidentId);
      const p = config.policy.notify;
      const view = alertView(inc, org, config);
      const items: OutboxItem[] = [];
      const audience: string[] = [];
      if (bandRank(inc.band) >= bandRank(p.managementMinBand)) {
        const mail = managementEmail(view, 'manager');
        for (const c of contactsFor(config, inc.site, ['manager']).filter((x) => x.email)) {
          items.push({ incidentId: inc.id, channel: 'email', kind: `management:${inc.band}`, recipient: c.id, address: c.email!, subject: mail.subject, body: mail.text, html: mail.html, band: inc.band });
          audience.push(c.id);
        }
      }
      const execReason = bandRank(inc.band) >= bandRank(p.executiveMinBand) ? `band ${inc.band}` : inc.loss?.executiveEscalation ? `net loss ${inc.loss.net} above the executive threshold` : undefined;
      if (execReason) {
        const mail = managementEmail(view, 'executive');
        for (const c of contactsFor(config, inc.site, ['executive']).filter((x) => x.email)) {
          items.push({ incidentId: inc.id, channel: 'email', kind: `executive:${inc.band}`, recipient: c.id, address: c.email!, subject: mail.subject, body: mail.text, html: mail.html, band: inc.band });
          audience.push(c.id);
        }
      }
      const event = `incident.${inc.band}`;
      config.notify.webhooks.forEach((w, i) => {
        if (w.kinds.length > 0 && !w.kinds.some((k) => k === 'incident' || k === event || k === `band.${inc.band}`)) return;
        const body = JSON.stringify({ event: 'incident.alert', incident: { id: inc.id, site: inc.site, zone: inc.zone, type: inc.type, status: inc.status, band: inc.band, score: inc.score, openedAt: inc.first_event_at.toISOString(), loss: inc.loss, url: view.url }, sentAt: now.toISOString() });
        items.push({ incidentId: inc.id, channel: 'webhook', kind: `webhook:${inc.band}`, recipient: `webhook-${i}`, address: w.url, body, band: inc.band });
      });
      if (items.length === 0) return { status: 'skipped', reason: `band ${inc.band} is below the management threshold (${p.managementMinBand}) and no webhook wants it` };
      const queued = await enqueue(tx, items, now);
      return { status: 'done', result: { band: inc.band, emails: audience, executives: execReason ?? null, webhooks: items.filter((x) => x.channel === 'webhook').length, queued: queued.length } };
    },
  };
}

/** Guards of a site as the dispatcher sees them (live state from the store). */
export async function loadGuards(tx: Queryable, site: string): Promise<GuardState[]> {
  const r = await tx.query<{ id: string; name: string; position: [number, number] | null; on_shift: boolean; status: GuardState['status']; shift: GuardState['shift'] | null }>(
    `SELECT id, name, position, on_shift, status, shift FROM guards WHERE site = $1 ORDER BY id FOR UPDATE`,
    [site],
  );
  return r.rows.map((g) => ({ id: g.id, name: g.name, onShift: g.on_shift, status: g.status, ...(g.position ? { position: g.position } : {}), ...(g.shift ? { shift: g.shift } : {}) }));
}

/** Where a guard should go: the most valuable touched asset with a position, else the zone's centre. */
export function patrolTarget(inc: IncidentRow, org: OrgModel): { target?: [number, number]; assets: string[] } {
  const model = org.sites.get(inc.site);
  const touched = [...(inc.assets?.touched ?? [])].sort((a, b) => Number(b.value) - Number(a.value));
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
  const guards = (await loadGuards(tx, inc.site)).filter((g) => !opts.exclude.includes(g.id));
  // Other incidents of the site still waiting for a guard compete for the same guards.
  const waiting = await tx.query<IncidentRow>(
    `SELECT i.id, i.site, i.zone, i.zones, i.type, i.status, i.band, i.score, i.severity, i.loss, i.assets, i.first_event_at, i.ack_code, i.escalation_level
       FROM incidents i JOIN workflow_steps w ON w.incident_id = i.id AND w.step = 'assign-guard-patrol'
      WHERE i.site = $1 AND i.id <> $2 AND w.status IN ('pending', 'running') AND w.next_run_at IS NOT NULL AND i.status NOT IN ('resolved', 'archived')
      LIMIT 20`,
    [inc.site, inc.id],
  );
  const competitors = waiting.rows
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
  const ackDeadline = new Date(now.getTime() + config.policy.patrol.ackMinutes * 60_000);
  await tx.query(
    `INSERT INTO patrols (id, incident_id, site, kind, guard_id, zone, target, assets, reason, status, metres, eta_seconds, attempt, ack_deadline, assigned_at)
     VALUES ($1, $2, $3, 'response', $4, $5, $6, $7, $8, 'assigned', $9, $10, $11, $12, $13)`,
    [patrolId, inc.id, inc.site, guard.id, inc.zone, JSON.stringify(target), JSON.stringify(assets), reason, mine.metres ?? null, Math.round(mine.etaSeconds ?? 0), opts.attempt, ackDeadline, now],
  );
  await tx.query(`UPDATE guards SET status = 'assigned', updated_at = now() WHERE id = $1`, [guard.id]);
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

/** Step 7: send the best available guard. */
function assignGuardPatrol(org: OrgModel, config: Config): StepDefinition {
  return {
    id: 'assign-guard-patrol',
    async run({ tx, incidentId, now }): Promise<StepOutcome> {
      const inc = await loadIncident(tx, incidentId);
      const min = config.policy.patrol.minBand;
      if (bandRank(inc.band) < bandRank(min)) return { status: 'skipped', reason: `band ${inc.band} is below the patrol threshold (${min})` };
      if (inc.status === 'resolved' || inc.status === 'archived') return { status: 'skipped', reason: `incident already ${inc.status}` };
      const existing = await tx.query<{ id: string; guard_id: string; status: string }>(
        `SELECT id, guard_id, status FROM patrols WHERE incident_id = $1 AND kind = 'response' AND status NOT IN ('unacknowledged', 'cancelled') LIMIT 1`,
        [inc.id],
      );
      if (existing.rows[0]) return { status: 'done', result: { patrol: existing.rows[0].id, guard: existing.rows[0].guard_id, note: 'already assigned' } };
      const r = await dispatchGuard(tx, org, config, inc, now, { attempt: 1, exclude: [] });
      if (!r.patrolId) {
        await reportNoGuard(tx, org, config, inc, r.reason ?? 'no guard available', now);
        return { status: 'done', result: { assigned: false, reason: r.reason, securityLeadTold: true } };
      }
      await planCheckpoints(tx, org, config, inc, now);
      return { status: 'done', result: { assigned: true, patrol: r.patrolId, guard: r.guardId, metres: r.metres, etaSeconds: r.etaSeconds } };
    },
  };
}

/**
 * A zone with repeated incidents gets a checkpoint patrol for the next shift: a route through the
 * zone and its neighbours, created once per zone and day.
 */
async function planCheckpoints(tx: Queryable, org: OrgModel, config: Config, inc: IncidentRow, now: Date): Promise<void> {
  if (!inc.zone) return;
  const model = org.sites.get(inc.site);
  if (!model) return;
  const days = config.policy.severity.recurrenceDays;
  const r = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM incidents WHERE site = $1 AND zone = $2 AND opened_at >= $3`, [inc.site, inc.zone, new Date(now.getTime() - days * 86_400_000)]);
  if (Number(r.rows[0].n) < config.policy.patrol.checkpointAfterIncidents) return;
  const day = localTime(now, model.site.timezone).date;
  const id = `chk-${inc.site}-${inc.zone}-${day}`;
  const zones = [inc.zone, ...(model.adjacency.get(inc.zone) ?? [])];
  const start = model.centroids.get(inc.zone) ?? [0, 0];
  const route = checkpointRoute(model, zones, start);
  await tx.query(
    `INSERT INTO patrols (id, incident_id, site, kind, zone, route, reason, status, assigned_at, scheduled_for)
     VALUES ($1, $2, $3, 'checkpoint', $4, $5, $6, 'scheduled', $7, $8) ON CONFLICT (id) DO NOTHING`,
    [id, inc.id, inc.site, inc.zone, JSON.stringify(route), `${r.rows[0].n} incidents in ${model.zones.get(inc.zone)?.name ?? inc.zone} within ${days} days`, now, new Date(now.getTime() + 8 * 3_600_000)],
  );
}

/** The definitions of steps 5-7. */
export function respondSteps(org: OrgModel, config: Config): StepDefinition[] {
  return [sendEmergencySms(org, config), notifyManagement(org, config), assignGuardPatrol(org, config)];
}
