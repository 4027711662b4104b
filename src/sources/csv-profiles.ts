/**
 * Column-mapping CSV profiles: how an access-control or POS system's CSV export maps to events,
 * as data. A profile names the columns (timestamp, badge, reader or door, result, direction; for
 * POS: register, operator, transaction, code, amount) and the codes each system writes ("Access
 * Granted", "DENIED", "Door Forced Open"...), so a new export needs configuration, not code.
 *
 * Shipped: `generic-access-control` and `generic-pos`. More come from the configuration
 * (`sources.csvProfiles`, same shape). The built-in `vigil` and `uci-online-retail` profiles are
 * code (csv-file.ts), because their rows are not a fixed column mapping.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Problem } from '../domain/errors.js';
import { isDecimal, absDecimal } from '../domain/money.js';
import { DEFAULT_CURRENCY, isoWithZone, slugId, zonedTimeToIso, type ParseOptions } from './file-formats.js';

const ACCESS_TYPES = ['access_granted', 'access_denied', 'door_forced', 'door_held_open', 'tailgating', 'skip'] as const;
const POS_TYPES = ['void', 'refund', 'no_sale', 'price_override', 'cash_shortage', 'skip'] as const;

const columnName = z.string().min(1);
const codes = z.array(z.string().min(1)).min(1);

/** How a timestamp column is written: ISO 8601 (with or without offset), or a spreadsheet form. */
const TIMESTAMP_FORMATS = ['iso', 'M/D/YYYY H:MM', 'D/M/YYYY H:MM'] as const;

const common = {
  description: z.string().optional(),
  /** IANA zone for timestamps written without an offset; default the site's time zone. */
  timezone: z.string().min(1).optional(),
  timestampFormat: z.enum(TIMESTAMP_FORMATS).default('iso'),
  /** Reader / door / register names as the export writes them -> device ids of the configuration. */
  devices: z.record(z.string(), z.string().min(1)).default({}),
};

export const accessProfileSchema = z.object({
  kind: z.literal('access_control'),
  ...common,
  columns: z.object({
    timestamp: columnName,
    door: columnName,
    result: columnName,
    badge: columnName.optional(),
    direction: columnName.optional(),
    eventId: columnName.optional(),
    site: columnName.optional(),
  }),
  /** Event type -> the result codes that mean it (case-insensitive); "skip" for codes that are no event. */
  results: z.partialRecord(z.enum(ACCESS_TYPES), codes),
  directions: z.object({ in: codes, out: codes }).default({ in: ['in'], out: ['out'] }),
});

export const posProfileSchema = z.object({
  kind: z.literal('pos'),
  ...common,
  columns: z.object({
    timestamp: columnName,
    register: columnName,
    code: columnName,
    amount: columnName.optional(),
    currency: columnName.optional(),
    operator: columnName.optional(),
    transaction: columnName.optional(),
    line: columnName.optional(),
    site: columnName.optional(),
  }),
  /** Event type -> the transaction codes that mean it; "skip" for normal sales and the like. */
  codes: z.partialRecord(z.enum(POS_TYPES), codes),
});

/** A CSV profile of the configuration (`sources.csvProfiles.<name>`). */
export const csvProfileDefSchema = z.discriminatedUnion('kind', [accessProfileSchema, posProfileSchema]);
export type CsvProfileDef = z.input<typeof csvProfileDefSchema>;
type Def = z.output<typeof csvProfileDefSchema>;

/** `sources.csvProfiles` in the configuration: profile name -> definition. */
export const csvProfilesConfigSchema = z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a profile name like "badge-export"'), csvProfileDefSchema);

/** The column-mapping profiles that ship with the product. */
export const SHIPPED_PROFILES: Record<string, CsvProfileDef> = {
  'generic-access-control': {
    kind: 'access_control',
    description: 'A generic access-control export: Timestamp, Door, Result (Badge, Direction, Event ID, Site optional)',
    columns: { timestamp: 'Timestamp', badge: 'Badge', door: 'Door', result: 'Result', direction: 'Direction', eventId: 'Event ID', site: 'Site' },
    results: {
      access_granted: ['granted', 'access granted', 'valid', 'valid access'],
      access_denied: ['denied', 'access denied', 'invalid', 'invalid badge', 'expired badge'],
      door_forced: ['forced', 'door forced', 'door forced open', 'forced open'],
      door_held_open: ['held', 'held open', 'door held', 'door held open'],
      tailgating: ['tailgate', 'tailgating', 'anti-passback', 'antipassback violation'],
    },
    directions: { in: ['in', 'entry', 'enter', 'ingress'], out: ['out', 'exit', 'egress'] },
  },
  'generic-pos': {
    kind: 'pos',
    description: 'A generic POS exception export: Timestamp, Register, Operator, Transaction, Type, Amount',
    columns: { timestamp: 'Timestamp', register: 'Register', operator: 'Operator', transaction: 'Transaction', code: 'Type', amount: 'Amount' },
    codes: {
      void: ['void', 'line void', 'item void', 'post void'],
      refund: ['refund', 'return'],
      no_sale: ['no sale', 'no_sale', 'nosale'],
      price_override: ['price override', 'override'],
      cash_shortage: ['cash shortage', 'shortage'],
      skip: ['sale', 'sign on', 'sign off'],
    },
  },
};

/** Parsed definition of a profile (defaults applied); InvalidError-free: shipped and config profiles are validated at load. */
export function profileDef(def: CsvProfileDef): Def {
  return csvProfileDefSchema.parse(def);
}

/** The columns a profile reads: required first, then optional. */
export function profileColumns(def: Def): { required: string[]; optional: string[] } {
  const c = def.columns as Record<string, string | undefined>;
  const requiredKeys = def.kind === 'access_control' ? ['timestamp', 'door', 'result'] : ['timestamp', 'register', 'code'];
  const required = requiredKeys.map((k) => c[k]!).filter(Boolean);
  const optional = Object.entries(c)
    .filter(([k, v]) => v !== undefined && !requiredKeys.includes(k))
    .map(([, v]) => v!);
  return { required, optional };
}

/** Whether a header holds every required column of a profile. */
export function headerMatches(def: Def, header: readonly string[]): boolean {
  const h = new Set(header.map((x) => x.trim().toLowerCase()));
  return profileColumns(def).required.every((c) => h.has(c.toLowerCase()));
}

/** A compiled profile: maps one record (cells by header) to a raw event, a skip, or problems. */
export interface CompiledProfile {
  name: string;
  def: Def;
  rowToRaw(cells: Record<string, string>, row: number, opts: ParseOptions): { raw: Record<string, unknown> } | { skip: string } | { problems: Problem[] };
}

const lower = (s: string) => s.trim().toLowerCase();

function codeTable(map: Record<string, string[] | undefined>): Map<string, string> {
  const t = new Map<string, string>();
  for (const [type, list] of Object.entries(map)) for (const c of list ?? []) t.set(lower(c), type);
  return t;
}

const SHEET = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/;

function readTimestamp(text: string, format: Def['timestampFormat'], tz: string): string | undefined {
  if (format === 'iso') return isoWithZone(text, tz);
  const m = SHEET.exec(text.trim());
  if (!m) return undefined;
  const [a, b] = [Number(m[1]), Number(m[2])];
  const [month, day] = format === 'M/D/YYYY H:MM' ? [a, b] : [b, a];
  return zonedTimeToIso({ year: Number(m[3]), month, day, hour: Number(m[4]), minute: Number(m[5]), second: m[6] ? Number(m[6]) : 0 }, tz);
}

const FORMAT_EXAMPLE: Record<Def['timestampFormat'], string> = {
  iso: 'an ISO 8601 date-time like 2026-11-20T02:14:00 or 2026-11-20T02:14:00-05:00',
  'M/D/YYYY H:MM': 'a date like 11/20/2026 2:14 (M/D/YYYY H:MM)',
  'D/M/YYYY H:MM': 'a date like 20/11/2026 2:14 (D/M/YYYY H:MM)',
};

/** Compiles a profile definition into a row mapper. */
export function compileProfile(name: string, input: CsvProfileDef): CompiledProfile {
  const def = profileDef(input);
  const types = codeTable(def.kind === 'access_control' ? def.results : def.codes);
  const devices = new Map(Object.entries(def.devices).map(([k, v]) => [lower(k), v]));
  const dirs = def.kind === 'access_control' ? new Map([...def.directions.in.map((d) => [lower(d), 'in'] as const), ...def.directions.out.map((d) => [lower(d), 'out'] as const)]) : new Map<string, string>();
  const known = [...types.keys()].map((k) => JSON.stringify(k)).join(', ');
  return {
    name,
    def,
    rowToRaw(cells, row, opts) {
      const problems: Problem[] = [];
      const col = def.columns as Record<string, string | undefined>;
      const get = (k: string) => (col[k] !== undefined ? (cells[col[k]!] ?? '').trim() : '');
      const bad = (k: string, message: string) => problems.push({ path: col[k] ?? k, message, row });
      const site = get('site') || opts.site;
      if (!site) bad('site', `expected a site: give --site (the ${name} export names none)${col.site ? ` or fill the ${col.site} column` : ''}`);
      const tz = def.timezone ?? (site ? opts.timezoneOf?.(site) : undefined) ?? opts.timezone ?? 'UTC';
      const tsText = get('timestamp');
      const occurredAt = tsText === '' ? undefined : readTimestamp(tsText, def.timestampFormat, tz);
      if (!occurredAt) bad('timestamp', `expected ${FORMAT_EXAMPLE[def.timestampFormat]}, got ${JSON.stringify(tsText)}`);
      const codeKey = def.kind === 'access_control' ? 'result' : 'code';
      const code = get(codeKey);
      const type = types.get(lower(code));
      if (type === undefined) bad(codeKey, `unknown ${def.kind === 'access_control' ? 'result' : 'transaction code'} ${JSON.stringify(code)}; expected one of ${known}`);
      const deviceKey = def.kind === 'access_control' ? 'door' : 'register';
      const deviceName = get(deviceKey);
      if (deviceName === '') bad(deviceKey, `expected a ${deviceKey === 'door' ? 'reader or door' : 'register'} name`);
      let direction: string | undefined;
      if (def.kind === 'access_control' && col.direction) {
        const d = get('direction');
        if (d !== '') {
          direction = dirs.get(lower(d));
          if (!direction) bad('direction', `unknown direction ${JSON.stringify(d)}; expected one of ${[...dirs.keys()].map((k) => JSON.stringify(k)).join(', ')}`);
        }
      }
      let amount: string | undefined;
      if (def.kind === 'pos' && col.amount) {
        const a = get('amount');
        if (a !== '') {
          if (!isDecimal(a)) bad('amount', `expected a decimal amount like 12.50, got ${JSON.stringify(a)}`);
          else amount = absDecimal(a);
        }
      }
      if (problems.length > 0) return { problems };
      if (type === 'skip') return { skip: `${def.kind === 'access_control' ? 'result' : 'code'} ${JSON.stringify(code)} is not an event (${name})` };
      const device = devices.get(lower(deviceName)) ?? `${def.kind === 'pos' ? 'pos-' : ''}${slugId(deviceName)}`;
      const eventId = get('eventId') || get('transaction') ? `${get('eventId') || get('transaction')}${get('line') ? `-${get('line')}` : ''}` : '';
      const digest = createHash('sha256')
        .update(Object.values(col).map((c) => (c ? cells[c] ?? '' : '')).join('\u0001'))
        .digest('hex')
        .slice(0, 20);
      const details: Record<string, unknown> = { profile: name, [deviceKey]: deviceName, [codeKey]: code };
      if (direction) details.direction = direction;
      if (get('operator')) details.operator = get('operator');
      if (get('transaction')) details.transaction = get('transaction');
      const raw: Record<string, unknown> = {
        source: def.kind,
        type,
        // The export's own id when it has one (safe characters only), else a digest of the mapped cells: re-importing an overlapping export stores each record once.
        sourceEventId: eventId && /^[A-Za-z0-9._:@/#-]{1,150}$/.test(eventId) && def.kind === 'access_control' ? `${name}-${eventId}` : `${name}-${digest}`,
        occurredAt,
        site,
        device,
        details,
      };
      const badge = get('badge');
      if (badge) raw.badge = badge;
      const zone = opts.zoneOf?.(device);
      if (zone) raw.zone = zone;
      if (amount !== undefined) raw.amount = { value: amount, currency: get('currency') || opts.currency || DEFAULT_CURRENCY };
      return { raw };
    },
  };
}
