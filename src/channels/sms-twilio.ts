/**
 * SMS over the Twilio-compatible REST API (CONTRACT.md): POST {baseUrl}/2010-04-01/Accounts/{sid}/Messages.json
 * with basic auth and form fields To, From, Body. Any gateway that speaks this API works; the base
 * URL is configuration. 2xx with a JSON `sid` is success; 429, 5xx and network errors are
 * retryable; other 4xx are permanent (the reason is kept).
 */
import { PermanentError, RetryableError } from '../domain/errors.js';

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

const TIMEOUT_MS = 10_000;

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
export async function sendSms(cfg: TwilioConfig, to: string, body: string): Promise<SentMessage> {
  let res: Response;
  try {
    res = await fetch(messagesUrl(cfg), {
      method: 'POST',
      headers: { authorization: auth(cfg), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ To: to, From: cfg.from, Body: body }).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    throw new RetryableError(`SMS provider unreachable: ${(e as Error).message}`);
  }
  const text = await res.text().catch(() => '');
  if (res.status === 429 || res.status >= 500) {
    throw new RetryableError(`SMS provider answered ${res.status}: ${text.slice(0, 200)}`, retryAfter(res));
  }
  if (!res.ok) throw new PermanentError(`SMS provider refused the message (${res.status}): ${text.slice(0, 300)}`);
  let json: { sid?: unknown; status?: unknown; date_created?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new RetryableError(`SMS provider answered ${res.status} without JSON`);
  }
  if (typeof json.sid !== 'string') throw new RetryableError(`SMS provider answered ${res.status} without a message sid`);
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
    res = await fetch(url, { headers: { authorization: auth(cfg), accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new RetryableError(`SMS provider unreachable: ${(e as Error).message}`);
  }
  if (res.status === 429 || res.status >= 500) throw new RetryableError(`SMS provider answered ${res.status} to the message list`);
  if (!res.ok) throw new PermanentError(`SMS provider refused the message list (${res.status})`);
  const json = (await res.json()) as { messages?: { sid: string; to: string; body: string; date_sent?: string; date_created?: string; status?: string }[] };
  return (json.messages ?? []).map((m) => ({ sid: m.sid, to: m.to, body: m.body, dateSent: m.date_sent ?? m.date_created, status: m.status }));
}
