/**
 * The patrol lifecycle as a transition table. A response patrol is created `assigned` (by
 * assign-guard-patrol), a checkpoint patrol `scheduled`; a patrol only moves forward:
 *
 *   assigned ──acknowledge──> acknowledged ──en-route──> en_route ──on-site──> on_site ──complete──> completed
 *
 * and any later stage may be reported straight from an earlier one (a guard who reports "on site"
 * has acknowledged and travelled). `assigned ──time-out──> unacknowledged` is the response
 * monitor's: the guard did not acknowledge in time and the patrol goes to the next guard.
 * `cancel` is what resolving the incident does to a response patrol still under way (its guard is
 * freed). Completed, unacknowledged, cancelled and scheduled patrols take no action. Anything not in the table is a
 * ConflictError (an HTTP 409).
 */
import { actionsOf, allowedFrom, step, type ActionBy, type TransitionTable } from './transition-table.js';

/** Every status a patrol can have. */
export const PATROL_STATUSES = ['scheduled', 'assigned', 'acknowledged', 'en_route', 'on_site', 'completed', 'unacknowledged', 'cancelled'] as const;
/** A patrol status. */
export type PatrolStatus = (typeof PATROL_STATUSES)[number];

/** Every action of the patrol lifecycle. */
export type PatrolAction = 'acknowledge' | 'en-route' | 'on-site' | 'complete' | 'time-out' | 'cancel';

/** The transition table. Key order is the order of routes and of allowed-action lists. */
export const PATROL_TRANSITIONS: TransitionTable<PatrolStatus, PatrolAction> = {
  acknowledge: { from: ['assigned'], to: 'acknowledged', by: 'api' },
  'en-route': { from: ['assigned', 'acknowledged'], to: 'en_route', by: 'api' },
  'on-site': { from: ['assigned', 'acknowledged', 'en_route'], to: 'on_site', by: 'api' },
  complete: { from: ['assigned', 'acknowledged', 'en_route', 'on_site'], to: 'completed', by: 'api' },
  'time-out': { from: ['assigned'], to: 'unacknowledged', by: 'workflow' },
  cancel: { from: ['assigned', 'acknowledged', 'en_route', 'on_site'], to: 'cancelled', by: 'workflow' },
};

/** The API's patrol actions (a route each: POST /api/v1/patrols/{id}/<action>). */
export type PatrolApiAction = 'acknowledge' | 'en-route' | 'on-site' | 'complete';

/** The API's patrol actions, in route order. */
export const PATROL_API_ACTIONS = actionsOf(PATROL_TRANSITIONS, 'api') as PatrolApiAction[];

/** The statuses a patrol is created in (response and checkpoint patrols). */
export const PATROL_INITIAL_STATUSES: readonly PatrolStatus[] = ['assigned', 'scheduled'];

/**
 * The status `action` leads to from `current`; a ConflictError when the table does not allow it,
 * naming `subject` (e.g. "patrol pat-1") and listing what is allowed from `current`.
 */
export function transition(current: string, action: PatrolAction, subject = 'patrol'): PatrolStatus {
  return step(PATROL_TRANSITIONS, current, action, (t) =>
    t.by === 'api' ? `${subject} is ${current}; ${action} needs a patrol before ${t.to.replace('_', ' ')}` : `${subject} is ${current}; ${action} applies to ${t.from.join(' or ')} patrols only`,
  );
}

/** The actions allowed from a status (by `by` only, when given), in table order. */
export function allowedPatrolActions(status: string, by?: ActionBy): PatrolAction[] {
  return allowedFrom(PATROL_TRANSITIONS, status, by);
}
