/**
 * The typed errors that domain, store and adapters throw. One handler at each edge (HTTP, CLI)
 * maps them to a status code or exit code; anything else is an internal error.
 */

/** One problem with an input: where it is, what is wrong, and (optionally) what was expected. */
export interface Problem {
  /** Dotted path to the field, e.g. "events[3].occurredAt" or "sites[0].zones[1].polygon". */
  path: string;
  message: string;
  /** 1-based row or line number in a file or NDJSON body, when there is one. */
  row?: number;
}

/** Base class: `code` is the stable machine-readable name used in API error bodies. */
export class VigilError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: unknown[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input does not validate; `problems` lists every problem found, not just the first. */
export class InvalidError extends VigilError {
  constructor(readonly problems: Problem[], message?: string) {
    super('invalid', message ?? summarizeProblems(problems), 400, problems);
  }
}

export class NotFoundError extends VigilError {
  constructor(what: string) {
    super('not_found', `${what} not found`, 404);
  }
}

export class ConflictError extends VigilError {
  constructor(message: string) {
    super('conflict', message, 409);
  }
}

export class UnauthorizedError extends VigilError {
  constructor(message = 'a valid bearer token is required') {
    super('unauthorized', message, 401);
  }
}

export class ForbiddenError extends VigilError {
  constructor(message: string) {
    super('forbidden', message, 403);
  }
}

export class PayloadTooLargeError extends VigilError {
  constructor(limitBytes: number) {
    super('payload_too_large', `request body is larger than ${limitBytes} bytes`, 413);
  }
}

/** A failure that may succeed if tried again later (timeouts, 5xx, 429, lock contention). */
export class RetryableError extends VigilError {
  constructor(message: string, readonly retryAfterMs?: number) {
    super('retryable', message, 503);
  }
}

/** A failure that will not go away by retrying (4xx from a provider, bad data). */
export class PermanentError extends VigilError {
  constructor(message: string) {
    super('permanent', message, 500);
  }
}

/** Formats problems into one line each: "row 3, events[3].occurredAt: expected ...". */
export function formatProblem(p: Problem): string {
  return `${p.row !== undefined ? `row ${p.row}, ` : ''}${p.path ? p.path + ': ' : ''}${p.message}`;
}

function summarizeProblems(problems: Problem[]): string {
  if (problems.length === 0) return 'invalid input';
  const first = formatProblem(problems[0]);
  return problems.length === 1 ? first : `${problems.length} problems; first: ${first}`;
}
