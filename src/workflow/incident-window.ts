/**
 * The window steps 12 and 13 review around an incident: policy.accessReview.windowBeforeMinutes
 * before its first event to windowAfterMinutes after its last one, read up to now. While the window is still open (and
 * the incident not resolved), the steps record what they see and wait for its end
 * (policy.accessReview.waitForWindow), so events that arrive later are reviewed too.
 */
import type { Policy } from '../config/schema.js';
import type { IncidentForReview } from '../store/findings.js';

export interface IncidentWindow {
  from: Date;
  to: Date;
  /** min(to, now): what can be read now. */
  readTo: Date;
  /** The steps should run again at `to`. */
  open: boolean;
}

/** The review window of an incident at `now`. */
export function incidentWindow(inc: IncidentForReview, policy: Policy, now: Date): IncidentWindow {
  const from = new Date(inc.firstEventAt.getTime() - policy.accessReview.windowBeforeMinutes * 60_000);
  const to = new Date(inc.lastEventAt.getTime() + policy.accessReview.windowAfterMinutes * 60_000);
  const readTo = now < to ? now : to;
  const closed = inc.status === 'resolved' || inc.status === 'archived';
  return { from, to, readTo, open: policy.accessReview.waitForWindow && !closed && now < to };
}
