/**
 * Asset status (step 10 and PATCH /api/v1/assets/{id}): the current status lives in
 * `assets.status` (a configuration sync never resets it, store/assets.ts), every change is a row of
 * `asset_status_changes` (migration 0008, append-only by the trigger of 0011) with who, when, why
 * and the incident, and, for a recovery, the value recovered.
 */
import type { Queryable } from './db.js';

/** An asset's registry facts a status change needs, locked for the transaction. */
export interface LockedAsset {
  id: string;
  site: string;
  zone: string;
  name: string;
  value: string;
  currency: string;
  status: string;
}

/** Locks assets by id (in id order, so two transactions never wait on each other crosswise). */
export async function lockAssets(tx: Queryable, ids: readonly string[]): Promise<LockedAsset[]> {
  if (ids.length === 0) return [];
  const r = await tx.query<LockedAsset>(
    `SELECT id, site, zone, name, value::text AS value, currency, status FROM assets WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
    [[...ids]],
  );
  return r.rows;
}

/** The site of an asset (not locked: what a change locks first), or undefined. */
export async function assetSiteOf(q: Queryable, id: string): Promise<string | undefined> {
  const r = await q.query<{ site: string }>(`SELECT site FROM assets WHERE id = $1`, [id]);
  return r.rows[0]?.site;
}

/** A status change to record. */
export interface AssetStatusChange {
  assetId: string;
  from: string;
  to: string;
  at: Date;
  actor: string;
  reason: string;
  incidentId: string | null;
  /** The value recovered (a change to `recovered` for an incident), a decimal string. */
  recoveredValue?: string | null;
  currency?: string | null;
}

/** One recorded change, as the API shows it. */
export interface AssetStatusChangeView {
  seq: number;
  assetId: string;
  from: string;
  to: string;
  at: string;
  actor: string;
  reason: string;
  incidentId: string | null;
  recoveredValue: string | null;
  currency: string | null;
}

/**
 * Moves an asset from `from` to `to` (guarded by `from`) and records the change; undefined when
 * the asset was no longer `from` (nothing written).
 */
export async function changeAssetStatus(tx: Queryable, c: AssetStatusChange): Promise<AssetStatusChangeView | undefined> {
  const moved = await tx.query(`UPDATE assets SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2`, [c.assetId, c.from, c.to, c.at]);
  if (moved.rowCount === 0) return undefined;
  const r = await tx.query<{ seq: string | number }>(
    `INSERT INTO asset_status_changes (asset_id, from_status, to_status, at, actor, reason, incident_id, recovered_value, currency)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq`,
    [c.assetId, c.from, c.to, c.at, c.actor, c.reason, c.incidentId, c.recoveredValue ?? null, c.currency ?? null],
  );
  return {
    seq: Number(r.rows[0].seq),
    assetId: c.assetId,
    from: c.from,
    to: c.to,
    at: c.at.toISOString(),
    actor: c.actor,
    reason: c.reason,
    incidentId: c.incidentId,
    recoveredValue: c.recoveredValue ?? null,
    currency: c.currency ?? null,
  };
}

type ChangeRow = {
  seq: string | number; asset_id: string; from_status: string; to_status: string; at: Date; actor: string; reason: string;
  incident_id: string | null; recovered_value: string | null; currency: string | null;
};
const toView = (x: ChangeRow): AssetStatusChangeView => ({
  seq: Number(x.seq),
  assetId: x.asset_id,
  from: x.from_status,
  to: x.to_status,
  at: x.at.toISOString(),
  actor: x.actor,
  reason: x.reason,
  incidentId: x.incident_id,
  recoveredValue: x.recovered_value,
  currency: x.currency,
});
const CHANGE_COLUMNS = `seq, asset_id, from_status, to_status, at, actor, reason, incident_id, recovered_value::text AS recovered_value, currency`;

/** An asset's status history, oldest first (at most `limit`, the newest ones). */
export async function assetStatusHistory(q: Queryable, assetId: string, limit = 200): Promise<AssetStatusChangeView[]> {
  const r = await q.query<ChangeRow>(
    `SELECT * FROM (SELECT ${CHANGE_COLUMNS} FROM asset_status_changes WHERE asset_id = $1 ORDER BY seq DESC LIMIT $2) c ORDER BY seq`,
    [assetId, limit],
  );
  return r.rows.map(toView);
}

/** The status changes made for an incident, oldest first. */
export async function incidentAssetChanges(q: Queryable, incidentId: string): Promise<AssetStatusChangeView[]> {
  const r = await q.query<ChangeRow>(`SELECT ${CHANGE_COLUMNS} FROM asset_status_changes WHERE incident_id = $1 ORDER BY seq`, [incidentId]);
  return r.rows.map(toView);
}
