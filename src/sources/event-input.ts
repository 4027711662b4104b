/**
 * Validation and normalisation of incoming events into the one SecurityEvent shape. Every source
 * (HTTP, files, MQTT, NATS) ends here, so every source reports problems the same way: row, field,
 * what was expected.
 */
import { z } from 'zod';
import { InvalidError, type Problem } from '../domain/errors.js';
import { normalizeAmount } from '../domain/money.js';
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

/**
 * Validates one raw event. Returns the normalised event, or the problems found (paths prefixed
 * with `prefix`, rows set to `row`).
 */
export function validateEvent(raw: unknown, prefix: string, row?: number): { event?: SecurityEvent; problems: Problem[] } {
  const parsed = eventInputSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((i) => ({
        path: [prefix, ...i.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`))].join('').replace(/^\./, ''),
        message:
          i.code === 'unrecognized_keys'
            ? `unknown field(s) ${(i as { keys: string[] }).keys.join(', ')}; expected only the fields of a SecurityEvent`
            : i.code === 'invalid_type' && (i as { input?: unknown }).input === undefined
              ? 'required'
              : i.message,
        ...(row !== undefined ? { row } : {}),
      })),
    };
  }
  const v = parsed.data;
  const problems: Problem[] = [];
  const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
  const known = EVENT_TYPES[v.source as Source];
  if (!known.includes(v.type)) {
    problems.push({ path: at('type'), message: `unknown type "${v.type}" for source ${v.source}; expected one of ${known.join(', ')}`, ...(row !== undefined ? { row } : {}) });
  }
  const ms = Date.parse(v.occurredAt);
  if (Number.isNaN(ms)) problems.push({ path: at('occurredAt'), message: 'not a real date and time', ...(row !== undefined ? { row } : {}) });
  let amount: SecurityEvent['amount'];
  if (v.amount) {
    try {
      amount = { value: normalizeAmount(v.amount.value, v.amount.currency, at('amount.value')), currency: v.amount.currency };
    } catch (e) {
      if (e instanceof InvalidError) problems.push(...e.problems.map((p) => ({ ...p, ...(row !== undefined ? { row } : {}) })));
      else throw e;
    }
  }
  const details = v.details ?? {};
  if (v.details) {
    // Depth first: it stops early, while serialising a hostile, deeply nested value would overflow the stack.
    if (depth(details) > MAX_DETAILS_DEPTH) problems.push({ path: at('details'), message: `expected nesting of at most ${MAX_DETAILS_DEPTH} levels`, ...(row !== undefined ? { row } : {}) });
    else {
      const text = JSON.stringify(details);
      if (text.length > MAX_DETAILS_BYTES) problems.push({ path: at('details'), message: `expected at most ${MAX_DETAILS_BYTES} bytes, got ${text.length}`, ...(row !== undefined ? { row } : {}) });
      // PostgreSQL cannot store U+0000 in text or jsonb; say where it is rather than fail at the store.
      else if (text.includes('\\u0000')) {
        const where = nulPath(details);
        if (where !== undefined) problems.push({ path: at(`details${where}`), message: 'contains a NUL character (U+0000), which cannot be stored', ...(row !== undefined ? { row } : {}) });
      }
    }
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

/** Path (".a[2].b") of the first string or key holding U+0000, if any. */
function nulPath(v: unknown, path = ''): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? path : undefined;
  if (typeof v !== 'object' || v === null) return undefined;
  for (const [k, x] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
    const p = typeof k === 'number' ? `${path}[${k}]` : `${path}.${k}`;
    if (typeof k === 'string' && k.includes('\u0000')) return p;
    const found = nulPath(x, p);
    if (found !== undefined) return found;
  }
  return undefined;
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
  opts: { pathOf?: (i: number) => string; rowOf?: (i: number) => number | undefined } = {},
): SecurityEvent[] {
  const events: SecurityEvent[] = [];
  const problems: Problem[] = [];
  for (let i = 0; i < raws.length; i++) {
    const r = validateEvent(raws[i], opts.pathOf ? opts.pathOf(i) : `[${i}]`, opts.rowOf?.(i));
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
}

/**
 * Checks that an event names a configured site (and, when it names a zone, a zone of that site).
 * An event for an unknown site could never be correlated or alerted on, so it is refused.
 */
export function checkRefs(e: SecurityEvent, refs: KnownRefs, prefix: string, row?: number): Problem[] {
  const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
  const zones = refs.zonesBySite.get(e.site);
  if (!zones) {
    const known = [...refs.zonesBySite.keys()];
    return [{ path: at('site'), message: `unknown site "${e.site}"; expected one of ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''}`, ...(row !== undefined ? { row } : {}) }];
  }
  if (e.zone !== undefined && !zones.has(e.zone)) {
    return [{ path: at('zone'), message: `unknown zone "${e.zone}" in site ${e.site}`, ...(row !== undefined ? { row } : {}) }];
  }
  return [];
}
