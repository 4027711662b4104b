/**
 * Validation and normalisation of incoming events into the one SecurityEvent shape. Every source
 * (HTTP, files, MQTT, NATS) ends here, so every source reports problems the same way: row, field,
 * what was expected.
 */
import { z } from 'zod';
import { InvalidError, type Problem } from '../domain/errors.js';
import { fromMinor, minorDigits, toMinor } from '../domain/money.js';
import { EVENT_TYPES, SOURCES, type SecurityEvent, type Source } from '../domain/types.js';

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const ID_TEXT = /^[A-Za-z0-9._:@/#-]{1,200}$/;

const moneyInput = z.object({
  value: z.union([z.string().max(40), z.number()]),
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code like "USD"'),
});

/** The accepted input shape (before normalisation). Unknown top-level keys are refused. */
export const eventInputSchema = z
  .object({
    source: z.enum(SOURCES, { message: `expected one of ${SOURCES.join(', ')}` }),
    type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected an event type like "door_forced"'),
    sourceEventId: z.string().regex(ID_TEXT, 'expected 1-200 characters of letters, digits and ._:@/#-').optional(),
    occurredAt: z.string().regex(ISO_WITH_OFFSET, 'expected an ISO 8601 time with offset, like "2026-11-20T02:14:00-05:00"'),
    site: z.string().regex(/^[a-z0-9-]{1,100}$/, 'expected a site id ([a-z0-9-]+)'),
    zone: z.string().regex(/^[a-z0-9-]{1,100}$/, 'expected a zone id ([a-z0-9-]+)').optional(),
    device: z.string().regex(ID_TEXT, 'expected a device id').optional(),
    badge: z.string().regex(ID_TEXT, 'expected a badge id').optional(),
    assets: z.array(z.string().regex(/^[a-z0-9-]{1,100}$/, 'expected an asset id')).max(100).optional(),
    amount: moneyInput.optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type EventInput = z.input<typeof eventInputSchema>;

/** Largest accepted `details` object, serialised (bytes). */
export const MAX_DETAILS_BYTES = 16 * 1024;
/** Deepest accepted nesting inside `details`. */
export const MAX_DETAILS_DEPTH = 8;
/** Most character problems (NUL, lone surrogates) reported for one event's `details`. */
const MAX_DETAILS_CHAR_PROBLEMS = 20;

/**
 * The accepted `occurredAt` range, as UTC instants: the Unix epoch through the last millisecond
 * of year 9999. No security event predates 1970; past 9999 an ISO instant needs a six-digit year
 * that the rest of the system does not read, and both stores hold every instant in between alike.
 */
export const EARLIEST_OCCURRED_AT = '1970-01-01T00:00:00.000Z';
export const LATEST_OCCURRED_AT = '9999-12-31T23:59:59.999Z';
const EARLIEST_MS = Date.parse(EARLIEST_OCCURRED_AT);
const LATEST_MS = Date.parse(LATEST_OCCURRED_AT);

/**
 * Integer digits of an amount the store holds: `events.amount` is `numeric(20, 4)`, 20 digits of
 * which 4 are after the point, so an amount's absolute value must stay below 10^16.
 */
export const MAX_AMOUNT_INTEGER_DIGITS = 16;

/** Largest absolute amount accepted in `currency`, as decimal text ("9999999999999999.99" for USD). */
export function maxAmount(currency: string): string {
  return fromMinor(maxMinor(currency), currency);
}

function maxMinor(currency: string): bigint {
  return 10n ** BigInt(MAX_AMOUNT_INTEGER_DIGITS + minorDigits(currency)) - 1n;
}

/**
 * Validates one raw event. Returns the normalised event, or the problems found (paths prefixed
 * with `prefix`, rows set to `row`). Every field is checked on its own, so one answer lists every
 * problem of the event: a wrong type, a bad time and (with `refs`) an unknown site together.
 */
export function validateEvent(raw: unknown, prefix: string, row?: number, refs?: KnownRefs): { event?: SecurityEvent; problems: Problem[] } {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message, ...(row !== undefined ? { row } : {}) });
  const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
  const parsed = eventInputSchema.safeParse(raw);
  /** Top-level fields with a shape problem: the checks below look only at the others. */
  const failed = new Set<string>();
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      if (i.path.length > 0) failed.add(String(i.path[0]));
      add(
        [prefix, ...i.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`))].join('').replace(/^\./, ''),
        i.code === 'unrecognized_keys'
          ? `unknown field(s) ${(i as { keys: string[] }).keys.join(', ')}; expected only the fields of a SecurityEvent`
          : i.code === 'invalid_type' && (i as { input?: unknown }).input === undefined
            ? 'required'
            : i.message,
      );
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems };
  }
  // A field without a shape problem holds what the schema accepts (the schema transforms nothing).
  const v = (parsed.success ? parsed.data : raw) as z.output<typeof eventInputSchema>;
  const ok = <K extends keyof typeof v>(field: K): boolean => !failed.has(field) && v[field] !== undefined;

  if (ok('source') && ok('type')) {
    const known = EVENT_TYPES[v.source as Source];
    if (!known.includes(v.type)) add(at('type'), `unknown type "${v.type}" for source ${v.source}; expected one of ${known.join(', ')}`);
  }
  let ms = Number.NaN;
  if (ok('occurredAt')) {
    const r = checkInstant(v.occurredAt);
    if (typeof r === 'string') add(at('occurredAt'), r);
    else ms = r;
  }
  let amount: SecurityEvent['amount'];
  if (ok('amount') && v.amount) {
    try {
      const minor = toMinor(v.amount.value, v.amount.currency, at('amount.value'));
      const limit = maxMinor(v.amount.currency);
      if (minor > limit || minor < -limit) {
        add(at('amount.value'), `expected an amount of at most ${fromMinor(limit, v.amount.currency)} (${MAX_AMOUNT_INTEGER_DIGITS} digits before the point), got ${JSON.stringify(v.amount.value)}`);
      } else amount = { value: fromMinor(minor, v.amount.currency), currency: v.amount.currency };
    } catch (e) {
      if (e instanceof InvalidError) for (const p of e.problems) add(p.path, p.message);
      else throw e;
    }
  }
  const details = (ok('details') ? v.details : undefined) ?? {};
  if (ok('details')) {
    // Depth first: it stops early, while serialising a hostile, deeply nested value would overflow the stack.
    if (depth(details) > MAX_DETAILS_DEPTH) add(at('details'), `expected nesting of at most ${MAX_DETAILS_DEPTH} levels`);
    else {
      const text = JSON.stringify(details);
      if (text.length > MAX_DETAILS_BYTES) add(at('details'), `expected at most ${MAX_DETAILS_BYTES} bytes, got ${text.length}`);
      // The store holds well-formed Unicode without U+0000 only (PostgreSQL text and jsonb);
      // say where the bad character is rather than fail at the store.
      else if (ESCAPED_BAD_CHARACTER.test(text)) {
        for (const c of badCharacters(details, 'details', MAX_DETAILS_CHAR_PROBLEMS)) add(at(c.path), c.message);
      }
    }
  }
  if (refs && ok('site')) {
    for (const p of refProblems(v.site, ok('zone') ? v.zone : undefined, refs, at)) add(p.path, p.message);
  }
  if (problems.length > 0) return { problems };
  const event: SecurityEvent = {
    source: v.source as Source,
    type: v.type,
    occurredAt: new Date(ms).toISOString(),
    site: v.site,
    details,
  };
  if (v.sourceEventId !== undefined) event.sourceEventId = v.sourceEventId;
  if (v.zone !== undefined) event.zone = v.zone;
  if (v.device !== undefined) event.device = v.device;
  if (v.badge !== undefined) event.badge = v.badge;
  if (v.assets !== undefined && v.assets.length > 0) event.assets = [...new Set(v.assets)];
  if (amount) event.amount = amount;
  return { event, problems: [] };
}

const ISO_PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/;

/**
 * The UTC milliseconds of an ISO 8601 time (already matching ISO_WITH_OFFSET), or why it is not
 * accepted: a calendar field out of range (Feb 31, hour 24, offset +25:00) or an instant outside
 * EARLIEST_OCCURRED_AT..LATEST_OCCURRED_AT. Date.parse alone would roll Feb 31 over to March.
 */
function checkInstant(text: string): number | string {
  const m = ISO_PARTS.exec(text);
  if (!m) return 'not a real date and time';
  const [year, month, day, hour, minute, second, offH, offM] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  if (month < 1 || month > 12) return `not a real date and time: month ${m[2]} does not exist`;
  const monthDays = month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (day < 1 || day > monthDays) return `not a real date and time: ${m[1]}-${m[2]} has no day ${m[3]}`;
  if (hour > 23 || minute > 59 || second > 59) return 'not a real date and time: expected hours 00-23, minutes and seconds 00-59';
  if (offH > 23 || offM > 59) return 'not a real date and time: expected a UTC offset between -23:59 and +23:59';
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return 'not a real date and time';
  if (ms < EARLIEST_MS || ms > LATEST_MS) {
    return `expected a time from ${EARLIEST_OCCURRED_AT} to ${LATEST_OCCURRED_AT} (UTC), got ${JSON.stringify(text)}`;
  }
  return ms;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** A UTF-16 code unit that is half of a surrogate pair without its other half (in a `u` regex, a whole pair is one code point). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * What JSON.stringify writes for U+0000 ("\\u0000") and for a lone surrogate ("\\ud800"; it
 * writes a whole pair as itself): one scan of the serialised details finds whether to look closer.
 */
const ESCAPED_BAD_CHARACTER = /\\u(?:0000|[dD][89a-fA-F])/;

/** Path step for an object key: `.key` when it reads as a name, `["..."]` (JSON-escaped) otherwise. */
function keyStep(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

/** Paths of the strings and keys holding U+0000 or a lone surrogate, which the store cannot hold (at most `max`). */
function badCharacters(v: unknown, path: string, max: number, out: { path: string; message: string }[] = []): { path: string; message: string }[] {
  const why = (s: string) =>
    s.includes('\u0000')
      ? 'contains a NUL character (U+0000), which cannot be stored'
      : LONE_SURROGATE.test(s)
        ? 'contains a lone surrogate (half of a UTF-16 pair, e.g. \\ud800), which is not Unicode text and cannot be stored'
        : undefined;
  if (out.length >= max) return out;
  if (typeof v === 'string') {
    const w = why(v);
    if (w) out.push({ path, message: w });
    return out;
  }
  if (typeof v !== 'object' || v === null) return out;
  for (const [k, x] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
    if (out.length >= max) break;
    const p = typeof k === 'number' ? `${path}[${k}]` : `${path}${keyStep(k)}`;
    const w = typeof k === 'string' ? why(k) : undefined;
    if (w) out.push({ path: p, message: `key ${w}` });
    else badCharacters(x, p, max, out);
  }
  return out;
}

function depth(v: unknown, d = 0): number {
  if (d > MAX_DETAILS_DEPTH + 1) return d;
  if (typeof v !== 'object' || v === null) return d;
  let max = d + 1;
  for (const x of Array.isArray(v) ? v : Object.values(v)) max = Math.max(max, depth(x, d + 1));
  return max;
}

/**
 * Validates a batch. `rowOf(i)` gives the 1-based row/line of item i (files, NDJSON);
 * `pathOf(i)` its path prefix (e.g. "[3]" for a JSON array, "" for a single event).
 * Throws InvalidError with every problem when any item is invalid: all or nothing.
 */
export function validateEvents(
  raws: readonly unknown[],
  opts: { pathOf?: (i: number) => string; rowOf?: (i: number) => number | undefined; refs?: KnownRefs } = {},
): SecurityEvent[] {
  const events: SecurityEvent[] = [];
  const problems: Problem[] = [];
  for (let i = 0; i < raws.length; i++) {
    const r = validateEvent(raws[i], opts.pathOf ? opts.pathOf(i) : `[${i}]`, opts.rowOf?.(i), opts.refs);
    if (r.event) events.push(r.event);
    else problems.push(...r.problems);
    if (problems.length >= 1000) {
      problems.push({ path: '', message: 'too many problems; stopped after 1000' });
      break;
    }
  }
  if (problems.length > 0) throw new InvalidError(problems);
  return events;
}

/** What an event may refer to: the configured sites and their zones. */
export interface KnownRefs {
  zonesBySite: ReadonlyMap<string, { has(zone: string): boolean }>;
  /**
   * The sites the caller may act for, when it is limited to some (a site-scoped API token). A site
   * outside them is left to the authorisation check (403) and never called unknown, and messages
   * list only these: a scoped caller learns nothing of the other sites.
   */
  scope?: readonly string[];
}

/**
 * Checks that an event names a configured site (and, when it names a zone, a zone of that site).
 * An event for an unknown site could never be correlated or alerted on, so it is refused.
 */
export function checkRefs(e: SecurityEvent, refs: KnownRefs, prefix: string, row?: number): Problem[] {
  const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
  return refProblems(e.site, e.zone, refs, at).map((p) => ({ ...p, ...(row !== undefined ? { row } : {}) }));
}

function refProblems(site: string, zone: string | undefined, refs: KnownRefs, at: (field: string) => string): Problem[] {
  if (refs.scope && !refs.scope.includes(site)) return [];
  const zones = refs.zonesBySite.get(site);
  if (!zones) {
    const known = [...refs.zonesBySite.keys()].filter((s) => !refs.scope || refs.scope.includes(s));
    const expected = known.length === 0 ? '' : `; expected one of ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''}`;
    return [{ path: at('site'), message: `unknown site "${site}"${expected}` }];
  }
  if (zone !== undefined && !zones.has(zone)) return [{ path: at('zone'), message: `unknown zone "${zone}" in site ${site}` }];
  return [];
}
