/**
 * The public SMS webhook against slow and oversized requests. It faces the internet, so a request
 * without a signature is refused before its body is read, a body over 64 KiB is refused, and a body
 * that dribbles in and never finishes is cut off; the server-wide request and header timeouts cut off
 * everything else. Memory stays flat and /healthz keeps answering meanwhile.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twilioSignature } from '../src/api/routes/response.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { postHead, rawConnect, rawJson, type RawConnection } from './helpers/raw-http.js';
import { TEST_STORES } from './helpers/stores.js';

const WEBHOOK = '/webhooks/sms/inbound';
const FORM = 'application/x-www-form-urlencoded';

describe.each(TEST_STORES)('SMS webhook limits ($name)', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let url: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: loadDemoConfig(), ...s, adminToken: 'edge-admin' });
    app = await buildServer(service, { timeouts: { webhookBodyTimeoutMs: 1000 } });
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop?.();
  });

  it('refuses a request without X-Twilio-Signature before reading its body', async () => {
    // The headers promise 10,000 bytes that never come: only an answer that does not wait for them arrives.
    const c = await rawConnect(url, postHead(WEBHOOK, { 'content-type': FORM, 'content-length': 10_000 }));
    expect(await c.status()).toBe(403);
    await c.closed;
    expect(rawJson(c.received())).toMatchObject({ error: { code: 'forbidden', message: expect.stringMatching(/X-Twilio-Signature/), details: [] } });
  });

  it('refuses a body over 64 KiB with 413 in the contract shape', async () => {
    const body = `From=%2B15550000100&Body=${'x'.repeat(70_000)}`;
    const res = await fetch(`${url}${WEBHOOK}`, { method: 'POST', headers: { 'content-type': FORM, 'x-twilio-signature': 'bogus' }, body });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: 'payload_too_large', message: 'request body is larger than 65536 bytes', details: [] } });
  });

  it('still acknowledges by a signed SMS reply', async () => {
    const form = { From: '+15550000100', Body: 'hello' };
    const sig = twilioSignature(service.config.notify.sms!.authToken, `${service.config.publicUrl.replace(/\/+$/, '')}${WEBHOOK}`, form);
    const res = await fetch(`${url}${WEBHOOK}`, { method: 'POST', headers: { 'content-type': FORM, 'x-twilio-signature': sig }, body: new URLSearchParams(form).toString() });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('reply ACK');
  });

  it('cuts off a signed-looking body that never finishes', async () => {
    const c = await rawConnect(url, postHead(WEBHOOK, { 'content-type': FORM, 'content-length': 1000, 'x-twilio-signature': 'bogus' }) + 'From=');
    // Dribble a byte every 100 ms, for at most 15 s: the 1 s webhook body deadline must end it long before.
    for (let i = 0; i < 150 && !c.isClosed(); i++) {
      c.socket.write('1');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(c.isClosed()).toBe(true);
    expect(await c.status(1)).toBe(408);
    expect(rawJson(c.received())).toMatchObject({ error: { code: 'request_timeout', details: [] } });
  });

  it('keeps memory flat under 100 slow unsigned bodies, answers /healthz, and closes every connection within its timeout', async () => {
    // A server of its own with a 3 s request timeout and a 2 s header timeout.
    const slow = await buildServer(service, { timeouts: { requestTimeoutMs: 3000, headersTimeoutMs: 2000 } });
    const slowUrl = (await slow.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
    const conns: RawConnection[] = [];
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${slowUrl}/healthz`)).status).toBe(200);
      const before = process.memoryUsage().rss;
      const chunk = 'Body=' + 'x'.repeat(64 * 1024);
      // 100 unsigned requests promising 4.9 MB each, sending 2 MiB at once and then a byte at a time.
      for (let i = 0; i < 100; i++) {
        const c = await rawConnect(slowUrl, postHead(WEBHOOK, { 'content-type': FORM, 'content-length': 4_900_000 }));
        for (let k = 0; k < 32 && !c.isClosed(); k++) c.socket.write(chunk);
        conns.push(c);
      }
      // 20 requests that never finish their headers, and 20 signed-looking bodies that never finish.
      for (let i = 0; i < 20; i++) conns.push(await rawConnect(slowUrl, `POST ${WEBHOOK} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1`));
      for (let i = 0; i < 20; i++) conns.push(await rawConnect(slowUrl, postHead('/api/v1/events', { 'content-type': 'application/json', 'content-length': 100_000, authorization: 'Bearer edge-admin' }) + '['));
      let peak = before;
      let health = 0;
      // Keep dribbling for at most 20 s (the request timeout is 3 s) while /healthz is asked.
      for (let t = 0; t < 80 && conns.some((c) => !c.isClosed()); t++) {
        for (const c of conns) if (!c.isClosed()) c.socket.write('x');
        const h = await fetch(`${slowUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
        if (h.status === 200) health++;
        peak = Math.max(peak, process.memoryUsage().rss);
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(conns.filter((c) => !c.isClosed()).length).toBe(0);
      expect(health).toBeGreaterThan(0);
      expect(peak - before).toBeLessThan(100 * 1024 * 1024);
      expect((await fetch(`${slowUrl}/healthz`)).status).toBe(200);
    } finally {
      for (const c of conns) c.socket.destroy();
      await slow.close();
    }
  });
});
