/**
 * SMS over the Twilio-compatible REST API (CONTRACT.md): POST {baseUrl}/2010-04-01/Accounts/{sid}/Messages.json
 * with basic auth and form fields To, From, Body. Any gateway that speaks this API works; the base
 * URL is configuration. 2xx with a JSON `sid` is success; 429, 5xx and network errors are
 * retryable; other 4xx are permanent (the reason is kept).
 *
 * A failure after the request may have reached the provider (reset, timeout, a 2xx whose body is
 * cut off or has no sid) is an OutcomeUnknownError: the provider may have taken the message, so the
 * dispatcher settles it against the message list before sending again. A request that never
 * connected (refused, no such host) and any answer with a status (the provider said no) are not.
 */
import { OutcomeUnknownError, PermanentError, RetryableError } from '../domain/errors.js';

export interface TwilioConfig {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
}

export interface SentMessage {
  sid: string;
  to: string;
  body: string;
  dateSent?: string;
  status?: string;
}

/** How long one provider call may take, connection to last byte, before it is abandoned. */
export const SMS_TIMEOUT_MS = 10_000;

/** Socket errors that mean the request never left this machine: sending again cannot duplicate. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ERR_INVALID_URL']);

/** Whether a fetch failure happened before any byte of the request could reach the provider. */
export function neverConnected(e: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (x: unknown): boolean => {
    if (!x || typeof x !== 'object' || seen.has(x)) return false;
    seen.add(x);
    const o = x as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof o.code === 'string' && NOT_SENT_CODES.has(o.code)) return true;
    // Happy eyeballs: every address refused (an AggregateError of refusals).
    if (Array.isArray(o.errors) && o.errors.length > 0 && o.errors.every(walk)) return true;
    return walk(o.cause);
  };
  return walk(e);
}

/** The reason text of a fetch failure, with the socket error's code when there is one. */
function why(e: unknown): string {
  const err = e as { message?: string; name?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return 'timed out';
  return [err?.message, err?.cause?.code ?? err?.cause?.message].filter(Boolean).join(': ');
}

function auth(cfg: TwilioConfig): string {
  return 'Basic ' + Buffer.from(`${cfg.accountSid}:${cfg.authToken}`).toString('base64');
}

function messagesUrl(cfg: TwilioConfig): string {
  return `${cfg.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(cfg.accountSid)}/Messages.json`;
}

/** Reads `Retry-After` (seconds) into milliseconds. */
function retryAfter(res: Response): number | undefined {
  const v = res.headers.get('retry-after');
  const n = v ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n * 1000 : undefined;
}

/** Sends one SMS; returns the provider's message sid. */
export async function sendSms(cfg: TwilioConfig, to: string, body: string, opts: { timeoutMs?: number } = {}): Promise<SentMessage> {
  let res: Response;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? SMS_TIMEOUT_MS);
  try {
    res = await fetch(messagesUrl(cfg), {
      method: 'POST',
      headers: { authorization: auth(cfg), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ To: to, From: cfg.from, Body: body }).toString(),
      signal,
    });
  } catch (e) {
    if (neverConnected(e)) throw new RetryableError(`SMS provider unreachable: ${why(e)}`);
    throw new OutcomeUnknownError(`SMS provider's answer was lost (${why(e)}); the message may have been sent`);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    if (res.ok) throw new OutcomeUnknownError(`SMS provider's answer ${res.status} was cut off (${why(e)}); the message may have been sent`);
    text = '';
  }
  if (res.status === 429 || res.status >= 500) {
    throw new RetryableError(`SMS provider answered ${res.status}: ${text.slice(0, 200)}`, retryAfter(res));
  }
  if (!res.ok) throw new PermanentError(`SMS provider refused the message (${res.status}): ${text.slice(0, 300)}`);
  let json: { sid?: unknown; status?: unknown; date_created?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new OutcomeUnknownError(`SMS provider answered ${res.status} without JSON; the message may have been sent`);
  }
  if (typeof json.sid !== 'string') throw new OutcomeUnknownError(`SMS provider answered ${res.status} without a message sid; the message may have been sent`);
  return { sid: json.sid, to, body, ...(typeof json.status === 'string' ? { status: json.status } : {}) };
}

/**
 * Lists messages sent to `to` on or after `since` (Twilio: GET Messages.json?To=...&DateSent>=YYYY-MM-DD).
 * Used to settle an ambiguous send after a crash: did the provider get it or not?
 */
export async function listSentSms(cfg: TwilioConfig, to: string, since: Date): Promise<SentMessage[]> {
  const url = new URL(messagesUrl(cfg));
  url.searchParams.set('To', to);
  url.searchParams.set('DateSent>', since.toISOString().slice(0, 10));
  url.searchParams.set('PageSize', '200');
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: auth(cfg), accept: 'application/json' }, signal: AbortSignal.timeout(SMS_TIMEOUT_MS) });
  } catch (e) {
    throw new RetryableError(`SMS provider unreachable for the message list: ${why(e)}`);
  }
  if (res.status === 429 || res.status >= 500) throw new RetryableError(`SMS provider answered ${res.status} to the message list`);
  if (!res.ok) throw new PermanentError(`SMS provider refused the message list (${res.status})`);
  let json: { messages?: { sid: string; to: string; body: string; date_sent?: string; date_created?: string; status?: string }[] };
  try {
    json = (await res.json()) as typeof json;
  } catch (e) {
    throw new RetryableError(`SMS provider's message list could not be read: ${why(e)}`);
  }
  return (json.messages ?? []).map((m) => ({ sid: m.sid, to: m.to, body: m.body, dateSent: m.date_sent ?? m.date_created, status: m.status }));
}
