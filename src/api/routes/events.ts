/**
 * Events: `POST /api/v1/events` (ingest: one event, an array, or NDJSON; all or nothing) and
 * `GET /api/v1/events` (the stored event log, newest first, keyset-paginated).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidError, type Problem } from '../../domain/errors.js';
import { SOURCES, type SecurityEvent } from '../../domain/types.js';
import { validateEvents, type KnownRefs } from '../../sources/event-input.js';
import { parseNdjsonText } from '../../sources/ndjson-file.js';
import { listEvents } from '../../store/read/events.js';
import type { AdmissionTicket } from '../admission.js';
import { assertSites, principalOf } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';
import { EVENT_ITEM_SCHEMA } from '../schemas.js';

/** Most events one request may carry; larger batches belong in several requests or `vigil ingest`. */
export const MAX_EVENTS_PER_REQUEST = 10_000;

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson']);

/** A request body as raw items, with the path prefix and row of each item for problem reports. */
interface RawBatch {
  raws: unknown[];
  pathOf: (i: number) => string;
  rowOf: (i: number) => number | undefined;
  /** Problems found before validation (NDJSON lines that are not JSON). */
  problems: Problem[];
}

/** Splits a request body into raw events: NDJSON text, a JSON array, or one JSON object. */
export function readBatch(body: unknown, mediaType: string | undefined): RawBatch {
  if (mediaType !== undefined && NDJSON_TYPES.has(mediaType.toLowerCase())) {
    const { raws, lines, problems } = parseNdjsonText(typeof body === 'string' ? body : '');
    return { raws, pathOf: () => '', rowOf: (i) => lines[i], problems };
  }
  if (Array.isArray(body)) return { raws: body, pathOf: (i) => `[${i}]`, rowOf: () => undefined, problems: [] };
  if (typeof body === 'object' && body !== null) return { raws: [body], pathOf: () => '', rowOf: () => undefined, problems: [] };
  throw new InvalidError([
    {
      path: '',
      message:
        body === undefined
          ? 'expected a body: one event (JSON object), an array of events, or NDJSON (Content-Type: application/x-ndjson)'
          : `expected one event (JSON object) or an array of events, got ${body === null ? 'null' : typeof body}`,
    },
  ]);
}

/**
 * Validates a batch, reporting NDJSON parse problems, event problems and (with `refs`) unknown
 * sites and zones together, in line order.
 */
export function validateBatch(batch: RawBatch, refs?: KnownRefs): SecurityEvent[] {
  const count = batch.raws.length + batch.problems.length;
  if (count > MAX_EVENTS_PER_REQUEST) {
    throw new InvalidError([{ path: '', message: `expected at most ${MAX_EVENTS_PER_REQUEST} events per request, got ${count}; split the batch` }]);
  }
  if (count === 0) throw new InvalidError([{ path: '', message: 'expected at least one event' }]);
  let problems = [...batch.problems];
  let events: SecurityEvent[] = [];
  try {
    events = validateEvents(batch.raws, { pathOf: batch.pathOf, rowOf: batch.rowOf, refs });
  } catch (e) {
    if (e instanceof InvalidError) problems.push(...e.problems);
    // JSON.stringify of an absurdly nested `details` overflows the stack inside validation.
    else if (e instanceof RangeError) problems.push({ path: '', message: 'input is nested too deeply; expected `details` of at most 8 levels' });
    else throw e;
  }
  if (problems.length > 0) {
    problems = problems.map((p, k) => ({ p, k })).sort((a, b) => (a.p.row ?? 0) - (b.p.row ?? 0) || a.k - b.k).map((x) => x.p);
    throw new InvalidError(problems);
  }
  return events;
}

const eventInputDoc = z
  .object({
    source: z.enum(SOURCES),
    type: z.string(),
    sourceEventId: z.string().optional().meta({ description: 'makes delivery idempotent per (source, sourceEventId)' }),
    occurredAt: z.string().meta({ description: 'ISO 8601 with offset' }),
    site: z.string(),
    zone: z.string().optional(),
    device: z.string().optional(),
    badge: z.string().optional(),
    assets: z.array(z.string()).optional(),
    amount: z.object({ value: z.union([z.string(), z.number()]), currency: z.string() }).optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** The admission ticket of each ingest request in flight. */
const tickets = new WeakMap<FastifyRequest, AdmissionTicket>();

/** Event routes. */
export const eventRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service, query: Q } = deps;

  const ingestResult = z.object({
    accepted: z.number().int(),
    duplicates: z.number().int(),
    ids: z.array(z.string()).meta({ description: 'event ids in input order (existing ids for duplicates)' }),
  });

  const { admission } = deps;
  // Only JSON and NDJSON are events: a text/plain body is 415, not parsed as something else.
  app.removeContentTypeParser('text/plain');

  app.post(
    '/events',
    {
      config: { permission: 'events:write' },
      // Admission from the first byte: refused (503) before the body is read while too much is in flight.
      onRequest: async (request, reply) => {
        const ticket = admission.admit(Number(request.headers['content-length'] ?? 0));
        tickets.set(request, ticket);
        reply.raw.once('close', () => ticket.release());
      },
      // Bodies that declare no length (or less than they send) are counted as their bytes arrive.
      preParsing: async (request, _reply, payload) => {
        const ticket = tickets.get(request);
        return ticket ? payload.pipe(admission.counter(ticket)) : payload;
      },
      schema: {
        tags: ['events'],
        summary: 'Ingest events (all or nothing per request)',
        description: `One event, a JSON array, or NDJSON (one event per line). At most ${MAX_EVENTS_PER_REQUEST} events. The same (source, sourceEventId) is stored once.`,
        body: {
          content: {
            'application/json': { schema: { oneOf: [deps.output(eventInputDoc), { type: 'array', items: deps.output(eventInputDoc), maxItems: MAX_EVENTS_PER_REQUEST }] } },
            'application/x-ndjson': { schema: { type: 'string', description: 'one JSON event per line' } },
          },
        },
        response: { 202: deps.output(ingestResult), ...deps.errors(400, 401, 403, 413, 415, 503) },
      },
    },
    async (request: FastifyRequest, reply) => {
      tickets.get(request)?.markReady();
      const principal = principalOf(request);
      // Decoding and validating take their turn (admission.cpu): a few ms of it per turn of the
      // event loop, so a burst of bodies does not hold /healthz and new connections.
      const batch = await admission.cpu(() => readBatch(request.body, request.mediaType));
      let events: SecurityEvent[];
      try {
        events = await admission.cpu(() => validateBatch(batch, { ...service.pipeline.refs, ...(principal.sites ? { scope: principal.sites } : {}) }));
      } catch (e) {
        // All or nothing: every event of a refused request counts as rejected.
        if (e instanceof InvalidError) service.metrics.eventsRejected.inc(batch.raws.length + batch.problems.length);
        throw e;
      }
      assertSites(principal, events.map((e) => e.site));
      admission.checkEvents(events.length);
      const r = await service.pipeline.ingest(events);
      return reply.code(202).send({ accepted: r.accepted, duplicates: r.duplicates, ids: r.ids });
    },
  );

  const listQuery = z
    .object({
      source: Q.list('sources', SOURCES),
      type: Q.list('event types'),
      site: Q.list('site ids'),
      zone: Q.list('zone ids'),
      from: Q.instant('occurred at or after (ISO 8601 with offset)'),
      to: Q.instant('occurred before (ISO 8601 with offset)'),
      limit: Q.limit(500, 50),
      cursor: Q.cursor(),
    })
    .strict();

  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'The stored event log, newest first',
        querystring: deps.input(listQuery),
        response: { 200: deps.output(z.object({ items: z.array(EVENT_ITEM_SCHEMA), nextCursor: z.string().nullable() })), ...deps.errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof listQuery>;
      return listEvents(
        service.db,
        { sources: q.source, types: q.type, sites: q.site, zones: q.zone, from: q.from, to: q.to, limit: q.limit, cursor: q.cursor },
        principalOf(request).sites,
      );
    },
  );
};
