/**
 * Step 14, archive-resolved-incident: waits until the incident is resolved and the policy delay
 * (policy.retention.archiveAfterHours, 7 days by default) has passed since its resolution, then
 * writes its archive record, the record's leaf in the transparency log and a signed checkpoint,
 * and moves the incident to `archived` (archive/record.ts, all in the step's transaction).
 *
 * - Not resolved yet: `waiting` with no time; resolving nudges it (api/lifecycle-actions.ts).
 * - Resolved, delay not over: `waiting` until the due time. Reopened meanwhile: when it wakes it
 *   finds the incident open and waits again for the next resolution, whose delay starts anew.
 * - Archived already (the daily sweep or `vigil archive` got there first): done, nothing twice.
 */
import { archiveIncident } from '../../archive/record.js';
import type { OrgModel } from '../../domain/site-model.js';
import type { StepDefinition, StepDeps } from '../runner.js';

/** What the archive step and sweep need besides the organisation. */
/** What the archive steps need from the service: the transparency log's key (StepDeps). */
export type ArchiveDeps = StepDeps;

/** Step 14's definition. */
export function archiveResolvedIncident(org: OrgModel, deps: ArchiveDeps = {}): StepDefinition<'archive-resolved-incident'> {
  return {
    id: 'archive-resolved-incident',
    async run({ tx, incidentId, now }) {
      const rules = org.config.policy.retention;
      const out = await archiveIncident(tx, incidentId, { now, rules, ...(deps.logSigner ? { signer: deps.logSigner } : {}) });
      switch (out.status) {
        case 'archived':
          return { status: 'done', result: { leafIndex: out.leafIndex, digest: out.digest, retainUntil: out.retainUntil.toISOString(), treeSize: out.treeSize } };
        case 'already':
          return { status: 'done', result: { leafIndex: out.leafIndex, digest: out.digest, archivedBefore: true } };
        case 'not-resolved':
          return { status: 'waiting', reason: `archived ${rules.archiveAfterHours} hours after the incident is resolved; it is ${out.current}`, until: null };
        case 'not-due':
          return { status: 'waiting', reason: `resolved; archived ${rules.archiveAfterHours} hours after its resolution, at ${out.dueAt.toISOString()}`, until: out.dueAt };
        case 'missing':
          return { status: 'skipped', reason: `incident ${incidentId} is not in the store` };
      }
    },
  };
}
