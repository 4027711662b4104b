/**
 * The shared zod pieces of list queries. Querystring values arrive as strings, so each piece
 * parses its string and says in the problem what it expected.
 */
import { z } from 'zod';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Reusable zod pieces of list queries (querystring values arrive as strings). */
export const QUERY = {
  /** Page size: an integer 1..max. */
  limit: (max = 500, def = 50) =>
    z
      .string()
      .transform((s, ctx) => {
        const n = Number(s);
        if (!/^\d{1,6}$/.test(s) || n < 1 || n > max) {
          ctx.addIssue({ code: 'custom', message: `expected an integer from 1 to ${max}` });
          return z.NEVER;
        }
        return n;
      })
      .optional()
      .transform((n) => n ?? def)
      .meta({ description: `page size, 1-${max} (default ${def})` }),
  /** Opaque keyset cursor (the previous page's nextCursor). */
  cursor: () => z.string().min(1).max(1000).optional().meta({ description: 'nextCursor of the previous page' }),
  /** An instant with offset, as a Date. */
  instant: (what: string) =>
    z
      .string()
      .transform((s, ctx) => {
        const ms = ISO_INSTANT.test(s) ? Date.parse(s) : NaN;
        if (Number.isNaN(ms)) {
          ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time with offset, like "2026-11-20T02:14:00-05:00"' });
          return z.NEVER;
        }
        return new Date(ms);
      })
      .optional()
      .meta({ description: what }),
  /** A comma-separated list of ids, or of the given values. */
  list: (what: string, values?: readonly string[]) =>
    z
      .string()
      .transform((s, ctx) => {
        const items = [...new Set(s.split(',').map((x) => x.trim()).filter((x) => x !== ''))];
        const bad = items.filter((x) => (values ? !values.includes(x) : !/^[a-z0-9_-]{1,100}$/.test(x)));
        if (items.length === 0 || bad.length > 0 || items.length > 100) {
          ctx.addIssue({
            code: 'custom',
            message: values
              ? `expected one or more of ${values.join(', ')} (comma-separated)${bad.length ? `; got ${bad.join(', ')}` : ''}`
              : 'expected one or more ids ([a-z0-9_-]+, comma-separated)',
          });
          return z.NEVER;
        }
        return items;
      })
      .optional()
      .meta({ description: `${what}; comma-separated for several${values ? ` (${values.join(', ')})` : ''}` }),
};
