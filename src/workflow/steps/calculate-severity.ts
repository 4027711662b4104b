/**
 * Step 3, calculate-severity: the explained severity score (domain/severity: each factor with its
 * value, weight and contribution) and its band, appended to the incident's score history.
 */
import type { OrgModel } from '../../domain/site-model.js';
import { setIncidentSeverity } from '../../store/incidents.js';
import type { StepDefinition } from '../runner.js';
import { assessStoredIncident } from '../stored-assessment.js';

/** Step 3's definition. */
export function calculateSeverity(org: OrgModel): StepDefinition<'calculate-severity'> {
  return {
    id: 'calculate-severity',
    inline: { fromFacts: (f) => (f.assessment ? { status: 'done', result: f.assessment.severity } : undefined) },
    async run({ tx, incidentId, now }) {
      const { agg, assessment } = await assessStoredIncident(tx, org, incidentId, now);
      await setIncidentSeverity(tx, incidentId, assessment.severity, agg.eventCount, now);
      return { status: 'done', result: assessment.severity };
    },
  };
}
