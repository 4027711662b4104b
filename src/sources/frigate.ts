/**
 * Frigate NVR: translates `frigate/events` MQTT messages (type new | update | end, with the
 * tracked object's `before` and `after` state) into `cctv` events. Used by the MQTT subscriber
 * (one message at a time) and by `vigil ingest --format frigate` (a JSON array, NDJSON, or a
 * single message in a file).
 *
 * Frigate publishes an "update" many times per second-long track and an "end" when the object
 * leaves, so only news is translated:
 * - "new": a person -> `person_detected`; any other label -> `motion` (details.label says what).
 * - "update"/"end": an event only when the object newly entered a zone (entered_zones grew:
 *   sourceEventId `frigate-<id>-<type>-<zone>`), or when a person newly became a loiterer
 *   (stationary and tracked for at least `loiterSeconds`: `loitering`, sourceEventId
 *   `frigate-<id>-<type>-loitering`). Loitering wins when both happen in one message, since it
 *   is the stronger signal and the zone is still carried in details. Otherwise skipped.
 * - false positives and `frigate/reviews` messages: skipped.
 */
import type { Problem } from '../domain/errors.js';
import { validateEvent, type KnownRefs } from './event-input.js';
import { parseJsonLine, readJsonDocument, readJsonLines } from './ndjson-file.js';
import { MAX_LINE_BYTES, readHead, slugId, type ParsedRow, type ParseOptions, type ParseStats } from './file-formats.js';

/** Default seconds a person must be stationary-tracked before `loitering` is reported. */
export const DEFAULT_LOITER_SECONDS = 120;

/** Options of the Frigate translation. */
export interface FrigateOptions {
  /** Site the camera belongs to (Frigate messages name no site). */
  site: string;
  /** Maps a camera and the Frigate zones involved to a Vigil zone id; default: the first Frigate zone, slugified. */
  zoneOf?: (camera: string, zones: string[]) => string | undefined;
  /** Seconds of stationary presence that make a person loitering (default 120). */
  loiterSeconds?: number;
}

type Obj = Record<string, unknown>;

/** A JSON object (not an array). */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The strings of a JSON array (nothing for anything else). */
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
/** A finite JSON number, or undefined. */
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Epoch seconds (fractional) -> ISO instant with milliseconds; undefined beyond what a Date holds. */
export function epochToIso(s: number): string | undefined {
  const d = new Date(Math.round(s * 1000));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A `frigate/events` message whose tracked object has the fields every translation needs. */
export interface TrackedObjectMessage {
  type: 'new' | 'update' | 'end';
  before: Obj | undefined;
  after: Obj;
  id: string;
  camera: string;
  label: string;
  /** Epoch seconds the object was first tracked. */
  start: number;
}

/**
 * Checks a `frigate/events` message (type, after.id, camera, label, start_time): the message, the
 * problems that make it unusable (each with its path), or a reason to skip it (a review item, a
 * false positive). Shared by the file translator and the live MQTT mapping.
 */
export function readTrackedObject(msg: unknown): { message?: TrackedObjectMessage; problems: Problem[]; skip?: string } {
  const problems: Problem[] = [];
  if (!isObj(msg)) return { problems: [{ path: '', message: 'expected a frigate/events message (a JSON object with type, before, after)' }] };
  const type = msg.type;
  if (type !== 'new' && type !== 'update' && type !== 'end') {
    problems.push({ path: 'type', message: `expected "new", "update" or "end", got ${JSON.stringify(type)}` });
  }
  const after = msg.after;
  if (!isObj(after)) {
    problems.push({ path: 'after', message: 'expected the tracked object state (an object with id, camera, label, start_time)' });
    return { problems };
  }
  // frigate/reviews shares the envelope but describes review items, not tracked objects.
  if (isObj(after.data) && typeof after.severity === 'string') return { problems, skip: 'frigate/reviews message' };
  if (typeof after.id !== 'string' || after.id === '') problems.push({ path: 'after.id', message: 'expected the Frigate event id (a string)' });
  if (typeof after.camera !== 'string' || after.camera === '') problems.push({ path: 'after.camera', message: 'expected the camera name (a string)' });
  if (typeof after.label !== 'string' || after.label === '') problems.push({ path: 'after.label', message: 'expected the object label, like "person"' });
  const start = num(after.start_time);
  if (start === undefined) problems.push({ path: 'after.start_time', message: 'expected epoch seconds, like 1607123955.475377' });
  if (problems.length > 0) return { problems };
  if (after.false_positive === true) return { problems, skip: 'false positive' };
  const before = isObj(msg.before) ? msg.before : undefined;
  return { problems, message: { type: type as TrackedObjectMessage['type'], before, after, id: after.id as string, camera: after.camera as string, label: after.label as string, start: start! } };
}

/** What an event keeps of Frigate's tracked object (details), whichever way it arrived. */
export function trackedObjectDetails(after: Obj): Record<string, unknown> {
  const details: Record<string, unknown> = {
    label: after.label,
    score: num(after.score) ?? null,
    topScore: num(after.top_score) ?? null,
    hasClip: after.has_clip === true,
    hasSnapshot: after.has_snapshot === true,
    zones: strings(after.current_zones),
    enteredZones: strings(after.entered_zones),
    frigateId: after.id,
  };
  if (typeof after.stationary === 'boolean') details.stationary = after.stationary;
  return details;
}

/** True when the object state shows an object of `labels` stationary and tracked for at least `seconds`. */
export function isLoitering(state: Obj | undefined, seconds: number, labels: readonly string[] = ['person']): boolean {
  if (!state || typeof state.label !== 'string' || !labels.includes(state.label) || state.stationary !== true) return false;
  const start = num(state.start_time);
  const now = num(state.frame_time) ?? num(state.end_time);
  return start !== undefined && now !== undefined && now - start >= seconds;
}

/**
 * Translates one `frigate/events` message into a raw event (to validate with `validateEvent`),
 * the problems that make it unusable, or a reason to skip it.
 */
export function frigateToEvent(msg: unknown, opts: FrigateOptions): { raw?: Record<string, unknown>; problems: Problem[]; skip?: string } {
  const checked = readTrackedObject(msg);
  if (!checked.message) return checked.skip !== undefined ? { problems: checked.problems, skip: checked.skip } : { problems: checked.problems };
  const { type, before, after, id, camera, label, start } = checked.message;
  const problems: Problem[] = [];
  const current = strings(after.current_zones);
  const entered = strings(after.entered_zones);
  const loiterSeconds = opts.loiterSeconds ?? DEFAULT_LOITER_SECONDS;

  let eventType: string;
  let trigger: 'new' | 'zone_entry' | 'loitering';
  let zones: string[];
  let idSuffix = '';
  let at = start;
  let atField = 'after.start_time';
  if (type === 'new') {
    eventType = label === 'person' ? 'person_detected' : 'motion';
    trigger = 'new';
    zones = current.length > 0 ? current : entered;
  } else {
    // Updates and ends carry the time of the frame that changed things.
    at = num(after.frame_time) ?? num(after.end_time) ?? start;
    atField = num(after.frame_time) !== undefined ? 'after.frame_time' : num(after.end_time) !== undefined ? 'after.end_time' : atField;
    const seen = new Set(strings(before?.entered_zones));
    const newZones = entered.filter((z) => !seen.has(z));
    if (isLoitering(after, loiterSeconds) && !isLoitering(before, loiterSeconds)) {
      eventType = 'loitering';
      trigger = 'loitering';
      zones = current.length > 0 ? current : entered;
      idSuffix = '-loitering';
    } else if (newZones.length > 0) {
      eventType = label === 'person' ? 'person_detected' : 'motion';
      trigger = 'zone_entry';
      zones = newZones;
      idSuffix = `-${slugId(newZones.join('-'))}`;
    } else {
      return { problems, skip: type === 'end' ? 'object left' : 'no new zone' };
    }
  }

  const occurredAt = epochToIso(at);
  if (occurredAt === undefined) return { problems: [{ path: atField, message: `expected epoch seconds of a real date, like 1607123955.475377, got ${at}` }] };
  const zone = opts.zoneOf?.(camera, zones) ?? (zones.length > 0 ? slugId(zones[0]) || undefined : undefined);
  const details: Record<string, unknown> = { ...trackedObjectDetails(after), trigger };
  const raw: Record<string, unknown> = {
    source: 'cctv',
    type: eventType,
    sourceEventId: `frigate-${id}-${type as string}${idSuffix}`,
    occurredAt,
    site: opts.site,
    device: camera,
    details,
  };
  if (zone) raw.zone = zone;
  return { raw, problems: [] };
}

/** Translates and validates one message; `prefix`/`row` locate it in the file. */
function messageRow(msg: unknown, prefix: string, row: number, fopts: FrigateOptions, stats: ParseStats, refs?: KnownRefs): ParsedRow | undefined {
  const r = frigateToEvent(msg, fopts);
  if (r.skip !== undefined && r.problems.length === 0) {
    stats.skipped++;
    return undefined;
  }
  if (!r.raw) {
    return { row, problems: r.problems.map((p) => ({ ...p, path: prefix && p.path ? `${prefix}.${p.path}` : prefix || p.path, row })) };
  }
  return { row, ...validateEvent(r.raw, prefix, row, refs) };
}

/**
 * Streams parsed rows of a Frigate message file: a JSON array (row = element ordinal), NDJSON
 * (row = line) or one message, possibly pretty-printed (row 1). Needs `opts.site`.
 */
export async function* parseFrigateFile(file: string, opts: ParseOptions, stats: ParseStats): AsyncGenerator<ParsedRow> {
  if (!opts.site) {
    yield { row: 0, problems: [{ path: 'site', message: 'expected --site for --format frigate (Frigate messages name no site)' }] };
    return;
  }
  const zoneOf = opts.zoneOf;
  // The configuration knows which zone a camera covers; that wins over Frigate's own zone names,
  // which need not be Vigil zone ids.
  const fopts: FrigateOptions = { site: opts.site, zoneOf: zoneOf ? (camera) => zoneOf(camera) : undefined };
  const head = (await readHead(file, 64 * 1024)).replace(/^\uFEFF/, '');
  const trimmed = head.trimStart();
  const firstLine = trimmed.split('\n', 1)[0];
  const isNdjson = !trimmed.startsWith('[') && trimmed !== '' && Buffer.byteLength(firstLine) <= MAX_LINE_BYTES && !('problem' in parseJsonLine(firstLine));
  if (!isNdjson && trimmed !== '') {
    const doc = await readJsonDocument(file);
    if ('problem' in doc) {
      yield { row: 0, problems: [{ path: '', message: doc.problem }] };
      return;
    }
    if (Array.isArray(doc.value)) {
      for (let i = 0; i < doc.value.length; i++) {
        const r = messageRow(doc.value[i], `[${i}]`, i + 1, fopts, stats, opts.refs);
        if (r) yield r;
      }
    } else {
      const r = messageRow(doc.value, '', 1, fopts, stats, opts.refs);
      if (r) yield r;
    }
    return;
  }
  for await (const l of readJsonLines(file)) {
    if ('problem' in l) {
      yield { row: l.line, problems: [{ path: '', message: l.problem, row: l.line }] };
      continue;
    }
    const r = messageRow(l.value, '', l.line, fopts, stats, opts.refs);
    if (r) yield r;
  }
}
