/**
 * Step 4, calculate-loss-impact: the itemised loss estimate (domain/loss: replacement, downtime,
 * fines, remediation, recovered; gross and net in exact money).
 */
import type { OrgModel } from '../../domain/site-model.js';
import { setIncidentLoss } from '../../store/incidents.js';
import type { StepDefinition } from '../runner.js';
import { assessStoredIncident } from '../stored-assessment.js';

/** Step 4's definition. */
export function calculateLossImpact(org: OrgModel): StepDefinition<'calculate-loss-impact'> {
  return {
    id: 'calculate-loss-impact',
    inline: { fromFacts: (f) => (f.assessment ? { status: 'done', result: f.assessment.loss } : undefined) },
    async run({ tx, incidentId, now }) {
      const { assessment } = await assessStoredIncident(tx, org, incidentId, now);
      await setIncidentLoss(tx, incidentId, assessment.loss);
      return { status: 'done', result: assessment.loss };
    },
  };
}
