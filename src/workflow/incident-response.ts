/**
 * The incident workflow: the ordered list of steps each incident goes through, by CONTRACT id.
 * Steps 1-5 also run inline in the ingest transaction (the fast path to the alert); their handlers
 * here are the path the runner takes when the inline run could not finish. Steps 6-7 run in the
 * runner. The later steps (documentation, investigation, risk, audits, archive) join this list in
 * CONTRACT order.
 */
import type { Chain } from '../domain/chain.js';
import { INCIDENT_STEP_IDS } from '../domain/types.js';
import type { StepDefinition } from './runner.js';
import { assessSteps } from './steps/assess.js';
import { respondSteps } from './steps/respond.js';

export type { StepDefinition } from './runner.js';

/** Step ids of the incident workflow built so far, in CONTRACT order (steps 1-7 of the 14). */
export const INCIDENT_WORKFLOW: readonly string[] = INCIDENT_STEP_IDS.slice(0, 7);

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
