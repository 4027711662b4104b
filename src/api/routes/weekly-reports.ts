/**
 * The weekly loss report (step 14): `GET /api/v1/reports/weekly?week=YYYY-Www&site=&format=`.
 *
 * - `week` defaults to the last full ISO week in the organisation's time zone; a week that does
 *   not exist (2026-W54) is a 400 naming the parameter.
 * - `site` narrows the report to one site. A site-scoped token must name one of its sites, or
 *   gets the report of its sites; another site is a 403.
 * - `format`: json (default), html, pdf or csv, each with its content type; pdf and csv come as
 *   attachments with a file name.
 *
 * The report is computed from the store on each request (losses and outcomes change after the
 * week ends); the scheduler's emailed copy is kept in `weekly_reports`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { InvalidError, NotFoundError } from '../../domain/errors.js';
import { lastFullWeek, parseIsoWeek } from '../../domain/weekly-report.js';
import { generateWeeklyReport, renderWeeklyReport, WEEKLY_FORMATS, type WeeklyFormat } from '../../reports/weekly-report.js';
import { assertSites, principalOf } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

const query = z
  .object({
    week: z
      .string()
      .superRefine((v, ctx) => {
        try {
          parseIsoWeek(v);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: e instanceof InvalidError ? e.problems[0].message : 'expected an ISO week like "2026-W47"' });
        }
      })
      .optional()
      .meta({ description: 'ISO week "YYYY-Www" in the organisation\'s time zone; default the last full week' }),
    site: z.string().regex(/^[a-z0-9-]{1,100}$/, 'expected a site id').optional().meta({ description: 'one site; default every site the caller may see' }),
    format: z.enum(WEEKLY_FORMATS).default('json'),
  })
  .strict();

/** Weekly report routes. */
export const weeklyReportRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;
  app.get(
    '/reports/weekly',
    {
      schema: {
        tags: ['reports'],
        summary: 'The weekly loss report of an ISO week (JSON, HTML with inline SVG charts, PDF or CSV)',
        querystring: deps.input(query),
        response: { 200: deps.output(z.unknown().meta({ description: 'the report in the asked format (JSON: the weekly report model)' })), ...deps.errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const q = request.query as { week?: string; site?: string; format: WeeklyFormat };
      const principal = principalOf(request);
      const config = service.config;
      if (q.site !== undefined && !config.sites.some((s) => s.id === q.site)) {
        // A scoped token is told 403 for any site outside its scope, known or not.
        assertSites(principal, [q.site]);
        throw new NotFoundError(`site ${q.site}`);
      }
      if (q.site !== undefined) assertSites(principal, [q.site]);
      const sites = q.site !== undefined ? [q.site] : principal.sites ? config.sites.map((s) => s.id).filter((s) => principal.sites!.includes(s)) : null;
      const week = q.week ?? lastFullWeek(service.now(), config.organization.timezone);
      const report = await generateWeeklyReport(service.db, config, { week, sites, now: service.now() });
      const out = await renderWeeklyReport(report, q.format);
      void reply.type(out.contentType);
      if (q.format === 'pdf' || q.format === 'csv') void reply.header('content-disposition', `attachment; filename="${out.filename}"`);
      return reply.send(out.body);
    },
  );
};
