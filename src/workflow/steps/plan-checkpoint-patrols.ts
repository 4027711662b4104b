/**
 * Scheduled job plan-checkpoint-patrols: once a day (policy.schedule), every zone with repeated
 * incidents (policy.patrol.checkpointAfterIncidents within policy.severity.recurrenceDays), and
 * every zone whose current risk (step 11) is recurring or at policy.risk.patrolMinBand or above,
 * gets a checkpoint patrol for the coming shift: a route through the zone and its neighbours. Step 7
 * plans the same patrol when such an incident is dispatched; the patrol's id (site, zone, local
 * day) makes the two never plan it twice.
 */
import { riskAt, riskWantsPatrol } from '../../domain/risk.js';
import type { OrgModel } from '../../domain/site-model.js';
import { zonesWithRepeatedIncidents } from '../../store/incidents.js';
import { zonesWatchedByRisk } from '../../store/risk.js';
import { planCheckpointPatrol } from '../response-actions.js';
import type { ScheduledJob } from '../scheduler.js';

/** The job's definition. */
export function planCheckpointPatrols(org: OrgModel): ScheduledJob<'plan-checkpoint-patrols'> {
  return {
    id: 'plan-checkpoint-patrols',
    window: 'day',
    async run({ tx, now }) {
      const policy = org.config.policy;
      const zones = await zonesWithRepeatedIncidents(tx, new Date(now.getTime() - policy.severity.recurrenceDays * 86_400_000), policy.patrol.checkpointAfterIncidents);
      const planned: string[] = [];
      const seen = new Set<string>();
      for (const z of zones) {
        seen.add(`${z.site}/${z.zone}`);
        const id = await planCheckpointPatrol(tx, org, { site: z.site, zone: z.zone, incidentId: z.latest, now });
        if (id) planned.push(id);
      }
      // Zones whose risk (step 11) is recurring or high enough, without that many incidents.
      const min = policy.risk.patrolMinBand;
      const watched = (await zonesWatchedByRisk(tx, now, min === 'low' ? 1 : policy.risk.bands[min])).filter(
        (z) => !seen.has(`${z.site}/${z.zone}`) && riskWantsPatrol(riskAt(z, now, policy.risk), policy.risk),
      );
      for (const z of watched) {
        const id = await planCheckpointPatrol(tx, org, { site: z.site, zone: z.zone, incidentId: z.latestIncident, now });
        if (id) planned.push(id);
      }
      return { zones: zones.length, ...(watched.length > 0 ? { riskZones: watched.length } : {}), planned };
    },
  };
}
