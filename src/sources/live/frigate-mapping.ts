/**
 * Frigate NVR over MQTT, the pure part: one MQTT message (topic and payload) in, the events it
 * means (or why it means none) out. No I/O, no clock: the adapter (frigate-mqtt.ts) passes the
 * arrival time. docs/sources.md has the table.
 *
 * - `<prefix>/events` (new | update | end of a tracked object, checked by the file translator's
 *   `readTrackedObject`): an object of a configured label in a mapped zone is ONE `cctv.person_detected`
 *   per Frigate event id (sourceEventId `frigate-<id>`), whichever message shows it first; an
 *   object stationary and tracked for `loiterSeconds` is one `cctv.loitering` (`frigate-<id>-loitering`).
 *   `end` closes the event (its state is dropped); false positives, other labels and objects outside
 *   the mapped zones are ignored. Repeats (the same message again, further updates) are recognised
 *   here while the event is tracked, and by the store's (source, sourceEventId) check after that.
 * - `<prefix>/reviews` (review items): a review whose objects hold a configured label in a mapped
 *   zone is the person detection of its first detection's event id, so it and the events topic
 *   make one event.
 * - `<prefix>/<camera>/motion` ON: `cctv.motion` at the camera's zone (OFF only resets).
 * - `<prefix>/<camera>/recordings/state` ON/OFF: `device.recording_on` / `device.recording_off`.
 * - `<prefix>/available` online/offline: `device.online` / `device.offline` for every mapped camera.
 * - `<prefix>/stats`: Frigate is alive; at most every `heartbeatSeconds` a `device.heartbeat` per
 *   mapped camera (Frigate's cameras send no heartbeats of their own, and the equipment audit
 *   would otherwise take them for silent).
 * State topics emit only on a change (a retained message seen again after a reconnect is a repeat).
 */
import type { FrigateSourceConfig } from '../../config/schema.js';
import type { Problem } from '../../domain/errors.js';
import type { OrgModel } from '../../domain/site-model.js';
import type { SecurityEvent } from '../../domain/types.js';
import { validateEvent, type KnownRefs } from '../event-input.js';
import { epochToIso, isLoitering, isObj, num, readTrackedObject, strings, trackedObjectDetails } from '../frigate.js';

/** Most Frigate events whose state is kept at once; the oldest is forgotten first (the store's dedup still holds). */
export const MAX_TRACKED_EVENTS = 10_000;
/** Largest payload read (Frigate's events are a few kB). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** A Frigate camera as Vigil knows it. */
export interface MappedCamera {
  device: string;
  site: string;
  zone: string;
}

/** The configuration of the mapping, resolved against the organisation. */
export interface FrigateMapping {
  prefix: string;
  /** Frigate camera name -> the configured camera. */
  cameras: ReadonlyMap<string, MappedCamera>;
  /** Frigate zone name -> Vigil zone id. */
  zones: Readonly<Record<string, string>>;
  labels: readonly string[];
  apiUrl?: string;
  loiterSeconds: number;
  heartbeatSeconds: number;
}

/** Resolves `sources.frigate` against the organisation (the config check has made sure every id exists). */
export function frigateMapping(cfg: FrigateSourceConfig, org: OrgModel, heartbeatSeconds: number): FrigateMapping {
  const cameras = new Map<string, MappedCamera>();
  for (const [name, device] of Object.entries(cfg.cameras)) {
    const d = org.devices.get(device);
    if (d) cameras.set(name, { device, site: d.site, zone: d.zone });
  }
  return {
    prefix: cfg.topicPrefix.replace(/\/+$/, ''),
    cameras,
    zones: cfg.zones,
    labels: cfg.labels,
    ...(cfg.apiUrl ? { apiUrl: cfg.apiUrl.replace(/\/+$/, '') } : {}),
    loiterSeconds: cfg.loiterSeconds,
    heartbeatSeconds,
  };
}

/** The topics to subscribe to. */
export function frigateTopics(prefix: string): string[] {
  return [`${prefix}/events`, `${prefix}/reviews`, `${prefix}/+/motion`, `${prefix}/+/recordings/state`, `${prefix}/available`, `${prefix}/stats`];
}

/** Frigate's documented API paths of an event's snapshot and clip. */
export function footageLinks(apiUrl: string, frigateId: string): { snapshot: string; clip: string } {
  const id = encodeURIComponent(frigateId);
  return { snapshot: `${apiUrl}/api/events/${id}/snapshot.jpg`, clip: `${apiUrl}/api/events/${id}/clip.mp4` };
}

/**
 * What a message means:
 * - `events`: new events to ingest (each still passes the pipeline's dedup);
 * - `repeat`: news already taken (counted as a duplicate);
 * - `ignored`: nothing Vigil reports (false positive, other label, outside the mapped zones, motion OFF);
 * - `alive`: Frigate's stats, no event due;
 * - `invalid`: malformed or naming nothing the configuration maps (counted rejected, logged).
 */
export type MessageOutcome =
  | { kind: 'events'; events: SecurityEvent[] }
  | { kind: 'repeat'; reason: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'alive' }
  | { kind: 'invalid'; problems: Problem[] };

interface Tracked {
  person: boolean;
  loitering: boolean;
}

type Obj = Record<string, unknown>;

/** The Frigate mapping with the little state it needs (per-event flags, last device states). */
export class FrigateMapper {
  private readonly tracked = new Map<string, Tracked>();
  private readonly states = new Map<string, string>();
  private lastHeartbeat = Number.NEGATIVE_INFINITY;
  private available = true;

  constructor(
    readonly mapping: FrigateMapping,
    private readonly refs?: KnownRefs,
  ) {}

  /** How many Frigate events are tracked now (bounded by MAX_TRACKED_EVENTS). */
  get trackedEvents(): number {
    return this.tracked.size;
  }

  /** One message, received at `now`; the events it yields are validated as every source's are. */
  handle(topic: string, payload: Uint8Array, now: Date): MessageOutcome {
    const o = this.route(topic, payload, now);
    if (o.kind !== 'events') return o;
    const events: SecurityEvent[] = [];
    const problems: Problem[] = [];
    o.events.forEach((e, i) => {
      const v = validateEvent(e, o.events.length > 1 ? `[${i}]` : '', undefined, this.refs);
      if (v.event) events.push(v.event);
      problems.push(...v.problems);
    });
    return problems.length > 0 ? { kind: 'invalid', problems } : { kind: 'events', events };
  }

  private route(topic: string, payload: Uint8Array, now: Date): MessageOutcome {
    const p = this.mapping.prefix;
    if (!topic.startsWith(`${p}/`)) return invalid('topic', `expected a topic under "${p}/", got "${topic}"`);
    if (payload.byteLength > MAX_PAYLOAD_BYTES) return invalid('', `payload of ${payload.byteLength} bytes is larger than ${MAX_PAYLOAD_BYTES}`);
    const rest = topic.slice(p.length + 1);
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    if (rest === 'events') return this.onEvent(text, now);
    if (rest === 'reviews') return this.onReview(text, now);
    if (rest === 'available') return this.onAvailable(text.trim(), now);
    if (rest === 'stats') return this.onStats(now);
    const m = /^([^/]+)\/(motion|recordings\/state)$/.exec(rest);
    if (m) {
      const cam = this.mapping.cameras.get(m[1]!);
      if (!cam) return invalid('topic', `camera "${m[1]}" is not mapped in sources.frigate.cameras`);
      const value = text.trim();
      if (value !== 'ON' && value !== 'OFF') return invalid('', `expected ON or OFF, got ${JSON.stringify(value.slice(0, 40))}`);
      return m[2] === 'motion' ? this.onMotion(cam, value, now) : this.onRecording(cam, value, now);
    }
    return { kind: 'ignored', reason: `topic ${topic} is not read` };
  }

  private onEvent(text: string, now: Date): MessageOutcome {
    const json = parse(text);
    if ('problem' in json) return invalid('', json.problem);
    const r = readTrackedObject(json.value);
    if (!r.message) return r.skip !== undefined && r.problems.length === 0 ? { kind: 'ignored', reason: r.skip } : { kind: 'invalid', problems: r.problems };
    const { type, after, id, camera, label, start } = r.message;
    const cam = this.mapping.cameras.get(camera);
    if (!cam) return invalid('after.camera', `camera "${camera}" is not mapped in sources.frigate.cameras`);
    if (!this.mapping.labels.includes(label)) return this.close(type, id, { kind: 'ignored', reason: `label ${label} is not one of ${this.mapping.labels.join(', ')}` });
    const zones = this.mappedZones(cam, [...strings(after.current_zones), ...strings(after.entered_zones)]);
    const state = this.tracked.get(id) ?? { person: false, loitering: false };
    const frame = num(after.frame_time) ?? num(after.end_time) ?? start;
    const at = epochToIso(type === 'new' ? start : frame);
    if (at === undefined) return invalid(type === 'new' ? 'after.start_time' : 'after.frame_time', 'expected epoch seconds of a real date');
    const events: SecurityEvent[] = [];
    const base = (kind: 'person_detected' | 'loitering', sourceEventId: string, zone: string): SecurityEvent => ({
      source: 'cctv',
      type: kind,
      sourceEventId,
      occurredAt: at,
      site: cam.site,
      zone,
      device: cam.device,
      details: this.details(after, id, camera, kind === 'loitering' ? 'loitering' : 'zone_entry'),
    });
    if (zones.length > 0) {
      if (!state.person) {
        events.push(base('person_detected', `frigate-${id}`, zones[0]!));
        state.person = true;
      }
      if (!state.loitering && isLoitering(after, this.mapping.loiterSeconds, this.mapping.labels)) {
        events.push(base('loitering', `frigate-${id}-loitering`, zones[0]!));
        state.loitering = true;
      }
    }
    if (type === 'end') this.tracked.delete(id);
    else if (state.person) this.remember(id, state);
    if (events.length > 0) return { kind: 'events', events };
    if (state.person) return { kind: 'repeat', reason: `Frigate event ${id} already reported` };
    return { kind: 'ignored', reason: 'not in a mapped zone' };
  }

  private onReview(text: string, _now: Date): MessageOutcome {
    const json = parse(text);
    if ('problem' in json) return invalid('', json.problem);
    const msg = json.value;
    if (!isObj(msg)) return invalid('', 'expected a frigate/reviews message (a JSON object with type, before, after)');
    const after = msg.after;
    if (!isObj(after)) return invalid('after', 'expected the review item (an object with id, camera, start_time, severity, data)');
    const problems: Problem[] = [];
    if (typeof after.id !== 'string' || after.id === '') problems.push({ path: 'after.id', message: 'expected the review id (a string)' });
    if (typeof after.camera !== 'string' || after.camera === '') problems.push({ path: 'after.camera', message: 'expected the camera name (a string)' });
    const start = num(after.start_time);
    const at = start === undefined ? undefined : epochToIso(start);
    if (at === undefined) problems.push({ path: 'after.start_time', message: 'expected epoch seconds, like 1607123955.475377' });
    if (!isObj(after.data)) problems.push({ path: 'after.data', message: 'expected the review data (detections, objects, zones)' });
    if (problems.length > 0) return { kind: 'invalid', problems };
    const cam = this.mapping.cameras.get(after.camera as string);
    if (!cam) return invalid('after.camera', `camera "${String(after.camera)}" is not mapped in sources.frigate.cameras`);
    const data = after.data as Obj;
    const labels = strings(data.objects).map((o) => o.replace(/-verified$/, ''));
    const label = labels.find((l) => this.mapping.labels.includes(l));
    if (!label) return { kind: 'ignored', reason: 'no configured label in the review' };
    const zones = this.mappedZones(cam, strings(data.zones));
    if (zones.length === 0) return { kind: 'ignored', reason: 'not in a mapped zone' };
    const detection = strings(data.detections)[0];
    const key = detection ?? `review-${after.id as string}`;
    const state = this.tracked.get(key) ?? { person: false, loitering: false };
    if (state.person) return { kind: 'repeat', reason: `Frigate event ${key} already reported` };
    state.person = true;
    if (msg.type === 'end') this.tracked.delete(key);
    else this.remember(key, state);
    const details: Record<string, unknown> = { label, zones: strings(data.zones), reviewId: after.id, severity: typeof after.severity === 'string' ? after.severity : null, trigger: 'review', frigateCamera: after.camera };
    if (detection) {
      details.frigateId = detection;
      if (this.mapping.apiUrl) details.footage = { frigateId: detection, ...footageLinks(this.mapping.apiUrl, detection) };
    }
    return { kind: 'events', events: [{ source: 'cctv', type: 'person_detected', sourceEventId: `frigate-${key}`, occurredAt: at!, site: cam.site, zone: zones[0]!, device: cam.device, details }] };
  }

  private onMotion(cam: MappedCamera, value: 'ON' | 'OFF', now: Date): MessageOutcome {
    const key = `motion:${cam.device}`;
    const prev = this.states.get(key);
    this.states.set(key, value);
    if (value === 'OFF') return { kind: 'ignored', reason: 'motion ended' };
    if (prev === 'ON') return { kind: 'repeat', reason: `motion at ${cam.device} already reported` };
    return { kind: 'events', events: [{ source: 'cctv', type: 'motion', sourceEventId: `frigate-motion-${cam.device}-${now.getTime()}`, occurredAt: now.toISOString(), site: cam.site, zone: cam.zone, device: cam.device, details: { trigger: 'frigate_motion' } }] };
  }

  private onRecording(cam: MappedCamera, value: 'ON' | 'OFF', now: Date): MessageOutcome {
    const key = `recording:${cam.device}`;
    if (this.states.get(key) === value) return { kind: 'repeat', reason: `recording of ${cam.device} already ${value}` };
    this.states.set(key, value);
    const type = value === 'ON' ? 'recording_on' : 'recording_off';
    return { kind: 'events', events: [deviceEvent(cam, type, `frigate-${cam.device}-${type}-${now.getTime()}`, now, { reportedBy: 'frigate' })] };
  }

  private onAvailable(value: string, now: Date): MessageOutcome {
    if (value !== 'online' && value !== 'offline') return invalid('', `expected online or offline, got ${JSON.stringify(value.slice(0, 40))}`);
    if (this.states.get('available') === value) return { kind: 'repeat', reason: `Frigate already ${value}` };
    this.states.set('available', value);
    this.available = value === 'online';
    // Back online: the heartbeats start again from now.
    if (this.available) this.lastHeartbeat = now.getTime();
    return { kind: 'events', events: this.forEachCamera((cam) => deviceEvent(cam, value, `frigate-available-${cam.device}-${value}-${now.getTime()}`, now, { reportedBy: 'frigate' })) };
  }

  private onStats(now: Date): MessageOutcome {
    if (!this.available || now.getTime() - this.lastHeartbeat < this.mapping.heartbeatSeconds * 1000) return { kind: 'alive' };
    this.lastHeartbeat = now.getTime();
    return { kind: 'events', events: this.forEachCamera((cam) => deviceEvent(cam, 'heartbeat', `frigate-heartbeat-${cam.device}-${now.getTime()}`, now, { reportedBy: 'frigate' })) };
  }

  /** The device.offline events of a silence (once per silence: the id names when the silence began). */
  silenceEvents(lastHeardAt: Date, silentSeconds: number, now: Date): SecurityEvent[] {
    return this.forEachCamera((cam) =>
      deviceEvent(cam, 'offline', `vigil-source-silent-frigate-${cam.device}-${lastHeardAt.getTime()}`, now, { reason: 'source_silent', detectedBy: 'vigil', source: 'frigate', lastMessageAt: lastHeardAt.toISOString(), silentSeconds }),
    );
  }

  /** The device.online events when a silent source is heard again. */
  resumedEvents(silenceBeganAt: Date, now: Date): SecurityEvent[] {
    this.lastHeartbeat = now.getTime();
    return this.forEachCamera((cam) => deviceEvent(cam, 'online', `vigil-source-back-frigate-${cam.device}-${silenceBeganAt.getTime()}`, now, { reason: 'source_resumed', detectedBy: 'vigil', source: 'frigate' }));
  }

  private forEachCamera(f: (cam: MappedCamera) => SecurityEvent): SecurityEvent[] {
    const seen = new Set<string>();
    const out: SecurityEvent[] = [];
    for (const cam of this.mapping.cameras.values()) {
      if (seen.has(cam.device)) continue;
      seen.add(cam.device);
      out.push(f(cam));
    }
    return out;
  }

  /** The Vigil zones of Frigate zones at the camera's site; with no zone mapping, the camera's own zone. */
  private mappedZones(cam: MappedCamera, frigateZones: string[]): string[] {
    if (Object.keys(this.mapping.zones).length === 0) return [cam.zone];
    const out: string[] = [];
    for (const z of frigateZones) {
      const v = this.mapping.zones[z];
      if (v !== undefined && !out.includes(v)) out.push(v);
    }
    return out;
  }

  private details(after: Obj, id: string, camera: string, trigger: string): Record<string, unknown> {
    const d: Record<string, unknown> = { ...trackedObjectDetails(after), trigger, frigateCamera: camera };
    if (this.mapping.apiUrl) d.footage = { frigateId: id, ...footageLinks(this.mapping.apiUrl, id) };
    return d;
  }

  private close(type: string, id: string, o: MessageOutcome): MessageOutcome {
    if (type === 'end') this.tracked.delete(id);
    return o;
  }

  /** Keeps an event's state, most recent last; the oldest goes past the bound. */
  private remember(id: string, state: Tracked): void {
    this.tracked.delete(id);
    this.tracked.set(id, state);
    while (this.tracked.size > MAX_TRACKED_EVENTS) this.tracked.delete(this.tracked.keys().next().value!);
  }
}

function deviceEvent(cam: MappedCamera, type: string, sourceEventId: string, now: Date, details: Record<string, unknown>): SecurityEvent {
  return { source: 'device', type, sourceEventId, occurredAt: now.toISOString(), site: cam.site, zone: cam.zone, device: cam.device, details };
}

function invalid(path: string, message: string): MessageOutcome {
  return { kind: 'invalid', problems: [{ path, message }] };
}

function parse(text: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { problem: `not JSON: ${(e as Error).message.split('\n')[0]}` };
  }
}
