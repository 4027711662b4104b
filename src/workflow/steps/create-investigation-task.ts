/**
 * Step 9, create-investigation-task: when policy wants one (the band, or an incident type that is
 * always investigated), an investigation task assigned to the site's investigators in turn, due by
 * the band's SLA in the site's time zone, with its evidence checklist filled in (clip windows of
 * the cameras that see the zone or the touched assets, the badge events around it, the POS
 * transactions behind it), and an email to the assignee through the outbox.
 *
 * Idempotent: the task's id is `task-<incident>`, so a re-run finds it. The step runs again when
 * the incident's band rises (incident-response.ts, BAND_RISE_STEPS): a low incident that became
 * medium gets its task then, and an existing task has its checklist refreshed (done flags kept)
 * and its due date brought forward to the new band's SLA when that is sooner.
 */
import { wantsInvestigation } from '../../domain/investigation.js';
import type { OrgModel } from '../../domain/site-model.js';
import { appendAuditRecord } from '../../store/audit-log.js';
import { incidentForTask, lockTask, tasksOfIncident } from '../../store/tasks.js';
import { investigationDue, investigationTaskId, investigationTitle, openInvestigationTask, refreshTaskEvidence, siteInvestigators } from '../investigation-actions.js';
import type { StepDefinition, StepDeps } from '../runner.js';

/** Step 9's definition. */
export function createInvestigationTask(org: OrgModel, deps: StepDeps = {}): StepDefinition<'create-investigation-task'> {
  const config = org.config;
  return {
    id: 'create-investigation-task',
    async run({ tx, incidentId, now }) {
      const inc = await incidentForTask(tx, incidentId);
      if (!inc) return { status: 'skipped', reason: `incident ${incidentId} no longer exists` };
      const id = investigationTaskId(inc.id);
      const mine = await lockTask(tx, id);
      if (mine) {
        // A re-run: the band rose (or the step ran again after a crash). Refresh what depends on the incident.
        const due = investigationDue(org, inc);
        const sooner = mine.status !== 'done' && (mine.due_at === null || due.getTime() < mine.due_at.getTime());
        const changed = await refreshTaskEvidence(tx, org, mine, inc, now, { title: investigationTitle(org, inc), ...(sooner ? { dueAt: due, clearOverdue: true } : {}) });
        if (changed) await appendAuditRecord(tx, { at: now, actor: 'vigil', action: 'task.refresh', target: id, details: { incident: inc.id, band: inc.band, ...(sooner ? { dueAt: due.toISOString() } : {}) } }, deps.logSigner);
        return { status: 'done', result: { task: id, assignee: mine.assignee, dueAt: (sooner ? due : mine.due_at)?.toISOString() ?? null, refreshed: changed } };
      }
      const decision = wantsInvestigation(config.policy.investigation, inc);
      if (!decision.want) return { status: 'skipped', reason: decision.reason };
      const other = (await tasksOfIncident(tx, inc.id, 'investigation'))[0];
      if (other) return { status: 'skipped', reason: `the incident already has investigation task ${other.id}, opened by a person` };
      if (siteInvestigators(config, inc.site).length === 0) {
        return { status: 'skipped', reason: `${decision.reason}, but site ${inc.site} has no investigator (no contact with role investigator covers the site)` };
      }
      const opened = await openInvestigationTask(tx, org, inc, { id, now });
      await appendAuditRecord(tx, { at: now, actor: 'vigil', action: 'task.create', target: id, details: { incident: inc.id, assignee: opened.assignee, dueAt: opened.dueAt.toISOString(), reason: decision.reason } }, deps.logSigner);
      const count = (kind: string) => opened.checklist.filter((i) => i.kind === kind).length;
      return {
        status: 'done',
        result: {
          task: id,
          assignee: opened.assignee,
          dueAt: opened.dueAt.toISOString(),
          reason: decision.reason,
          clips: count('clip'),
          badgeEvents: opened.checklist.flatMap((i) => (i.kind === 'badge_events' ? [i.count] : []))[0] ?? 0,
          posTransactions: opened.checklist.flatMap((i) => (i.kind === 'pos_transactions' ? [i.transactions.length] : []))[0] ?? 0,
          emailed: opened.queued > 0,
        },
      };
    },
  };
}
