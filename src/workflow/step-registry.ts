/**
 * Where each step id finds its definition: one file per step under steps/, named by its id. The
 * tables are typed by the ids of incident-response.ts, so a wrong id does not compile, and a listed
 * (built) step without a definition stops the service at start.
 */
import type { OrgModel } from '../domain/site-model.js';
import { BUILT_INCIDENT_STEPS, BUILT_SCHEDULED_JOBS, type IncidentStepId, type ScheduledJobId } from './incident-response.js';
import type { StepDefinition } from './runner.js';
import type { ScheduledJob } from './scheduler.js';
import { assignGuardPatrol } from './steps/assign-guard-patrol.js';
import { calculateLossImpact } from './steps/calculate-loss-impact.js';
import { calculateSeverity } from './steps/calculate-severity.js';
import { fetchIncidentLogs } from './steps/fetch-incident-logs.js';
import { generateWeeklyLossReport } from './steps/generate-weekly-loss-report.js';
import { getHighRiskAssets } from './steps/get-high-risk-assets.js';
import { notifyManagement } from './steps/notify-management.js';
import { planCheckpointPatrols } from './steps/plan-checkpoint-patrols.js';
import { sendEmergencySms } from './steps/send-emergency-sms.js';

/** Incident step definitions by id (a step not built yet has none). */
const INCIDENT_STEP_DEFINITIONS: { [K in IncidentStepId]?: (org: OrgModel) => StepDefinition<K> } = {
  'fetch-incident-logs': fetchIncidentLogs,
  'get-high-risk-assets': getHighRiskAssets,
  'calculate-severity': calculateSeverity,
  'calculate-loss-impact': calculateLossImpact,
  'send-emergency-sms': sendEmergencySms,
  'notify-management': notifyManagement,
  'assign-guard-patrol': assignGuardPatrol,
};

/** Scheduled job definitions by id. */
const SCHEDULED_JOB_DEFINITIONS: { [K in ScheduledJobId]?: (org: OrgModel) => ScheduledJob<K> } = {
  'generate-weekly-loss-report': generateWeeklyLossReport,
  'plan-checkpoint-patrols': planCheckpointPatrols,
};

/** The definitions of the built incident steps, in workflow order; throws when one is missing. */
export function incidentSteps(org: OrgModel): StepDefinition[] {
  return BUILT_INCIDENT_STEPS.map((id) => {
    const make = INCIDENT_STEP_DEFINITIONS[id] as ((org: OrgModel) => StepDefinition) | undefined;
    if (!make) throw new Error(`step ${id} is listed as built but has no definition in workflow/steps/`);
    return make(org);
  });
}

/** The definitions of the built scheduled jobs; throws when one is missing. */
export function scheduledJobs(org: OrgModel): ScheduledJob[] {
  return BUILT_SCHEDULED_JOBS.map((id) => {
    const make = SCHEDULED_JOB_DEFINITIONS[id] as ((org: OrgModel) => ScheduledJob) | undefined;
    if (!make) throw new Error(`scheduled job ${id} is listed as built but has no definition in workflow/steps/`);
    return make(org);
  });
}
