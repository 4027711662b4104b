/**
 * The lifecycle actions of the API, shared by the routes that take them (the incident and patrol
 * routes, and the SMS webhook for "ACK <code>" replies). Each is one transaction of the same
 * shape: read the current state, ask the domain's transition table for the next status (409 when
 * it is not allowed), write it through named store operations with its audit record, and, once it
 * committed, announce every change a list shows (the incident, the alerts it cancelled, the
 * patrol) on the live stream with its site.
 */
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { allowedIncidentActions, transition as incidentTransition, INCIDENT_TRANSITIONS, type IncidentApiAction } from '../domain/incident-lifecycle.js';
import { transition as patrolTransition, type PatrolApiAction } from '../domain/patrol-lifecycle.js';
import type { Service } from '../service.js';
import { appendAuditRecord } from '../store/audit-log.js';
import { releaseGuard } from '../store/guards.js';
import { markIncidentAcknowledged, markIncidentReopened, markIncidentResolved } from '../store/incidents.js';
import { cancelMootAlerts } from '../store/notifications.js';
import { lockPatrol, recordPatrolStage, responsePatrolsUnderWay, setPatrolStatus, type PatrolStage } from '../store/patrols.js';
import { getIncident, incidentState, type IncidentDetail } from '../store/read/incidents.js';
import type { SiteScope } from '../store/read/page.js';
import { WorkflowRunner } from '../workflow/runner.js';

/** An incident lifecycle action and who takes it. */
export interface IncidentActionInput {
  id: string;
  action: IncidentApiAction;
  actor: string;
  scope: SiteScope;
  now: Date;
  resolution?: string;
  note?: string;
}

/**
 * Applies an incident lifecycle action in one transaction: status check against the lifecycle
 * table, guarded status change, audit record, workflow nudge (resolve), moot alerts cancelled
 * (acknowledge, resolve). Returns the updated incident; 404 when unknown or out of scope, 409 when
 * the action is not allowed from the current status. After the commit the incident's new status
 * and each cancelled alert are announced.
 */
export async function applyIncidentAction(service: Pick<Service, 'db' | 'announce' | 'logSigner'>, input: IncidentActionInput): Promise<IncidentDetail> {
  const { id, action, actor } = input;
  const { detail, cancelled } = await transact(service, input);
  service.announce({ kind: 'incident.updated', site: detail.site, incidentId: id, data: { status: detail.status, action, by: actor } });
  for (const n of cancelled) service.announce({ kind: 'notification.updated', site: detail.site, incidentId: id, data: { id: n.id, channel: n.channel, status: 'cancelled' } });
  return detail;
}

/** The transaction of an incident action; what it changed, for the announcement after the commit. */
function transact({ db, logSigner }: Pick<Service, 'db' | 'logSigner'>, input: IncidentActionInput): Promise<{ detail: IncidentDetail; cancelled: { id: string; channel: string }[] }> {
  const { id, action, actor, scope, now } = input;
  return db.transaction(async (tx) => {
    const st = await incidentState(tx, id, scope);
    if (!st) throw new NotFoundError(`incident ${id}`);
    const to = incidentTransition(st.status, action, `incident ${id}`);
    const change = { id, from: st.status, to };
    // Resolving stands down the guards still on their way: their patrols are cancelled, they are free.
    const stoodDown: string[] = [];
    if (action === 'resolve') {
      for (const p of await responsePatrolsUnderWay(tx, id)) {
        await setPatrolStatus(tx, p.id, patrolTransition(p.status, 'cancel', `patrol ${p.id}`));
        if (p.guardId) await releaseGuard(tx, p.guardId);
        stoodDown.push(p.id);
      }
    }
    const changed =
      action === 'acknowledge'
        ? await markIncidentAcknowledged(tx, { ...change, at: now, actor })
        : action === 'resolve'
          ? await markIncidentResolved(tx, { ...change, at: now, actor, resolution: input.resolution ?? null })
          : await markIncidentReopened(tx, change);
    if (!changed) {
      const cur = (await incidentState(tx, id, scope))?.status;
      const allowed = cur === undefined ? [] : allowedIncidentActions(cur, 'api');
      throw new ConflictError(
        `incident ${id} changed to ${cur ?? 'an unknown status'} meanwhile; ${action} applies to ${INCIDENT_TRANSITIONS[action].from.join(' or ')} incidents only; allowed from ${cur ?? 'it'}: ${allowed.join(', ') || 'none'}`,
        allowed,
      );
    }
    // Steps waiting for the resolution (archive-resolved-incident) become due now.
    if (action === 'resolve') await WorkflowRunner.nudge(tx, id, now);
    // Somebody took charge: alerts not yet sent that only ask for that are moot.
    const cancelled = action === 'acknowledge' || action === 'resolve' ? await cancelMootAlerts(tx, id, { alsoEmergency: action === 'resolve' }) : [];
    // Last: the audit record takes the transparency log's head lock (store/transparency-log.ts).
    await appendAuditRecord(
      tx,
      {
        at: now,
        actor,
        action: `incident.${action}`,
        target: id,
        details: { from: st.status, to, ...(input.resolution ? { resolution: input.resolution } : {}), ...(input.note ? { note: input.note } : {}), ...(stoodDown.length > 0 ? { patrolsCancelled: stoodDown } : {}) },
        before: { id, status: st.status, version: st.version },
        after: { id, status: to, version: st.version + 1 },
      },
      logSigner,
    );
    const detail = await getIncident(tx, id, scope);
    if (!detail) throw new NotFoundError(`incident ${id}`);
    return { detail, cancelled };
  });
}

/**
 * Moves a patrol forward in one transaction (locked row, lifecycle table, stage recorded, the guard
 * freed on completion, audit record), then tells the live stream. 404 when unknown or out of
 * scope, 409 when the patrol cannot move there.
 */
export async function advancePatrol(service: Service, patrolId: string, action: PatrolApiAction, actor: string, scope: SiteScope): Promise<void> {
  const now = service.now();
  const moved = await service.db.transaction(async (tx) => {
    const p = await lockPatrol(tx, patrolId);
    if (!p || (scope && !scope.includes(p.site))) throw new NotFoundError(`patrol ${patrolId}`);
    // Every API action leads to a reported stage (the table's API rows end in one).
    const next = patrolTransition(p.status, action, `patrol ${patrolId}`) as PatrolStage;
    await recordPatrolStage(tx, patrolId, next, now);
    if (next === 'completed' && p.guardId) await releaseGuard(tx, p.guardId);
    await appendAuditRecord(tx, { at: now, actor, action: `patrol.${action}`, target: p.incidentId ?? patrolId, details: { patrol: patrolId, from: p.status, to: next }, before: { id: patrolId, status: p.status }, after: { id: patrolId, status: next } }, service.logSigner);
    return { to: next, site: p.site, incidentId: p.incidentId, guardId: p.guardId, freed: next === 'completed' && p.guardId !== null };
  });
  service.announce({
    kind: 'patrol.updated',
    site: moved.site,
    ...(moved.incidentId ? { incidentId: moved.incidentId } : {}),
    data: { id: patrolId, status: moved.to, guardId: moved.guardId },
  });
  if (moved.freed && moved.guardId) service.announce({ kind: 'guard.updated', site: moved.site, data: { id: moved.guardId, status: 'available' } });
}
