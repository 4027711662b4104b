/**
 * The incident lifecycle as a transition table (statuses: the CONTRACT's open, acknowledged,
 * investigating, resolved, archived):
 *
 *   open ──acknowledge──> acknowledged
 *   open | acknowledged ──investigate──> investigating                       (workflow)
 *   open | acknowledged | investigating ──resolve──> resolved ──reopen──> open
 *   resolved ──archive──> archived                                           (workflow)
 *
 * `acknowledge`, `resolve` and `reopen` are API actions (POST /api/v1/incidents/{id}/<action>, and
 * "ACK <code>" by SMS). `investigate` and `archive` belong to workflow steps
 * (create-investigation-task, archive-resolved-incident) that do not move an incident yet; they
 * are in the table so that every status has its way in and the steps find their rule here.
 * Archived is final. Anything not in the table is a ConflictError (an HTTP 409).
 */
import { INCIDENT_STATUSES, type IncidentStatus } from './types.js';
import { actionsOf, allowedFrom, step, type ActionBy, type TransitionTable } from './transition-table.js';

/** The statuses of the CONTRACT (domain/types.ts), the states of this table. */
export { INCIDENT_STATUSES, type IncidentStatus };

/** Every action of the incident lifecycle. */
export type IncidentAction = 'acknowledge' | 'investigate' | 'resolve' | 'reopen' | 'archive';

/** The transition table. Key order is the order of routes and of allowed-action lists. */
export const INCIDENT_TRANSITIONS: TransitionTable<IncidentStatus, IncidentAction> = {
  acknowledge: { from: ['open'], to: 'acknowledged', by: 'api' },
  investigate: { from: ['open', 'acknowledged'], to: 'investigating', by: 'workflow' },
  resolve: { from: ['open', 'acknowledged', 'investigating'], to: 'resolved', by: 'api' },
  reopen: { from: ['resolved'], to: 'open', by: 'api' },
  archive: { from: ['resolved'], to: 'archived', by: 'workflow' },
};

/** The API's lifecycle actions (a route each). */
export type IncidentApiAction = 'acknowledge' | 'resolve' | 'reopen';

/** The API's lifecycle actions, in route order. */
export const INCIDENT_API_ACTIONS = actionsOf(INCIDENT_TRANSITIONS, 'api') as IncidentApiAction[];

/** The status a new incident starts in. */
export const INCIDENT_INITIAL_STATUS: IncidentStatus = 'open';

/**
 * The status `action` leads to from `current`; a ConflictError when the table does not allow it,
 * naming `subject` (e.g. "incident inc-1") and listing what is allowed from `current`.
 */
export function transition(current: string, action: IncidentAction, subject = 'incident'): IncidentStatus {
  return step(INCIDENT_TRANSITIONS, current, action, (t) => `${subject} is ${current}; ${action} applies to ${t.from.join(' or ')} incidents only`);
}

/** The actions allowed from a status (by `by` only, when given), in table order. */
export function allowedIncidentActions(status: string, by?: ActionBy): IncidentAction[] {
  return allowedFrom(INCIDENT_TRANSITIONS, status, by);
}

/** A person an incident can be assigned to: a configured contact covering its site. */
export interface Assignable {
  id: string;
  name: string;
  role: string;
}

/**
 * The people an incident of `site` can be assigned to: the configured contacts that cover the
 * site (a contact with no sites covers every site), in configuration order. Assignment is not a
 * status change: it works in every status but archived (archived is final).
 */
export function assignablePeople(contacts: readonly { id: string; name: string; role: string; sites: readonly string[] }[], site: string): Assignable[] {
  return contacts.filter((c) => c.sites.length === 0 || c.sites.includes(site)).map((c) => ({ id: c.id, name: c.name, role: c.role }));
}

/** Statuses in which an incident can be (re)assigned. */
export const ASSIGNABLE_STATUSES: readonly IncidentStatus[] = ['open', 'acknowledged', 'investigating', 'resolved'];
