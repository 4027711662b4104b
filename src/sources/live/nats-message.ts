/**
 * What one JetStream message means to Vigil, without any I/O: its body decoded into events with
 * the same validation (and the same problems) as `POST /api/v1/events`, a stable sourceEventId for
 * every event so a redelivered message is a duplicate in the store, the dead-letter envelope of a
 * refused message, and what to do after a failure that is not the message's fault.
 *
 * A message body is one event (a JSON object), a JSON array of events, or NDJSON (one event per
 * line). A message is all or nothing, like an HTTP request: one invalid event refuses the message.
 */
import { InvalidError, type Problem } from '../../domain/errors.js';
import type { SecurityEvent } from '../../domain/types.js';
import { validateEvents, type KnownRefs } from '../event-input.js';
import { parseNdjsonText } from '../ndjson-file.js';

/** Most events one message may carry (a NATS message is at most 1 MiB by default anyway). */
export const MAX_EVENTS_PER_MESSAGE = 1000;

/** Where a message sits in its stream: what makes its fallback event ids stable across redeliveries. */
export interface MessagePlace {
  stream: string;
  /** The message's sequence in the stream (the same on every delivery). */
  streamSequence: number;
}

/** A decoded message: its events, or the problems that refuse it (and how many items it held). */
export type DecodedMessage = { events: SecurityEvent[] } | { problems: Problem[]; items: number };

const BODY_EXPECTED = 'expected one event (JSON object), a JSON array of events, or NDJSON (one event per line)';

/**
 * Decodes and validates a message body. An event without a sourceEventId gets
 * `nats-<stream>-<sequence>` (with `-<n>` for the n-th event of a message carrying several), so a
 * redelivery of the same stream message is stored once.
 */
export function decodeMessage(data: Uint8Array, place: MessagePlace, refs?: KnownRefs): DecodedMessage {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return { problems: [{ path: '', message: `the body is not UTF-8 text; ${BODY_EXPECTED}` }], items: 1 };
  }
  text = text.replace(/^\uFEFF/, '');
  if (text.trim() === '') return { problems: [{ path: '', message: `the body is empty; ${BODY_EXPECTED}` }], items: 1 };

  let raws: unknown[];
  let pathOf: (i: number) => string;
  let rowOf: (i: number) => number | undefined = () => undefined;
  const problems: Problem[] = [];
  let parsed: unknown;
  let jsonError: string | undefined;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    jsonError = (e as Error).message;
  }
  if (jsonError === undefined) {
    if (Array.isArray(parsed)) {
      raws = parsed;
      pathOf = (i) => `[${i}]`;
    } else if (typeof parsed === 'object' && parsed !== null) {
      raws = [parsed];
      pathOf = () => '';
    } else {
      return { problems: [{ path: '', message: `${BODY_EXPECTED}, got ${parsed === null ? 'null' : typeof parsed}` }], items: 1 };
    }
  } else if (text.trim().includes('\n')) {
    const nd = parseNdjsonText(text);
    raws = nd.raws;
    pathOf = () => '';
    rowOf = (i) => nd.lines[i];
    problems.push(...nd.problems);
  } else {
    return { problems: [{ path: '', message: `expected a JSON value: ${jsonError}` }], items: 1 };
  }
  const items = raws.length + problems.length;
  if (items === 0) return { problems: [{ path: '', message: 'expected at least one event' }], items: 1 };
  if (items > MAX_EVENTS_PER_MESSAGE) {
    return { problems: [{ path: '', message: `expected at most ${MAX_EVENTS_PER_MESSAGE} events per message, got ${items}; split it` }], items };
  }
  let events: SecurityEvent[] = [];
  try {
    events = validateEvents(raws, { pathOf, rowOf, ...(refs ? { refs } : {}) });
  } catch (e) {
    if (e instanceof InvalidError) problems.push(...e.problems);
    // JSON.stringify of an absurdly nested `details` overflows the stack inside validation.
    else if (e instanceof RangeError) problems.push({ path: '', message: 'input is nested too deeply; expected `details` of at most 8 levels' });
    else throw e;
  }
  if (problems.length > 0) {
    problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    return { problems, items };
  }
  const several = events.length > 1;
  events.forEach((e, i) => {
    if (e.sourceEventId === undefined) e.sourceEventId = fallbackEventId(place, several ? i + 1 : undefined);
  });
  return { events };
}

/** The sourceEventId of an event that came without one: its stream message's place. */
export function fallbackEventId(place: MessagePlace, n?: number): string {
  return `nats-${place.stream}-${place.streamSequence}${n === undefined ? '' : `-${n}`}`;
}

/** Why a message went to the dead-letter subject. */
export type DeadLetterReason = 'invalid' | 'failed';

/** The facts of a refused message that its dead letter carries. */
export interface DeadLetterFacts extends MessagePlace {
  reason: DeadLetterReason;
  /** Validation problems (reason `invalid`), as the HTTP API would list them. */
  problems: Problem[];
  /** The last error (reason `failed`). */
  error?: string;
  subject: string;
  consumer: string;
  deliveryCount: number;
  /** When it was dead-lettered (ISO 8601 UTC). */
  at: string;
  data: Uint8Array;
}

/**
 * The dead letter's JSON body: why, the problems, where the message was, and the original payload
 * (as text when it is UTF-8, else base64), so it can be mended and published again.
 */
export function deadLetterBody(f: DeadLetterFacts): string {
  let payload: string | undefined;
  try {
    payload = new TextDecoder('utf-8', { fatal: true }).decode(f.data);
  } catch {
    payload = undefined;
  }
  return JSON.stringify({
    reason: f.reason,
    problems: f.problems,
    ...(f.error !== undefined ? { error: f.error } : {}),
    stream: f.stream,
    streamSequence: f.streamSequence,
    subject: f.subject,
    consumer: f.consumer,
    deliveryCount: f.deliveryCount,
    deadLetteredAt: f.at,
    ...(payload !== undefined ? { payload } : { payloadBase64: Buffer.from(f.data).toString('base64') }),
  });
}

/** The message id of a dead letter: a dead letter published again after a crash is dropped by its stream. */
export function deadLetterMsgId(place: MessagePlace): string {
  return `dead-letter-${place.stream}-${place.streamSequence}`;
}

/** What to do with a message whose events could not be stored for a reason of the store's. */
export type FailureAction = { action: 'retry'; delayMs: number } | { action: 'dead-letter' };

/** Longest wait before a failed message is delivered again (ms). */
export const MAX_RETRY_DELAY_MS = 60_000;

/**
 * After a delivery failed for another reason than validation: deliver it again after 1 s, 2 s,
 * 4 s ... (at most MAX_RETRY_DELAY_MS), until it has been delivered `maxDeliver` times; then it
 * goes to the dead-letter subject with the last error.
 */
export function afterFailure(deliveryCount: number, maxDeliver: number): FailureAction {
  if (deliveryCount >= maxDeliver) return { action: 'dead-letter' };
  return { action: 'retry', delayMs: Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** Math.max(0, deliveryCount - 1)) };
}
