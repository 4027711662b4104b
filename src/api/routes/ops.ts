/**
 * Operations endpoints, without API tokens: `GET /healthz` (does the store answer?),
 * `GET /metrics` (Prometheus; open, off, or behind a scrape token of its own) and
 * `GET /openapi.json` (this API's description). Admission control never refuses them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../../domain/errors.js';
import { z } from 'zod';
import { pingStore } from '../../store/health.js';
import type { RouteDeps } from '../route-deps.js';

/** How long /healthz waits for the store before answering 503. */
export const HEALTH_TIMEOUT_MS = 2_000;

/** Ops routes. */
export const opsRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;
  const health = z.object({ status: z.enum(['ok', 'unavailable']), store: z.enum(['pglite', 'postgres']), error: z.string().optional() });

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['ops'],
        summary: '200 when the store answers, 503 otherwise',
        security: [],
        response: { 200: deps.output(health), 503: deps.output(health) },
      },
    },
    async (_request, reply) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          pingStore(service.db),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
          }),
        ]);
        return { status: 'ok', store: service.db.kind };
      } catch (e) {
        service.log.warn({ err: e }, 'health check: store did not answer');
        // The reason stays in the log; the public answer only says that the store is down.
        return reply.code(503).send({ status: 'unavailable', store: service.db.kind, error: 'the store did not answer' });
      } finally {
        clearTimeout(timer);
      }
    },
  );

  const access = deps.metrics;
  if (access.mode !== 'off') {
    const digest = (s: string) => createHash('sha256').update(s).digest();
    const expected = access.mode === 'token' ? digest(access.token) : undefined;
    const checkToken = async (request: FastifyRequest) => {
      if (!expected) return;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
      // Compared as digests: constant time whatever the length of what was sent.
      if (!m || !timingSafeEqual(digest(m[1]), expected)) throw new UnauthorizedError('a valid metrics token is required (Authorization: Bearer <VIGIL_METRICS_TOKEN>)');
    };
    app.get(
      '/metrics',
      {
        onRequest: checkToken,
        schema: {
          tags: ['ops'],
          summary: 'Prometheus metrics (text exposition format)',
          security: access.mode === 'token' ? [{ bearer: [] }] : [],
          produces: ['text/plain'],
          ...(access.mode === 'token' ? { response: deps.errors(401) } : {}),
        },
      },
      async (_request, reply) => {
        const registry = service.metrics.registry;
        const text = await registry.metrics();
        return reply.type(registry.contentType).send(text);
      },
    );
  }

  app.get('/openapi.json', { schema: { tags: ['ops'], summary: 'This API as OpenAPI 3.1', security: [] } }, async () => app.swagger());
};
