/**
 * The `events` table: the stored event log, partitioned by month (see partitions.ts). Written by
 * the ingest path only, in the batch's transaction; `(source, source_event_id)` is unique through
 * `event_keys`, so the insert is also the duplicate check.
 */
import type { SecurityEvent } from '../domain/types.js';
import type { Db, Queryable } from './db.js';

/**
 * Inserts events in one statement, skipping those whose (source, sourceEventId) is already stored.
 * `events` is partitioned by time (migration 0023), so the duplicate check is the insert into the
 * unpartitioned `event_keys` in the same statement: each input row takes its sequence number
 * first (in input order), a keyed row is stored only when its key was new. Returns the stored
 * rows' sequence numbers with their keys, in input order for the events without a key.
 * Expects no key twice in one call (storeEvents drops repeats first).
 */
export async function insertEvents(tx: Queryable, events: readonly SecurityEvent[]): Promise<{ seq: number; source: string; source_event_id: string | null }[]> {
  const r = await tx.query<{ seq: number; source: string; source_event_id: string | null }>(
    `WITH x AS MATERIALIZED (
       SELECT nextval('events_seq_seq') AS seq, *
         FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::text[], $10::numeric[], $11::text[], $12::jsonb[]) WITH ORDINALITY
           AS u(source, type, sid, at, site, zone, device, badge, assets, amount, currency, details, ord)),
     keyed AS (
       INSERT INTO event_keys (source, source_event_id, seq)
       SELECT source, sid, seq FROM x WHERE sid IS NOT NULL ORDER BY ord
       ON CONFLICT (source, source_event_id) DO NOTHING
       RETURNING seq)
     INSERT INTO events (seq, source, type, source_event_id, occurred_at, site, zone, device, badge, assets, amount, currency, details)
     SELECT seq, source, type, sid, at, site, zone, device, badge,
            CASE WHEN assets IS NULL THEN NULL ELSE string_to_array(assets, ',') END, amount, currency, details
       FROM x WHERE sid IS NULL OR seq IN (SELECT seq FROM keyed) ORDER BY ord
     RETURNING seq, source, source_event_id`,
    [
      events.map((e) => e.source),
      events.map((e) => e.type),
      events.map((e) => e.sourceEventId ?? null),
      events.map((e) => e.occurredAt),
      events.map((e) => e.site),
      events.map((e) => e.zone ?? null),
      events.map((e) => e.device ?? null),
      events.map((e) => e.badge ?? null),
      events.map((e) => (e.assets ? e.assets.join(',') : null)),
      events.map((e) => e.amount?.value ?? null),
      events.map((e) => e.amount?.currency ?? null),
      events.map((e) => JSON.stringify(e.details)),
    ],
  );
  return r.rows;
}

/** Sequence numbers of stored events by (source, sourceEventId), keyed `${source}\0${sourceEventId}`. */
export async function storedEventSeqs(tx: Queryable, keys: readonly { source: string; sourceEventId: string }[]): Promise<Map<string, number>> {
  const r = await tx.query<{ seq: number; source: string; source_event_id: string }>(
    `SELECT k.seq, k.source, k.source_event_id FROM event_keys k
       JOIN unnest($1::text[], $2::text[]) AS u(source, sid) ON k.source = u.source AND k.source_event_id = u.sid`,
    [keys.map((k) => k.source), keys.map((k) => k.sourceEventId)],
  );
  return new Map(r.rows.map((x) => [`${x.source}\u0000${x.source_event_id}`, Number(x.seq)]));
}

/** Points events at the incidents they opened or joined. */
export async function linkEventsToIncidents(tx: Queryable, links: readonly { seq: number; incident: string }[]): Promise<void> {
  if (links.length === 0) return;
  // `seq = ANY` keeps this on the primary key (a join with unnest can make the planner scan the table).
  await tx.query(`UPDATE events e SET incident_id = ($2::text[])[array_position($1::bigint[], e.seq)] WHERE e.seq = ANY($1::bigint[])`, [
    links.map((l) => l.seq),
    links.map((l) => l.incident),
  ]);
}

/** A stored POS exception no incident has taken yet. */
export interface PendingPosRow {
  seq: number;
  site: string;
  device: string | null;
  occurred_at: Date;
  type: string;
  amount: string | null;
  currency: string | null;
  zone: string | null;
  badge: string | null;
  assets: string[] | null;
  details: Record<string, unknown>;
}

/** POS exceptions of the given types at the sites since `since`, not yet in an incident, leaving out `exceptSeqs`. */
export async function pendingPosExceptions(tx: Queryable, p: { sites: readonly string[]; types: readonly string[]; since: Date; exceptSeqs: readonly number[] }): Promise<PendingPosRow[]> {
  const r = await tx.query<PendingPosRow>(
    `SELECT seq, site, device, occurred_at, type, amount::text AS amount, currency, zone, badge, assets, details FROM events
      WHERE site = ANY($1) AND source = 'pos' AND type = ANY($2) AND incident_id IS NULL AND occurred_at >= $3 AND seq <> ALL($4::bigint[])`,
    [p.sites, p.types, p.since, p.exceptSeqs],
  );
  return r.rows;
}

/**
 * Serialises correlation per site across processes on a PostgreSQL server (a transaction-scoped
 * advisory lock per site, taken in id order). The embedded store has one process and needs none.
 */
export async function lockSitesForCorrelation(db: Db, tx: Queryable, sites: readonly string[]): Promise<void> {
  if (db.kind !== 'postgres') return;
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('vigil-site:' || s)) FROM unnest($1::text[]) AS s ORDER BY s`, [[...sites].sort()]);
}
