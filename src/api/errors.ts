/**
 * THE one error map of the HTTP API (ARCHITECTURE rule 5): the domain's typed errors and
 * Fastify's own errors become an HTTP status and the contract error body
 * `{ error: { code, message, details } }`. Domain errors keep their code and message (an
 * InvalidError's problems are the details); Fastify's errors (body too large, bad JSON, unknown
 * media type, its other client errors) get contract codes; anything else is a logged 500
 * `internal` whose body reveals nothing of the cause.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
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
  414: 'a path segment is too long',
  415: 'unsupported Content-Type',
  503: 'unavailable (overloaded: retry after the Retry-After header\'s seconds)',
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
    const { status, body } = toHttpError(err, request.routeOptions?.bodyLimit ?? bodyLimit);
    // A retryable refusal (an overloaded ingest) is not a server fault: tell the client when to come back.
    if (err instanceof RetryableError) void reply.header('retry-after', String(retryAfterSeconds(err)));
    else if (status >= 500) log.error({ err, method: request.method, url: request.url }, 'request failed');
    // Refused before its body was read: close the connection rather than read (and drop) the rest,
    // so a hostile client cannot keep the socket busy. An overloaded ingest (503) keeps the connection:
    // its clients are legitimate, and Node drops the unread body without holding it.
    if (!request.raw.complete && !(err instanceof RetryableError)) void reply.header('connection', 'close');
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

/** The raw HTTP/1.1 bytes of a contract error answer, for the places that have only a socket. */
export function rawErrorResponse(status: number, message: string): string {
  const body = JSON.stringify({ error: { code: CODE_BY_STATUS[status] ?? 'bad_request', message, details: [] } } satisfies ErrorBody);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Answers on a socket with a contract error and closes it (a request that cannot reach a route any more). */
export function refuseOnSocket(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  if (socket.writable) socket.end(rawErrorResponse(status, message));
  // Whatever the client still sends is not read: the socket goes once the answer is out.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * The server's `clientError` handler: what Node's HTTP parser refuses before Fastify sees a request
 * (a request or its headers that took too long, headers too large, malformed HTTP) answered in the
 * contract shape, and the connection closed.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // An answer already on its way (a refusal while the body still arrives) must not be followed by another.
  if ((socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') refuseOnSocket(socket, 408, 'the request did not arrive in time');
  else if (err.code === 'HPE_HEADER_OVERFLOW') refuseOnSocket(socket, 431, 'request headers are too large');
  else if (err.code === 'HPE_URI_TOO_LONG') refuseOnSocket(socket, 414, 'request URI is too long');
  else refuseOnSocket(socket, 400, 'malformed HTTP request');
}
