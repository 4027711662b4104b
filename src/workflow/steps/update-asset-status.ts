/**
 * Step 10, update-asset-status: the assets the incident touches move through the asset lifecycle
 * as the policy says (policy.assetStatus.rules, domain/asset-status.ts): with the default policy a
 * stolen asset goes under investigation and the assets of a breached restricted zone are
 * restricted. Each change is recorded with who (the workflow), when, why (the rule) and the
 * incident. Skipped with the reason when no rule applies, every matched asset already has (or
 * cannot take) the status, or the incident was resolved as a false alarm before the step ran. Idempotent: a re-run finds the assets already moved and changes nothing.
 */
import { planAssetStatus, type AssetRelation } from '../../domain/asset-status.js';
import type { OrgModel } from '../../domain/site-model.js';
import type { IncidentType } from '../../domain/types.js';
import { lockAssets } from '../../store/asset-status.js';
import { readIncidentForStep } from '../../store/incidents.js';
import { applyPlannedChanges } from '../asset-status-change.js';
import type { StepDefinition, StepDeps } from '../runner.js';

/** Who the step's changes are recorded as. */
export const ASSET_STATUS_ACTOR = 'vigil (update-asset-status)';

/** Step 10's definition. */
export function updateAssetStatus(org: OrgModel, deps: StepDeps = {}): StepDefinition<'update-asset-status'> {
  const rules = org.config.policy.assetStatus.rules;
  return {
    id: 'update-asset-status',
    async run({ tx, incidentId, now }) {
      const inc = await readIncidentForStep(tx, incidentId);
      // Resolved as a false alarm before the step ran: nothing happened to the assets.
      if (inc.outcome === 'false_alarm') return { status: 'skipped', reason: 'the incident was resolved as a false alarm' };
      const touched = inc.assets?.touched ?? [];
      if (touched.length === 0) return { status: 'skipped', reason: 'the incident touches no asset' };
      const model = org.sites.get(inc.site);
      const restricted = new Set([...(model?.zones.values() ?? [])].filter((z) => z.restricted).map((z) => z.id));
      // Locked in id order; the current status is the registry's, never the assessment's copy.
      const locked = new Map((await lockAssets(tx, touched.map((a) => a.id))).map((a) => [a.id, a]));
      const assets = touched
        .filter((a) => locked.has(a.id))
        .map((a) => ({ id: a.id, zone: locked.get(a.id)!.zone, relation: a.relation as AssetRelation, status: locked.get(a.id)!.status }));
      const plan = planAssetStatus({ incidentId, type: inc.type as IncidentType, zones: inc.zones ?? [], restrictedZones: restricted, assets }, rules);
      if (plan.changes.length === 0) {
        const reason =
          plan.unchanged.length === 0
            ? `no asset status rule applies to a ${inc.type} incident touching ${assets.map((a) => `${a.id} (${a.relation})`).join(', ')}`
            : `nothing to change: ${plan.unchanged.map((u) => `${u.assetId} ${u.reason} (rule ${u.rule})`).join('; ')}`;
        return { status: 'skipped', reason, result: { changes: [], unchanged: plan.unchanged } };
      }
      const changes = await applyPlannedChanges(tx, incidentId, plan.changes, now, ASSET_STATUS_ACTOR, deps.logSigner);
      return {
        status: 'done',
        result: { changes: changes.map((c) => ({ asset: c.assetId, from: c.from, to: c.to, seq: c.seq, rule: plan.changes.find((p) => p.assetId === c.assetId)?.rule })), unchanged: plan.unchanged },
      };
    },
  };
}
