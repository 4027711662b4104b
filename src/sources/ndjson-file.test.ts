import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFile, type ParsedRow, type ParseOptions } from './event-files.js';
import { parseNdjsonText, splitLines } from './ndjson-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-ndjson-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function parseNdjson(text: string | Buffer, opts: ParseOptions = {}) {
  const file = join(dir, `f-${Math.random().toString(36).slice(2)}.ndjson`);
  await writeFile(file, text);
  const stats = { skipped: 0 };
  const rows: ParsedRow[] = [];
  for await (const r of parseFile(file, 'ndjson', opts, stats)) rows.push(r);
  return { rows, stats };
}

const good = (id: string) =>
  JSON.stringify({ source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: '2026-11-20T02:14:00-05:00', site: 'store-101', device: 'door-co-1' });

describe('NDJSON file', () => {
  it('reports a bad line by line number and field, and keeps the good ones', async () => {
    const text = [
      good('ac-1'),
      '',
      JSON.stringify({ source: 'access_control', type: 'door_forced', occurredAt: 'yesterday', site: 'store-101' }),
      '{"source": "pos", "type": ',
      good('ac-2'),
    ].join('\r\n');
    const { rows } = await parseNdjson(text);
    expect(rows.map((r) => r.row)).toEqual([1, 3, 4, 5]);
    expect(rows[0].event).toMatchObject({ sourceEventId: 'ac-1', occurredAt: '2026-11-20T07:14:00.000Z' });
    expect(rows[3].event?.sourceEventId).toBe('ac-2');
    expect(rows[1].event).toBeUndefined();
    expect(rows[1].problems).toEqual([expect.objectContaining({ row: 3, path: 'occurredAt', message: expect.stringContaining('ISO 8601') })]);
    expect(rows[2].problems).toEqual([expect.objectContaining({ row: 4, path: '', message: expect.stringContaining('expected a JSON value') })]);
  });

  it('fills in --site and the device zone where the line names none', async () => {
    const line = JSON.stringify({ source: 'cctv', type: 'motion', occurredAt: '2026-11-20T02:14:00Z', device: 'cam-co-1' });
    const { rows } = await parseNdjson(line + '\n', { site: 'store-7', zoneOf: (d) => (d === 'cam-co-1' ? 'cash-office' : undefined) });
    expect(rows).toHaveLength(1);
    expect(rows[0].event).toMatchObject({ site: 'store-7', zone: 'cash-office' });
  });

  it('refuses a line over 1 MiB without losing the next one', async () => {
    const huge = JSON.stringify({ source: 'cctv', type: 'motion', occurredAt: '2026-11-20T02:14:00Z', site: 's', details: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    const { rows } = await parseNdjson(`${huge}\n${good('ac-3')}\n`);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ row: 1, problems: [{ row: 1, message: expect.stringContaining('longer than 1048576 bytes') }] });
    expect(rows[1].event?.sourceEventId).toBe('ac-3');
  });

  it('reports invalid UTF-8 on its line', async () => {
    const { rows } = await parseNdjson(Buffer.concat([Buffer.from(good('ac-4') + '\n'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a])]));
    expect(rows[1]).toMatchObject({ row: 2, problems: [{ message: 'expected UTF-8 text' }] });
  });

  it('reads a JSON array of events, rows being element ordinals', async () => {
    const text = `[${good('a-1')},\n {"source":"cctv","type":"nope","occurredAt":"2026-11-20T02:14:00Z","site":"s"}]`;
    const { rows } = await parseNdjson(text);
    expect(rows[0].event?.sourceEventId).toBe('a-1');
    expect(rows[1].problems).toEqual([expect.objectContaining({ row: 2, path: '[1].type', message: expect.stringContaining('unknown type "nope"') })]);
  });
});

describe('parseNdjsonText (HTTP bodies)', () => {
  it('returns raws with their lines and problems with line numbers', () => {
    const r = parseNdjsonText(`\uFEFF${good('x-1')}\n\n{oops}\n${good('x-2')}\n`);
    expect(r.raws).toHaveLength(2);
    expect(r.lines).toEqual([1, 4]);
    expect(r.problems).toEqual([expect.objectContaining({ row: 3, path: '' })]);
  });

  it('refuses a line over 1 MiB', () => {
    const r = parseNdjsonText(`"${'y'.repeat(1024 * 1024 + 1)}"\n${good('x-3')}`);
    expect(r.problems).toEqual([expect.objectContaining({ row: 1, message: expect.stringContaining('longer than') })]);
    expect(r.lines).toEqual([2]);
  });
});

describe('splitLines', () => {
  it('gives the same lines whatever the chunk boundaries (multi-byte characters included)', async () => {
    const text = 'é€😀 one\r\n\ntwo,ß\nthree';
    const bytes = Buffer.from(text, 'utf8');
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 8 }), async (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const chunks = points.slice(1).map((p, i) => bytes.subarray(points[i], p));
        const lines: string[] = [];
        for await (const l of splitLines(chunks)) lines.push(l.text ?? `!${l.problem}`);
        expect(lines).toEqual(['é€😀 one', '', 'two,ß', 'three']);
      }),
    );
  });
});
