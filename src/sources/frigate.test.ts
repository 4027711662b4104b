import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateEvent } from './event-input.js';
import { parseFile, type ParsedRow, type ParseOptions } from './event-files.js';
import { frigateToEvent } from './frigate.js';

const EXAMPLE = fileURLToPath(new URL('../../../shared/data/frigate/events-doc-example.json', import.meta.url));
const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { type: string; before: Record<string, unknown>; after: Record<string, unknown> };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-frigate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function parseText(text: string, opts: ParseOptions = { site: 'store-101' }) {
  const file = join(dir, `m-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, text);
  const stats = { skipped: 0 };
  const rows: ParsedRow[] = [];
  for await (const r of parseFile(file, 'frigate', opts, stats)) rows.push(r);
  return { rows, stats };
}

describe('frigateToEvent on hostile times', () => {
  it('names start_time and frame_time beyond any date instead of throwing', () => {
    const at = (after: Record<string, unknown>, type = 'new') => frigateToEvent({ ...example, type, after: { ...example.after, ...after } }, { site: 'store-101' });
    expect(at({ start_time: 1e20 }).problems).toEqual([{ path: 'after.start_time', message: expect.stringMatching(/epoch seconds/) }]);
    expect(at({ frame_time: -1e17, entered_zones: ['porch'] }, 'update').problems).toEqual([{ path: 'after.frame_time', message: expect.stringMatching(/epoch seconds/) }]);
  });
});

describe('frigateToEvent on the documented example', () => {
  it('skips the example "update" as it is: it entered no new zone', () => {
    expect(example.type).toBe('update');
    expect(frigateToEvent(example, { site: 'store-101' })).toEqual({ problems: [], skip: 'no new zone' });
  });

  it('makes one person_detected from the same object as a "new" message', () => {
    const r = frigateToEvent({ ...example, type: 'new' }, { site: 'store-101' });
    expect(r.problems).toEqual([]);
    const v = validateEvent(r.raw, '');
    expect(v.problems).toEqual([]);
    expect(v.event).toEqual({
      source: 'cctv',
      type: 'person_detected',
      sourceEventId: 'frigate-1607123955.475377-mxklsc-new',
      occurredAt: '2020-12-04T23:19:15.475Z', // start_time 1607123955.475377
      site: 'store-101',
      zone: 'yard', // first current zone
      device: 'front_door',
      details: {
        label: 'person', score: 0.87890625, topScore: 0.958984375, hasClip: false, hasSnapshot: false,
        zones: ['yard', 'driveway'], enteredZones: ['yard', 'driveway'], trigger: 'new', frigateId: '1607123955.475377-mxklsc', stationary: false,
      },
    });
  });

  it('uses the zone mapping when given', () => {
    const r = frigateToEvent({ ...example, type: 'new' }, { site: 'store-101', zoneOf: (camera, zones) => (camera === 'front_door' && zones.includes('driveway') ? 'car-park' : undefined) });
    expect(r.raw?.zone).toBe('car-park');
  });

  it('reports other labels as motion', () => {
    const r = frigateToEvent({ ...example, type: 'new', after: { ...example.after, label: 'car' } }, { site: 'store-101' });
    expect(r.raw).toMatchObject({ type: 'motion', details: { label: 'car' } });
  });

  it('reports a newly entered zone on update, once per zone', () => {
    const msg = { ...example, before: { ...example.before, entered_zones: ['yard'] } };
    const r = frigateToEvent(msg, { site: 'store-101' });
    expect(r.raw).toMatchObject({
      type: 'person_detected', zone: 'driveway', sourceEventId: 'frigate-1607123955.475377-mxklsc-update-driveway',
      occurredAt: '2020-12-04T23:19:22.083Z', // frame_time of the update
      details: { trigger: 'zone_entry' },
    });
  });

  it('reports loitering once, when a person has become stationary long enough', () => {
    const t0 = example.after.start_time as number;
    const before = { ...example.after, stationary: true, frame_time: t0 + 100 };
    const after = { ...example.after, stationary: true, frame_time: t0 + 130 };
    const r = frigateToEvent({ type: 'update', before, after }, { site: 'store-101' });
    expect(r.raw).toMatchObject({ type: 'loitering', sourceEventId: 'frigate-1607123955.475377-mxklsc-update-loitering' });
    expect(frigateToEvent({ type: 'update', before: after, after: { ...after, frame_time: t0 + 160 } }, { site: 'store-101' }).skip).toBe('no new zone');
    expect(frigateToEvent({ type: 'update', before, after }, { site: 'store-101', loiterSeconds: 300 }).skip).toBe('no new zone');
  });

  it('skips false positives, ends and reviews; names the field of a broken message', () => {
    expect(frigateToEvent({ ...example, type: 'new', after: { ...example.after, false_positive: true } }, { site: 's' }).skip).toBe('false positive');
    expect(frigateToEvent({ ...example, type: 'end' }, { site: 's' }).skip).toBe('object left');
    expect(frigateToEvent({ type: 'new', before: {}, after: { id: 'x', camera: 'c', start_time: 1, severity: 'alert', data: { objects: ['person'] } } }, { site: 's' }).skip).toBe('frigate/reviews message');
    const bad = frigateToEvent({ type: 'created', after: { id: 'x', camera: 'c', label: 'person', start_time: 'soon' } }, { site: 's' });
    expect(bad.raw).toBeUndefined();
    expect(bad.problems.map((p) => p.path)).toEqual(['type', 'after.start_time']);
  });
});

describe('Frigate files', () => {
  it('reads the documented example file as one message (skipped)', async () => {
    const stats = { skipped: 0 };
    const rows: ParsedRow[] = [];
    for await (const r of parseFile(EXAMPLE, 'frigate', { site: 'store-101' }, stats)) rows.push(r);
    expect(rows).toEqual([]);
    expect(stats.skipped).toBe(1);
  });

  it('reads a JSON array, with rows as element ordinals and paths into the array', async () => {
    const { rows, stats } = await parseText(JSON.stringify([example, { ...example, type: 'new' }, { type: 'new' }], null, 2));
    expect(stats.skipped).toBe(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ row: 2, event: { type: 'person_detected' } });
    expect(rows[1]).toMatchObject({ row: 3, problems: [{ row: 3, path: '[2].after' }] });
  });

  it('reads NDJSON with line numbers, and a pretty-printed single message', async () => {
    const { rows } = await parseText(`${JSON.stringify({ ...example, type: 'new' })}\n\nnot json\n`);
    expect(rows.map((r) => [r.row, r.event?.type ?? r.problems[0].message.slice(0, 21)])).toEqual([
      [1, 'person_detected'],
      [3, 'expected a JSON value'],
    ]);
    const single = await parseText(JSON.stringify({ ...example, type: 'new' }, null, 2));
    expect(single.rows).toMatchObject([{ row: 1, event: { type: 'person_detected' } }]);
  });

  it('prefers the configured zone of the camera, and needs --site', async () => {
    const { rows } = await parseText(JSON.stringify({ ...example, type: 'new' }), { site: 'store-101', zoneOf: (d) => (d === 'front_door' ? 'entrance' : undefined) });
    expect(rows[0].event?.zone).toBe('entrance');
    const none = await parseText(JSON.stringify(example), {});
    expect(none.rows).toEqual([{ row: 0, problems: [{ path: 'site', message: expect.stringContaining('expected --site') }] }]);
  });
});
