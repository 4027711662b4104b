/**
 * The incident workflow: the ordered list of steps each incident goes through, by CONTRACT id.
 * Steps 1-4 also run inline in the ingest transaction (fast path); their handlers here are the
 * recovery path the runner takes when the inline run could not finish.
 * Later steps (response, documentation, archive) join this list in CONTRACT order.
 */
import type { Chain } from '../domain/chain.js';
import type { StepDefinition } from './runner.js';
import { assessSteps } from './steps/assess.js';
import { respondSteps } from './steps/respond.js';

export type { StepDefinition } from './runner.js';

/** Step ids of the incident workflow, in order. */
export const INCIDENT_WORKFLOW = [
  'fetch-incident-logs',
  'get-high-risk-assets',
  'calculate-severity',
  'calculate-loss-impact',
  'send-emergency-sms',
  'notify-management',
  'assign-guard-patrol',
] as const;

/** Steps that run again (from the first of them) when an incident's band rises. */
export const RESPONSE_STEPS = ['send-emergency-sms', 'notify-management', 'assign-guard-patrol'] as const;

/** The step definitions of the incident workflow for a chain. */
export function incidentSteps(chain: Chain): StepDefinition[] {
  const byId = new Map([...assessSteps(chain), ...respondSteps(chain, chain.config)].map((s) => [s.id, s]));
  return INCIDENT_WORKFLOW.map((id) => {
    const s = byId.get(id);
    if (!s) throw new Error(`step ${id} has no definition`);
    return s;
  });
}
