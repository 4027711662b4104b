/**
 * The lifecycle actions of the API, shared by the routes that take them (the incident and patrol
 * routes, and the SMS webhook for "ACK <code>" replies). Each is one transaction of the same
 * shape: read the current state, ask the domain's transition table for the next status (409 when
 * it is not allowed), write it through named store operations with its audit record, and, once it
 * committed, announce every change a list shows (the incident, the alerts it cancelled, the
 * patrol) on the live stream with its site.
 */
import { actionNoteText, settleActionNote, type ActionNote } from '../domain/case-notes.js';
import { ConflictError, InvalidError, NotFoundError } from '../domain/errors.js';
import { allowedIncidentActions, assignablePeople, ASSIGNABLE_STATUSES, transition as incidentTransition, INCIDENT_TRANSITIONS, type IncidentApiAction } from '../domain/incident-lifecycle.js';
import { transition as patrolTransition, type PatrolApiAction } from '../domain/patrol-lifecycle.js';
import type { Service } from '../service.js';
import { appendAuditRecord } from '../store/audit-log.js';
import { releaseGuard } from '../store/guards.js';
import { markIncidentAcknowledged, markIncidentAssigned, markIncidentReopened, markIncidentResolved } from '../store/incidents.js';
import { cancelMootAlerts } from '../store/notifications.js';
import { lockPatrol, recordPatrolStage, responsePatrolsUnderWay, setPatrolStatus, type PatrolStage } from '../store/patrols.js';
import { appendNote, type NoteView } from '../store/notes.js';
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
  /** The caller's note (every action). */
  note?: string;
  /** Deprecated alias of `note` on resolve. */
  resolution?: string;
  /** How the incident ended (resolve only; domain/case-notes.ts OUTCOMES). */
  outcome?: string;
  /** How the action came in, for the timeline when there is no note (e.g. "by SMS reply"). */
  via?: string;
}

/**
 * Applies an incident lifecycle action in one transaction: status check against the lifecycle
 * table, guarded status change, audit record, workflow nudge (resolve), moot alerts cancelled
 * (acknowledge, resolve). Returns the updated incident; 404 when unknown or out of scope, 409 when
 * the action is not allowed from the current status, 400 when the note or outcome do not fit the
 * action (domain/case-notes.ts). Every action appends a note of its kind to the incident's
 * timeline (the caller's note, or what happened); resolve records the outcome. After the commit
 * the incident's new status, the note and each cancelled alert are announced.
 */
export async function applyIncidentAction(service: Pick<Service, 'db' | 'announce' | 'config' | 'logSigner'>, input: IncidentActionInput): Promise<IncidentDetail> {
  const { id, action, actor } = input;
  const settled = settleActionNote(action, input, service.config.policy.caseNotes.defaultOutcome);
  const { detail, cancelled, note } = await transact(service, input, settled);
  service.announce({ kind: 'incident.updated', site: detail.site, incidentId: id, data: { status: detail.status, action, by: actor, ...(settled.outcome ? { outcome: settled.outcome } : {}) } });
  service.announce({ kind: 'incident.note', site: detail.site, incidentId: id, data: { ...note } });
  for (const n of cancelled) service.announce({ kind: 'notification.updated', site: detail.site, incidentId: id, data: { id: n.id, channel: n.channel, status: 'cancelled' } });
  return detail;
}

/** The transaction of an incident action; what it changed, for the announcement after the commit. */
function transact({ db, logSigner }: Pick<Service, 'db' | 'logSigner'>, input: IncidentActionInput, settled: ActionNote): Promise<{ detail: IncidentDetail; cancelled: { id: string; channel: string }[]; note: NoteView }> {
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
          ? await markIncidentResolved(tx, { ...change, at: now, actor, resolution: settled.note, outcome: settled.outcome })
          : await markIncidentReopened(tx, change);
    if (!changed) {
      const cur = (await incidentState(tx, id, scope))?.status;
      const allowed = cur === undefined ? [] : allowedIncidentActions(cur, 'api');
      throw new ConflictError(
        `incident ${id} changed to ${cur ?? 'an unknown status'} meanwhile; ${action} applies to ${INCIDENT_TRANSITIONS[action].from.join(' or ')} incidents only; allowed from ${cur ?? 'it'}: ${allowed.join(', ') || 'none'}`,
        allowed,
      );
    }
    const note = await appendNote(tx, { incidentId: id, at: now, author: actor, kind: action, text: actionNoteText(action, settled, input.via) });
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
        details: { from: st.status, to, ...(settled.note ? { note: settled.note } : {}), ...(settled.outcome ? { outcome: settled.outcome } : {}), ...(stoodDown.length > 0 ? { patrolsCancelled: stoodDown } : {}) },
        before: { id, status: st.status, version: st.version },
        after: { id, status: to, version: st.version + 1 },
      },
      logSigner,
    );
    const detail = await getIncident(tx, id, scope, { now });
    if (!detail) throw new NotFoundError(`incident ${id}`);
    return { detail, cancelled, note };
  });
}

/** A plain case note on an incident. */
export interface AddNoteInput {
  id: string;
  text: string;
  author: string;
  scope: SiteScope;
  now: Date;
}

/**
 * Appends a case note (kind `note`) to an incident of the caller's sites, with its audit record,
 * then announces it. 404 when the incident is unknown or out of scope. Notes may be added in any
 * status, archived included: a case goes on being worked after it is closed.
 */
export async function addIncidentNote(service: Pick<Service, 'db' | 'announce' | 'logSigner'>, input: AddNoteInput): Promise<NoteView> {
  const { note, site } = await service.db.transaction(async (tx) => {
    const st = await incidentState(tx, input.id, input.scope);
    if (!st) throw new NotFoundError(`incident ${input.id}`);
    const n = await appendNote(tx, { incidentId: input.id, at: input.now, author: input.author, kind: 'note', text: input.text });
    await appendAuditRecord(tx, { at: input.now, actor: input.author, action: 'incident.note', target: input.id, details: { seq: n.seq }, after: { incidentId: input.id, note: n } }, service.logSigner);
    return { note: n, site: st.site };
  });
  service.announce({ kind: 'incident.note', site, incidentId: input.id, data: { ...note } });
  return note;
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

/** An assignment of an incident to a person, or its removal (assignee null). */
export interface AssignIncidentInput {
  id: string;
  /** A contact id covering the incident's site (domain/incident-lifecycle.ts assignablePeople), or null to unassign. */
  assignee: string | null;
  actor: string;
  scope: SiteScope;
  now: Date;
}

/**
 * Assigns an incident to a person (or unassigns it) in one transaction: the incident locked, the
 * assignee checked against the people of its site (400 naming `assignee` and who may be named),
 * the change written with its audit record, then announced as `incident.updated`. 404 when
 * unknown or out of scope, 409 when archived. Assigning to the current assignee changes nothing
 * and writes no audit record.
 */
export async function assignIncident(service: Pick<Service, 'db' | 'announce' | 'config' | 'logSigner'>, input: AssignIncidentInput): Promise<IncidentDetail> {
  const { id, assignee, actor, scope, now } = input;
  const { detail, changed } = await service.db.transaction(async (tx) => {
    const st = await incidentState(tx, id, scope, true);
    if (!st) throw new NotFoundError(`incident ${id}`);
    if (!(ASSIGNABLE_STATUSES as readonly string[]).includes(st.status)) throw new ConflictError(`incident ${id} is ${st.status}; only ${ASSIGNABLE_STATUSES.join(', ')} incidents can be assigned`, []);
    if (assignee !== null) {
      const people = assignablePeople(service.config.contacts, st.site);
      if (!people.some((p) => p.id === assignee)) {
        throw new InvalidError([
          { path: 'assignee', message: `unknown person ${assignee} for site ${st.site}; expected one of ${people.map((p) => p.id).join(', ') || '(no contacts cover this site)'} or null` },
        ]);
      }
    }
    let changed = false;
    if (st.assignee !== assignee) {
      if (!(await markIncidentAssigned(tx, { id, version: st.version, assignee, at: now }))) throw new ConflictError(`incident ${id} changed meanwhile; try again`, []);
      await appendAuditRecord(
        tx,
        {
          at: now,
          actor,
          action: assignee === null ? 'incident.unassign' : 'incident.assign',
          target: id,
          details: { from: st.assignee, to: assignee },
          before: { id, assignee: st.assignee, version: st.version },
          after: { id, assignee, version: st.version + 1 },
        },
        service.logSigner,
      );
      changed = true;
    }
    const detail = await getIncident(tx, id, scope, { now });
    if (!detail) throw new NotFoundError(`incident ${id}`);
    return { detail, changed };
  });
  if (changed) service.announce({ kind: 'incident.updated', site: detail.site, incidentId: id, data: { status: detail.status, action: 'assign', by: actor, assignee } });
  return detail;
}
