/**
 * Read model of the event log: events as the API shows them (the SecurityEvent shape plus their
 * store identity), the paginated log and the events of one incident.
 */
import { normalizeAmount } from '../../domain/money.js';
import type { Queryable } from '../db.js';
import { eventId } from '../event-ids.js';
import { Where } from '../where.js';
import { CURSOR_AT_SQL, decodeCursor, encodeCursor, scopeSites, type Page, type SiteScope } from './page.js';

/** An event as the API shows it: the SecurityEvent shape plus its store identity. */
export interface EventItem {
  id: string;
  source: string;
  type: string;
  sourceEventId?: string;
  occurredAt: string;
  site: string;
  zone?: string;
  device?: string;
  badge?: string;
  assets?: string[];
  amount?: { value: string; currency: string };
  details: Record<string, unknown>;
  receivedAt: string;
  incidentId: string | null;
}

/** An events row as the read model selects it. */
interface EventRow {
  seq: number;
  source: string;
  type: string;
  source_event_id: string | null;
  occurred_at: Date;
  received_at: Date;
  site: string;
  zone: string | null;
  device: string | null;
  badge: string | null;
  assets: string[] | null;
  amount: string | null;
  currency: string | null;
  details: Record<string, unknown> | null;
  incident_id: string | null;
  cursor_at: string;
}

const EVENT_COLUMNS = `seq, source, type, source_event_id, occurred_at, received_at, site, zone, device, badge, assets,
  amount::text AS amount, currency, details, incident_id, ${CURSOR_AT_SQL('occurred_at')} AS cursor_at`;

function toEventItem(r: EventRow): EventItem {
  // Keys in the order of the SecurityEvent shape; absent optional fields are left out, as on input.
  return {
    id: eventId(Number(r.seq)),
    source: r.source,
    type: r.type,
    ...(r.source_event_id !== null ? { sourceEventId: r.source_event_id } : {}),
    occurredAt: r.occurred_at.toISOString(),
    site: r.site,
    ...(r.zone !== null ? { zone: r.zone } : {}),
    ...(r.device !== null ? { device: r.device } : {}),
    ...(r.badge !== null ? { badge: r.badge } : {}),
    ...(r.assets !== null ? { assets: r.assets } : {}),
    // numeric(20,4) comes back as "120.5000"; show it with the currency's own minor digits.
    ...(r.amount !== null && r.currency ? { amount: { value: normalizeAmount(r.amount, r.currency), currency: r.currency } } : {}),
    details: r.details ?? {},
    receivedAt: r.received_at.toISOString(),
    incidentId: r.incident_id,
  };
}

/** Filters of the event log. Times: from inclusive, to exclusive. */
export interface EventFilter {
  sources?: readonly string[];
  types?: readonly string[];
  sites?: readonly string[];
  zones?: readonly string[];
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

/** The stored event log, newest first by (occurred_at, seq). */
export async function listEvents(q: Queryable, f: EventFilter, scope: SiteScope): Promise<Page<EventItem>> {
  const w = new Where();
  w.anyOf('source', f.sources);
  w.anyOf('type', f.types);
  w.anyOf('site', scopeSites(f.sites, scope));
  w.anyOf('zone', f.zones);
  if (f.from) w.add(`occurred_at >= ${w.p(f.from)}`);
  if (f.to) w.add(`occurred_at < ${w.p(f.to)}`);
  if (f.cursor) {
    const [at, seq] = decodeCursor(f.cursor, 'number');
    w.add(`(occurred_at, seq) < (${w.p(at)}::timestamptz, ${w.p(seq)}::bigint)`);
  }
  const r = await q.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events ${w.sql()} ORDER BY occurred_at DESC, seq DESC LIMIT ${w.p(f.limit + 1)}`, w.params);
  const more = r.rows.length > f.limit;
  const rows = more ? r.rows.slice(0, f.limit) : r.rows;
  const last = rows[rows.length - 1];
  return { items: rows.map(toEventItem), nextCursor: more && last ? encodeCursor(last.cursor_at, Number(last.seq)) : null };
}

/** The events of one incident, oldest first, at most `limit`. */
export async function incidentEvents(q: Queryable, incidentId: string, limit = 500): Promise<EventItem[]> {
  const r = await q.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE incident_id = $1 ORDER BY occurred_at, seq LIMIT $2`, [incidentId, limit]);
  return r.rows.map(toEventItem);
}
