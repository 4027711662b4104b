/**
 * Reading event files of any supported format: detecting the format from the name and first bytes,
 * and streaming the file through its translator (ndjson-file.ts, csv-file.ts, poslog.ts,
 * frigate.ts). The translators share file-formats.ts and know nothing of each other or of this
 * module.
 */
import { extname } from 'node:path';
import type { Config } from '../config/schema.js';
import { InvalidError } from '../domain/errors.js';
import type { CsvProfileDef } from './csv-profiles.js';
import type { KnownRefs } from './event-input.js';
import { checkParseOptions, type ParsedRow, type ParseOptions, type ParseStats } from './file-formats.js';
import { parseCsvFile } from './csv-file.js';
import { parseFrigateFile } from './frigate.js';
import { parseNdjsonFile } from './ndjson-file.js';
import { parsePoslogFile } from './poslog.js';

export type { ParsedRow, ParseOptions, ParseStats } from './file-formats.js';

/**
 * The parse options a configured Vigil gives every file translator: the organisation's currency,
 * the sites' time zones, the devices' zones, the known sites and zones, the POS exception rules
 * and the configured CSV profiles. `vigil ingest` and `POST /api/v1/imports` read files the same way.
 */
export function parseOptionsFor(
  config: Config,
  ctx: { zoneOf: (device: string) => string | undefined; refs?: KnownRefs },
  choice: { site?: string; profile?: string },
): ParseOptions {
  const zones = new Map(config.sites.map((s) => [s.id, s.timezone]));
  return {
    ...(choice.site ? { site: choice.site } : {}),
    ...(choice.profile ? { profile: choice.profile } : {}),
    currency: config.organization.currency,
    zoneOf: ctx.zoneOf,
    ...(ctx.refs ? { refs: ctx.refs } : {}),
    timezoneOf: (site) => zones.get(site),
    posExceptions: config.policy.pos.exceptions,
    csvProfiles: (config as { sources?: { csvProfiles?: Record<string, CsvProfileDef> } }).sources?.csvProfiles ?? {},
  };
}

/** The file formats `vigil ingest --format` accepts. */
export type FileFormat = 'ndjson' | 'csv' | 'poslog' | 'frigate';

/** All file formats, in the order help texts list them. */
export const FILE_FORMATS: readonly FileFormat[] = ['ndjson', 'csv', 'poslog', 'frigate'];

/**
 * Detects the format from the file name/extension and first bytes. Content wins over the
 * extension (a POSLog export is often named .txt or .dat), except `.csv`, whose content is free text.
 * Throws InvalidError when neither gives an answer.
 */
export function detectFormat(file: string, head: string): FileFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  const h = head.replace(/^\uFEFF/, '').trimStart();
  if (h.startsWith('<')) return 'poslog';
  if (h.startsWith('{') || h.startsWith('[')) {
    // A Frigate `frigate/events` message carries before/after object states with a camera name.
    const frigate = /"(before|after)"\s*:/.test(h) && /"camera"\s*:/.test(h) && /"type"\s*:/.test(h);
    return frigate ? 'frigate' : 'ndjson';
  }
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  if (ext === '.xml' || ext === '.poslog') return 'poslog';
  const firstLine = h.split(/\r?\n/, 1)[0] ?? '';
  if (firstLine.includes(',')) return 'csv';
  throw new InvalidError([
    { path: 'format', message: `cannot detect the format of ${file}; expected --format ${FILE_FORMATS.join('|')}` },
  ]);
}

/**
 * Streams parsed rows of a file. Throws InvalidError for bad options (unknown format or CSV
 * profile, unknown time zone, bad currency) before reading anything; file-level problems in the
 * content come back as a row 0 ParsedRow.
 */
export async function* parseFile(
  file: string,
  format: FileFormat,
  opts: ParseOptions,
  stats: ParseStats,
): AsyncGenerator<ParsedRow> {
  checkParseOptions(opts);
  switch (format) {
    case 'ndjson':
      yield* parseNdjsonFile(file, opts, stats);
      return;
    case 'csv':
      yield* parseCsvFile(file, opts, stats);
      return;
    case 'poslog':
      yield* parsePoslogFile(file, opts, stats);
      return;
    case 'frigate':
      yield* parseFrigateFile(file, opts, stats);
      return;
    default:
      throw new InvalidError([
        { path: 'format', message: `unknown format ${JSON.stringify(format)}; expected one of ${FILE_FORMATS.join(', ')}` },
      ]);
  }
}

