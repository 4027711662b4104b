/**
 * The demo inbox routes on each store, through real HTTP, with the demo's real receivers: an alert
 * reaches the demo's SMS API and SMTP server through the dispatcher, the inbox lists it per
 * recipient, a reply from the lead's phone goes through the signed inbound webhook and acknowledges
 * the incident; permissions and site scopes hold; outside demo mode the paths do not exist.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/api/auth.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { DemoReceivers } from '../src/demo/demo-mode.js';
import { createService, type Service } from '../src/service.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'demo-routes-admin-token';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function until<T>(what: string, fn: () => Promise<T | undefined>, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

for (const store of TEST_STORES) {
  describe(`demo inbox routes (${store.name})`, () => {
    let service: Service;
    let app: FastifyInstance;
    let receivers: DemoReceivers;
    let base: string;
    let drop: () => Promise<void>;

    const call = async (method: string, path: string, body?: unknown, token = ADMIN): Promise<{ status: number; body: Json }> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };

    beforeAll(async () => {
      const fresh = await store.fresh();
      drop = fresh.drop;
      const config = loadDemoConfig();
      // The inbound webhook must check against this data directory's secret, not demo.yaml's.
      config.notify.sms!.authToken = 'integration-secret-not-the-yaml-one';
      receivers = await DemoReceivers.start(config);
      expect(config.notify.sms!.baseUrl).toBe(receivers.sms.url);
      expect(config.notify.email!.url).toBe(receivers.smtp.url);
      service = await createService({ config, ...fresh, adminToken: ADMIN, startRunner: true, startDelivery: true });
      app = await buildServer(service, { demo: receivers });
      base = await app.listen({ port: 0, host: '127.0.0.1' });
      config.publicUrl = base;
      receivers.attach(base);
    });

    afterAll(async () => {
      await app?.close();
      await service?.close();
      await receivers?.stop();
      await drop?.();
    });

    it('delivers the alert to the demo receivers, lists it per recipient, and a reply ACK acknowledges the incident', async () => {
      const posted = await call('POST', '/api/v1/events', {
        source: 'access_control',
        type: 'door_forced',
        sourceEventId: `demo-routes-${store.name}`,
        occurredAt: '2026-11-20T02:14:00-05:00',
        site: 'store-101',
        zone: 'cash-office',
        device: 'cr-101-co',
        assets: ['safe-1'],
      });
      expect(posted.status).toBe(202);
      const incidentId = (await until('the incident', async () => (await call('GET', '/api/v1/incidents?site=store-101')).body.items[0]?.id)) as string;

      // The lead's SMS and the manager's email, as the receivers took them.
      const lead = await until('the SMS to the lead', async () => {
        const r = (await call('GET', '/api/v1/demo/inbox?channel=sms&address=%2B15550000100')).body.items[0];
        return r?.messages.some((m: Json) => m.body.includes(incidentId)) ? r : undefined;
      });
      expect(lead).toMatchObject({ address: '+15550000100', channel: 'sms', name: 'Alex Kim', role: 'security_lead', sites: ['store-101'] });
      const sms = lead.messages.find((m: Json) => m.body.includes(incidentId));
      expect(sms).toMatchObject({ kind: 'sms', direction: 'outbound-api', to: '+15550000100', from: '+15550009999' });
      expect(sms.body).toMatch(/^VIGIL (HIGH|CRITICAL): unauthorized entry at Store 101/);
      expect(sms.replyCode).toMatch(/^[A-Za-z0-9-]{4,12}$/);
      expect(sms.body).toContain(`Reply ACK ${sms.replyCode}`);
      const mail = await until('the email to the manager', async () => {
        const r = (await call('GET', '/api/v1/demo/inbox?channel=email&address=morgan.blake@northwind.example')).body.items[0];
        return r?.messages.find((m: Json) => m.text.includes(incidentId));
      });
      expect(mail).toMatchObject({ kind: 'email', to: 'morgan.blake@northwind.example' });
      expect(mail.subject).toMatch(/unauthorized entry/i);
      expect(mail.messageId).toMatch(/^<.+@.+>$/);
      // The dispatcher recorded the provider's sid: the same message the inbox shows.
      const notifs = (await call('GET', `/api/v1/notifications?incident=${incidentId}&channel=sms`)).body.items;
      expect(notifs.find((n: Json) => n.recipient === '+15550000100' || n.address === '+15550000100')).toBeTruthy();
      const everyone = (await call('GET', '/api/v1/demo/inbox')).body.items;
      expect(everyone.map((r: Json) => r.lastAt)).toEqual([...everyone.map((r: Json) => r.lastAt)].sort().reverse());

      // The lead replies from the inbox: the webhook checks the signature and acknowledges.
      const reply = await call('POST', '/api/v1/demo/sms/reply', { from: '+15550000100', body: `ACK ${sms.replyCode}` });
      expect(reply.status).toBe(200);
      expect(reply.body.webhookStatus).toBe(200);
      expect(reply.body.answer).toBe('Vigil: incident acknowledged by Alex Kim. Thank you.');
      const inc = (await call('GET', `/api/v1/incidents/${incidentId}`)).body;
      expect(inc.status).toBe('acknowledged');
      expect(inc.acknowledgedBy).toBe('Alex Kim (sms)');
      const convo = (await call('GET', '/api/v1/demo/inbox?channel=sms&address=%2B15550000100')).body.items[0].messages;
      expect(convo[0]).toMatchObject({ direction: 'outbound-reply', body: reply.body.answer });
      expect(convo[1]).toMatchObject({ direction: 'inbound', from: '+15550000100', body: `ACK ${sms.replyCode}` });
      // Again: already acknowledged.
      expect((await call('POST', '/api/v1/demo/sms/reply', { from: '+15550000100', body: `ACK ${sms.replyCode}` })).body.answer).toMatch(/already acknowledged/);

      // The guard sent on patrol acknowledges the order the same way.
      const order = await until('the patrol order to a guard', async () => {
        const r = (await call('GET', '/api/v1/demo/inbox?channel=sms')).body.items.find((x: Json) => x.role === 'guard');
        return r?.messages.find((m: Json) => m.body.startsWith('VIGIL PATROL')) ? r : undefined;
      });
      const code = order.messages.find((m: Json) => m.body.startsWith('VIGIL PATROL')).replyCode;
      const ack = await call('POST', '/api/v1/demo/sms/reply', { from: order.address, body: `ACK ${code}` });
      expect(ack.body.answer).toMatch(/^Vigil: patrol \S+ acknowledged\. Reply ENROUTE \S+ when you leave\.$/);
      const patrol = (await call('GET', `/api/v1/patrols?incident=${incidentId}`)).body.items[0];
      expect(patrol.status).toBe('acknowledged');
    });

    it('refuses bad replies with a 400 naming the field, and phones that got nothing with a 404', async () => {
      const bad = await call('POST', '/api/v1/demo/sms/reply', { from: 'alex', body: '' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.map((d: Json) => d.path).sort()).toEqual(['body', 'from']);
      expect((await call('POST', '/api/v1/demo/sms/reply', { from: '+15550000999', body: 'ACK 1234' })).status).toBe(404);
      expect((await call('GET', '/api/v1/demo/inbox?limit=0')).status).toBe(400);
    });

    it('needs people:read to read and incidents:act to reply; a site-scoped token sees and speaks for its sites only', async () => {
      const guard = await createApiToken(service.db, { name: `g-${store.name}`, role: 'guard', sites: ['store-101'] });
      expect((await call('GET', '/api/v1/demo/inbox', undefined, guard.token)).status).toBe(403);
      expect((await call('GET', '/api/v1/demo', undefined, guard.token)).body).toMatchObject({ enabled: true, inbox: false });
      const auditor = await createApiToken(service.db, { name: `a-${store.name}`, role: 'auditor' });
      expect((await call('GET', '/api/v1/demo/inbox', undefined, auditor.token)).status).toBe(200);
      expect((await call('POST', '/api/v1/demo/sms/reply', { from: '+15550000100', body: 'ACK 1234' }, auditor.token)).status).toBe(403);
      const dcLead = await createApiToken(service.db, { name: `dc-${store.name}`, role: 'security_lead', sites: ['dc-201'] });
      const seen = (await call('GET', '/api/v1/demo/inbox', undefined, dcLead.token)).body.items;
      expect(seen.every((r: Json) => r.sites.includes('dc-201'))).toBe(true);
      expect(seen.some((r: Json) => r.address === '+15550000100')).toBe(false);
      expect((await call('POST', '/api/v1/demo/sms/reply', { from: '+15550000100', body: 'ACK 1234' }, dcLead.token)).status).toBe(404);
      expect((await call('GET', '/api/v1/demo/inbox', undefined, 'wrong')).status).toBe(401);
    });
  });
}

describe('outside demo mode', () => {
  let service: Service;
  let app: FastifyInstance;
  beforeAll(async () => {
    service = await createService({ config: loadDemoConfig(), dataDir: 'memory://', adminToken: ADMIN });
    app = await buildServer(service);
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('has no demo inbox: GET /api/v1/demo says so, the paths under it are 404', async () => {
    const status = await app.inject({ method: 'GET', url: '/api/v1/demo', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(status.json()).toEqual({ enabled: false });
    expect((await app.inject({ method: 'GET', url: '/api/v1/demo/inbox', headers: { authorization: `Bearer ${ADMIN}` } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/v1/demo/sms/reply', headers: { authorization: `Bearer ${ADMIN}` }, payload: { from: '+15550000100', body: 'ACK 1' } })).statusCode).toBe(404);
  });
});
