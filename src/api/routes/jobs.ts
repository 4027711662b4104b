/**
 * Scheduled jobs: `GET /api/v1/jobs` lists each job this service schedules (cron expression,
 * time zone, the window one run covers, the next fire time) with its recent runs from the journal
 * (window, status, attempts, times, result, error).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { recentRuns } from '../../store/scheduled-runs.js';
import { STEP_TITLES } from '../../workflow/incident-response.js';
import type { RouteDeps } from '../route-deps.js';

const run = z.object({
  window: z.string(),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  attempts: z.number().int(),
  dueAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  result: z.unknown(),
  error: z.string().nullable(),
});
const job = z.object({
  id: z.string(),
  title: z.string(),
  cron: z.string(),
  timezone: z.string(),
  window: z.enum(['day', 'iso-week']),
  nextRunAt: z.string().nullable(),
  runs: z.array(run),
});

/** Job routes. */
export const jobRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;
  app.get(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Scheduled jobs with their recent runs, newest first',
        querystring: deps.input(z.object({ runs: z.coerce.number().int().min(1).max(100).default(10) }).strict()),
        response: { 200: deps.output(z.object({ items: z.array(job), nextCursor: z.null() })), ...deps.errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { runs: perJob } = request.query as { runs: number };
      const rows = await recentRuns(service.db, perJob);
      const iso = (d: Date | null) => (d ? d.toISOString() : null);
      const items = service.scheduler.jobs().map((j) => ({
        id: j.id,
        title: STEP_TITLES[j.id],
        cron: j.cron,
        timezone: j.timezone,
        window: j.window,
        nextRunAt: iso(j.nextRunAt),
        runs: rows
          .filter((r) => r.job === j.id)
          .map((r) => ({
            window: r.window_key,
            status: r.status,
            attempts: r.attempts,
            dueAt: r.due_at.toISOString(),
            startedAt: iso(r.started_at),
            finishedAt: iso(r.finished_at),
            nextAttemptAt: r.status === 'pending' ? iso(r.next_run_at) : null,
            result: r.result ?? null,
            error: r.error,
          })),
      }));
      return { items, nextCursor: null };
    },
  );
};
