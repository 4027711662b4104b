/**
 * Reports: an incident's report (step 8) in JSON, HTML or PDF, any version of it, and its
 * sign-off. Reading the report brings it up to date first (a changed incident gets a new version,
 * an unchanged one none). Site scope as for the incident itself: another site's incident is 404.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import { renderReportHtml } from '../../reports/html.js';
import { renderReportPdf } from '../../reports/pdf.js';
import { ensureCurrentReport, servedReport, signCurrentReport, storedReportVersion, type ReportVersion, type ServedReport } from '../../reports/report-versions.js';
import { incidentSite } from '../../store/read/incidents.js';
import { principalOf } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/** The formats of the incident report. */
export const INCIDENT_REPORT_FORMATS = ['json', 'html', 'pdf'] as const;
export type IncidentReportFormat = (typeof INCIDENT_REPORT_FORMATS)[number];

const servedSchema = z.looseObject({
  incidentId: z.string(),
  version: z.number().int(),
  generatedAt: z.string(),
  digestAlgorithm: z.literal('sha256'),
  digest: z.string().meta({ description: 'SHA-256 (hex) of the canonical JSON of `content` (keys sorted, no whitespace)' }),
  signoff: z.object({ signedBy: z.string(), signedAt: z.string(), note: z.string().nullable() }).nullable(),
  latestVersion: z.number().int(),
  versions: z.array(z.object({ version: z.number().int(), generatedAt: z.string(), digest: z.string(), signedAt: z.string().nullable(), signedBy: z.string().nullable() })),
  content: z.looseObject({}).meta({ description: 'the report: incident, summary, timeline, events, assets, severity, loss, notifications, patrols, workflow, caseNotes, tasks, evidence, accessFindings, equipmentFindings, assetStatusChanges, chainOfCustody, sitePlan' }),
});

/** Sends a served report in a format. */
async function sendReport(reply: FastifyReply, served: ServedReport, format: IncidentReportFormat): Promise<unknown> {
  const name = `incident-${served.incidentId}-v${served.version}`;
  // Which version this is, in every format (the CLI's summary line reads these).
  reply.header('x-vigil-report-version', String(served.version)).header('x-vigil-report-digest', served.digest);
  if (served.signoff) reply.header('x-vigil-report-signed-by', encodeURIComponent(served.signoff.signedBy));
  if (format === 'html') return reply.type('text/html; charset=utf-8').send(renderReportHtml(served));
  if (format === 'pdf') return reply.type('application/pdf').header('content-disposition', `inline; filename="${name}.pdf"`).send(await renderReportPdf(served));
  return served;
}

/** Report routes. */
export const reportRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;
  const params = z.object({ id: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'expected an incident id') }).strict();
  const reportQuery = z
    .object({
      format: z.enum(INCIDENT_REPORT_FORMATS).default('json').meta({ description: 'json (default), html (printable) or pdf' }),
      version: z
        .string()
        .regex(/^[1-9]\d{0,8}$/, 'expected a version number (1 or more)')
        .transform(Number)
        .optional()
        .meta({ description: 'a stored version; default the current one (brought up to date first)' }),
    })
    .strict();

  app.get(
    '/incidents/:id/report',
    {
      schema: {
        tags: ['incidents'],
        summary: "An incident's report (JSON, HTML or PDF), current or a stored version",
        params: deps.input(params),
        querystring: deps.input(reportQuery),
        response: { 200: deps.output(servedSchema), ...deps.errors(400, 401, 404) },
      },
    },
    async (request: FastifyRequest, reply) => {
      const { id } = request.params as z.output<typeof params>;
      const q = request.query as z.output<typeof reportQuery>;
      const scope = principalOf(request).sites;
      let version: ReportVersion | undefined;
      if (q.version !== undefined) {
        const site = await incidentSite(service.db, id);
        if (!site || (scope && !scope.includes(site))) throw new NotFoundError(`incident ${id}`);
        version = await storedReportVersion(service.db, id, q.version, site, scope);
        if (!version) throw new NotFoundError(`report version ${q.version} of incident ${id}`);
      } else {
        const now = service.now();
        version = (await service.db.transaction((tx) => ensureCurrentReport(tx, service.org, id, now, scope)))?.version;
        if (!version) throw new NotFoundError(`incident ${id}`);
      }
      return sendReport(reply, await servedReport(service.db, version), q.format);
    },
  );

  const signBody = z
    .object({
      version: z.number().int().min(1).optional().meta({ description: 'the version the signer read; refused (409) unless it is the current one' }),
      note: z.string().min(1).max(2000, 'expected at most 2000 characters').optional(),
    })
    .strict()
    .nullish();

  app.post(
    '/incidents/:id/report/sign',
    {
      config: { permission: 'reports:sign' },
      schema: {
        tags: ['incidents'],
        summary: 'Sign off the current report version (frozen from then on; its digest goes into the audit trail)',
        params: deps.input(params),
        body: deps.input(signBody),
        response: { 200: deps.output(servedSchema), ...deps.errors(400, 401, 403, 404, 409) },
      },
    },
    async (request: FastifyRequest) => {
      const { id } = request.params as z.output<typeof params>;
      const body = (request.body ?? {}) as { version?: number; note?: string };
      const principal = principalOf(request);
      const now = service.now();
      const signed = await service.db.transaction((tx) =>
        signCurrentReport(tx, service.org, {
          incidentId: id,
          actor: principal.name,
          scope: principal.sites,
          now,
          signer: service.logSigner,
          ...(body.version !== undefined ? { version: body.version } : {}),
          ...(body.note !== undefined ? { note: body.note } : {}),
        }),
      );
      service.announce({ kind: 'incident.updated', incidentId: id, data: { report: { version: signed.version, signedBy: signed.signedBy, digest: signed.digest } } });
      return servedReport(service.db, signed);
    },
  );
};
