/**
 * Storing a batch of validated events once: repeats of (source, sourceEventId) within the batch
 * are dropped first, and those already stored are skipped by the unique index (the insert is the
 * duplicate check). Answers every input event with its event id, the stored one for duplicates.
 */
import type { SecurityEvent } from '../domain/types.js';
import type { Queryable } from '../store/db.js';
import { eventId } from '../store/event-ids.js';
import { insertEvents, storedEventSeqs } from '../store/events.js';

/** What storing a batch did. */
export interface StoredBatch {
  /** Event ids in input order (the first copy's or the stored event's id for duplicates). */
  ids: string[];
  /** Per input event: stored by this batch. */
  isNew: boolean[];
  /** Indices of the events this batch stored, in input order. */
  fresh: number[];
  /** Input index -> store sequence number, for the fresh events. */
  seqOf: Map<number, number>;
  duplicates: number;
}

const keyOf = (source: string, sourceEventId: string) => `${source}\u0000${sourceEventId}`;

/** Stores the events that are new; see the module comment. */
export async function storeEvents(tx: Queryable, events: readonly SecurityEvent[]): Promise<StoredBatch> {
  const ids: string[] = new Array(events.length);
  const candidates: number[] = [];
  const firstCopy = new Map<string, number>();
  const repeatOf = new Map<number, number>();
  let duplicates = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.sourceEventId !== undefined) {
      const k = keyOf(e.source, e.sourceEventId);
      const dupOf = firstCopy.get(k);
      if (dupOf !== undefined) {
        repeatOf.set(i, dupOf); // answered with the first copy's id below
        duplicates++;
        continue;
      }
      firstCopy.set(k, i);
    }
    candidates.push(i);
  }
  const inserted = await insertEvents(
    tx,
    candidates.map((i) => events[i]),
  );
  // Map the stored rows back to the input: by key, and (events without a key, which can never
  // conflict) by their order, which the insert keeps.
  const seqOf = new Map<number, number>();
  const unkeyed = candidates.filter((i) => events[i].sourceEventId === undefined);
  let u = 0;
  for (const row of inserted) {
    if (row.source_event_id === null) seqOf.set(unkeyed[u++], Number(row.seq));
    else seqOf.set(firstCopy.get(keyOf(row.source, row.source_event_id))!, Number(row.seq));
  }
  if (u !== unkeyed.length) throw new Error(`ingest: ${unkeyed.length} unkeyed events sent, ${u} stored`);
  const fresh = candidates.filter((i) => seqOf.has(i));
  const stored = candidates.filter((i) => !seqOf.has(i));
  if (stored.length > 0) {
    // Already stored before this batch: answer with the stored event's id.
    const old = await storedEventSeqs(
      tx,
      stored.map((i) => ({ source: events[i].source, sourceEventId: events[i].sourceEventId! })),
    );
    for (const i of stored) ids[i] = eventId(old.get(keyOf(events[i].source, events[i].sourceEventId!))!);
    duplicates += stored.length;
  }
  for (const i of fresh) ids[i] = eventId(seqOf.get(i)!);
  for (const [i, first] of repeatOf) ids[i] = ids[first];
  const isNew = new Array<boolean>(events.length).fill(false);
  for (const i of fresh) isNew[i] = true;
  return { ids, isNew, fresh, seqOf, duplicates };
}
