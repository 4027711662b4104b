import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatWithOffset,
  inWeeklyWindow,
  isValidTimeZone,
  localTime,
  wallClockToInstant,
  weeklyWindow,
  withinHours,
  zoneOffsetMinutes,
  zoneOffsetMs,
} from './local-time.js';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** The wall-clock fields of an instant in a zone, read independently of the module (Intl directly). */
function wallOf(ms: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(ms);
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: n('year'), month: n('month'), day: n('day'), hour: n('hour') % 24, minute: n('minute'), second: n('second') };
}

describe('localTime', () => {
  it('gives the local weekday, minutes, HH:MM and date in the zone', () => {
    expect(localTime(new Date('2026-11-20T02:14:00Z'), 'America/New_York')).toEqual({ day: 'thu', minutes: 21 * 60 + 14, hhmm: '21:14', date: '2026-11-19' });
    expect(localTime(new Date('2026-11-20T02:14:00Z'), 'Asia/Kathmandu')).toEqual({ day: 'fri', minutes: 7 * 60 + 59, hhmm: '07:59', date: '2026-11-20' });
    expect(localTime(new Date('2026-11-20T00:00:00Z'), 'UTC')).toEqual({ day: 'fri', minutes: 0, hhmm: '00:00', date: '2026-11-20' });
  });
});

describe('zoneOffsetMs', () => {
  it('follows daylight saving time', () => {
    expect(zoneOffsetMs(Date.parse('2026-07-01T12:00:00Z'), 'America/New_York')).toBe(-4 * 3_600_000);
    expect(zoneOffsetMs(Date.parse('2026-11-16T12:00:00Z'), 'America/New_York')).toBe(-5 * 3_600_000);
    expect(zoneOffsetMs(Date.parse('2026-07-01T12:00:00Z'), 'America/Phoenix')).toBe(-7 * 3_600_000);
    expect(zoneOffsetMs(Date.parse('2026-07-01T12:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * 3_600_000);
  });

  it('changes at the exact instant of a DST transition in New York', () => {
    // Spring forward: 2026-03-08 02:00 EST = 07:00Z; fall back: 2026-11-01 02:00 EDT = 06:00Z.
    expect(zoneOffsetMs(at('2026-03-08T06:59:59.999Z'), 'America/New_York')).toBe(-5 * HOUR);
    expect(zoneOffsetMs(at('2026-03-08T07:00:00Z'), 'America/New_York')).toBe(-4 * HOUR);
    expect(zoneOffsetMs(new Date('2026-11-01T05:59:59Z'), 'America/New_York')).toBe(-4 * HOUR);
    expect(zoneOffsetMs(new Date('2026-11-01T06:00:00Z'), 'America/New_York')).toBe(-5 * HOUR);
  });

  it('is exact to the second for historic local mean time, and zero in UTC', () => {
    expect(zoneOffsetMs(at('1880-01-01T12:00:00Z'), 'America/New_York')).toBe(-(4 * 3600 + 56 * 60 + 2) * 1000);
    expect(zoneOffsetMs(at('2026-11-20T07:14:05.678Z'), 'UTC')).toBe(0);
    expect(zoneOffsetMs(at('0050-06-01T12:00:00Z'), 'UTC')).toBe(0); // years 0-99 are not read as 19xx
  });
});

describe('zoneOffsetMinutes', () => {
  it('handles 45-minute offsets and their history (Kathmandu: +05:30 until 1986, then +05:45)', () => {
    expect(zoneOffsetMinutes(at('2026-11-20T07:14:00Z'), 'Asia/Kathmandu')).toBe(5 * 60 + 45);
    expect(zoneOffsetMinutes(at('1985-06-01T00:00:00Z'), 'Asia/Kathmandu')).toBe(5 * 60 + 30);
    expect(zoneOffsetMinutes(at('2026-01-15T12:00:00Z'), 'America/St_Johns')).toBe(-(3 * 60 + 30));
  });

  it('rounds second-level historic offsets to whole minutes', () => {
    expect(zoneOffsetMinutes(at('1880-01-01T12:00:00Z'), 'America/New_York')).toBe(-296);
    expect(zoneOffsetMinutes(at('2026-11-20T07:14:00Z'), 'UTC')).toBe(0);
  });

  it('agrees with the runtime at any instant (local = utc + offset)', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom('America/New_York', 'Asia/Kathmandu', 'UTC', 'Australia/Lord_Howe'), (ms, tz) => {
        const w = wallOf(ms, tz);
        const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
        expect(zoneOffsetMinutes(ms, tz) * 60_000).toBe(wall - Math.floor(ms / 1000) * 1000);
      }),
    );
  });
});

describe('formatWithOffset', () => {
  it('writes local time with the zone offset, whole seconds', () => {
    expect(formatWithOffset(new Date('2026-11-20T07:14:00Z'), 'America/New_York')).toBe('2026-11-20T02:14:00-05:00');
    expect(formatWithOffset(new Date('2026-07-20T06:14:00.999Z'), 'America/New_York')).toBe('2026-07-20T02:14:00-04:00');
    expect(formatWithOffset(at('2026-11-20T07:14:05Z'), 'Asia/Kathmandu')).toBe('2026-11-20T12:59:05+05:45');
    expect(formatWithOffset(at('1969-12-31T23:59:59.500Z'), 'UTC')).toBe('1969-12-31T23:59:59+00:00');
  });

  it('writes a zero offset as +00:00, or -00:00 when asked (CAP)', () => {
    expect(formatWithOffset(at('2026-11-20T07:14:05Z'), 'UTC')).toBe('2026-11-20T07:14:05+00:00');
    expect(formatWithOffset(at('2026-11-20T07:14:05Z'), 'UTC', { zeroOffset: '-00:00' })).toBe('2026-11-20T07:14:05-00:00');
    expect(formatWithOffset(at('2026-07-20T07:14:05Z'), 'Europe/London', { zeroOffset: '-00:00' })).toBe('2026-07-20T08:14:05+01:00');
  });

  it('shows each side of a DST change with its own offset', () => {
    expect(formatWithOffset(at('2026-11-01T05:30:00Z'), 'America/New_York')).toBe('2026-11-01T01:30:00-04:00');
    expect(formatWithOffset(at('2026-11-01T06:30:00Z'), 'America/New_York')).toBe('2026-11-01T01:30:00-05:00');
  });

  it('refuses invalid dates and local years it cannot write', () => {
    expect(() => formatWithOffset(new Date('nope'), 'UTC')).toThrow(RangeError);
    expect(() => formatWithOffset(at('9999-12-31T23:00:00Z'), 'Asia/Tokyo')).toThrow(RangeError);
    expect(() => formatWithOffset(at('2026-11-20T07:14:05Z'), 'Not/AZone')).toThrow(RangeError);
  });
});

describe('wallClockToInstant', () => {
  const iso = (t: Parameters<typeof wallClockToInstant>[0], tz: string) => wallClockToInstant(t, tz)?.toISOString();

  it('reads a local time with the zone rules', () => {
    expect(iso({ year: 2026, month: 11, day: 20, hour: 2, minute: 14 }, 'America/New_York')).toBe('2026-11-20T07:14:00.000Z');
    expect(iso({ year: 2026, month: 7, day: 20, hour: 2, minute: 14, second: 5, ms: 250 }, 'America/New_York')).toBe('2026-07-20T06:14:05.250Z');
    expect(iso({ year: 2026, month: 11, day: 20, hour: 12, minute: 59 }, 'Asia/Kathmandu')).toBe('2026-11-20T07:14:00.000Z');
    expect(iso({ year: 2017, month: 10, day: 1, hour: 15, minute: 19, second: 11 }, 'UTC')).toBe('2017-10-01T15:19:11.000Z');
    expect(iso({ year: 50, month: 6, day: 1, hour: 12, minute: 0 }, 'UTC')).toBe('0050-06-01T12:00:00.000Z');
  });

  it('moves a time in a DST gap forward by the gap (New York, spring forward)', () => {
    // 02:30 does not exist on 2026-03-08: read with the offset before the change (EST), i.e. 03:30 EDT.
    expect(iso({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
    expect(iso({ year: 2026, month: 3, day: 8, hour: 1, minute: 59, second: 59 }, 'America/New_York')).toBe('2026-03-08T06:59:59.000Z');
    expect(iso({ year: 2026, month: 3, day: 8, hour: 3, minute: 0 }, 'America/New_York')).toBe('2026-03-08T07:00:00.000Z');
    // Kathmandu skipped 00:00-00:15 on 1986-01-01 (+05:30 -> +05:45).
    expect(iso({ year: 1986, month: 1, day: 1, hour: 0, minute: 10 }, 'Asia/Kathmandu')).toBe('1985-12-31T18:40:00.000Z');
  });

  it('takes the earlier instant of a time that happens twice (New York, fall back)', () => {
    expect(iso({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
    expect(iso({ year: 2026, month: 11, day: 1, hour: 2, minute: 0 }, 'America/New_York')).toBe('2026-11-01T07:00:00.000Z');
  });

  it('refuses impossible readings', () => {
    expect(wallClockToInstant({ year: 2026, month: 2, day: 30, hour: 1, minute: 0 }, 'UTC')).toBeUndefined();
    expect(wallClockToInstant({ year: 2026, month: 13, day: 1, hour: 1, minute: 0 }, 'UTC')).toBeUndefined();
    expect(wallClockToInstant({ year: 2026, month: 1, day: 1, hour: 24, minute: 0 }, 'UTC')).toBeUndefined();
    expect(wallClockToInstant({ year: 2026, month: 1, day: 1, hour: 1, minute: 60 }, 'UTC')).toBeUndefined();
    expect(wallClockToInstant({ year: 2026, month: 1, day: 1, hour: 1, minute: 0, second: 60 }, 'UTC')).toBeUndefined();
  });

  it('inverts the zone: the local reading of an instant gives it back (the earlier one in an overlap)', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom('America/New_York', 'Asia/Kathmandu', 'UTC'), (raw, tz) => {
        const ms = Math.floor(raw / 1000) * 1000;
        const back = wallClockToInstant(wallOf(ms, tz), tz)!.getTime();
        const overlap = zoneOffsetMs(ms - HOUR, tz) - zoneOffsetMs(ms, tz);
        // Equal, or one overlap earlier (the same reading happened before, with the summer offset).
        expect(back === ms || back === ms - overlap).toBe(true);
        expect(wallOf(back, tz)).toEqual(wallOf(ms, tz));
      }),
    );
  });
});

describe('isValidTimeZone', () => {
  it('knows IANA names and refuses others', () => {
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('Asia/Kathmandu')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});

describe('weekly windows', () => {
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  const FRI = 5;
  const SAT = 6;

  it('gives the hours after midnight of an overnight window to the day it opened', () => {
    const w = weeklyWindow('22:00', '06:00', ['fri']);
    expect(inWeeklyWindow(w, minutes('23:00'), FRI)).toBe(true);
    expect(inWeeklyWindow(w, minutes('02:00'), SAT)).toBe(true);
    expect(inWeeklyWindow(w, minutes('02:00'), FRI)).toBe(false);
    expect(inWeeklyWindow(w, minutes('06:00'), SAT)).toBe(false);
    expect(inWeeklyWindow(w, minutes('12:00'), FRI)).toBe(false);
  });

  it('reads same-day windows like withinHours, and open === close as all day', () => {
    const w = weeklyWindow('09:00', '17:00', ['mon', 'tue']);
    expect(inWeeklyWindow(w, minutes('09:00'), 1)).toBe(true);
    expect(inWeeklyWindow(w, minutes('17:00'), 1)).toBe(false);
    expect(inWeeklyWindow(w, minutes('10:00'), 3)).toBe(false);
    expect(inWeeklyWindow(weeklyWindow('00:00', '00:00'), 0, 0)).toBe(true);
    expect(inWeeklyWindow(weeklyWindow('08:00', '08:00', ['sun']), 5, 1)).toBe(false);
    expect(withinHours({ day: 'mon', minutes: minutes('10:00') }, { open: '09:00', close: '17:00', days: ['mon'] })).toBe(true);
  });
});
