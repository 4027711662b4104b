/**
 * Step 10: the asset status lifecycle as a transition table, and the policy rule that decides
 * which assets of an incident change and to what.
 *
 *   active ──investigate──> under_investigation ──recover──> recovered
 *   active | under_investigation | recovered ──restrict──> restricted_access
 *   active | restricted_access | recovered ──investigate──> under_investigation
 *   under_investigation | restricted_access | recovered ──reactivate──> active
 *   any but decommissioned ──decommission──> decommissioned        (final)
 *
 * Only an asset under investigation (taken, missing) can be recovered; a decommissioned asset
 * takes no action; a status never "changes" to itself. Each action leads to one status, so a
 * request naming the status it wants (PATCH /api/v1/assets/{id}) maps to one action. Anything
 * not in the table is a ConflictError (HTTP 409) listing the statuses allowed from the current one.
 *
 * The policy rule (policy.assetStatus.rules, in order; an asset takes the first rule that matches
 * it): a rule names incident types, how the incident touches the asset (named in an event,
 * standing in an incident zone, within reach) and optionally only assets standing in a restricted
 * zone the incident entered, and the status such an asset moves to. With the default policy, theft
 * of an asset puts it under investigation and a breach of a restricted zone restricts its assets.
 */
import { ConflictError } from './errors.js';
import { actionsOf, type TransitionTable } from './transition-table.js';
import type { IncidentType } from './types.js';

/** Every status an asset can have (assets.status). */
export const ASSET_STATUSES = ['active', 'under_investigation', 'restricted_access', 'decommissioned', 'recovered'] as const;
/** An asset status. */
export type AssetStatus = (typeof ASSET_STATUSES)[number];

/** Every action of the asset lifecycle. */
export type AssetAction = 'investigate' | 'restrict' | 'recover' | 'reactivate' | 'decommission';

/** The transition table. Key order is the order of allowed lists. */
export const ASSET_TRANSITIONS: TransitionTable<AssetStatus, AssetAction> = {
  investigate: { from: ['active', 'restricted_access', 'recovered'], to: 'under_investigation', by: 'api' },
  restrict: { from: ['active', 'under_investigation', 'recovered'], to: 'restricted_access', by: 'api' },
  recover: { from: ['under_investigation'], to: 'recovered', by: 'api' },
  reactivate: { from: ['under_investigation', 'restricted_access', 'recovered'], to: 'active', by: 'api' },
  decommission: { from: ['active', 'under_investigation', 'restricted_access', 'recovered'], to: 'decommissioned', by: 'api' },
};

/** True when `v` is an asset status. */
export function isAssetStatus(v: unknown): v is AssetStatus {
  return typeof v === 'string' && (ASSET_STATUSES as readonly string[]).includes(v);
}

/** The action that leads to `to` (each status has at most one way in). */
export function actionTo(to: AssetStatus): AssetAction | undefined {
  return actionsOf(ASSET_TRANSITIONS).find((a) => ASSET_TRANSITIONS[a].to === to);
}

/** The statuses an asset may move to from `from`, in ASSET_STATUSES order. */
export function allowedAssetStatuses(from: string): AssetStatus[] {
  return ASSET_STATUSES.filter((to) => canMove(from, to));
}

/** True when the table allows `from -> to`. */
export function canMove(from: string, to: string): boolean {
  if (!isAssetStatus(to)) return false;
  const a = actionTo(to);
  return a !== undefined && (ASSET_TRANSITIONS[a].from as readonly string[]).includes(from);
}

/**
 * Checks `from -> to` for `subject` (e.g. "asset safe-1"): returns the action, or throws a
 * ConflictError whose message and `allowed` list the statuses allowed from `from`.
 */
export function assetTransition(from: string, to: AssetStatus, subject = 'asset'): AssetAction {
  if (canMove(from, to)) return actionTo(to)!;
  const allowed = allowedAssetStatuses(from);
  const why = from === to ? `${subject} is already ${from}` : `${subject} is ${from}; ${from} -> ${to} is not allowed`;
  throw new ConflictError(`${why}; allowed from ${from}: ${allowed.length > 0 ? allowed.join(', ') : 'none'}`, allowed);
}

/** How an incident touches an asset (incidents.assets.touched[].relation). */
export type AssetRelation = 'named' | 'zone' | 'reach';

/** One rule of policy.assetStatus.rules. */
export interface AssetStatusRule {
  name: string;
  types: readonly IncidentType[];
  relations: readonly AssetRelation[];
  restrictedZoneOnly: boolean;
  to: AssetStatus;
}

/** What the rule looks at: the incident and the assets it touches, with their current status. */
export interface AssetStatusPlanInput {
  incidentId: string;
  type: IncidentType;
  /** The zones the incident's events happened in. */
  zones: readonly string[];
  /** Which zones of the site are restricted. */
  restrictedZones: ReadonlySet<string>;
  assets: readonly { id: string; zone: string; relation: AssetRelation; status: string }[];
}

/** A status change the policy asks for. */
export interface PlannedAssetChange {
  assetId: string;
  from: string;
  to: AssetStatus;
  rule: string;
  reason: string;
}

/** An asset a rule matched that does not change, and why. */
export interface UnchangedAsset {
  assetId: string;
  rule: string;
  reason: string;
}

/** The step's plan: what changes and what a rule matched but leaves as it is. */
export interface AssetStatusPlan {
  changes: PlannedAssetChange[];
  unchanged: UnchangedAsset[];
}

/** Why a rule matched an asset, in words. */
function because(rule: AssetStatusRule, input: AssetStatusPlanInput, asset: AssetStatusPlanInput['assets'][number]): string {
  const how = asset.relation === 'named' ? 'named in its events' : asset.relation === 'zone' ? `standing in zone ${asset.zone}` : `within reach in zone ${asset.zone}`;
  const where = rule.restrictedZoneOnly ? ` (restricted zone ${asset.zone} breached)` : '';
  return `policy rule ${rule.name}: ${input.type.replace('_', ' ')} incident ${input.incidentId}, asset ${how}${where}`;
}

/** The first rule matching an asset, if any. */
export function ruleFor(rules: readonly AssetStatusRule[], input: AssetStatusPlanInput, asset: AssetStatusPlanInput['assets'][number]): AssetStatusRule | undefined {
  return rules.find(
    (r) =>
      r.types.includes(input.type) &&
      r.relations.includes(asset.relation) &&
      (!r.restrictedZoneOnly || (input.restrictedZones.has(asset.zone) && input.zones.includes(asset.zone))),
  );
}

/**
 * Decides, for each asset of an incident, the status the policy wants and whether the table allows
 * moving there. Pure. Assets no rule matches are in neither list; an asset already in the wanted
 * status, or one the table does not let move there (decommissioned, say), is `unchanged` with why.
 */
export function planAssetStatus(input: AssetStatusPlanInput, rules: readonly AssetStatusRule[]): AssetStatusPlan {
  const plan: AssetStatusPlan = { changes: [], unchanged: [] };
  for (const a of input.assets) {
    const rule = ruleFor(rules, input, a);
    if (!rule) continue;
    if (a.status === rule.to) plan.unchanged.push({ assetId: a.id, rule: rule.name, reason: `already ${rule.to}` });
    else if (!canMove(a.status, rule.to)) plan.unchanged.push({ assetId: a.id, rule: rule.name, reason: `${a.status} -> ${rule.to} is not allowed (allowed: ${allowedAssetStatuses(a.status).join(', ') || 'none'})` });
    else plan.changes.push({ assetId: a.id, from: a.status, to: rule.to, rule: rule.name, reason: because(rule, input, a) });
  }
  return plan;
}

/**
 * The recovery input of an incident's loss for an asset recovered through status change `seq`
 * (an entry of IncidentAggregate.recoveries, in minor units). The description names the asset and
 * the change, so the loss item says where the money came back from.
 */
export function assetRecovery(asset: { id: string; name: string }, seq: number, amount: { minor: bigint; currency: string }): { description: string; currency: string; minor: string } {
  return { description: `${asset.name} (${asset.id}) recovered, asset status change #${seq}`, currency: amount.currency, minor: String(amount.minor) };
}
