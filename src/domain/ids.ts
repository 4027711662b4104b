/**
 * Identifiers. Incident ids sort by creation time (base-36 milliseconds) and carry random bits so
 * several processes can mint them without coordination. Randomness is passed in to keep this pure.
 */

/** An id like "inc-lq2x8k9a-3f9c1e": prefix, time, random suffix. */
export function timeId(prefix: string, nowMs: number, random: Uint8Array): string {
  const t = nowMs.toString(36).padStart(9, '0');
  let r = '';
  for (const b of random) r += b.toString(16).padStart(2, '0');
  return `${prefix}-${t}-${r}`;
}
