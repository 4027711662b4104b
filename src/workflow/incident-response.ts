/**
 * The workflow, declared: the one place step ids are written.
 *
 * - INCIDENT_STEPS: the 14 per-incident steps of CONTRACT.md, in order. `IncidentStepId` is their
 *   union, so a step definition, a journal query or a dashboard lookup with an unknown id does not
 *   compile.
 * - SCHEDULED_JOBS: the runs that belong to a time window instead of an incident (the weekly loss
 *   report, the periodic access review and equipment audit, the archive sweep, checkpoint planning).
 * - BUILT_INCIDENT_STEPS / BUILT_SCHEDULED_JOBS: the runnable lists. A step joins when its file in
 *   steps/ exists; the runner refuses to start when a listed step has no definition
 *   (workflow/step-registry.ts holds the definitions).
 *
 * This module is pure data (no imports with effects), so the dashboard and the docs import it too.
 */

/** The per-incident steps, in CONTRACT order. */
export const INCIDENT_STEPS = [
  'fetch-incident-logs',
  'get-high-risk-assets',
  'calculate-severity',
  'calculate-loss-impact',
  'send-emergency-sms',
  'notify-management',
  'assign-guard-patrol',
  'create-incident-report',
  'create-investigation-task',
  'update-asset-status',
  'update-risk-assessment',
  'review-access-logs',
  'audit-surveillance-equipment',
  'archive-resolved-incident',
] as const;

/** A per-incident step id (CONTRACT.md). */
export type IncidentStepId = (typeof INCIDENT_STEPS)[number];

/** The scheduled jobs: one run per window (an ISO week or a local day of the organisation). */
export const SCHEDULED_JOBS = [
  'generate-weekly-loss-report',
  'review-access-logs-daily',
  'audit-surveillance-equipment-daily',
  'archive-resolved-incidents',
  'plan-checkpoint-patrols',
] as const;

/** A scheduled job id. */
export type ScheduledJobId = (typeof SCHEDULED_JOBS)[number];

/** Any id the journals know: a step of an incident or a scheduled job. */
export type WorkflowId = IncidentStepId | ScheduledJobId;

/** The scheduled jobs built so far. */
export const BUILT_SCHEDULED_JOBS = ['generate-weekly-loss-report', 'review-access-logs-daily', 'audit-surveillance-equipment-daily', 'archive-resolved-incidents', 'plan-checkpoint-patrols'] as const satisfies readonly ScheduledJobId[];

/**
 * The assessment (steps 1-4): recomputed from the incident's events each time one joins it, so
 * they are journaled again for an incident that grew.
 */
export const ASSESSMENT_STEPS = ['fetch-incident-logs', 'get-high-risk-assets', 'calculate-severity', 'calculate-loss-impact'] as const satisfies readonly IncidentStepId[];

/**
 * The fast path to the alert: these steps run inline in the ingest transaction that stores the
 * event (the assessment, then the emergency-SMS decision). A prefix of BUILT_INCIDENT_STEPS.
 */
export const INLINE_STEPS = [...ASSESSMENT_STEPS, 'send-emergency-sms'] as const satisfies readonly IncidentStepId[];

/** The response steps (5-7); they run again when an incident's band rises (BAND_RISE_STEPS): the new band alerts once. */
export const RESPONSE_STEPS = ['send-emergency-sms', 'notify-management', 'assign-guard-patrol'] as const satisfies readonly IncidentStepId[];

/**
 * The incident steps built so far, in CONTRACT order: what the runner runs for every incident. A
 * step joins here when its file in steps/ exists (test/scheduler.test.ts checks both, and the order).
 */
export const BUILT_INCIDENT_STEPS = [...ASSESSMENT_STEPS, ...RESPONSE_STEPS, 'create-incident-report', 'create-investigation-task', 'update-asset-status', 'update-risk-assessment', 'review-access-logs', 'audit-surveillance-equipment', 'archive-resolved-incident'] as const satisfies readonly IncidentStepId[];

/**
 * Steps planned again when an incident's band rises: the response steps (the new band alerts
 * once) and the steps that start from a band: the report (policy.report.minBand) and the
 * investigation task (a low incident that became medium gets its task; an existing one is due
 * sooner). The runner makes each due in turn, skipping steps between them that do not run again.
 */
export const BAND_RISE_STEPS = [...RESPONSE_STEPS, 'create-incident-report', 'create-investigation-task'] as const satisfies readonly IncidentStepId[];

/** Steps after which the outbox has new messages to deliver. */
export const ALERTING_STEPS: readonly IncidentStepId[] = [...RESPONSE_STEPS, 'create-investigation-task'];

/** What each step is for, in a few words (dashboard, docs, `GET /api/v1/jobs`). */
export const STEP_TITLES: Record<WorkflowId, string> = {
  'fetch-incident-logs': 'Fetch incident logs',
  'get-high-risk-assets': 'High-risk assets',
  'calculate-severity': 'Severity',
  'calculate-loss-impact': 'Loss impact',
  'send-emergency-sms': 'Emergency SMS',
  'notify-management': 'Notify management',
  'assign-guard-patrol': 'Guard patrol',
  'create-incident-report': 'Incident report',
  'create-investigation-task': 'Investigation task',
  'update-asset-status': 'Asset status',
  'update-risk-assessment': 'Risk assessment',
  'review-access-logs': 'Access-log review',
  'audit-surveillance-equipment': 'Equipment audit',
  'archive-resolved-incident': 'Archive',
  'generate-weekly-loss-report': 'Weekly loss report',
  'review-access-logs-daily': 'Daily access-log review',
  'audit-surveillance-equipment-daily': 'Daily equipment audit',
  'archive-resolved-incidents': 'Archive sweep',
  'plan-checkpoint-patrols': 'Checkpoint patrols for the next shift',
};

/** True when `id` is an incident step id. */
export function isIncidentStepId(id: string): id is IncidentStepId {
  return (INCIDENT_STEPS as readonly string[]).includes(id);
}
