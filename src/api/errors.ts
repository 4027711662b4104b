/**
 * THE one error map of the HTTP API (ARCHITECTURE rule 5): the domain's typed errors and
 * Fastify's own errors become an HTTP status and the contract error body
 * `{ error: { code, message, details } }`. Domain errors keep their code and message (an
 * InvalidError's problems are the details); Fastify's errors (body too large, bad JSON, unknown
 * media type, its other client errors) get contract codes; anything else is a logged 500
 * `internal` whose body reveals nothing of the cause.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ConflictError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  PayloadTooLargeError,
  PermanentError,
  RetryableError,
  UnauthorizedError,
  VigilError,
} from '../domain/errors.js';
import type { Logger } from '../ops/log.js';
import { toJsonSchema, type JsonSchema } from './schema.js';

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

/** The contract error body, as a value. */
export type ErrorBody = { error: { code: string; message: string; details: unknown[] } };

/** The HTTP status of each domain error class; a VigilError not listed here is an internal error. */
export const STATUS_BY_ERROR: readonly (readonly [new (...args: never[]) => VigilError, number])[] = [
  [InvalidError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [PermanentError, 500],
  [RetryableError, 503],
];

/** Contract codes of the statuses Fastify answers by itself. */
export const CODE_BY_STATUS: Record<number, string> = {
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

const errorJson = toJsonSchema(errorBodySchema, 'output');

/** Response schemas (documentation) of the error statuses a route can answer. */
export function errorResponses(...statuses: number[]): Record<number, JsonSchema> {
  return Object.fromEntries(statuses.map((s) => [s, { ...errorJson, description: STATUS_TEXT[s] ?? 'error' }]));
}

/** The HTTP status of a domain error, or undefined when its class has none (an internal error). */
export function statusOf(e: VigilError): number | undefined {
  return STATUS_BY_ERROR.find(([cls]) => e instanceof cls)?.[1];
}

/** The contract error body of a VigilError. */
export function errorBody(e: VigilError): ErrorBody {
  return { error: { code: e.code, message: e.message, details: e instanceof InvalidError ? e.problems : [] } };
}

const INTERNAL: ErrorBody = { error: { code: 'internal', message: 'internal error; the server log has the details', details: [] } };

/** Maps any error to the HTTP status and contract body; unknown errors become an opaque 500. */
export function toHttpError(err: unknown, bodyLimit: number): { status: number; body: ErrorBody } {
  if (err instanceof VigilError) {
    const status = statusOf(err);
    return status === undefined ? { status: 500, body: INTERNAL } : { status, body: errorBody(err) };
  }
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
  return { status: 500, body: INTERNAL };
}

/** Seconds of the Retry-After header of a retryable refusal (at least 1). */
export function retryAfterSeconds(e: RetryableError): number {
  return Math.max(1, Math.ceil((e.retryAfterMs ?? 1000) / 1000));
}

/**
 * The server's error handler: the status and body of `toHttpError`, a Retry-After header on a
 * retryable refusal, a WWW-Authenticate challenge on 401, and a log line for server faults.
 */
export function httpErrorHandler(log: Logger, bodyLimit: number) {
  return function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const { status, body } = toHttpError(err, bodyLimit);
    // A retryable refusal (an overloaded ingest) is not a server fault: tell the client when to come back.
    if (err instanceof RetryableError) void reply.header('retry-after', String(retryAfterSeconds(err)));
    else if (status >= 500) log.error({ err, method: request.method, url: request.url }, 'request failed');
    if (status === 401) void reply.header('www-authenticate', 'Bearer realm="vigil"');
    void reply.code(status).type('application/json; charset=utf-8').send(body);
  };
}

/** The answer to a request that matches no route: a contract 404. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .code(404)
    .type('application/json; charset=utf-8')
    .send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}`, details: [] } } satisfies ErrorBody);
}
