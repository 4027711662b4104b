/**
 * Where each step id finds its definition: one file per step under steps/, named by its id. The
 * tables are typed by the ids of incident-response.ts, so a wrong id does not compile, and a listed
 * (built) step without a definition stops the service at start.
 */
import type { OrgModel } from '../domain/site-model.js';
import { BUILT_INCIDENT_STEPS, BUILT_SCHEDULED_JOBS, type IncidentStepId, type ScheduledJobId } from './incident-response.js';
import type { StepDefinition, StepDeps } from './runner.js';
import type { ScheduledJob } from './scheduler.js';
import { archiveResolvedIncident } from './steps/archive-resolved-incident.js';
import { archiveResolvedIncidents } from './steps/archive-resolved-incidents.js';
import { assignGuardPatrol } from './steps/assign-guard-patrol.js';
import { auditSurveillanceEquipment } from './steps/audit-surveillance-equipment.js';
import { auditSurveillanceEquipmentDaily } from './steps/audit-surveillance-equipment-daily.js';
import { calculateLossImpact } from './steps/calculate-loss-impact.js';
import { calculateSeverity } from './steps/calculate-severity.js';
import { createInvestigationTask } from './steps/create-investigation-task.js';
import { createIncidentReport } from './steps/create-incident-report.js';
import { fetchIncidentLogs } from './steps/fetch-incident-logs.js';
import { generateWeeklyLossReport } from './steps/generate-weekly-loss-report.js';
import { getHighRiskAssets } from './steps/get-high-risk-assets.js';
import { notifyManagement } from './steps/notify-management.js';
import { planCheckpointPatrols } from './steps/plan-checkpoint-patrols.js';
import { reviewAccessLogs } from './steps/review-access-logs.js';
import { reviewAccessLogsDaily } from './steps/review-access-logs-daily.js';
import { sendEmergencySms } from './steps/send-emergency-sms.js';
import { updateRiskAssessment } from './steps/update-risk-assessment.js';
import { updateAssetStatus } from './steps/update-asset-status.js';

/** What step definitions may need besides the organisation (the service passes it). */
export type { StepDeps };

/** Incident step definitions by id (a step not built yet has none). */
const INCIDENT_STEP_DEFINITIONS: { [K in IncidentStepId]?: (org: OrgModel, deps: StepDeps) => StepDefinition<K> } = {
  'fetch-incident-logs': fetchIncidentLogs,
  'get-high-risk-assets': getHighRiskAssets,
  'calculate-severity': calculateSeverity,
  'calculate-loss-impact': calculateLossImpact,
  'send-emergency-sms': sendEmergencySms,
  'notify-management': notifyManagement,
  'assign-guard-patrol': assignGuardPatrol,
  'update-risk-assessment': updateRiskAssessment,
  'create-investigation-task': createInvestigationTask,
  'create-incident-report': createIncidentReport,
  'review-access-logs': reviewAccessLogs,
  'audit-surveillance-equipment': auditSurveillanceEquipment,
  'update-asset-status': updateAssetStatus,
  'archive-resolved-incident': archiveResolvedIncident,
};

/** Scheduled job definitions by id. */
const SCHEDULED_JOB_DEFINITIONS: { [K in ScheduledJobId]?: (org: OrgModel, deps: StepDeps) => ScheduledJob<K> } = {
  'generate-weekly-loss-report': generateWeeklyLossReport,
  'plan-checkpoint-patrols': planCheckpointPatrols,
  'review-access-logs-daily': reviewAccessLogsDaily,
  'audit-surveillance-equipment-daily': auditSurveillanceEquipmentDaily,
  'archive-resolved-incidents': archiveResolvedIncidents,
};

/** The definitions of the built incident steps, in workflow order; throws when one is missing. */
export function incidentSteps(org: OrgModel, deps: StepDeps = {}): StepDefinition[] {
  return BUILT_INCIDENT_STEPS.map((id) => {
    const make = INCIDENT_STEP_DEFINITIONS[id] as ((org: OrgModel, deps: StepDeps) => StepDefinition) | undefined;
    if (!make) throw new Error(`step ${id} is listed as built but has no definition in workflow/steps/`);
    return make(org, deps);
  });
}

/** The definitions of the built scheduled jobs; throws when one is missing. */
export function scheduledJobs(org: OrgModel, deps: StepDeps = {}): ScheduledJob[] {
  return BUILT_SCHEDULED_JOBS.map((id) => {
    const make = SCHEDULED_JOB_DEFINITIONS[id] as ((org: OrgModel, deps: StepDeps) => ScheduledJob) | undefined;
    if (!make) throw new Error(`scheduled job ${id} is listed as built but has no definition in workflow/steps/`);
    return make(org, deps);
  });
}
