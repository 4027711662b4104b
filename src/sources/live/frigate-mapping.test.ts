import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../../config/loader.js';
import { frigateSourceSchema } from '../../config/schema.js';
import { buildOrgModel } from '../../domain/site-model.js';
import { FrigateMapper, MAX_TRACKED_EVENTS, footageLinks, frigateMapping, frigateTopics, type MessageOutcome } from './frigate-mapping.js';

const EXAMPLE = fileURLToPath(new URL('../../../../shared/data/frigate/events-doc-example.json', import.meta.url));
const exampleText = readFileSync(EXAMPLE, 'utf8');
const example = JSON.parse(exampleText) as { type: string; before: Record<string, unknown>; after: Record<string, unknown> };

const org = buildOrgModel(loadDemoConfig());
const cfg = frigateSourceSchema.parse({
  url: 'mqtt://127.0.0.1:1883',
  topicPrefix: 'frig',
  cameras: { front_door: 'cam-101-ent', back: 'cam-101-bh' },
  zones: { yard: 'entrance', driveway: 'sales-floor' },
  apiUrl: 'http://nvr.local:5000/',
  loiterSeconds: 60,
});
const mapper = (over: Partial<typeof cfg> = {}) => new FrigateMapper(frigateMapping({ ...cfg, ...over }, org, 300), { zonesBySite: new Map([...org.sites].map(([id, m]) => [id, m.zones])) });
const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const at = new Date('2026-11-18T12:00:00Z');
const msg = (type: string, after: Record<string, unknown> = {}, before: Record<string, unknown> = {}) => buf({ type, before: { ...example.before, ...before }, after: { ...example.after, ...after } });
const events = (o: MessageOutcome) => (o.kind === 'events' ? o.events : []);

describe('Frigate events topic', () => {
  it('the documented event is one person_detected at the mapped zone, with its footage links', () => {
    const m = mapper();
    const o = m.handle('frig/events', buf(exampleText), at);
    expect(o.kind).toBe('events');
    expect(events(o)).toEqual([
      expect.objectContaining({
        source: 'cctv',
        type: 'person_detected',
        sourceEventId: 'frigate-1607123955.475377-mxklsc',
        site: 'store-101',
        zone: 'entrance',
        device: 'cam-101-ent',
        occurredAt: '2020-12-04T23:19:22.083Z',
        details: expect.objectContaining({
          label: 'person',
          frigateId: '1607123955.475377-mxklsc',
          footage: {
            frigateId: '1607123955.475377-mxklsc',
            snapshot: 'http://nvr.local:5000/api/events/1607123955.475377-mxklsc/snapshot.jpg',
            clip: 'http://nvr.local:5000/api/events/1607123955.475377-mxklsc/clip.mp4',
          },
        }),
      }),
    ]);
    // The same message again, and further updates, are repeats.
    expect(m.handle('frig/events', buf(exampleText), at)).toEqual({ kind: 'repeat', reason: expect.any(String) });
    expect(m.handle('frig/events', msg('update', { score: 0.9 }), at).kind).toBe('repeat');
    expect(m.handle('frig/events', msg('end', { end_time: 1607123970 }), at).kind).toBe('repeat');
    expect(m.trackedEvents).toBe(0);
  });

  it('new, update, update, end of one object is one event, whichever message first shows the zone', () => {
    const m = mapper();
    const out = [
      m.handle('frig/events', msg('new', { current_zones: [], entered_zones: [] }), at),
      m.handle('frig/events', msg('update', { entered_zones: ['driveway'], current_zones: ['driveway'] }), at),
      m.handle('frig/events', msg('update'), at),
      m.handle('frig/events', msg('end', { end_time: 1607123999 }), at),
    ];
    expect(out.map((o) => o.kind)).toEqual(['ignored', 'events', 'repeat', 'repeat']);
    expect(events(out[1]!)[0]).toMatchObject({ sourceEventId: 'frigate-1607123955.475377-mxklsc', zone: 'sales-floor' });
  });

  it('a stationary person past loiterSeconds adds one loitering event', () => {
    const m = mapper();
    expect(events(m.handle('frig/events', msg('update'), at)).map((e) => e.type)).toEqual(['person_detected']);
    const still = msg('update', { stationary: true, frame_time: 1607123955.475377 + 61 });
    const o = m.handle('frig/events', still, at);
    expect(events(o)).toEqual([expect.objectContaining({ type: 'loitering', sourceEventId: 'frigate-1607123955.475377-mxklsc-loitering', zone: 'entrance' })]);
    expect(m.handle('frig/events', still, at).kind).toBe('repeat');
    // Not yet long enough: no loitering.
    const n = mapper();
    expect(events(n.handle('frig/events', msg('update', { stationary: true, frame_time: 1607123955.475377 + 30 }), at)).map((e) => e.type)).toEqual(['person_detected']);
  });

  it('false positives, other labels and unmapped zones are ignored; an unmapped camera or broken JSON is invalid', () => {
    const m = mapper();
    expect(m.handle('frig/events', msg('update', { false_positive: true }), at)).toEqual({ kind: 'ignored', reason: 'false positive' });
    expect(m.handle('frig/events', msg('update', { label: 'car' }), at).kind).toBe('ignored');
    expect(m.handle('frig/events', msg('update', { current_zones: ['porch'], entered_zones: ['porch'] }), at)).toEqual({ kind: 'ignored', reason: 'not in a mapped zone' });
    expect(m.handle('frig/events', msg('update', { camera: 'garage' }), at)).toEqual({ kind: 'invalid', problems: [{ path: 'after.camera', message: expect.stringMatching(/garage.*not mapped/) }] });
    expect(m.handle('frig/events', buf('{"type":"new", "after": '), at)).toEqual({ kind: 'invalid', problems: [{ path: '', message: expect.stringMatching(/^not JSON/) }] });
    expect(m.handle('frig/events', buf({ type: 'bogus', after: {} }), at).kind).toBe('invalid');
    expect(m.handle('frig/events', Buffer.alloc(300 * 1024, 32), at).kind).toBe('invalid');
  });

  it('without a zone mapping, a detection at a mapped camera is at the camera zone', () => {
    const m = mapper({ zones: {} });
    expect(events(m.handle('frig/events', msg('new', { current_zones: [], entered_zones: [] }), at))[0]).toMatchObject({ zone: 'entrance', type: 'person_detected' });
  });

  it('keeps the state of at most MAX_TRACKED_EVENTS events', () => {
    const m = mapper();
    for (let i = 0; i < MAX_TRACKED_EVENTS + 5; i++) m.handle('frig/events', msg('update', { id: `e-${i}` }), at);
    expect(m.trackedEvents).toBe(MAX_TRACKED_EVENTS);
  });

  it('labels are configurable', () => {
    const m = mapper({ labels: ['person', 'car'] });
    expect(events(m.handle('frig/events', msg('update', { label: 'car' }), at))[0]).toMatchObject({ type: 'person_detected', details: expect.objectContaining({ label: 'car' }) });
  });
});

describe('Frigate reviews topic', () => {
  const review = (over: Record<string, unknown> = {}, data: Record<string, unknown> = {}) =>
    buf({ type: 'new', before: {}, after: { id: 'rev-1', camera: 'front_door', start_time: 1607123955.5, end_time: null, severity: 'alert', data: { detections: ['1607123955.475377-mxklsc'], objects: ['person'], sub_labels: [], zones: ['yard'], ...data }, ...over } });

  it('a review of a person in a mapped zone is the detection of its first event, shared with the events topic', () => {
    const m = mapper();
    const o = m.handle('frig/reviews', review(), at);
    expect(events(o)).toEqual([expect.objectContaining({ type: 'person_detected', sourceEventId: 'frigate-1607123955.475377-mxklsc', zone: 'entrance', details: expect.objectContaining({ reviewId: 'rev-1', footage: expect.objectContaining({ clip: expect.stringMatching(/clip\.mp4$/) }) }) })]);
    expect(m.handle('frig/events', buf(exampleText), at).kind).toBe('repeat');
  });

  it('ignores reviews without a configured label or mapped zone; refuses broken ones', () => {
    const m = mapper();
    expect(m.handle('frig/reviews', review({}, { objects: ['car'] }), at).kind).toBe('ignored');
    expect(m.handle('frig/reviews', review({}, { zones: ['porch'] }), at).kind).toBe('ignored');
    expect(m.handle('frig/reviews', review({ start_time: 'yesterday' }), at)).toEqual({ kind: 'invalid', problems: [{ path: 'after.start_time', message: expect.any(String) }] });
  });
});

describe('Frigate state topics', () => {
  it('recordings/state ON/OFF are recording_on/off of the mapped camera, once per change', () => {
    const m = mapper();
    const off = m.handle('frig/back/recordings/state', buf('OFF'), at);
    expect(events(off)).toEqual([expect.objectContaining({ source: 'device', type: 'recording_off', device: 'cam-101-bh', site: 'store-101', zone: 'back-hall', occurredAt: at.toISOString() })]);
    expect(m.handle('frig/back/recordings/state', buf('OFF'), at).kind).toBe('repeat');
    expect(events(m.handle('frig/back/recordings/state', buf('ON'), new Date(at.getTime() + 1000)))[0]).toMatchObject({ type: 'recording_on' });
    expect(m.handle('frig/back/recordings/state', buf('maybe'), at).kind).toBe('invalid');
    expect(m.handle('frig/garage/recordings/state', buf('ON'), at).kind).toBe('invalid');
  });

  it('available online/offline is online/offline of every mapped camera', () => {
    const m = mapper();
    expect(events(m.handle('frig/available', buf('offline'), at)).map((e) => `${e.device}:${e.type}`)).toEqual(['cam-101-ent:offline', 'cam-101-bh:offline']);
    expect(m.handle('frig/available', buf('offline'), at).kind).toBe('repeat');
    expect(events(m.handle('frig/available', buf('online'), at)).map((e) => e.type)).toEqual(['online', 'online']);
    expect(m.handle('frig/available', buf('{}'), at).kind).toBe('invalid');
  });

  it('motion ON is cctv.motion at the camera zone; OFF resets', () => {
    const m = mapper();
    expect(events(m.handle('frig/front_door/motion', buf('ON'), at))[0]).toMatchObject({ source: 'cctv', type: 'motion', zone: 'entrance', device: 'cam-101-ent' });
    expect(m.handle('frig/front_door/motion', buf('ON'), at).kind).toBe('repeat');
    expect(m.handle('frig/front_door/motion', buf('OFF'), at).kind).toBe('ignored');
    expect(m.handle('frig/front_door/motion', buf('ON'), at).kind).toBe('events');
  });

  it('stats are heartbeats of the mapped cameras at most every heartbeatSeconds', () => {
    const m = mapper();
    expect(events(m.handle('frig/stats', buf('{}'), at)).map((e) => e.type)).toEqual(['heartbeat', 'heartbeat']);
    expect(m.handle('frig/stats', buf('{}'), new Date(at.getTime() + 299_000))).toEqual({ kind: 'alive' });
    expect(m.handle('frig/stats', buf('{}'), new Date(at.getTime() + 300_000)).kind).toBe('events');
  });

  it('silence is one offline per camera named by when the silence began', () => {
    const m = mapper();
    const last = new Date('2026-11-18T11:00:00Z');
    expect(m.silenceEvents(last, 600, at).map((e) => e.sourceEventId)).toEqual(['vigil-source-silent-frigate-cam-101-ent-' + last.getTime(), 'vigil-source-silent-frigate-cam-101-bh-' + last.getTime()]);
    expect(m.resumedEvents(last, at).map((e) => e.type)).toEqual(['online', 'online']);
  });
});

describe('topics and links', () => {
  it('subscribes to the documented topics under the prefix', () => {
    expect(frigateTopics('frigate')).toEqual(['frigate/events', 'frigate/reviews', 'frigate/+/motion', 'frigate/+/recordings/state', 'frigate/available', 'frigate/stats']);
  });
  it('encodes the event id into the API paths', () => {
    expect(footageLinks('http://x', 'a/b')).toEqual({ snapshot: 'http://x/api/events/a%2Fb/snapshot.jpg', clip: 'http://x/api/events/a%2Fb/clip.mp4' });
  });
  it('a topic outside the prefix is invalid', () => {
    expect(mapper().handle('other/events', buf(exampleText), at).kind).toBe('invalid');
  });
});

describe('hostile messages', () => {
  it('no payload on any topic throws; every outcome is one of the five kinds', async () => {
    const fc = (await import('fast-check')).default;
    const m = mapper();
    const topics = ['frig/events', 'frig/reviews', 'frig/available', 'frig/stats', 'frig/front_door/motion', 'frig/back/recordings/state', 'frig/x/y/z'];
    const kinds = new Set(['events', 'repeat', 'ignored', 'alive', 'invalid']);
    const mutated = fc.record({ type: fc.oneof(fc.constantFrom('new', 'update', 'end'), fc.anything()), before: fc.anything(), after: fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom('id', 'camera', 'label', 'start_time', 'frame_time', 'current_zones', 'entered_zones', 'stationary', 'data', 'severity'), fc.anything())) });
    fc.assert(
      fc.property(fc.constantFrom(...topics), fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.json().map((j) => Buffer.from(j)), mutated.map((o) => buf(o))), (topic, payload) => {
        const o = m.handle(topic, payload, at);
        expect(kinds.has(o.kind)).toBe(true);
        if (o.kind === 'events') for (const e of o.events) expect(e.site).toBe('store-101');
      }),
      { numRuns: 2000 },
    );
  });
});
