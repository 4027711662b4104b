/**
 * Live sources: `GET /api/v1/sources` lists each broker connection that feeds events (Frigate over
 * MQTT, ...) with its state and the reason of its last failure, when its last message arrived, and
 * how many messages were accepted, duplicates or rejected. Never credentials: the detail holds
 * the broker address without user and password.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { SOURCE_STATES } from '../../sources/live/source-status.js';
import type { RouteDeps } from '../route-deps.js';

const source = z.object({
  id: z.string(),
  kind: z.string(),
  state: z.enum(SOURCE_STATES),
  reason: z.string().nullable(),
  since: z.string(),
  lastMessageAt: z.string().nullable(),
  /** Seconds since the last message at the time of the answer; null before the first. */
  silentSeconds: z.number().nullable(),
  counts: z.object({ accepted: z.number().int(), duplicate: z.number().int(), rejected: z.number().int() }),
  detail: z.record(z.string(), z.unknown()),
});

/** One item of GET /api/v1/sources (the dashboard's sources page reads it). */
export type SourceItem = z.infer<typeof source>;

/** Source routes. */
export const sourceRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;
  app.get(
    '/sources',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['sources'],
        summary: 'Live sources with their state, last message and counts',
        response: { 200: deps.output(z.object({ items: z.array(source), nextCursor: z.null() })), ...deps.errors(401, 403) },
      },
    },
    async () => {
      const now = service.now().getTime();
      const items = service.sources.list().map((s) => ({ ...s, silentSeconds: s.lastMessageAt ? Math.max(0, Math.round((now - Date.parse(s.lastMessageAt)) / 1000)) : null }));
      return { items, nextCursor: null };
    },
  );
};
