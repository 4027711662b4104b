/**
 * Durations as people write them on the command line and in requests: a whole number and a unit,
 * `90m`, `12h`, `30d`, `2w`, `1y` (365 days). Pure: returns milliseconds or undefined.
 */

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 };

/** What a duration looks like, for problem messages. */
export const DURATION_HINT = 'a whole number and a unit (s, m, h, d, w, y), like "30d" or "12h"';

/** Milliseconds of a duration such as "30d"; undefined when it is not one (or is zero, or absurdly long). */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d{1,6})\s*([smhdwy])\s*$/i.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
  return ms > 0 && ms <= 100 * UNIT_MS.y ? ms : undefined;
}
