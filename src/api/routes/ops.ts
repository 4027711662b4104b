/**
 * Operations endpoints, without authentication: `GET /healthz` (does the store answer?),
 * `GET /metrics` (Prometheus; can be disabled) and `GET /openapi.json` (this API's description).
 */
import type { FastifyPluginAsync } from 'fastify';
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

  if (deps.metrics) {
    app.get(
      '/metrics',
      { schema: { tags: ['ops'], summary: 'Prometheus metrics (text exposition format)', security: [], produces: ['text/plain'] } },
      async (_request, reply) => {
        const registry = service.metrics.registry;
        const text = await registry.metrics();
        return reply.type(registry.contentType).send(text);
      },
    );
  }

  app.get('/openapi.json', { schema: { tags: ['ops'], summary: 'This API as OpenAPI 3.1', security: [] } }, async () => app.swagger());
};
