/**
 * Changing an asset's status, shared by step 10 (update-asset-status, the policy) and
 * PATCH /api/v1/assets/{id} (people): one transaction that checks the move against the lifecycle
 * table (domain/asset-status.ts; 409 listing the allowed statuses), moves the asset, records the
 * change (who, when, why, the incident) and its audit record, adds a line to the incident's note
 * timeline, and, for a recovery for an incident, records the recovered value as a recovery of the
 * incident's loss.
 *
 * A recovery becomes an input of the loss, not an edit of it: it is appended to the incident's
 * event aggregate (`incidents.context.agg.recoveries`, what every assessment computes the loss
 * from), and the loss is recomputed from that aggregate. An event joining later, which re-assesses
 * the incident, therefore keeps the recovery. On a server the transaction takes the site's
 * correlation lock first, the one ingest takes before it reads and rewrites the aggregate, so the
 * two never overwrite each other.
 */
import type { CheckpointSigner } from '../domain/checkpoint.js';
import { assessIncident } from '../domain/assessment.js';
import { assetRecovery, assetTransition, type AssetStatus, type PlannedAssetChange } from '../domain/asset-status.js';
import { ConflictError, InvalidError, NotFoundError } from '../domain/errors.js';
import { fromMinor, minorDigits, toMinor } from '../domain/money.js';
import type { OrgModel } from '../domain/site-model.js';
import type { Loss } from '../domain/types.js';
import { loadSitesContext } from '../store/assessment-context.js';
import { assetSiteOf, changeAssetStatus, lockAssets, type AssetStatusChangeView, type LockedAsset } from '../store/asset-status.js';
import { appendAuditRecord } from '../store/audit-log.js';
import type { Db, Queryable } from '../store/db.js';
import { lockSitesForCorrelation } from '../store/events.js';
import { lockIncidentAggregate, setIncidentRecovery } from '../store/incidents.js';
import { appendNote } from '../store/notes.js';
import { incidentState } from '../store/read/incidents.js';
import type { SiteScope } from '../store/read/page.js';

/** A person's status change (PATCH /api/v1/assets/{id}). */
export interface AssetStatusRequest {
  assetId: string;
  to: AssetStatus;
  reason: string;
  actor: string;
  scope: SiteScope;
  now: Date;
  /** The incident the change belongs to. */
  incidentId?: string;
  /** With `to: recovered` and an incident: the value recovered (default: the asset's value). */
  recoveredValue?: string;
  /** The transparency log's key: the change's audit record gets its signed checkpoint at once. */
  signer?: CheckpointSigner;
}

/** What a change did. */
export interface AssetStatusResult {
  asset: LockedAsset;
  change: AssetStatusChangeView;
  /** The incident's loss after a recovery. */
  loss?: Loss;
}

/**
 * Applies a person's asset status change in one transaction (see the module comment). 404 when the
 * asset (or the named incident) is unknown or outside the caller's sites; 400 when the incident is
 * at another site, or a recovered value is given without a recovery for an incident; 409 when the
 * lifecycle table does not allow the move (listing what is allowed) or the incident is archived.
 */
export async function applyAssetStatusRequest(db: Db, org: OrgModel, req: AssetStatusRequest): Promise<AssetStatusResult> {
  const problems = [];
  if (req.recoveredValue !== undefined && (req.to !== 'recovered' || req.incidentId === undefined)) {
    problems.push({ path: 'recoveredValue', message: 'a recovered value is recorded only when recovering an asset for an incident (status "recovered" with "incident")' });
  }
  if (problems.length > 0) throw new InvalidError(problems);
  const recovering = req.to === 'recovered' && req.incidentId !== undefined;
  return db.transaction(async (tx) => {
    if (recovering) {
      // The site's correlation lock first (ingest's order), then rows.
      const site = await assetSiteOf(tx, req.assetId);
      if (site) await lockSitesForCorrelation(db, tx, [site]);
    }
    const [asset] = await lockAssets(tx, [req.assetId]);
    if (!asset || (req.scope && !req.scope.includes(asset.site))) throw new NotFoundError(`asset ${req.assetId}`);
    assetTransition(asset.status, req.to, `asset ${asset.id}`);
    if (req.incidentId !== undefined) {
      const inc = await incidentState(tx, req.incidentId, req.scope);
      if (!inc) throw new NotFoundError(`incident ${req.incidentId}`);
      if (inc.site !== asset.site) throw new InvalidError([{ path: 'incident', message: `incident ${inc.id} is at site ${inc.site}, asset ${asset.id} at ${asset.site}` }]);
      if (recovering && inc.status === 'archived') throw new ConflictError(`incident ${inc.id} is archived; its loss can no longer change`, []);
    }
    let amount: { minor: bigint; currency: string } | undefined;
    if (recovering) {
      const text = req.recoveredValue ?? asset.value;
      const digits = minorDigits(asset.currency);
      if ((text.split('.')[1] ?? '').length > digits) throw new InvalidError([{ path: 'recoveredValue', message: `expected at most ${digits} decimals for ${asset.currency}` }]);
      const minor = toMinor(text, asset.currency, 'recoveredValue');
      if (minor < 0n) throw new InvalidError([{ path: 'recoveredValue', message: 'expected an amount of 0 or more' }]);
      amount = { minor, currency: asset.currency };
    }
    const change = await changeAssetStatus(tx, {
      assetId: asset.id,
      from: asset.status,
      to: req.to,
      at: req.now,
      actor: req.actor,
      reason: req.reason,
      incidentId: req.incidentId ?? null,
      ...(amount ? { recoveredValue: fromMinor(amount.minor, amount.currency), currency: amount.currency } : {}),
    });
    if (!change) throw new ConflictError(`asset ${asset.id} changed meanwhile; try again`, []);
    let loss: Loss | undefined;
    if (recovering && amount) loss = await recordRecovery(tx, org, req.incidentId!, asset, change.seq, amount, req.now);
    await appendAuditRecord(tx, { at: req.now, actor: req.actor, action: 'asset.status', target: asset.id, details: { from: change.from, to: change.to, reason: req.reason, seq: change.seq, ...(req.incidentId ? { incident: req.incidentId } : {}), ...(change.recoveredValue ? { recoveredValue: change.recoveredValue } : {}) } }, req.signer);
    if (req.incidentId !== undefined) {
      const worth = change.recoveredValue ? `; recovered ${change.currency} ${change.recoveredValue}` : '';
      await appendNote(tx, { incidentId: req.incidentId, at: req.now, author: req.actor, kind: 'system', text: `Asset ${asset.name} (${asset.id}): ${change.from} -> ${change.to} (${req.reason})${worth}` });
    }
    return { asset: { ...asset, status: change.to }, change, ...(loss ? { loss } : {}) };
  });
}

/** Adds the recovery to the incident's aggregate and recomputes its loss from it. */
async function recordRecovery(tx: Queryable, org: OrgModel, incidentId: string, asset: LockedAsset, seq: number, amount: { minor: bigint; currency: string }, now: Date): Promise<Loss> {
  const row = await lockIncidentAggregate(tx, incidentId);
  if (!row.agg) throw new ConflictError(`incident ${incidentId} has not been assessed yet; its loss cannot take a recovery`, []);
  const agg = structuredClone(row.agg);
  agg.recoveries.push(assetRecovery(asset, seq, amount));
  const ctx = await loadSitesContext(tx, org, [row.site], now);
  // The loss does not depend on the recurrence count (severity does, and is not rewritten here).
  const { loss } = assessIncident(agg, org, org.config.policy, { devicesDown: ctx.devicesDown, priorIncidentsInZone: 0, assetRecentIncidents: ctx.assetRecentIncidents });
  await setIncidentRecovery(tx, incidentId, agg, loss);
  return loss;
}

/** Applies the policy's planned changes of one incident (step 10), in the step's transaction. */
export async function applyPlannedChanges(tx: Queryable, incidentId: string, planned: readonly PlannedAssetChange[], now: Date, actor: string, signer?: CheckpointSigner): Promise<AssetStatusChangeView[]> {
  const done: AssetStatusChangeView[] = [];
  for (const p of planned) {
    const c = await changeAssetStatus(tx, { assetId: p.assetId, from: p.from, to: p.to, at: now, actor, reason: p.reason, incidentId });
    if (!c) continue; // locked and checked by the step: cannot happen, and nothing was written if it did
    await appendAuditRecord(tx, { at: now, actor, action: 'asset.status', target: p.assetId, details: { from: p.from, to: p.to, reason: p.reason, seq: c.seq, incident: incidentId, rule: p.rule } }, signer);
    done.push(c);
  }
  if (done.length > 0) {
    await appendNote(tx, { incidentId, at: now, author: actor, kind: 'system', text: `Asset status by policy: ${done.map((c) => `${c.assetId} ${c.from} -> ${c.to}`).join('; ')}` });
  }
  return done;
}
