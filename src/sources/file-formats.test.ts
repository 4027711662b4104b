import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../domain/errors.js';
import { detectFormat, parseFile, type FileFormat } from './event-files.js';
import { isoWithZone, readHead, zonedTimeToIso, type ParsedRow } from './file-formats.js';

const data = (p: string) => fileURLToPath(new URL(`../../../shared/data/${p}`, import.meta.url));

describe('detectFormat', () => {
  it('recognises the real files from their names and first bytes', async () => {
    const cases: [string, FileFormat][] = [
      ['poslog/POSLog.xml', 'poslog'],
      ['poslog/SMALL.xml', 'poslog'],
      ['retail/online-retail-2010-12-sample.csv', 'csv'],
      ['frigate/events-doc-example.json', 'frigate'],
    ];
    for (const [p, format] of cases) expect(detectFormat(data(p), await readHead(data(p)))).toBe(format);
  });

  it('lets content win over the extension, except for .csv', () => {
    expect(detectFormat('export.dat', '\uFEFF<?xml version="1.0"?><POSLog>')).toBe('poslog');
    expect(detectFormat('events.txt', '{"source":"cctv","type":"motion"}\n')).toBe('ndjson');
    expect(detectFormat('events.json', '[{"source":"cctv"}]')).toBe('ndjson');
    expect(detectFormat('dump.ndjson', '{"type":"new","before":{},"after":{"camera":"x"}}')).toBe('frigate');
    expect(detectFormat('weird.csv', '{"a":1}')).toBe('csv');
    expect(detectFormat('empty.ndjson', '')).toBe('ndjson');
    expect(detectFormat('export', 'a,b,c\n1,2,3\n')).toBe('csv');
    expect(() => detectFormat('notes', 'hello world')).toThrow(/cannot detect the format of notes; expected --format ndjson\|csv\|poslog\|frigate/);
  });
});

describe('parseFile options', () => {
  const drain = async (gen: AsyncGenerator<ParsedRow>) => {
    for await (const _ of gen) void _;
  };
  it('refuses an unknown format, time zone or currency before reading', async () => {
    await expect(drain(parseFile('nope', 'xml' as FileFormat, {}, { skipped: 0 }))).rejects.toThrow(/unknown format "xml"; expected one of ndjson, csv, poslog, frigate/);
    const bad = drain(parseFile('nope', 'ndjson', { timezone: 'Mars/Olympus', currency: 'usd', site: 'Store 1' }, { skipped: 0 }));
    await expect(bad).rejects.toBeInstanceOf(InvalidError);
    try {
      await drain(parseFile('nope', 'ndjson', { timezone: 'Mars/Olympus', currency: 'usd', site: 'Store 1' }, { skipped: 0 }));
    } catch (e) {
      expect((e as InvalidError).problems.map((p) => p.path)).toEqual(['timezone', 'currency', 'site']);
    }
  });
});

describe('local times', () => {
  it('converts with the zone rules, across DST changes', () => {
    expect(isoWithZone('2026-11-20T02:14:00', 'America/New_York')).toBe('2026-11-20T07:14:00.000Z');
    expect(isoWithZone('2026-07-20 02:14', 'America/New_York')).toBe('2026-07-20T06:14:00.000Z');
    expect(isoWithZone('2017-10-01T15:19:11', 'UTC')).toBe('2017-10-01T15:19:11.000Z');
    expect(isoWithZone('2026-11-20T02:14:00+0530', 'UTC')).toBe('2026-11-20T02:14:00+05:30');
    expect(isoWithZone('20 Nov 2026', 'UTC')).toBeUndefined();
    // London: 01:30 on the spring-forward day does not exist; 01:30 on the fall-back day happens twice.
    expect(zonedTimeToIso({ year: 2026, month: 3, day: 29, hour: 1, minute: 30 }, 'Europe/London')).toBe('2026-03-29T01:30:00.000Z');
    expect(zonedTimeToIso({ year: 2026, month: 10, day: 25, hour: 1, minute: 30 }, 'Europe/London')).toBe('2026-10-25T00:30:00.000Z');
    expect(zonedTimeToIso({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
    expect(zonedTimeToIso({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
    expect(zonedTimeToIso({ year: 2026, month: 2, day: 30, hour: 1, minute: 0 }, 'UTC')).toBeUndefined();
  });

  it('answers repeated readings from its cache, and never an impossible reading', () => {
    const t = { year: 2026, month: 11, day: 20, hour: 2, minute: 59, second: 59 };
    expect(zonedTimeToIso(t, 'America/New_York')).toBe('2026-11-20T07:59:59.000Z');
    expect(zonedTimeToIso(t, 'America/New_York')).toBe('2026-11-20T07:59:59.000Z');
    expect(zonedTimeToIso(t, 'Asia/Kathmandu')).toBe('2026-11-19T21:14:59.000Z');
    expect(zonedTimeToIso({ ...t, minute: 58, second: 119 }, 'America/New_York')).toBeUndefined();
    expect(zonedTimeToIso({ ...t, minute: 60, second: 0 }, 'America/New_York')).toBeUndefined();
    expect(zonedTimeToIso({ ...t, month: 2, day: 30 }, 'America/New_York')).toBeUndefined();
  });

  it('agrees with the runtime for whole-hour zones at any instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }), (ms) => {
        const t = new Date(Math.floor(ms / 60000) * 60000);
        const iso = zonedTimeToIso({ year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(), hour: t.getUTCHours(), minute: t.getUTCMinutes() }, 'Asia/Tokyo');
        expect(Date.parse(iso!)).toBe(t.getTime() - 9 * 3600 * 1000);
      }),
    );
  });
});
