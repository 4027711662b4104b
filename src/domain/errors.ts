/**
 * The typed errors that domain, store and adapters throw. They say WHAT went wrong, never how an
 * edge reports it: the HTTP status of each class is decided in api/errors.ts, the exit code in
 * cli/common.ts. Anything that is not one of these is an internal error at both edges.
 */

/** One problem with an input: where it is, what is wrong, and (optionally) what was expected. */
export interface Problem {
  /** Dotted path to the field, e.g. "events[3].occurredAt" or "sites[0].zones[1].polygon". */
  path: string;
  message: string;
  /** 1-based row or line number in a file or NDJSON body, when there is one. */
  row?: number;
}

/**
 * Base class. `code` is the stable machine-readable name of the kind of failure (`invalid`,
 * `not_found`, ...), the same whoever reads it (the API's error body, logs, scripts).
 */
export class VigilError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input does not validate; `problems` lists every problem found, not just the first. */
export class InvalidError extends VigilError {
  constructor(readonly problems: Problem[], message?: string) {
    super('invalid', message ?? summarizeProblems(problems));
  }
}

/** The thing asked for does not exist (or is outside the caller's sites, which must not be revealed). */
export class NotFoundError extends VigilError {
  constructor(what: string) {
    super('not_found', `${what} not found`);
  }
}

/**
 * The request is valid but conflicts with the current state (an illegal lifecycle transition, a
 * store held by another process). `allowed`, when given, lists what may be done instead.
 */
export class ConflictError extends VigilError {
  constructor(message: string, readonly allowed?: readonly string[]) {
    super('conflict', message);
  }
}

/** The caller did not prove who they are. */
export class UnauthorizedError extends VigilError {
  constructor(message = 'a valid bearer token is required') {
    super('unauthorized', message);
  }
}

/** The caller is known but may not do this (role or site scope). */
export class ForbiddenError extends VigilError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** An input is larger than the limit that applies to it. */
export class PayloadTooLargeError extends VigilError {
  constructor(limitBytes: number) {
    super('payload_too_large', `request body is larger than ${limitBytes} bytes`);
  }
}

/** A failure that may succeed if tried again later (timeouts, 5xx, 429, lock contention). */
export class RetryableError extends VigilError {
  constructor(message: string, readonly retryAfterMs?: number) {
    super('retryable', message);
  }
}

/**
 * A retryable failure after the request may have reached the provider (the connection was reset or
 * timed out before its answer arrived): the message may have gone out. Whoever tries again must
 * first find out whether it did (the SMS provider's message list) instead of sending it again.
 */
export class OutcomeUnknownError extends RetryableError {
  readonly outcomeUnknown = true;
}

/** A failure that will not go away by retrying (4xx from a provider, bad data). */
export class PermanentError extends VigilError {
  constructor(message: string) {
    super('permanent', message);
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
