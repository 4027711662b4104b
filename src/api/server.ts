/**
 * The HTTP server: Fastify with the /api/v1 routes, health, metrics and the OpenAPI document.
 *
 * - Validation: every route part (querystring, params, body) is described by a zod schema. The
 *   same schema produces the JSON schema that @fastify/swagger publishes and does the validation
 *   (through a custom validator compiler), so a bad request lists EVERY problem in the contract's
 *   error shape instead of Ajv's first error.
 * - Responses: response schemas are documentation only; replies are serialised with
 *   JSON.stringify so a response schema that lags behind the code can never silently drop fields.
 * - Errors: one handler (ARCHITECTURE rule 5). VigilError keeps its status, code and details;
 *   Fastify's own errors (body too large, bad JSON, unknown media type) get contract codes; anything
 *   else is a logged 500 `internal` whose body reveals nothing of the cause.
 *
 * Adding a resource: write `routes/<resource>.ts` exporting a `FastifyPluginAsync<RouteDeps>` and
 * add it to API_ROUTES; it is mounted under /api/v1 and every route of it requires a bearer token
 * (the permission named in the route's `config.permission`, `read` by default).
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { InvalidError, PayloadTooLargeError, RetryableError, VigilError, type Problem } from '../domain/errors.js';
import type { Service } from '../service.js';
import { authHook, TokenAuth } from './auth.js';
import { assetRoutes } from './routes/assets.js';
import { eventRoutes } from './routes/events.js';
import { incidentRoutes } from './routes/incidents.js';
import { jobRoutes } from './routes/jobs.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { opsRoutes } from './routes/ops.js';
import { siteRoutes } from './routes/sites.js';
import { responseRoutes, smsWebhookRoutes } from './routes/response.js';

/** Options of buildServer. */
export interface ServerOptions {
  /** Largest accepted request body in bytes (default 5 MiB). */
  bodyLimit?: number;
  /** Serve GET /metrics (default true). */
  metrics?: boolean;
  /** How long a token lookup is cached (ms, default 10 s). */
  tokenCacheMs?: number;
}

/** A JSON schema object as Fastify and @fastify/swagger take it. */
export type JsonSchema = Record<string, unknown>;

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
  /** Whether /metrics is served. */
  metrics: boolean;
}

/** Route modules mounted under /api/v1 (authenticated). */
export const API_ROUTES: FastifyPluginAsync<RouteDeps>[] = [eventRoutes, incidentRoutes, assetRoutes, responseRoutes, siteRoutes, jobRoutes];

const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// zod <-> JSON schema

/** JSON schema objects created from zod, mapped back to their zod schema for validation. */
const zodOf = new WeakMap<object, z.ZodType>();

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete js.$schema;
  return js;
}

function inputSchema(schema: z.ZodType): JsonSchema {
  const js = toJsonSchema(schema, 'input');
  zodOf.set(js, schema);
  return js;
}

/** The contract error body. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'stable machine-readable code: invalid, unauthorized, forbidden, not_found, conflict, payload_too_large, internal, ...' }),
    message: z.string(),
    details: z.array(
      z.object({
        path: z.string().meta({ description: 'field path, e.g. "[3].occurredAt"' }),
        message: z.string(),
        row: z.number().int().optional().meta({ description: '1-based line of an NDJSON body' }),
      }),
    ),
  }),
});
const errorJson = toJsonSchema(errorBodySchema, 'output');

const STATUS_TEXT: Record<number, string> = {
  400: 'invalid input; every problem is listed in error.details',
  401: 'missing or invalid bearer token',
  403: 'the token may not do this (role or site scope)',
  404: 'not found (or outside the token\'s sites)',
  409: 'conflict with the current state',
  413: 'request body too large',
  415: 'unsupported Content-Type',
  503: 'unavailable',
};

function errorResponses(...statuses: number[]): Record<number, JsonSchema> {
  return Object.fromEntries(statuses.map((s) => [s, { ...errorJson, description: STATUS_TEXT[s] ?? 'error' }]));
}

/** Turns zod issues into contract problems; `part` names the request part for unknown keys. */
export function zodIssuesToProblems(error: z.ZodError, part: string): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    const path = joinPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: path ? `${path}.${key}` : key, message: `unknown ${part === 'querystring' ? 'query parameter' : 'field'}` });
    } else {
      problems.push({ path, message: issue.message });
    }
  }
  return problems;
}

function joinPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${String(s)}` : String(s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shared query pieces

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

// ---------------------------------------------------------------------------------------------
// Body parsing

/**
 * Parses a JSON body. On a syntax error the problem names the line, column and position of the
 * first bad character (V8's own message does not always carry a position). `__proto__` keys are
 * refused, as Fastify's default parser does.
 */
export function parseJsonBody(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return undefined;
  try {
    if (!body.includes('"__proto__"')) return JSON.parse(body);
    return JSON.parse(body, (key, value: unknown) => {
      if (key === '__proto__') throw new InvalidError([{ path: '', message: 'the key "__proto__" is not allowed' }]);
      return value;
    });
  } catch (e) {
    if (e instanceof InvalidError) throw e;
    const loc = locateJsonError(body);
    const reason = loc ? loc.reason : (e as Error).message;
    const position = loc ? loc.position : undefined;
    if (position === undefined) throw new InvalidError([{ path: '', message: `invalid JSON: ${reason}` }]);
    const { line, column } = lineColumn(body, position);
    throw new InvalidError([{ path: '', message: `invalid JSON at line ${line}, column ${column} (position ${position}): ${reason}`, row: line }]);
  }
}

function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < position; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: position - start + 1 };
}

/**
 * Finds the first syntax error of a JSON text: its 0-based position and what was expected there.
 * Iterative (an explicit stack), so a hostile, deeply nested body cannot overflow the call stack.
 * Returns undefined when the text is valid JSON.
 */
export function locateJsonError(s: string): { position: number; reason: string } | undefined {
  const n = s.length;
  let i = 0;
  const stack: ('{' | '[')[] = [];
  let expect: 'value' | 'key' | 'after' = 'value';
  const fail = (reason?: string) => ({ position: Math.min(i, n), reason: i >= n ? 'unexpected end of input' : reason ?? `unexpected ${JSON.stringify(s[i])}` });
  const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const skipWs = () => {
    while (i < n && isWs(s.charCodeAt(i))) i++;
  };
  const scanString = (): { position: number; reason: string } | undefined => {
    i++; // opening quote
    for (;;) {
      if (i >= n) return fail();
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return fail('control character in string (escape it)');
      if (c === 0x5c) {
        i++;
        if (i >= n) return fail();
        const e = s[i];
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (!/[0-9a-fA-F]/.test(s[i + k] ?? '')) {
              i += k;
              return fail('expected 4 hex digits after \\u');
            }
          }
          i += 5;
        } else if ('"\\/bfnrt'.includes(e)) i++;
        else return fail('invalid escape in string');
      } else i++;
    }
  };
  const scanNumber = (): { position: number; reason: string } | undefined => {
    if (s[i] === '-') i++;
    if (s[i] === '0') i++;
    else if (i < n && isDigit(s.charCodeAt(i))) while (i < n && isDigit(s.charCodeAt(i))) i++;
    else return fail('expected a digit');
    if (s[i] === '.') {
      i++;
      if (!(i < n && isDigit(s.charCodeAt(i)))) return fail('expected a digit after the decimal point');
      while (i < n && isDigit(s.charCodeAt(i))) i++;
    }
    if (s[i] === 'e' || s[i] === 'E') {
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      if (!(i < n && isDigit(s.charCodeAt(i)))) return fail('expected a digit in the exponent');
      while (i < n && isDigit(s.charCodeAt(i))) i++;
    }
    return undefined;
  };
  for (;;) {
    skipWs();
    if (expect === 'value') {
      if (i >= n) return fail();
      const c = s[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        skipWs();
        if (s[i] === (c === '{' ? '}' : ']')) {
          stack.pop();
          i++;
          expect = 'after';
        } else expect = c === '{' ? 'key' : 'value';
        continue;
      }
      let err: { position: number; reason: string } | undefined;
      if (c === '"') err = scanString();
      else if (c === '-' || isDigit(s.charCodeAt(i))) err = scanNumber();
      else {
        const word = c === 't' ? 'true' : c === 'f' ? 'false' : c === 'n' ? 'null' : undefined;
        if (!word) return fail(`unexpected ${JSON.stringify(c)}; expected a value`);
        for (let k = 0; k < word.length; k++, i++) if (s[i] !== word[k]) return fail(`unexpected ${i >= n ? 'end' : JSON.stringify(s[i])} in ${word}`);
      }
      if (err) return err;
      expect = 'after';
    } else if (expect === 'key') {
      if (s[i] !== '"') return fail(`unexpected ${i >= n ? 'end' : JSON.stringify(s[i])}; expected a property name in double quotes`);
      const err = scanString();
      if (err) return err;
      skipWs();
      if (s[i] !== ':') return fail(`expected ':' after the property name`);
      i++;
      expect = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? fail('unexpected data after the JSON value') : undefined;
      if (s[i] === ',') {
        i++;
        expect = top === '{' ? 'key' : 'value';
      } else if (s[i] === (top === '{' ? '}' : ']')) {
        stack.pop();
        i++;
      } else return fail(`expected ',' or '${top === '{' ? '}' : ']'}'`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  411: 'length_required',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  431: 'headers_too_large',
};

/** The contract error body of a VigilError. */
export function errorBody(e: VigilError): { error: { code: string; message: string; details: unknown[] } } {
  return { error: { code: e.code, message: e.message, details: e.details } };
}

/** Maps any error to the HTTP status and contract body; unknown errors become an opaque 500. */
export function toHttpError(err: unknown, bodyLimit: number): { status: number; body: ReturnType<typeof errorBody> } {
  if (err instanceof VigilError) return { status: err.status, body: errorBody(err) };
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: errorBody(new PayloadTooLargeError(bodyLimit)) };
  if (fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      status: 415,
      body: { error: { code: 'unsupported_media_type', message: `${fe.message}; expected application/json or application/x-ndjson`, details: [] } },
    };
  }
  if (fe?.code === 'FST_ERR_VALIDATION' && Array.isArray((fe as { validation?: unknown[] }).validation)) {
    const v = (fe as { validation: { instancePath?: string; message?: string }[] }).validation;
    return { status: 400, body: errorBody(new InvalidError(v.map((x) => ({ path: (x.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.'), message: x.message ?? 'invalid' })))) };
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (content length mismatch, aborted body...): their messages describe the request, not our internals.
    return { status, body: { error: { code: CODE_BY_STATUS[status] ?? 'bad_request', message: fe.message ?? 'bad request', details: [] } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error; the server log has the details', details: [] } } };
}

/**
 * @fastify/swagger marks every request body required; a body whose schema also accepts null
 * (the lifecycle actions' optional notes) is optional, so say so and drop the null branch.
 */
function markOptionalBodies<T>(doc: T): T {
  const paths = (doc as { paths?: Record<string, Record<string, { requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> } }>> }).paths ?? {};
  for (const ops of Object.values(paths)) {
    for (const op of Object.values(ops)) {
      for (const media of Object.values(op.requestBody?.content ?? {})) {
        const anyOf = media.schema?.anyOf as JsonSchema[] | undefined;
        if (!op.requestBody || !anyOf?.some((b) => b.type === 'null')) continue;
        op.requestBody.required = false;
        const rest = anyOf.filter((b) => b.type !== 'null');
        media.schema = rest.length === 1 ? rest[0] : { anyOf: rest };
      }
    }
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// The server

/** Builds the HTTP server of a service (not listening; the caller listens and closes it before the service). */
export async function buildServer(service: Service, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({ logger: false, bodyLimit, return503OnClosing: true });

  app.decorateRequest('principal', null);

  // Validation through zod (see the file comment); parts without a zod schema are documentation only.
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const zs = zodOf.get(schema as object);
    if (!zs) return () => true;
    return (data: unknown) => {
      const r = zs.safeParse(httpPart === 'body' ? data : (data ?? {}));
      return r.success ? { value: r.data } : { error: new InvalidError(zodIssuesToProblems(r.error, httpPart ?? 'body')) };
    };
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  // NDJSON is kept as text: the events route splits it so problems can name their line.
  app.addContentTypeParser(['application/x-ndjson', 'application/ndjson'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, request, reply) => {
    const { status, body } = toHttpError(err, bodyLimit);
    // A retryable refusal (an overloaded ingest) is not a server fault: tell the client when to come back.
    if (err instanceof RetryableError) void reply.header('retry-after', String(Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000))));
    else if (status >= 500) service.log.error({ err, method: request.method, url: request.url }, 'request failed');
    if (status === 401) void reply.header('www-authenticate', 'Bearer realm="vigil"');
    void reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}`, details: [] } });
  });

  app.addHook('onResponse', async (request, reply) => {
    service.log.debug(
      { method: request.method, route: request.routeOptions.url ?? null, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, actor: request.principal?.name },
      'http request',
    );
  });

  await app.register(swagger, {
    transformObject: (doc) => markOptionalBodies('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject),
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Vigil API',
        version: '1.0.0',
        description: 'Loss-prevention incident response. Errors: `{ error: { code, message, details: [{ path, message, row? }] } }`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      // Every /api route needs a bearer token; the ops routes opt out with `security: []`.
      security: [{ bearer: [] }],
      tags: [
        { name: 'events', description: 'the event log and ingest' },
        { name: 'incidents', description: 'incidents and their lifecycle' },
        { name: 'assets', description: 'the asset registry' },
        { name: 'response', description: 'notifications, patrols, guards, CAP alerts, the live stream' },
        { name: 'sites', description: 'site plans: zones, assets, devices, guards' },
        { name: 'ops', description: 'health, metrics, this document' },
      ],
    },
  });

  // Authentication decided by the MATCHED route pattern, not by the raw URL: however a client
  // spells the path (percent-encoding, case), a route under /api is never reached without a token.
  const authenticate = authHook(new TokenAuth(service, { ttlMs: opts.tokenCacheMs }));
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && (route === '/api' || route.startsWith('/api/'))) await authenticate(request, reply);
  });

  const deps: RouteDeps = {
    service,
    input: inputSchema,
    output: (s) => toJsonSchema(s, 'output'),
    errors: errorResponses,
    query: QUERY,
    metrics: opts.metrics ?? true,
  };
  await app.register(opsRoutes, deps);
  await app.register(smsWebhookRoutes, { service });
  await app.register(dashboardRoutes);
  await app.register(
    async (api) => {
      for (const routes of API_ROUTES) await api.register(routes, deps);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
