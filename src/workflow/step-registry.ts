/**
 * The step definitions of the incident workflow for an organisation, in the order of
 * BUILT_INCIDENT_STEPS. Refuses to build when a listed step has no definition.
 */
import type { OrgModel } from '../domain/site-model.js';
import { BUILT_INCIDENT_STEPS } from './incident-response.js';
import type { StepDefinition } from './runner.js';
import { assessSteps } from './steps/assess.js';
import { respondSteps } from './steps/respond.js';

/** The step definitions of the incident workflow for an organisation. */
export function incidentSteps(org: OrgModel): StepDefinition[] {
  const byId = new Map([...assessSteps(org), ...respondSteps(org, org.config)].map((s) => [s.id, s]));
  return BUILT_INCIDENT_STEPS.map((id) => {
    const s = byId.get(id);
    if (!s) throw new Error(`step ${id} has no definition`);
    return s;
  });
}
