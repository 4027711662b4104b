/**
 * Response SLAs of an incident: when it must be acknowledged and when resolved, from the policy's
 * `sla` section (policy.default.yaml) and its current band. Pure: the caller passes the times.
 *
 * Both deadlines count from the incident's opening (`openedAt`), not from its last re-score: a
 * band that rises later shortens the deadline, it does not restart the clock, so an incident that
 * turns critical after an hour is already overdue for acknowledgement, which is what a lead must see.
 * A deadline is met once the incident is acknowledged (resolved, archived) at or before it; the
 * state tells the page whether to count down, show "met" or show "overdue".
 */
import type { Band } from './types.js';

/** The SLA part of the policy this module reads. */
export interface SlaPolicy {
  acknowledgeMinutes: Record<Band, number>;
  resolveHours: Record<Band, number>;
}

/** Where an incident stands against one deadline at a given time. */
export type SlaState = 'running' | 'met' | 'missed' | 'overdue';

/** An incident's SLA deadlines and their states at `now`. */
export interface IncidentSla {
  ackDueAt: string;
  resolveDueAt: string;
  ackSla: SlaState;
  resolveSla: SlaState;
}

/** The times an SLA reads from an incident. */
export interface SlaInput {
  band: string;
  openedAt: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
}

const BAND_FALLBACK: Band = 'low';

function bandOf(b: string): Band {
  return b === 'critical' || b === 'high' || b === 'medium' || b === 'low' ? b : BAND_FALLBACK;
}

function stateOf(due: number, doneAt: string | null, now: number): SlaState {
  if (doneAt !== null) return Date.parse(doneAt) <= due ? 'met' : 'missed';
  return now > due ? 'overdue' : 'running';
}

/**
 * The acknowledgement and resolution deadlines of an incident and where it stands at `now`.
 * Acknowledgement counts as done when the incident was acknowledged, or resolved without an
 * acknowledgement (resolving is the stronger answer).
 */
export function incidentSla(policy: SlaPolicy, inc: SlaInput, now: Date): IncidentSla {
  const band = bandOf(inc.band);
  const opened = Date.parse(inc.openedAt);
  const ackDue = opened + policy.acknowledgeMinutes[band] * 60_000;
  const resolveDue = opened + policy.resolveHours[band] * 3_600_000;
  const t = now.getTime();
  return {
    ackDueAt: new Date(ackDue).toISOString(),
    resolveDueAt: new Date(resolveDue).toISOString(),
    ackSla: stateOf(ackDue, inc.acknowledgedAt ?? inc.resolvedAt, t),
    resolveSla: stateOf(resolveDue, inc.resolvedAt, t),
  };
}
