/**
 * Numbers, money, times and names as the dashboard prints them. Times are shown in the site's own
 * time zone (the API gives UTC instants); money as the API's decimal strings formatted for display
 * only, never added up in floating point for anything but drawing.
 */

export const r1 = (n: number): number => Math.round(n * 10) / 10;
export const r2 = (n: number): number => Math.round(n * 100) / 100;
export const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));
export const num = (v: unknown): number => Number(v) || 0;
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** An id as words: "unauthorized_entry" -> "Unauthorized entry", "send-emergency-sms" -> "Send emergency SMS". */
export function humanize(id: unknown): string {
  const t = String(id ?? '')
    .replace(/[_-]+/g, ' ')
    .trim();
  const out = t ? t[0].toUpperCase() + t.slice(1) : '';
  return out.replace(/\b(sms|pos|cctv|id)\b/gi, (m) => m.toUpperCase());
}

const formats = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();
function cached<T extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, make: () => T): T {
  let f = formats.get(key) as T | undefined;
  if (!f) {
    f = make();
    formats.set(key, f);
  }
  return f;
}

/** The zone if the browser knows it, else undefined (then times are shown in the browser's zone). */
export function validTz(tz: string | undefined): string | undefined {
  if (!tz) return undefined;
  try {
    cached(`tz:${tz}`, () => new Intl.DateTimeFormat('en-US', { timeZone: tz }));
    return tz;
  } catch {
    return undefined;
  }
}

export type TimeMode = 'full' | 'time' | 'seconds' | 'date';

const TIME_OPTIONS: Record<TimeMode, Intl.DateTimeFormatOptions> = {
  time: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  seconds: { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
  date: { month: 'short', day: 'numeric' },
  full: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
};

/** A time in a site's time zone: "Nov 20, 02:14 EST" (or "02:14" with `time`). */
export function fmtTime(iso: string | null | undefined, tz: string | undefined, mode: TimeMode = 'full'): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const zone = validTz(tz);
  return cached(`${zone}|${mode}`, () => new Intl.DateTimeFormat(undefined, { ...TIME_OPTIONS[mode], ...(zone ? { timeZone: zone } : {}) })).format(d);
}

/** An amount for display: "$5,850.00" (or "$5.9K" with `compact`). */
export function fmtMoney(value: unknown, currency: string | undefined, compact = false): string {
  const n = Number(value);
  if (!Number.isFinite(n)) return `${String(value ?? '')} ${currency ?? ''}`.trim();
  try {
    return cached(`m:${currency}:${compact}`, () =>
      new Intl.NumberFormat(undefined, {
        style: 'currency',
        currency: currency || 'USD',
        ...(compact ? { notation: 'compact', maximumFractionDigits: 1 } : {}),
      }),
    ).format(n);
  } catch {
    return `${n.toFixed(2)} ${currency ?? ''}`.trim();
  }
}

/** How long ago: "just now", "5 min ago", "3 h ago", "2 d ago". */
export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  const ms = now - new Date(iso ?? '').getTime();
  if (!Number.isFinite(ms)) return '';
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}
