/**
 * Local wall-clock time in an IANA time zone: the one place instants become a site's local day,
 * minutes and date (business hours, shifts, after-hours, report days), zone offsets are read,
 * instants are written with their local offset, and offset-less local times become instants.
 * Pure; Intl only (its tz database, never the host's zone).
 */

/** Weekday names in `Date#getUTCDay` order (index 0 = Sunday), as local times name them. */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** A weekday name ("mon"). */
export type Weekday = (typeof WEEKDAYS)[number];

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

// ---------------------------------------------------------------------------------------------
// The zone's calendar fields at an instant (Intl is the slow part: one formatter per zone, kept).

// Two formatters per zone: the offset one reads seconds and the era (exact offsets in any year);
// the local-time one reads the weekday and skips those, since it runs far more often.
const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
const clockFormatters = new Map<string, Intl.DateTimeFormat>();

/** The cached formatter of a zone; throws RangeError for a zone the runtime does not know. */
function formatterFor(timeZone: string, kind: 'offset' | 'clock'): Intl.DateTimeFormat {
  const cache = kind === 'offset' ? offsetFormatters : clockFormatters;
  let f = cache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat(
      'en-US',
      kind === 'offset'
        ? { timeZone, hourCycle: 'h23', era: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }
        : { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' },
    );
    cache.set(timeZone, f);
  }
  return f;
}

/** Local calendar fields of an instant (proleptic Gregorian years: 0 is 1 BC with the offset formatter). */
interface ZoneFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: string;
}

function zoneFields(ms: number, timeZone: string, kind: 'offset' | 'clock'): ZoneFields {
  const f: ZoneFields = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, weekday: '' };
  let bc = false;
  for (const part of formatterFor(timeZone, kind).formatToParts(ms)) {
    switch (part.type) {
      case 'year': f.year = Number(part.value); break;
      case 'month': f.month = Number(part.value); break;
      case 'day': f.day = Number(part.value); break;
      // h23 never says 24, but some runtimes once did for midnight: read it as 0.
      case 'hour': f.hour = Number(part.value) % 24; break;
      case 'minute': f.minute = Number(part.value); break;
      case 'second': f.second = Number(part.value); break;
      case 'weekday': f.weekday = part.value; break;
      case 'era': bc = part.value === 'BC'; break;
    }
  }
  if (bc) f.year = 1 - f.year;
  return f;
}

/** `Date.UTC` without its 1900s mapping of years 0-99: the fields read as if they were UTC, in ms. */
function fieldsAsUtc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

/** True when `timeZone` is an IANA time zone name (or alias) this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone, 'clock');
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Local wall-clock time of an instant

/** Local wall-clock time of an instant in a time zone: weekday, minutes since midnight, "HH:MM". */
export function localTime(instant: Date, timeZone: string): LocalTime {
  // Intl formatting costs microseconds and ingest asks per event: remember the last minutes seen.
  // (Every zone offset in use is a whole number of minutes, so a UTC minute is one local minute.)
  const key = `${timeZone}|${Math.floor(instant.getTime() / 60_000)}`;
  const hit = minuteCache.get(key);
  if (hit) return hit;
  const value = computeLocalTime(instant, timeZone);
  if (minuteCache.size >= 4096) minuteCache.clear();
  minuteCache.set(key, value);
  return value;
}

/** Local wall-clock time: weekday, minutes since midnight, "HH:MM" and the local date. */
export interface LocalTime {
  day: Weekday;
  minutes: number;
  hhmm: string;
  date: string;
}

const minuteCache = new Map<string, LocalTime>();

function computeLocalTime(instant: Date, timeZone: string): LocalTime {
  const f = zoneFields(instant.getTime(), timeZone, 'clock');
  return {
    day: f.weekday.slice(0, 3).toLowerCase() as Weekday,
    minutes: f.hour * 60 + f.minute,
    hhmm: `${pad2(f.hour)}:${pad2(f.minute)}`,
    date: `${f.year}-${pad2(f.month)}-${pad2(f.day)}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Zone offsets and instants written with them

/**
 * Offset of a time zone from UTC at an instant, in ms (local = utc + offset; -18000000 for New
 * York in winter). Exact to the second, so historic local mean times (-4:56:02) come out whole.
 */
export function zoneOffsetMs(instant: Date | number, timeZone: string): number {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const f = zoneFields(ms, timeZone, 'offset');
  return fieldsAsUtc(f.year, f.month, f.day, f.hour, f.minute, f.second, 0) - Math.floor(ms / SECOND) * SECOND;
}

/** Offset of a time zone from UTC at an instant, in whole minutes (seconds of historic offsets rounded away). */
export function zoneOffsetMinutes(instant: Date | number, timeZone: string): number {
  return Math.round(zoneOffsetMs(instant, timeZone) / MINUTE);
}

/**
 * An instant as local time with its offset, whole seconds: "2026-11-20T02:14:00-05:00" (RFC 3339,
 * also CAP's and xs:dateTime's form). A zero offset is written "+00:00" unless `zeroOffset` says
 * "-00:00" (CAP 1.2 requires that for UTC). Throws RangeError for an invalid instant or a local
 * year outside 1-9999, which these forms cannot write.
 */
export function formatWithOffset(instant: Date | number, timeZone: string, opts: { zeroOffset?: '+00:00' | '-00:00' } = {}): string {
  const t = typeof instant === 'number' ? instant : instant.getTime();
  if (!Number.isFinite(t)) throw new RangeError('formatWithOffset: not a valid date');
  const ms = Math.floor(t / SECOND) * SECOND;
  const off = zoneOffsetMinutes(ms, timeZone);
  const local = new Date(ms + off * MINUTE);
  const y = local.getUTCFullYear();
  if (y < 1 || y > 9999) throw new RangeError(`formatWithOffset: local year out of range 1-9999: ${new Date(ms).toISOString()}`);
  const sign = off > 0 ? '+' : off < 0 ? '-' : (opts.zeroOffset ?? '+00:00')[0];
  const abs = Math.abs(off);
  return (
    `${String(y).padStart(4, '0')}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())}` +
    `T${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())}` +
    `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
  );
}

/** A local wall-clock reading without an offset (month 1-12, as written in files). */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
  ms?: number;
}

/**
 * The instant a local wall-clock time in `timeZone` denotes. Undefined for an impossible reading
 * (Feb 30, hour 24, minute 60). A time in a DST gap (clocks going forward) is moved forward by the
 * gap; a time that happens twice (clocks going back) is the earlier of the two instants.
 */
export function wallClockToInstant(t: WallClock, timeZone: string): Date | undefined {
  const second = t.second ?? 0;
  const milli = t.ms ?? 0;
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.minute > 59 || second > 59) return undefined;
  const wall = fieldsAsUtc(t.year, t.month, t.day, t.hour, t.minute, second, milli);
  const check = new Date(wall);
  if (check.getUTCDate() !== t.day || check.getUTCMonth() !== t.month - 1) return undefined;
  // The offsets a day either side cover any single DST change near this time. Each gives a
  // candidate instant, valid when the zone really has that offset then: two valid = an overlap
  // (take the earlier), none = a gap (use the offset from before the change: moved forward).
  const before = zoneOffsetMs(wall - DAY, timeZone);
  const after = zoneOffsetMs(wall + DAY, timeZone);
  const valid = [wall - before, wall - after].filter((u) => wall - zoneOffsetMs(u, timeZone) === u);
  return new Date(valid.length > 0 ? Math.min(...valid) : wall - before);
}

// ---------------------------------------------------------------------------------------------
// Opening hours and shifts

/** Minutes since midnight of "HH:MM". */
export function hhmmToMinutes(s: string): number {
  const [h, m] = s.split(':').map(Number);
  return h * 60 + m;
}

/**
 * True when the instant is within the window [open, close) on an allowed day, in local time.
 * A window whose close is before its open runs past midnight (e.g. 22:00-06:00).
 */
export function withinHours(
  local: { day: string; minutes: number },
  hours: { open: string; close: string; days?: readonly string[] },
): boolean {
  if (hours.days && !hours.days.includes(local.day)) return false;
  const open = hhmmToMinutes(hours.open);
  const close = hhmmToMinutes(hours.close);
  if (open === close) return true;
  return open < close ? local.minutes >= open && local.minutes < close : local.minutes >= open || local.minutes < close;
}

/** A weekly window (a shift) in local minutes, parsed once for checks in a loop; `open === close` is all day. */
export interface WeeklyWindow {
  open: number;
  close: number;
  /** Weekdays (0 = Sunday) the window opens on; null = every day. */
  days: ReadonlySet<number> | null;
}

/** Parses "HH:MM" bounds and weekday names into a WeeklyWindow. */
export function weeklyWindow(open: string, close: string, days?: readonly string[]): WeeklyWindow {
  return {
    open: hhmmToMinutes(open),
    close: hhmmToMinutes(close),
    days: days ? new Set(days.map((d) => WEEKDAYS.indexOf(d as Weekday))) : null,
  };
}

/**
 * True when a local (minutes since midnight, weekday 0 = Sunday) falls in the window. Unlike
 * `withinHours`, the hours after midnight of an overnight window belong to the day it opened:
 * Saturday 02:00 is on a Friday 22:00-06:00 shift, Friday 02:00 is not.
 */
export function inWeeklyWindow(w: WeeklyWindow, minutes: number, weekday: number): boolean {
  const dayOk = (d: number) => w.days === null || w.days.has(d);
  if (w.open === w.close) return dayOk(weekday);
  if (w.open < w.close) return minutes >= w.open && minutes < w.close && dayOk(weekday);
  if (minutes >= w.open) return dayOk(weekday);
  if (minutes < w.close) return dayOk((weekday + 6) % 7);
  return false;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The ISO 8601 week of a calendar date "YYYY-MM-DD", as "YYYY-Www" (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeekOf(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  const weekday = day.getUTCDay() || 7; // Monday 1 .. Sunday 7
  const thursday = new Date(day.getTime() + (4 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
