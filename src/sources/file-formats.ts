/**
 * File ingest: what the file translators (NDJSON, CSV, POSLog XML, Frigate) share: the parsed-row
 * shape, options and stats, size limits, the option check, and the helpers (local time to UTC, id
 * sanitising). Which translator reads a file is event-files.ts's business. Decimal amounts are
 * read with domain/money.ts, local times with domain/local-time.ts.
 *
 * Every translator produces raw event objects and sends them through `validateEvent`, so a bad row
 * reads the same whatever the file format: row/line, field, what was expected. A record that is
 * malformed always yields a ParsedRow with problems; a record that is legitimately not an event
 * (a normal sale, a sign-on) is only counted in `ParseStats.skipped`.
 */
import { open } from 'node:fs/promises';
import { InvalidError, type Problem } from '../domain/errors.js';
import { isValidTimeZone, wallClockToInstant, type WallClock } from '../domain/local-time.js';
import type { SecurityEvent } from '../domain/types.js';
import type { PosExceptionPolicy } from '../domain/pos-exceptions.js';
import type { KnownRefs } from './event-input.js';
import type { CsvProfileDef } from './csv-profiles.js';

/**
 * One input record that maps to an event, or is invalid. `row` is the 1-based line (NDJSON, CSV),
 * transaction ordinal (POSLog) or array element ordinal (JSON arrays); 0 means the file as a whole
 * (e.g. a refused DOCTYPE, a missing `--site`), after which the file yields nothing more.
 */
export interface ParsedRow {
  row: number;
  event?: SecurityEvent;
  problems: Problem[];
}

/** What the caller knows that the file may not say. */
export interface ParseOptions {
  /** Site for events whose record names none (required by sources that never name one: UCI, Frigate). */
  site?: string;
  /** CSV mapping profile: "vigil" (default) or "uci-online-retail". */
  profile?: string;
  /** ISO 4217 currency for amounts whose record names none; default USD (the UCI profile defaults to GBP, its data's currency). */
  currency?: string;
  /** IANA time zone for timestamps without an offset; default UTC (UCI profile: Europe/London). */
  timezone?: string;
  /** Maps a device id to its zone (from the configuration), for records that name a device but no zone. */
  zoneOf?: (device: string) => string | undefined;
  /** The configured sites and zones: a record naming another is refused with its other problems, in one list. */
  refs?: KnownRefs;
  /** POS exception rules to evaluate per operator per business day (POSLog); none when absent. */
  posExceptions?: PosExceptionPolicy;
  /** A site's IANA time zone (business days of POS exceptions, CSV timestamps without an offset). */
  timezoneOf?: (site: string) => string | undefined;
  /** Told how many bytes of the file were read so far (progress; NDJSON, CSV and POSLog readers). */
  onBytes?: (bytesRead: number) => void;
  /** CSV profiles from the configuration (`sources.csvProfiles`), besides the shipped ones. */
  csvProfiles?: Record<string, CsvProfileDef>;
}

/** Counters a parse fills in besides the rows it yields. */
export interface ParseStats {
  /** Records read that are not events (normal sales, sign-ons, Frigate updates...). */
  skipped: number;
  /** What the file held, by kind (POSLog: transactions, line voids, cancels, no-sales...); filled by translators that know. */
  kinds?: Record<string, number>;
  /** Why records were skipped: reason -> how many, and the first rows (translators that say). */
  skippedWhy?: Record<string, { count: number; rows: number[] }>;
  /** The same kinds per operator (POSLog: operator id -> kind -> count). */
  byOperator?: Record<string, Record<string, number>>;
}

/** Counts a skipped record with its reason (and keeps its row among the first 20 of that reason). */
export function noteSkip(stats: ParseStats, reason: string, row: number): void {
  stats.skipped++;
  const why = (stats.skippedWhy ??= {});
  const r = (why[reason] ??= { count: 0, rows: [] });
  r.count++;
  if (r.rows.length < 20) r.rows.push(row);
}

/** Adds to a kind counter of the file summary. */
export function noteKind(stats: ParseStats, kind: string, n = 1): void {
  if (n === 0) return;
  const k = (stats.kinds ??= {});
  k[kind] = (k[kind] ?? 0) + n;
}

/** Currency used when neither the record nor the options name one. */
export const DEFAULT_CURRENCY = 'USD';

/** Lines (NDJSON) and messages longer than this are refused, so one hostile line cannot exhaust memory. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Whole-document inputs (JSON arrays, a single pretty-printed message) larger than this are refused. */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

/** Reads the first bytes of a file as text (format detection, document sniffing). */
export async function readHead(file: string, bytes = 4096): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Throws InvalidError listing every bad option (time zone, currency, site). */
export function checkParseOptions(opts: ParseOptions): void {
  const problems: Problem[] = [];
  if (opts.timezone !== undefined && !isValidTimeZone(opts.timezone)) {
    problems.push({ path: 'timezone', message: `unknown time zone ${JSON.stringify(opts.timezone)}; expected an IANA name like "America/New_York"` });
  }
  if (opts.currency !== undefined && !/^[A-Z]{3}$/.test(opts.currency)) {
    problems.push({ path: 'currency', message: `expected an ISO 4217 currency code like "USD", got ${JSON.stringify(opts.currency)}` });
  }
  if (opts.site !== undefined && !/^[a-z0-9-]{1,100}$/.test(opts.site)) {
    problems.push({ path: 'site', message: `expected a site id ([a-z0-9-]+), got ${JSON.stringify(opts.site)}` });
  }
  if (problems.length > 0) throw new InvalidError(problems);
}

// ---------------------------------------------------------------------------------------------
// Time: records often carry local wall-clock times without an offset (POSLog EndDateTime, UCI
// InvoiceDate). They are converted with the IANA rules of the given zone, never the host's zone.

/** Zone -> reading key -> ISO instant. */
const zonedCache = new Map<string, Map<number, string>>();

/**
 * Converts a local wall-clock time in `tz` to an ISO instant (UTC, "...Z"). Returns undefined for
 * an impossible date (Feb 30, hour 25). A time in a DST gap is moved forward by the gap; a time
 * that happens twice (clocks going back) is the earlier of the two instants (`wallClockToInstant`).
 */
export function zonedTimeToIso(t: WallClock, tz: string): string | undefined {
  // Files repeat timestamps (every line of an invoice); Intl is the slow part.
  const key = wallKey(t);
  const byWall = key === undefined ? undefined : zonedCache.get(tz);
  const cached = key === undefined ? undefined : byWall?.get(key);
  if (cached !== undefined) return cached;
  const iso = wallClockToInstant(t, tz)?.toISOString();
  if (iso === undefined || key === undefined) return iso;
  if (!byWall || byWall.size >= 10_000) zonedCache.set(tz, new Map([[key, iso]]));
  else byWall.set(key, iso);
  return iso;
}

/** One integer per reading with every field in its range (so two readings never share a key); undefined otherwise. */
function wallKey(t: WallClock): number | undefined {
  const second = t.second ?? 0;
  const ms = t.ms ?? 0;
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v <= max;
  if (!ok(t.year, 9999) || !ok(t.month, 12) || !ok(t.day, 31) || !ok(t.hour, 23) || !ok(t.minute, 59) || !ok(second, 59) || !ok(ms, 999)) return undefined;
  return (((((t.year * 13 + t.month) * 32 + t.day) * 24 + t.hour) * 60 + t.minute) * 60 + second) * 1000 + ms;
}

const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Normalises an ISO 8601 date-time text: with an offset it is kept (as "T" form); without one it
 * is read as local time in `tz`. Returns undefined when the text is not an ISO date-time, so the
 * caller can pass the original through to validation (which names the field and expected form).
 */
export function isoWithZone(text: string, tz: string): string | undefined {
  const m = ISO_LOCAL.exec(text.trim());
  if (!m) return undefined;
  if (m[8] !== undefined) {
    const off = m[8] === 'Z' ? 'Z' : `${m[8].slice(0, 3)}:${m[8].length === 3 ? '00' : m[8].slice(-2)}`;
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}${m[6] !== undefined ? `:${m[6]}` : ''}${m[7] !== undefined ? `.${m[7]}` : ''}${off}`;
  }
  return zonedTimeToIso(
    {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: m[6] !== undefined ? Number(m[6]) : 0,
      ms: m[7] !== undefined ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0,
    },
    tz,
  );
}

// ---------------------------------------------------------------------------------------------
// Ids.

/** Lower-cases and reduces text to [a-z0-9-] (site, zone, device ids built from source fields). */
export function slugId(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 100);
}

/** Replaces characters a sourceEventId may not hold ([A-Za-z0-9._:@/#-]) with "_". */
export function safeIdPart(text: string): string {
  return text.trim().replace(/[^A-Za-z0-9._:@/#-]/g, '_');
}
