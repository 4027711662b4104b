import { describe, expect, it } from 'vitest';
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
import { retryAfterSeconds, toHttpError } from './errors.js';

describe('the HTTP error map', () => {
  it('gives each domain error class its status and keeps its code and message', () => {
    const cases: [VigilError, number, string][] = [
      [new InvalidError([{ path: 'a', message: 'bad' }]), 400, 'invalid'],
      [new UnauthorizedError(), 401, 'unauthorized'],
      [new ForbiddenError('no'), 403, 'forbidden'],
      [new NotFoundError('incident x'), 404, 'not_found'],
      [new ConflictError('busy'), 409, 'conflict'],
      [new PayloadTooLargeError(10), 413, 'payload_too_large'],
      [new PermanentError('gone'), 500, 'permanent'],
      [new RetryableError('later', 2500), 503, 'retryable'],
    ];
    for (const [e, status, code] of cases) {
      expect(toHttpError(e, 1024), e.name).toEqual({ status, body: { error: { code, message: e.message, details: e instanceof InvalidError ? e.problems : [] } } });
    }
  });

  it('lists every problem of an InvalidError as details', () => {
    const problems = [{ path: 'a', message: 'x' }, { path: 'b', message: 'y', row: 2 }];
    expect(toHttpError(new InvalidError(problems), 1024).body.error.details).toEqual(problems);
  });

  it('turns unknown errors, and domain errors without a status, into an opaque 500', () => {
    const internal = { status: 500, body: { error: { code: 'internal', message: 'internal error; the server log has the details', details: [] } } };
    expect(toHttpError(new Error('secret at 10.0.0.7'), 1024)).toEqual(internal);
    expect(toHttpError(new VigilError('odd', 'secret'), 1024)).toEqual(internal);
  });

  it("maps Fastify's own errors to contract codes", () => {
    expect(toHttpError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 2048)).toEqual({ status: 413, body: { error: { code: 'payload_too_large', message: 'request body is larger than 2048 bytes', details: [] } } });
    expect(toHttpError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415, message: 'Unsupported Media Type: text/plain' }, 1).status).toBe(415);
    expect(toHttpError({ code: 'FST_ERR_X', statusCode: 405, message: 'nope' }, 1).body.error.code).toBe('method_not_allowed');
  });

  it('asks a client to retry after whole seconds, at least one', () => {
    expect(retryAfterSeconds(new RetryableError('x', 2500))).toBe(3);
    expect(retryAfterSeconds(new RetryableError('x', 10))).toBe(1);
    expect(retryAfterSeconds(new RetryableError('x'))).toBe(1);
  });
});
