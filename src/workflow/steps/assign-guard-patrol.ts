/**
 * Step 7, assign-guard-patrol: from the patrol band up, the best free guard is sent (optimal
 * assignment against the site's other waiting incidents, domain/guard-dispatch) with a patrol
 * order by SMS; when none can go, the security lead is told. A zone with repeated incidents also
 * gets a checkpoint patrol for the next shift. A patrol, once assigned, is not assigned again for
 * the same incident unless the guard fails to acknowledge (the response monitor reassigns it).
 */
import type { OrgModel } from '../../domain/site-model.js';
import { lockIncidentForResponse } from '../../store/incidents.js';
import { activeResponsePatrol } from '../../store/patrols.js';
import { bandRank, dispatchGuard, planCheckpointPatrol, reportNoGuard } from '../response-actions.js';
import type { StepDefinition } from '../runner.js';

/** Step 7's definition. */
export function assignGuardPatrol(org: OrgModel): StepDefinition<'assign-guard-patrol'> {
  const config = org.config;
  return {
    id: 'assign-guard-patrol',
    async run({ tx, incidentId, now }) {
      const inc = await lockIncidentForResponse(tx, incidentId);
      const min = config.policy.patrol.minBand;
      if (bandRank(inc.band) < bandRank(min)) return { status: 'skipped', reason: `band ${inc.band} is below the patrol threshold (${min})` };
      if (inc.status === 'resolved' || inc.status === 'archived') return { status: 'skipped', reason: `incident already ${inc.status}` };
      const existing = await activeResponsePatrol(tx, inc.id);
      if (existing) return { status: 'done', result: { patrol: existing.id, guard: existing.guard_id, note: 'already assigned' } };
      const r = await dispatchGuard(tx, org, config, inc, now, { attempt: 1, exclude: [] });
      if (!r.patrolId) {
        await reportNoGuard(tx, org, config, inc, r.reason ?? 'no guard available', now);
        return { status: 'done', result: { assigned: false, reason: r.reason, securityLeadTold: true } };
      }
      if (inc.zone) await planCheckpointPatrol(tx, org, { site: inc.site, zone: inc.zone, incidentId: inc.id, now });
      return { status: 'done', result: { assigned: true, patrol: r.patrolId, guard: r.guardId, metres: r.metres, etaSeconds: r.etaSeconds } };
    },
  };
}
