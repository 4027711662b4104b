/**
 * Step 1, fetch-incident-logs: the events behind the incident, summarised for the journal
 * (count, sources, zones, devices, badges, time span, the newest event ids). Inline, the result
 * comes from the batch that stored the events; on the runner's path from the stored aggregate.
 */
import type { IncidentAggregate } from '../../domain/assessment.js';
import type { OrgModel } from '../../domain/site-model.js';
import { eventId } from '../../store/event-ids.js';
import type { StepDefinition } from '../runner.js';
import { assessStoredIncident } from '../stored-assessment.js';

/** The journal result of step 1. */
export function incidentLogsResult(agg: IncidentAggregate, eventSeqs: readonly number[]): Record<string, unknown> {
  return {
    eventCount: agg.eventCount,
    sources: agg.sources,
    zones: agg.zones,
    devices: agg.devices,
    badges: agg.badges,
    firstEventAt: agg.firstEventAt,
    lastEventAt: agg.lastEventAt,
    newEvents: eventSeqs.slice(-50).map(eventId),
  };
}

/** Step 1's definition. */
export function fetchIncidentLogs(org: OrgModel): StepDefinition<'fetch-incident-logs'> {
  return {
    id: 'fetch-incident-logs',
    inline: { fromFacts: (f) => (f.assessment ? { status: 'done', result: incidentLogsResult(f.agg, f.eventSeqs) } : undefined) },
    async run({ tx, incidentId, now }) {
      const { agg } = await assessStoredIncident(tx, org, incidentId, now);
      return { status: 'done', result: incidentLogsResult(agg, []) };
    },
  };
}
