/**
 * CSV files, streamed with csv-parse. A profile maps a CSV layout to events:
 *
 * - "vigil" (default): a header row naming event fields (source, type, sourceEventId, occurredAt,
 *   site, zone, device, badge, assets as "a;b", amount, currency, details as JSON text); one event
 *   per row. Problems name the row (physical line, header = 1) and the column.
 * - "uci-online-retail": the UCI "Online Retail" transaction export. Cancellations and stock
 *   write-offs become events; normal sales are skipped and counted (see `uciRowToRaw`).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { InvalidError, type Problem } from '../domain/errors.js';
import { absDecimal, isDecimal, mulDecimal, signOfDecimal } from '../domain/money.js';
import { validateEvent } from './event-input.js';
import { compileProfile, headerMatches, profileColumns, profileDef, SHIPPED_PROFILES, type CompiledProfile, type CsvProfileDef } from './csv-profiles.js';
import {
  DEFAULT_CURRENCY,
  isoWithZone,
  safeIdPart,
  zonedTimeToIso,
  type ParsedRow,
  type ParseOptions,
  noteSkip,
  type ParseStats,
} from './file-formats.js';

/** The CSV mapping profiles that ship with the product (code ones, then the column-mapping ones of csv-profiles.ts). */
export const CSV_PROFILES = ['vigil', 'uci-online-retail', ...Object.keys(SHIPPED_PROFILES)] as const;
/** A CSV mapping profile name: "vigil", "uci-online-retail", or a column-mapping profile (shipped or configured). */
export type CsvProfile = string;

/** Column-mapping profiles known to a parse: shipped ones, then the configuration's (which may not reuse a shipped name). */
function mappingProfiles(opts: ParseOptions): Record<string, CsvProfileDef> {
  return { ...opts.csvProfiles, ...SHIPPED_PROFILES };
}

/** Every profile name a parse knows. */
export function knownProfiles(opts: ParseOptions): string[] {
  return [...new Set(['vigil', 'uci-online-retail', ...Object.keys(mappingProfiles(opts))])];
}

/** Returns the profile named by the options (default "vigil"); InvalidError listing the known ones otherwise. */
export function csvProfileOf(opts: ParseOptions): CsvProfile {
  const name = opts.profile ?? 'vigil';
  if (knownProfiles(opts).includes(name)) return name;
  throw new InvalidError([{ path: 'profile', message: `unknown CSV profile ${JSON.stringify(name)}; expected one of ${knownProfiles(opts).join(', ')}` }]);
}

/** The profiles whose columns a header holds (for the message when it does not match the one chosen). */
export function profilesMatchingHeader(header: readonly string[], opts: ParseOptions): string[] {
  const out: string[] = [];
  if (checkVigilHeader([...header], { ...opts, site: opts.site ?? 'x' }) === undefined) out.push('vigil');
  if (checkUciHeader([...header]) === undefined) out.push('uci-online-retail');
  for (const [name, def] of Object.entries(mappingProfiles(opts))) if (headerMatches(profileDef(def), header)) out.push(name);
  return out;
}

function withMatches(message: string, header: readonly string[], profile: string, opts: ParseOptions): string {
  const matching = profilesMatchingHeader(header, opts).filter((p) => p !== profile);
  return matching.length > 0
    ? `${message}. The header matches profile(s) ${matching.join(', ')}: give --profile ${matching[0]}`
    : `${message}. The header matches none of the known profiles (${knownProfiles(opts).join(', ')})`;
}

/** Columns of the "vigil" profile, i.e. the fields of a SecurityEvent. */
export const VIGIL_COLUMNS = ['source', 'type', 'sourceEventId', 'occurredAt', 'site', 'zone', 'device', 'badge', 'assets', 'amount', 'currency', 'details'] as const;

/** Columns of the UCI Online Retail export, in file order. */
export const UCI_COLUMNS = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'] as const;

/** One CSV record: its cells and the physical line it starts on. */
interface CsvRecord {
  cells: string[];
  line: number;
}

/**
 * Streams CSV records with the line each starts on. Malformed quoting is reported as a problem
 * with the line csv-parse names, never dropped silently (csv-parse skips the record and tells us).
 */
async function* csvRecords(source: Readable): AsyncGenerator<CsvRecord | { line: number; problem: string }> {
  const skipped: { line: number; problem: string }[] = [];
  const parser = source.pipe(
    parse({
      bom: true,
      info: true,
      relax_column_count: true, // column count is checked here, with a message naming the columns
      relax_quotes: true, // hand-written files put JSON like {"a":1} in unquoted details cells
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined) => {
        if (!err) return undefined;
        const line = typeof err.lines === 'number' ? err.lines : 0;
        // One broken record can raise several errors (one per field); one problem per line is enough.
        if (skipped.length > 0 && skipped[skipped.length - 1].line === line) return undefined;
        skipped.push({ line, problem: `malformed CSV: ${err.message}` });
        return undefined;
      },
    }),
  );
  source.on('error', (e) => parser.destroy(e));
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    // info.lines is the line the record ends on; quoted fields may span lines.
    const newlines = item.record.reduce((n, c) => n + (c.match(/\n/g)?.length ?? 0), 0);
    const line = item.info.lines - newlines;
    // csv-parse reports skipped records as it parses, ahead of the records we are still
    // reading from its buffer: release them in line order.
    while (skipped.length > 0 && skipped[0].line < line) yield skipped.shift()!;
    yield { cells: item.record, line };
  }
  while (skipped.length > 0) yield skipped.shift()!;
}

/** Streams parsed rows of a CSV file with the profile named in the options. */
export async function* parseCsvFile(file: string, opts: ParseOptions, stats: ParseStats): AsyncGenerator<ParsedRow> {
  const profile = csvProfileOf(opts);
  const stream = createReadStream(file);
  const onBytes = opts.onBytes;
  if (onBytes) stream.on('data', () => onBytes(stream.bytesRead));
  yield* parseCsvStream(stream, profile, opts, stats);
}

/** Streams parsed rows of CSV text (tests, HTTP uploads) with the profile named in the options. */
export async function* parseCsvText(text: string, opts: ParseOptions, stats: ParseStats): AsyncGenerator<ParsedRow> {
  const profile = csvProfileOf(opts);
  yield* parseCsvStream(Readable.from([text]), profile, opts, stats);
}

async function* parseCsvStream(source: Readable, profile: CsvProfile, opts: ParseOptions, stats: ParseStats): AsyncGenerator<ParsedRow> {
  if ((profile === 'uci-online-retail') && !opts.site) {
    // Every row would fail the same way; one file-level problem says it once.
    source.destroy();
    yield { row: 0, problems: [{ path: 'site', message: 'expected --site for profile uci-online-retail (the export names no store)' }] };
    return;
  }
  const defs = mappingProfiles(opts);
  const mapping: CompiledProfile | undefined = defs[profile] ? compileProfile(profile, defs[profile]) : undefined;
  let header: string[] | undefined;
  for await (const rec of csvRecords(source)) {
    if ('problem' in rec) {
      yield { row: rec.line, problems: [{ path: '', message: rec.problem, row: rec.line }] };
      continue;
    }
    if (!header) {
      header = rec.cells.map((c) => c.trim());
      const bad = mapping ? checkMappingHeader(mapping, header) : profile === 'vigil' ? checkVigilHeader(header, opts) : checkUciHeader(header);
      if (bad) {
        source.destroy();
        yield { row: rec.line, problems: [{ path: 'header', message: withMatches(bad, header, profile, opts), row: rec.line }] };
        return;
      }
      continue;
    }
    if (rec.cells.length === 1 && rec.cells[0].trim() === '') continue; // a line of spaces
    if (rec.cells.length !== header.length) {
      yield {
        row: rec.line,
        problems: [{ path: '', message: `expected ${header.length} columns (${header.join(', ')}), got ${rec.cells.length}`, row: rec.line }],
      };
      continue;
    }
    if (mapping) {
      const cells: Record<string, string> = {};
      header.forEach((h, i) => (cells[h] = rec.cells[i]));
      const r = mapping.rowToRaw(cellsByColumn(mapping, cells), rec.line, opts);
      if ('skip' in r) noteSkip(stats, r.skip, rec.line);
      else if ('problems' in r) yield { row: rec.line, problems: r.problems };
      else yield { row: rec.line, ...validateEvent(r.raw, '', rec.line, opts.refs) };
    } else if (profile === 'vigil') {
      yield vigilRow(header, rec, opts);
    } else {
      const r = uciRowToRaw(rec.cells, rec.line, opts);
      if ('skip' in r) noteSkip(stats, r.skip, rec.line);
      else if ('problems' in r) yield { row: rec.line, problems: r.problems };
      else yield { row: rec.line, ...validateEvent(r.raw, '', rec.line, opts.refs) };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Column-mapping profiles (csv-profiles.ts)

function checkMappingHeader(p: CompiledProfile, header: string[]): string | undefined {
  if (headerMatches(p.def, header)) return undefined;
  const { required, optional } = profileColumns(p.def);
  const have = new Set(header.map((h) => h.toLowerCase()));
  const missing = required.filter((c) => !have.has(c.toLowerCase()));
  return `the header does not match profile ${p.name}: missing column(s) ${missing.join(', ')}; expected columns ${required.join(', ')}${optional.length > 0 ? ` (optional: ${optional.join(', ')})` : ''}`;
}

/** The record's cells keyed by the profile's column names (header names compared case-insensitively). */
function cellsByColumn(p: CompiledProfile, cells: Record<string, string>): Record<string, string> {
  const byLower = new Map(Object.entries(cells).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Record<string, string> = {};
  for (const c of Object.values(p.def.columns as Record<string, string | undefined>)) if (c) out[c] = byLower.get(c.toLowerCase()) ?? '';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Profile "vigil"

function checkVigilHeader(header: string[], opts: ParseOptions): string | undefined {
  const known = new Set<string>(VIGIL_COLUMNS);
  const unknown = header.filter((h) => !known.has(h));
  if (unknown.length > 0) return `unknown column(s) ${unknown.join(', ')}; expected columns among ${VIGIL_COLUMNS.join(', ')}`;
  const dup = header.filter((h, i) => header.indexOf(h) !== i);
  if (dup.length > 0) return `duplicate column(s) ${[...new Set(dup)].join(', ')}`;
  const required = ['source', 'type', 'occurredAt', ...(opts.site ? [] : ['site'])];
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) return `missing column(s) ${missing.join(', ')}${missing.includes('site') ? ' (or give --site)' : ''}`;
  return undefined;
}

/** Maps a validation path back to the CSV column it came from ("amount.value" -> "amount"). */
function columnOf(path: string): string {
  if (path.startsWith('amount.currency')) return 'currency';
  const m = /^([A-Za-z]+)/.exec(path);
  return m ? m[1] : path;
}

function vigilRow(header: string[], rec: CsvRecord, opts: ParseOptions): ParsedRow {
  const row = rec.line;
  const cell: Record<string, string> = {};
  header.forEach((h, i) => {
    const v = rec.cells[i].trim();
    if (v !== '') cell[h] = v;
  });
  const problems: Problem[] = [];
  const raw: Record<string, unknown> = {};
  for (const f of ['source', 'type', 'sourceEventId', 'site', 'zone', 'device', 'badge'] as const) {
    if (cell[f] !== undefined) raw[f] = cell[f];
  }
  if (raw.site === undefined && opts.site) raw.site = opts.site;
  if (raw.zone === undefined && typeof raw.device === 'string' && opts.zoneOf) {
    const zone = opts.zoneOf(raw.device);
    if (zone) raw.zone = zone;
  }
  if (cell.occurredAt !== undefined) {
    // Spreadsheets drop offsets; a local time is read in the --timezone (default UTC).
    raw.occurredAt = isoWithZone(cell.occurredAt, opts.timezone ?? 'UTC') ?? cell.occurredAt;
  }
  if (cell.assets !== undefined) {
    raw.assets = cell.assets
      .split(';')
      .map((a) => a.trim())
      .filter((a) => a !== '');
  }
  if (cell.amount !== undefined) {
    raw.amount = { value: cell.amount, currency: cell.currency ?? opts.currency ?? DEFAULT_CURRENCY };
  } else if (cell.currency !== undefined) {
    problems.push({ path: 'amount', message: 'expected an amount where a currency is given', row });
  }
  if (cell.details !== undefined) {
    try {
      const d = JSON.parse(cell.details) as unknown;
      if (typeof d !== 'object' || d === null || Array.isArray(d)) problems.push({ path: 'details', message: 'expected a JSON object like {"key":"value"}', row });
      else raw.details = d;
    } catch (e) {
      problems.push({ path: 'details', message: `expected JSON object text: ${(e as Error).message}`, row });
    }
  }
  const r = validateEvent(raw, '', row, opts.refs);
  const all = [...problems, ...r.problems.map((p) => ({ ...p, path: columnOf(p.path) }))];
  if (all.length > 0) return { row, problems: all };
  return { row, event: r.event, problems: [] };
}

// ---------------------------------------------------------------------------------------------
// Profile "uci-online-retail"

function checkUciHeader(header: string[]): string | undefined {
  const missing = UCI_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) return `missing column(s) ${missing.join(', ')}; expected the UCI Online Retail columns ${UCI_COLUMNS.join(', ')}`;
  if (UCI_COLUMNS.some((c, i) => header[i] !== c)) return `expected the columns in the order ${UCI_COLUMNS.join(', ')}`;
  return undefined;
}

/** Non-product stock codes of the UCI export and what they are. */
export const UCI_NON_PRODUCT: Record<string, string> = {
  D: 'discount',
  M: 'manual',
  POST: 'postage',
  DOT: 'postage',
  C2: 'carriage',
  'BANK CHARGES': 'bank_charges',
  CRUK: 'commission',
  AMAZONFEE: 'marketplace_fee',
  S: 'samples',
  B: 'bad_debt_adjustment',
  PADS: 'padding',
};

const UCI_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Maps one UCI Online Retail line (cells in UCI_COLUMNS order) to a raw event, problems, or a
 * skip. Every line is checked first, so a malformed line is a problem even if it would be skipped.
 *
 * - Invoice "C…" (cancellation): `pos.refund`, amount |Quantity × UnitPrice|. This includes the
 *   non-product lines of a cancellation (D = discount given, M = manual adjustment, POST...):
 *   money went back to the customer either way; details.lineKind says which.
 * - Any other line whose value Quantity × UnitPrice is negative (a return booked without a C
 *   invoice): `pos.refund` too.
 * - Negative quantity at price 0 on a normal invoice: stock written off without a sale
 *   (damaged, lost, "?"), `inventory.shrink_discrepancy` without an amount (the export gives no
 *   cost, and "0.00" would claim there was no loss).
 * - Invoice "A…" (bad-debt accounting adjustments in the full dataset): skipped, not a loss event.
 * - Everything else (sales, postage/bank charges billed, positive price-0 stock corrections): skipped.
 */
export function uciRowToRaw(
  cells: string[],
  row: number,
  opts: ParseOptions,
): { raw: Record<string, unknown> } | { problems: Problem[] } | { skip: string } {
  const [invoiceNo, stockCode, description, quantity, invoiceDate, unitPrice, customerId, country] = cells.map((c) => c.trim());
  const problems: Problem[] = [];
  const bad = (path: string, message: string) => problems.push({ path, message, row });
  if (!/^[A-Z]?\d+$/.test(invoiceNo)) bad('InvoiceNo', `expected an invoice number like 536365 or C536379, got ${JSON.stringify(invoiceNo)}`);
  if (stockCode === '') bad('StockCode', 'expected a stock code');
  if (!isDecimal(quantity)) bad('Quantity', `expected a number like 6 or -12, got ${JSON.stringify(quantity)}`);
  if (!isDecimal(unitPrice)) bad('UnitPrice', `expected a decimal price like 2.55, got ${JSON.stringify(unitPrice)}`);
  let occurredAt: string | undefined;
  const d = UCI_DATE.exec(invoiceDate);
  if (!d) bad('InvoiceDate', `expected a date like "12/1/2010 8:26" (M/D/YYYY H:MM), got ${JSON.stringify(invoiceDate)}`);
  else {
    occurredAt = zonedTimeToIso(
      { year: Number(d[3]), month: Number(d[1]), day: Number(d[2]), hour: Number(d[4]), minute: Number(d[5]), second: d[6] ? Number(d[6]) : 0 },
      opts.timezone ?? 'Europe/London',
    );
    if (!occurredAt) bad('InvoiceDate', `not a real date and time: ${JSON.stringify(invoiceDate)}`);
  }
  if (problems.length > 0) return { problems };

  const cancellation = invoiceNo.startsWith('C');
  if (invoiceNo.startsWith('A')) return { skip: 'accounting adjustment' };
  const value = mulDecimal(quantity, unitPrice);
  const qtySign = signOfDecimal(quantity);
  const priceSign = signOfDecimal(unitPrice);
  let kind: 'cancellation' | 'return' | 'stock_write_off';
  if (cancellation) kind = 'cancellation';
  else if (qtySign < 0 && priceSign === 0) kind = 'stock_write_off';
  else if (signOfDecimal(value) < 0) kind = 'return';
  else return { skip: 'sale' };

  const details: Record<string, unknown> = {
    kind,
    invoice: invoiceNo,
    stockCode,
    description,
    quantity: Number(quantity),
    unitPrice,
    customerId: customerId === '' ? null : customerId,
    country,
  };
  const lineKind = UCI_NON_PRODUCT[stockCode];
  if (lineKind) details.lineKind = lineKind;
  const raw: Record<string, unknown> = {
    source: kind === 'stock_write_off' ? 'inventory' : 'pos',
    type: kind === 'stock_write_off' ? 'shrink_discrepancy' : 'refund',
    sourceEventId: `uci-${safeIdPart(invoiceNo)}-${safeIdPart(stockCode)}-${row}`,
    occurredAt,
    site: opts.site,
    details,
  };
  // The export's prices are in pounds sterling; --currency overrides.
  if (kind !== 'stock_write_off') raw.amount = { value: absDecimal(value), currency: opts.currency ?? 'GBP' };
  return { raw };
}
