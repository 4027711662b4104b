/**
 * Scheduled job archive-resolved-incidents: once a day (policy.schedule), archives every resolved
 * incident whose delay has passed (policy.retention.archiveAfterHours), whether or not its
 * workflow step is still waiting (incidents from before the step existed, steps left failed), and
 * signs the log's head when an append without the key left it unsigned. At most 500 incidents
 * per run, oldest resolution first; the rest are the next run's, or their step's.
 */
import { archiveIncident } from '../../archive/record.js';
import type { OrgModel } from '../../domain/site-model.js';
import { resolvedIncidentsDue } from '../../store/archive.js';
import { signHead } from '../../store/transparency-log.js';
import type { ScheduledJob } from '../scheduler.js';
import type { ArchiveDeps } from './archive-resolved-incident.js';

/** Incidents one run archives at most (one transaction). */
export const SWEEP_LIMIT = 500;

/** The job's definition. */
export function archiveResolvedIncidents(org: OrgModel, deps: ArchiveDeps = {}): ScheduledJob<'archive-resolved-incidents'> {
  return {
    id: 'archive-resolved-incidents',
    window: 'day',
    async run({ tx, now }) {
      const rules = org.config.policy.retention;
      const due = await resolvedIncidentsDue(tx, new Date(now.getTime() - rules.archiveAfterHours * 3_600_000), SWEEP_LIMIT);
      const archived: string[] = [];
      for (const inc of due) {
        const out = await archiveIncident(tx, inc.id, { now, rules, ...(deps.logSigner ? { signer: deps.logSigner } : {}) });
        if (out.status === 'archived') archived.push(inc.id);
      }
      const signed = deps.logSigner ? (await signHead(tx, deps.logSigner, now)) !== undefined : false;
      return { due: due.length, archived, headSigned: signed };
    },
  };
}
