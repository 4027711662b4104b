/**
 * Local wall-clock time in an IANA time zone: the one place instants become a site's local day,
 * minutes and date (business hours, shifts, after-hours, report days). Pure; Intl only.
 */

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const partsCache = new Map<string, Intl.DateTimeFormat>();

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
  day: (typeof WEEKDAYS)[number];
  minutes: number;
  hhmm: string;
  date: string;
}

const minuteCache = new Map<string, LocalTime>();

function computeLocalTime(instant: Date, timeZone: string): LocalTime {
  let fmt = partsCache.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    partsCache.set(timeZone, fmt);
  }
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(instant)) parts[p.type] = p.value;
  const h = Number(parts.hour) % 24;
  const m = Number(parts.minute);
  return {
    day: parts.weekday.slice(0, 3).toLowerCase() as (typeof WEEKDAYS)[number],
    minutes: h * 60 + m,
    hhmm: `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`,
    date: `${parts.year}-${parts.month}-${parts.day}`,
  };
}

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
