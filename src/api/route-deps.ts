/**
 * What every route module receives from the server (routes import this module, never server.ts):
 * the service, the schema helpers and the shared query pieces.
 */
import type { z } from 'zod';
import type { Service } from '../service.js';
import type { Admission } from './admission.js';
import type { MetricsAccess } from './http-limits.js';
import type { QUERY } from './query.js';
import type { JsonSchema } from './schema.js';

/** What every route module receives: the service and the schema helpers. */
export interface RouteDeps {
  service: Service;
  /** JSON schema of a request part (querystring, params, body), validated by the zod schema it comes from. */
  input(schema: z.ZodType): JsonSchema;
  /** JSON schema of a response (documentation only). */
  output(schema: z.ZodType): JsonSchema;
  /** Response schemas of the error statuses a route can answer. */
  errors(...statuses: number[]): Record<number, JsonSchema>;
  /** Reusable zod pieces of list queries. */
  query: typeof QUERY;
  /** Who may read /metrics. */
  metrics: MetricsAccess;
  /** The ingest route's admission budget. */
  admission: Admission;
}
