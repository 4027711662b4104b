/**
 * Canonical JSON: the one byte form of a value that digests and signatures are taken over.
 * Object keys sorted by UTF-16 code units (as RFC 8785 does), no whitespace, numbers and strings as
 * JSON.stringify writes them, `undefined` members left out, Dates as ISO 8601 UTC text. A value
 * read back from jsonb (keys reordered) gives the same bytes as the value that was written.
 */
import { createHash } from 'node:crypto';

/** The canonical JSON text of `value`. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no form for ${value}`);
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
  }
}

/** SHA-256 (hex) of a value's canonical JSON in UTF-8. */
export function digestOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
