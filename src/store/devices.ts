/**
 * The `device_state` table: each device's last known online and recording state, fed by device
 * events in the ingest transaction.
 */
import type { Queryable } from './db.js';

/** What a batch of device events says of one device (only the fields an event changed). */
export interface DeviceUpdate {
  site: string;
  online?: boolean;
  recording?: boolean;
  at: Date;
}

/** Writes device state: changed fields take the new value, the others keep their stored value. */
export async function upsertDeviceState(tx: Queryable, updates: ReadonlyMap<string, DeviceUpdate>): Promise<void> {
  if (updates.size === 0) return;
  const list = [...updates.entries()];
  await tx.query(
    `WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::boolean[], $5::timestamptz[]) AS u(id, site, online, recording, at)),
     upd AS (
       UPDATE device_state d SET online = coalesce(u.online, d.online), recording = coalesce(u.recording, d.recording),
              last_seen_at = greatest(d.last_seen_at, u.at), changed_at = u.at, updated_at = now()
         FROM u WHERE d.id = u.id RETURNING d.id)
     INSERT INTO device_state (id, site, online, recording, last_seen_at, changed_at, updated_at)
     SELECT id, site, coalesce(online, true), coalesce(recording, true), at, at, now() FROM u WHERE id NOT IN (SELECT id FROM upd)
     ON CONFLICT (id) DO NOTHING`,
    [list.map(([id]) => id), list.map(([, u]) => u.site), list.map(([, u]) => u.online ?? null), list.map(([, u]) => u.recording ?? null), list.map(([, u]) => u.at)],
  );
}
