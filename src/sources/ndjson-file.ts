/**
 * NDJSON: one JSON event per line. Used for `vigil ingest --format ndjson` (streamed from disk) and
 * for NDJSON HTTP bodies (`parseNdjsonText`). Line numbers are 1-based physical lines, blank lines
 * included in the count so they match what an editor shows.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Problem } from '../domain/errors.js';
import { validateEvent } from './event-input.js';
import {
  MAX_DOCUMENT_BYTES,
  MAX_LINE_BYTES,
  readHead,
  type ParsedRow,
  type ParseOptions,
  type ParseStats,
} from './file-formats.js';

/** One physical line of a file: its text, or why it could not be read. */
export type Line = { line: number; text: string; problem?: undefined } | { line: number; text?: undefined; problem: string };

/**
 * Splits a byte stream into lines (LF or CRLF), decoding each as UTF-8. A line over `maxBytes` is
 * reported (and its bytes discarded as they arrive) instead of being buffered: node:readline
 * would hold an unbounded line in memory before we could look at its length, which is why this
 * does not use readline.
 */
export async function* splitLines(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, maxBytes = MAX_LINE_BYTES): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let line = 0;
  let any = false;
  const finish = (): Line => {
    line++;
    if (overflow) return { line, problem: `line is longer than ${maxBytes} bytes; expected one JSON value per line` };
    let buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    try {
      // The BOM is only meaningful at the start of the file; TextDecoder drops a leading one.
      return { line, text: decoder.decode(buf) };
    } catch {
      return { line, problem: 'expected UTF-8 text' };
    }
  };
  for await (const chunk of source) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let pos = 0;
    while (pos < data.length) {
      const nl = data.indexOf(0x0a, pos);
      const end = nl < 0 ? data.length : nl;
      if (end > pos) {
        any = true;
        if (!overflow) {
          if (size + (end - pos) > maxBytes) {
            overflow = true;
            parts = [];
          } else {
            parts.push(data.subarray(pos, end));
          }
        }
        size += end - pos;
      }
      if (nl < 0) break;
      yield finish();
      parts = [];
      size = 0;
      overflow = false;
      any = false;
      pos = nl + 1;
    }
  }
  if (any) yield finish();
}

/** Fills in what the caller knows and the record does not say: site (from --site) and zone (from the device). */
export function applyDefaults(raw: unknown, opts: ParseOptions): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const r = { ...(raw as Record<string, unknown>) };
  if ((r.site === undefined || r.site === null || r.site === '') && opts.site) r.site = opts.site;
  if (r.zone === undefined && typeof r.device === 'string' && opts.zoneOf) {
    const zone = opts.zoneOf(r.device);
    if (zone) r.zone = zone;
  }
  return r;
}

/**
 * Parses an NDJSON body (HTTP). Returns the raw values with the line each came from, and a
 * problem for each line that is not JSON or is too long. Blank lines are skipped.
 */
export function parseNdjsonText(text: string): { raws: unknown[]; lines: number[]; problems: Problem[] } {
  const raws: unknown[] = [];
  const lines: number[] = [];
  const problems: Problem[] = [];
  const all = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < all.length; i++) {
    const row = i + 1;
    const lineText = all[i].endsWith('\r') ? all[i].slice(0, -1) : all[i];
    if (lineText.trim() === '') continue;
    if (Buffer.byteLength(lineText, 'utf8') > MAX_LINE_BYTES) {
      problems.push({ path: '', message: `line is longer than ${MAX_LINE_BYTES} bytes; expected one JSON value per line`, row });
      continue;
    }
    const parsed = parseJsonLine(lineText);
    if ('problem' in parsed) problems.push({ path: '', message: parsed.problem, row });
    else {
      raws.push(parsed.value);
      lines.push(row);
    }
  }
  return { raws, lines, problems };
}

/** JSON.parse with the error turned into a problem message naming what was expected. */
export function parseJsonLine(text: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { problem: `expected a JSON value: ${(e as Error).message}` };
  }
}

/**
 * Reads a whole JSON document (array or single value) from a file, refusing files over
 * `maxBytes`: arrays cannot be streamed element by element with JSON.parse, so they get a cap.
 */
export async function readJsonDocument(file: string, maxBytes = MAX_DOCUMENT_BYTES): Promise<{ value: unknown } | { problem: string }> {
  const { size } = await stat(file);
  if (size > maxBytes) return { problem: `file is larger than ${maxBytes} bytes; expected NDJSON (one value per line) for large inputs` };
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file)) chunks.push(c as Buffer);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    return { problem: 'expected UTF-8 text' };
  }
  return parseJsonLine(text);
}

/** True when the file's first non-blank character is `[`: a JSON array rather than NDJSON. */
export async function startsWithArray(file: string): Promise<boolean> {
  return (await readHead(file, 64 * 1024)).replace(/^\uFEFF/, '').trimStart().startsWith('[');
}

/**
 * Streams the events of an NDJSON file (one event per line, row = line). A file whose first
 * character is `[` is read as a JSON array of events instead (row = 1-based element ordinal,
 * path "[i]"), since that is what `POST /api/v1/events` also accepts.
 */
export async function* parseNdjsonFile(file: string, opts: ParseOptions, _stats: ParseStats): AsyncGenerator<ParsedRow> {
  if (await startsWithArray(file)) {
    const doc = await readJsonDocument(file);
    if ('problem' in doc) {
      yield { row: 0, problems: [{ path: '', message: doc.problem }] };
      return;
    }
    const items = doc.value as unknown[];
    for (let i = 0; i < items.length; i++) {
      yield { row: i + 1, ...validateEvent(applyDefaults(items[i], opts), `[${i}]`, i + 1, opts.refs) };
    }
    return;
  }
  for await (const l of readJsonLines(file, opts.onBytes)) {
    if ('problem' in l) yield { row: l.line, problems: [{ path: '', message: l.problem, row: l.line }] };
    else yield { row: l.line, ...validateEvent(applyDefaults(l.value, opts), '', l.line, opts.refs) };
  }
}

/** Reads a file as JSON lines: each non-blank line parsed, or its problem, with its line number. */
export async function* readJsonLines(file: string, onBytes?: (bytesRead: number) => void): AsyncGenerator<{ line: number; value: unknown } | { line: number; problem: string }> {
  const stream = createReadStream(file);
  if (onBytes) stream.on('data', () => onBytes(stream.bytesRead));
  for await (const l of splitLines(stream)) {
    if (l.problem !== undefined) {
      yield { line: l.line, problem: l.problem };
      continue;
    }
    if (l.text.trim() === '') continue;
    const parsed = parseJsonLine(l.text);
    yield 'problem' in parsed ? { line: l.line, problem: parsed.problem } : { line: l.line, value: parsed.value };
  }
}
