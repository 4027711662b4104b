/**
 * Step 2, get-high-risk-assets: the assets the incident touches (named, in its zone, or high-risk
 * in an adjacent zone), each with whether it is high-risk and why (domain/assessment).
 */
import type { Assessment } from '../../domain/assessment.js';
import type { OrgModel } from '../../domain/site-model.js';
import { setIncidentAssets } from '../../store/incidents.js';
import type { StepDefinition } from '../runner.js';
import { assessStoredIncident } from '../stored-assessment.js';

/** The journal result of step 2. */
export function highRiskAssetsResult(a: Assessment): Record<string, unknown> {
  return { touched: a.assets, highRisk: a.assets.filter((x) => x.highRisk).map((x) => x.id), adjacentHighRisk: a.adjacentHighRisk };
}

/** Step 2's definition. */
export function getHighRiskAssets(org: OrgModel): StepDefinition<'get-high-risk-assets'> {
  return {
    id: 'get-high-risk-assets',
    inline: { fromFacts: (f) => (f.assessment ? { status: 'done', result: highRiskAssetsResult(f.assessment) } : undefined) },
    async run({ tx, incidentId, now }) {
      const { assessment } = await assessStoredIncident(tx, org, incidentId, now);
      await setIncidentAssets(tx, incidentId, { touched: assessment.assets, adjacentHighRisk: assessment.adjacentHighRisk });
      return { status: 'done', result: highRiskAssetsResult(assessment) };
    },
  };
}
