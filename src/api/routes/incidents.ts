/**
 * Incidents: the list, one incident in the CONTRACT shape, and the lifecycle actions
 * (acknowledge, resolve, reopen): a route per API action of the lifecycle table
 * (domain/incident-lifecycle.ts), applied by lifecycle-actions.ts. An action the table does not
 * allow from the current status is a 409 that names the status and lists what is allowed.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { toVeris, VERIS_SCHEMA_VERSION } from '../../channels/veris.js';
import { MAX_NOTE_LENGTH, NOTE_KINDS, OUTCOMES } from '../../domain/case-notes.js';
import { NotFoundError } from '../../domain/errors.js';
import { assignablePeople, INCIDENT_API_ACTIONS, INCIDENT_TRANSITIONS, type IncidentApiAction } from '../../domain/incident-lifecycle.js';
import { incidentSla, type SlaInput } from '../../domain/sla.js';
import { BANDS, INCIDENT_STATUSES, INCIDENT_TYPES } from '../../domain/types.js';
import { getIncident, incidentSite, INCIDENT_SORTS, listIncidents } from '../../store/read/incidents.js';
import { INCIDENT_STEPS } from '../../workflow/incident-response.js';
import { forCaller, principalOf } from '../auth.js';
import { addIncidentNote, applyIncidentAction, assignIncident } from '../lifecycle-actions.js';
import type { RouteDeps } from '../route-deps.js';
import { EVENT_ITEM_SCHEMA } from '../schemas.js';
import { TASK_VIEW_SCHEMA } from '../task-schemas.js';

const SLA_STATES = ['running', 'met', 'missed', 'overdue'] as const;

const factorSchema = z.object({ name: z.string(), value: z.number(), weight: z.number(), contribution: z.number(), detail: z.string().optional() });

const noteSchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  author: z.string(),
  kind: z.enum(NOTE_KINDS),
  text: z.string(),
});

const noteText = z
  .string()
  .max(MAX_NOTE_LENGTH, `expected at most ${MAX_NOTE_LENGTH} characters`)
  .meta({ description: 'a case note, appended to the incident\'s timeline' });

const summaryFields = {
  id: z.string(),
  site: z.string(),
  zone: z.string().nullable(),
  zones: z.array(z.string()),
  type: z.enum(INCIDENT_TYPES),
  status: z.enum(INCIDENT_STATUSES),
  openedAt: z.string(),
  firstEventAt: z.string(),
  lastEventAt: z.string(),
  updatedAt: z.string(),
  eventCount: z.number().int(),
  sources: z.array(z.string()),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  assignee: z.string().nullable().meta({ description: 'the contact id the incident is assigned to (POST /incidents/{id}/assign), null when unassigned' }),
  assignedAt: z.string().nullable(),
  ackDueAt: z.string().meta({ description: 'acknowledgement deadline: opening + policy sla.acknowledgeMinutes of the band (domain/sla.ts)' }),
  resolveDueAt: z.string().meta({ description: 'resolution deadline: opening + policy sla.resolveHours of the band' }),
  ackSla: z.enum(SLA_STATES).meta({ description: 'running, met, missed (done late) or overdue (not done, past the deadline), at the time of the answer' }),
  resolveSla: z.enum(SLA_STATES),
};

const summarySchema = z.object({
  ...summaryFields,
  severity: z.object({ score: z.number(), band: z.enum(BANDS) }),
  loss: z.object({ currency: z.string(), net: z.string(), gross: z.string().nullable() }),
});

const assetViewSchema = z.looseObject({
  id: z.string(),
  status: z.string().nullable().meta({ description: 'current registry status' }),
  name: z.string().optional(),
  zone: z.string().optional(),
  value: z.string().optional(),
  category: z.string().optional(),
  relation: z.enum(['named', 'zone', 'reach']).optional(),
  highRisk: z.boolean().optional(),
  highRiskReasons: z.array(z.string()).optional(),
});

const detailSchema = z.object({
  ...summaryFields,
  severity: z.object({ score: z.number(), band: z.enum(BANDS), policyVersion: z.string().nullable(), factors: z.array(factorSchema) }),
  severityHistory: z.array(
    z.object({ seq: z.number().int(), score: z.number(), band: z.enum(BANDS), policyVersion: z.string(), eventCount: z.number().int(), computedAt: z.string(), factors: z.array(factorSchema) }),
  ),
  loss: z
    .looseObject({
      currency: z.string(),
      replacement: z.string(),
      downtime: z.string(),
      fines: z.string(),
      remediation: z.string(),
      recovered: z.string(),
      gross: z.string(),
      net: z.string(),
      items: z.array(z.looseObject({ kind: z.string(), description: z.string(), amount: z.string(), assetId: z.string().optional() })),
    })
    .nullable(),
  events: z.array(EVENT_ITEM_SCHEMA).meta({ description: 'the incident\'s events, oldest first, at most 500' }),
  assets: z.array(assetViewSchema),
  adjacentHighRisk: z.array(assetViewSchema),
  workflow: z.array(
    z.object({
      step: z.enum(INCIDENT_STEPS),
      status: z.enum(['pending', 'running', 'done', 'skipped', 'failed']),
      attempts: z.number().int(),
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
      nextRunAt: z.string().nullable(),
      error: z.string().nullable(),
      reason: z.string().nullable(),
      result: z.unknown(),
    }),
  ),
  notifications: z.array(z.unknown()),
  patrols: z.array(z.unknown()),
  tasks: z.array(TASK_VIEW_SCHEMA).meta({ description: 'the investigation and maintenance tasks of the incident, oldest first' }),
  accessFindings: z.array(z.unknown()),
  equipmentFindings: z.array(z.unknown()),
  resolution: z.string().nullable().meta({ description: 'the resolve note (deprecated: read the timeline in notes)' }),
  outcome: z.enum(OUTCOMES).nullable().meta({ description: 'how the incident ended, set by resolve (null while unresolved)' }),
  notes: z.array(noteSchema).meta({ description: 'the case-note timeline, oldest first (appended, never edited)' }),
  version: z.number().int(),
});

/** Incident routes. */
export const incidentRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service, query: Q } = deps;
  // SLA deadlines and states at the time of the answer (domain/sla.ts), on every incident shown.
  const withSla = <T extends Omit<SlaInput, 'band'> & { severity: { band: string } }>(inc: T): T => ({
    ...inc,
    ...incidentSla(service.config.policy.sla, { band: inc.severity.band, openedAt: inc.openedAt, acknowledgedAt: inc.acknowledgedAt, resolvedAt: inc.resolvedAt }, service.now()),
  });

  const listQuery = z
    .object({
      status: Q.list('statuses', INCIDENT_STATUSES),
      site: Q.list('site ids'),
      band: Q.list('bands', BANDS),
      type: Q.list('incident types', INCIDENT_TYPES),
      assignee: Q.list('assignees (contact ids; none for unassigned)'),
      q: z.string().max(200, 'expected at most 200 characters').optional().meta({ description: 'search: incident id (or its start), zone, asset id or name, badge id of an event' }),
      sort: z.enum(INCIDENT_SORTS).optional().meta({ description: 'opened: newest first (default); priority: band high to low, then oldest first' }),
      from: Q.instant('opened at or after (ISO 8601 with offset)'),
      to: Q.instant('opened before (ISO 8601 with offset)'),
      limit: Q.limit(500, 50),
      cursor: Q.cursor(),
    })
    .strict();

  app.get(
    '/incidents',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Incidents, newest first (or by priority with sort=priority)',
        querystring: deps.input(listQuery),
        response: { 200: deps.output(z.object({ items: z.array(summarySchema), nextCursor: z.string().nullable() })), ...deps.errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof listQuery>;
      const page = await listIncidents(
        service.db,
        { statuses: q.status, sites: q.site, bands: q.band, types: q.type, assignees: q.assignee, q: q.q, sort: q.sort, from: q.from, to: q.to, limit: q.limit, cursor: q.cursor },
        principalOf(request).sites,
      );
      return { ...page, items: page.items.map(withSla) };
    },
  );

  const params = z.object({ id: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'expected an incident id') }).strict();
  const paramsJson = deps.input(params);
  const detailJson = deps.output(detailSchema);

  app.get(
    '/incidents/:id',
    {
      schema: {
        tags: ['incidents'],
        summary: 'One incident',
        params: paramsJson,
        response: { 200: detailJson, ...deps.errors(400, 401, 404) },
      },
    },
    async (request: FastifyRequest) => {
      const { id } = request.params as z.output<typeof params>;
      const principal = principalOf(request);
      const detail = await getIncident(service.db, id, principal.sites, { now: service.now() });
      if (!detail) throw new NotFoundError(`incident ${id}`);
      return forCaller(principal, 'incident', withSla(detail));
    },
  );

  // One field name for the note on every action; resolve also takes the outcome, required unless
  // the policy names a default (domain/case-notes.ts), and still takes `resolution`, the deprecated
  // name of its note.
  const outcome = z.enum(OUTCOMES, {
    error: (issue) => (issue.input === undefined ? `required when resolving; expected one of ${OUTCOMES.join(', ')}` : `expected one of ${OUTCOMES.join(', ')}`),
  });
  const outcomeRequired = service.config.policy.caseNotes.defaultOutcome === null;
  const resolveBody = z
    .object({
      note: noteText.optional(),
      resolution: noteText.optional().meta({ description: 'deprecated alias of note' }),
      outcome: outcomeRequired ? outcome : outcome.optional(),
    })
    .strict();
  const actionBodies: Record<IncidentApiAction, z.ZodType> = {
    acknowledge: z.object({ note: noteText.optional() }).strict().nullish(),
    // A resolve without a body is a resolve without an outcome: say so, not "expected an object".
    resolve: outcomeRequired ? z.preprocess((v) => v ?? {}, resolveBody) : resolveBody.nullish(),
    reopen: z.object({ note: noteText.optional() }).strict().nullish(),
  };
  for (const action of INCIDENT_API_ACTIONS) {
    const t = INCIDENT_TRANSITIONS[action];
    app.post(
      `/incidents/:id/${action}`,
      {
        config: { permission: 'incidents:act' },
        schema: {
          tags: ['incidents'],
          summary: `${action[0].toUpperCase()}${action.slice(1)} an incident (${t.from.join(' | ')} -> ${t.to})`,
          params: paramsJson,
          body: deps.input(actionBodies[action]),
          response: { 200: detailJson, ...deps.errors(400, 401, 403, 404, 409) },
        },
      },
      async (request: FastifyRequest) => {
        const { id } = request.params as z.output<typeof params>;
        const body = (request.body ?? {}) as { resolution?: string; note?: string; outcome?: string };
        const principal = principalOf(request);
        const detail = await applyIncidentAction(service, {
          id,
          action,
          actor: principal.name,
          scope: principal.sites,
          now: service.now(),
          ...(body.resolution !== undefined ? { resolution: body.resolution } : {}),
          ...(body.note !== undefined ? { note: body.note } : {}),
          ...(body.outcome !== undefined ? { outcome: body.outcome } : {}),
        });
        return forCaller(principal, 'incident', withSla(detail));
      },
    );
  }

  const assignBody = z
    .object({
      assignee: z
        .string()
        .regex(/^[a-z0-9-]{1,100}$/, 'expected a contact id ([a-z0-9-]+) or null')
        .nullable()
        .meta({ description: 'a contact id covering the incident\'s site (GET /incidents/{id}/assignees), or null to unassign' }),
    })
    .strict();
  app.post(
    '/incidents/:id/assign',
    {
      config: { permission: 'incidents:act' },
      schema: {
        tags: ['incidents'],
        summary: 'Assign an incident to a person (or unassign it with null)',
        params: paramsJson,
        body: deps.input(z.preprocess((v) => v ?? {}, assignBody)),
        response: { 200: detailJson, ...deps.errors(400, 401, 403, 404, 409) },
      },
    },
    async (request: FastifyRequest) => {
      const { id } = request.params as z.output<typeof params>;
      const { assignee } = request.body as z.output<typeof assignBody>;
      const principal = principalOf(request);
      const detail = await assignIncident(service, { id, assignee, actor: principal.name, scope: principal.sites, now: service.now() });
      return forCaller(principal, 'incident', withSla(detail));
    },
  );

  app.get(
    '/incidents/:id/assignees',
    {
      schema: {
        tags: ['incidents'],
        summary: 'The people an incident can be assigned to: the configured contacts covering its site',
        params: paramsJson,
        response: { 200: deps.output(z.object({ items: z.array(z.object({ id: z.string(), name: z.string(), role: z.string() })), nextCursor: z.null() })), ...deps.errors(400, 401, 404) },
      },
    },
    async (request: FastifyRequest) => {
      const { id } = request.params as z.output<typeof params>;
      const principal = principalOf(request);
      const site = await incidentSite(service.db, id);
      if (!site || (principal.sites && !principal.sites.includes(site))) throw new NotFoundError(`incident ${id}`);
      return { items: assignablePeople(service.config.contacts, site), nextCursor: null };
    },
  );

  app.get(
    '/incidents/:id/veris',
    {
      schema: {
        tags: ['incidents'],
        summary: `The incident as a VERIS ${VERIS_SCHEMA_VERSION} record (VERIS Community schema), for insurers and information-sharing groups`,
        params: paramsJson,
        response: { 200: deps.output(z.looseObject({ schema_version: z.string(), incident_id: z.string() })), ...deps.errors(400, 401, 404) },
      },
    },
    async (request: FastifyRequest) => {
      const { id } = request.params as z.output<typeof params>;
      const principal = principalOf(request);
      const detail = await getIncident(service.db, id, principal.sites, { maxEvents: 0 });
      if (!detail) throw new NotFoundError(`incident ${id}`);
      return toVeris(detail, service.org);
    },
  );

  const noteBody = z.object({ note: noteText.min(1, 'expected a note of at least 1 character').refine((t) => t.trim() !== '', 'expected a note that is not only spaces') }).strict();
  app.post(
    '/incidents/:id/notes',
    {
      config: { permission: 'notes:write' },
      schema: {
        tags: ['incidents'],
        summary: 'Add a case note to an incident\'s timeline',
        params: paramsJson,
        body: deps.input(z.preprocess((v) => v ?? {}, noteBody)),
        response: { 201: deps.output(noteSchema), ...deps.errors(400, 401, 403, 404) },
      },
    },
    async (request: FastifyRequest, reply) => {
      const { id } = request.params as z.output<typeof params>;
      const { note } = request.body as z.output<typeof noteBody>;
      const principal = principalOf(request);
      const added = await addIncidentNote(service, { id, text: note, author: principal.name, scope: principal.sites, now: service.now() });
      return reply.code(201).send(added);
    },
  );
};
