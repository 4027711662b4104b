/**
 * The HTTP server, assembled: Fastify with the /api/v1 routes, health, metrics, the dashboard and
 * the OpenAPI document. This file only wires the parts together:
 *
 * - validation and OpenAPI through zod (schema.ts; list query pieces in query.ts),
 * - the JSON body parser with line/column problems (json-body.ts),
 * - the one error map (errors.ts),
 * - authentication by the matched route (auth.ts),
 * - the routes (routes/<resource>.ts), each receiving RouteDeps (route-deps.ts),
 * - the edge's limits (http-limits.ts): request, header, idle and keep-alive timeouts, the ingest
 *   admission budget (admission.ts) and who may read /metrics.
 *
 * Responses are serialised with JSON.stringify, so a response schema that lags behind the code can
 * never silently drop fields.
 *
 * Adding a resource: write `routes/<resource>.ts` exporting a `FastifyPluginAsync<RouteDeps>` and
 * add it to API_ROUTES; it is mounted under /api/v1 and every route of it requires a bearer token
 * (the permission named in the route's `config.permission`, `read` by default).
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { DemoReceivers } from '../demo/demo-mode.js';
import type { Service } from '../service.js';
import { Admission } from './admission.js';
import { authHook, TokenAuth } from './auth.js';
import { clientErrorHandler, errorResponses, httpErrorHandler, notFoundHandler } from './errors.js';
import { DEFAULT_ADMISSION, DEFAULT_HTTP_TIMEOUTS, type AdmissionLimits, type HttpTimeouts, type MetricsAccess } from './http-limits.js';
import { parseJsonBody } from './json-body.js';
import { QUERY } from './query.js';
import type { RouteDeps } from './route-deps.js';
import { archiveRoutes } from './routes/archive.js';
import { assetRoutes } from './routes/assets.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { demoRoutes } from './routes/demo.js';
import { deviceRoutes } from './routes/devices.js';
import { eventRoutes } from './routes/events.js';
import { importRoutes } from './routes/imports.js';
import { incidentRoutes } from './routes/incidents.js';
import { jobRoutes } from './routes/jobs.js';
import { meRoutes } from './routes/me.js';
import { opsRoutes } from './routes/ops.js';
import { reportRoutes } from './routes/reports.js';
import { responseRoutes, smsWebhookRoutes } from './routes/response.js';
import { riskRoutes } from './routes/risk.js';
import { sessionRoutes } from './routes/session.js';
import { siteRoutes } from './routes/sites.js';
import { sourceRoutes } from './routes/sources.js';
import { taskRoutes } from './routes/tasks.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { weeklyReportRoutes } from './routes/weekly-reports.js';
import { inputSchema, markOptionalBodies, outputSchema, zodValidatorCompiler } from './schema.js';

/** Options of buildServer. */
export interface ServerOptions {
  /** Largest accepted request body in bytes (default 5 MiB). */
  bodyLimit?: number;
  /** Who may read GET /metrics: true or `{ mode: 'on' }` anyone (default), false or `{ mode: 'off' }` nobody, `{ mode: 'token', token }` a scraper with that bearer token. */
  metrics?: boolean | MetricsAccess;
  /** How long a token lookup is cached (ms, default 10 s). */
  tokenCacheMs?: number;
  /** Request, header, keep-alive, idle and webhook-body timeouts (DEFAULT_HTTP_TIMEOUTS for the rest). */
  timeouts?: Partial<HttpTimeouts>;
  /** The ingest route's admission budget (DEFAULT_ADMISSION for the rest). */
  admission?: Partial<AdmissionLimits>;
  /** Demo mode's own receivers: mounts the demo inbox under /api/v1/demo/ (absent: those paths are 404, GET /api/v1/demo says so). */
  demo?: DemoReceivers;
}

/** How often Node checks the request and header timeouts (its default, 30 s, would let a 20 s timeout run to 50 s). */
const TIMEOUT_CHECK_MS = 1000;

/** Route modules mounted under /api/v1 (authenticated). */
export const API_ROUTES: FastifyPluginAsync<RouteDeps>[] = [eventRoutes, incidentRoutes, reportRoutes, assetRoutes, responseRoutes, siteRoutes, jobRoutes, tokenRoutes, riskRoutes, taskRoutes, deviceRoutes, archiveRoutes, weeklyReportRoutes, meRoutes, sessionRoutes, userRoutes, sourceRoutes, importRoutes];

const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The server

/** Builds the HTTP server of a service (not listening; the caller listens and closes it before the service). */
export async function buildServer(service: Service, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...opts.timeouts };
  const handleError = httpErrorHandler(service.log, bodyLimit);
  const app = Fastify({
    logger: false,
    bodyLimit,
    return503OnClosing: true,
    requestTimeout: t.requestTimeoutMs,
    keepAliveTimeout: t.keepAliveTimeoutMs,
    connectionTimeout: t.connectionTimeoutMs,
    http: {
      // Node requires headersTimeout <= requestTimeout.
      headersTimeout: t.requestTimeoutMs > 0 ? Math.min(t.headersTimeoutMs, t.requestTimeoutMs) : t.headersTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    },
    // What Node's parser or the router refuse before a route is found gets the contract shape too.
    clientErrorHandler,
    frameworkErrors: (err, request, reply) => handleError(err, request, reply),
  });

  app.decorateRequest('principal', null);

  // Validation through zod (schema.ts); parts without a zod schema are documentation only.
  app.setValidatorCompiler(zodValidatorCompiler);
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

  app.setErrorHandler(handleError);
  app.setNotFoundHandler(notFoundHandler);

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
        { name: 'risk', description: 'risk per site, zone and asset (5x5 matrix) and its history' },
        { name: 'tasks', description: 'investigation and maintenance tasks: evidence checklists, status, comments' },
        { name: 'ops', description: 'health, metrics, this document' },
        { name: 'session', description: 'dashboard sign-in with a name and password: the session cookie, its CSRF token, sign-out, the first-run setup' },
        { name: 'users', description: 'dashboard users (admin): role, sites, disabled, password' },
        { name: 'archive', description: 'archived incidents, legal holds, the transparency log: inclusion and consistency proofs, signed checkpoints' },
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
    output: outputSchema,
    errors: errorResponses,
    query: QUERY,
    metrics: opts.metrics === undefined || opts.metrics === true ? { mode: 'on' } : opts.metrics === false ? { mode: 'off' } : opts.metrics,
    admission: new Admission(
      { ...DEFAULT_ADMISSION, ...opts.admission },
      () => service.pipeline.pendingEvents,
      (reason) => service.metrics.ingestShed.inc({ reason }),
      (bytes) => service.metrics.ingestInflightBytes.set(bytes),
    ),
  };
  await app.register(opsRoutes, deps);
  await app.register(smsWebhookRoutes, { service, bodyTimeoutMs: t.webhookBodyTimeoutMs });
  await app.register(dashboardRoutes);
  await app.register(
    async (api) => {
      for (const routes of API_ROUTES) await api.register(routes, deps);
      await api.register(demoRoutes, { ...deps, ...(opts.demo ? { demo: opts.demo } : {}) });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
