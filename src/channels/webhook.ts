/**
 * Outbound webhooks: a JSON POST signed with `X-Vigil-Signature: sha256=<hex HMAC-SHA256 of the body>`
 * using the webhook's secret, so the receiver can check it came from us and was not altered.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PermanentError, RetryableError } from '../domain/errors.js';

/** The signature header value for a body. */
export function signBody(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/** Checks a signature header against a body (constant time). */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

/** Posts a signed JSON body; 429/5xx/network errors are retryable, other non-2xx permanent. */
export async function postWebhook(url: string, secret: string, body: string, deliveryId: string): Promise<number> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vigil-signature': signBody(secret, body), 'x-vigil-delivery': deliveryId, 'user-agent': 'Vigil-Webhook/1' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    throw new RetryableError(`webhook unreachable: ${(e as Error).message}`);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status === 429 || res.status >= 500) throw new RetryableError(`webhook answered ${res.status}`);
  if (!res.ok) throw new PermanentError(`webhook refused the delivery (${res.status})`);
  return res.status;
}
