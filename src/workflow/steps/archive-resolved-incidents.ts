/**
 * Scheduled job archive-resolved-incidents: once a day (policy.schedule), archives every resolved
 * incident whose delay has passed (policy.retention.archiveAfterHours), whether or not its
 * workflow step is still waiting (incidents from before the step existed, steps left failed), and
 * signs the log's head when an append without the key left it unsigned. At most 500 incidents
 * per run, oldest resolution first; the rest are the next run's, or their step's.
 *
 * The incidents are archived in the run's preparation, ARCHIVE_PER_TRANSACTION to a transaction
 * of their own with a turn of the event loop in between, not in the run's one transaction: on the
 * embedded store that transaction held ingest and alerts for 4.5 s when 500 were due. Archiving
 * an incident is final and idempotent, so a run that fails half way leaves what it archived
 * archived and its retry goes on from there; the run's own transaction signs the head and records
 * the counts.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { archiveIncident } from '../../archive/record.js';
import type { OrgModel } from '../../domain/site-model.js';
import { resolvedIncidentsDue } from '../../store/archive.js';
import { signHead } from '../../store/transparency-log.js';
import type { ScheduledJob } from '../scheduler.js';
import type { ArchiveDeps } from './archive-resolved-incident.js';

/** Incidents one run archives at most. */
export const SWEEP_LIMIT = 500;
/** Incidents archived in one transaction of the sweep (about 7 ms each on the embedded store). */
export const ARCHIVE_PER_TRANSACTION = 20;

/** What the preparation archived. */
interface Swept {
  due: number;
  archived: string[];
}

/** The job's definition. */
export function archiveResolvedIncidents(org: OrgModel, deps: ArchiveDeps = {}, perTransaction = ARCHIVE_PER_TRANSACTION): ScheduledJob<'archive-resolved-incidents', Swept> {
  return {
    id: 'archive-resolved-incidents',
    window: 'day',
    async prepare({ db, now }) {
      const rules = org.config.policy.retention;
      const due = await resolvedIncidentsDue(db, new Date(now.getTime() - rules.archiveAfterHours * 3_600_000), SWEEP_LIMIT);
      const archived: string[] = [];
      for (let i = 0; i < due.length; i += perTransaction) {
        if (i > 0) await yieldToEventLoop();
        const batch = due.slice(i, i + perTransaction);
        const done = await db.transaction(async (tx) => {
          const ids: string[] = [];
          for (const inc of batch) {
            const out = await archiveIncident(tx, inc.id, { now, rules, ...(deps.logSigner ? { signer: deps.logSigner } : {}) });
            if (out.status === 'archived') ids.push(inc.id);
          }
          return ids;
        });
        archived.push(...done);
      }
      return { due: due.length, archived };
    },
    async run({ tx, now, prepared }) {
      const signed = deps.logSigner ? (await signHead(tx, deps.logSigner, now)) !== undefined : false;
      return { due: prepared.due, archived: prepared.archived, headSigned: signed };
    },
  };
}
