/**
 * Step 8, create-incident-report: writes the incident's standard report (reports/) as a new
 * version when it differs from the latest one. From policy.report.minBand up; below it the step
 * is skipped with the reason (a report asked for through the API or the CLI is still written).
 * The step runs again when the band rises (incident-response.ts, BAND_RISE_STEPS), and GET
 * .../report brings the report up to date whenever it is read. Idempotent: an unchanged incident
 * adds no version.
 */
import { NotFoundError } from '../../domain/errors.js';
import type { OrgModel } from '../../domain/site-model.js';
import { ensureCurrentReport } from '../../reports/report-versions.js';
import { lockIncidentForResponse } from '../../store/incidents.js';
import { bandRank } from '../response-actions.js';
import type { StepDefinition } from '../runner.js';

/** Step 8's definition. */
export function createIncidentReport(org: OrgModel): StepDefinition<'create-incident-report'> {
  return {
    id: 'create-incident-report',
    async run({ tx, incidentId, now }) {
      const inc = await lockIncidentForResponse(tx, incidentId);
      const minBand = org.config.policy.report.minBand;
      if (bandRank(inc.band) < bandRank(minBand)) return { status: 'skipped', reason: `band ${inc.band} is below the report threshold (${minBand})` };
      const out = await ensureCurrentReport(tx, org, incidentId, now);
      if (!out) throw new NotFoundError(`incident ${incidentId}`);
      return { status: 'done', result: { version: out.version.version, digest: out.version.digest, created: out.created } };
    },
  };
}
