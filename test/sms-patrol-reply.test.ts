/**
 * A guard runs a whole patrol by SMS reply: ACK, ENROUTE, ONSITE and DONE followed by the code in
 * the patrol order (the last six characters of the patrol id), through the signed inbound webhook,
 * on both stores. A stage the lifecycle does not allow is answered, not applied; a code of another
 * guard's patrol does nothing.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { FastifyInstance } from 'fastify';
import { twilioSignature } from '../src/api/routes/response.js';
import { buildServer } from '../src/api/server.js';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { TwilioReceiver } from './helpers/receivers.js';
import { TEST_STORES } from './helpers/stores.js';

const twilio = new TwilioReceiver();
beforeAll(() => twilio.start());
afterAll(() => twilio.stop());

function config() {
  const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
  doc.notify = { sms: { provider: 'twilio', baseUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15550009999' } };
  doc.publicUrl = 'http://vigil.test';
  return parseConfig(doc);
}

describe.each(TEST_STORES)('patrol by SMS reply on $name', (store) => {
  let service: Service | undefined;
  let app: FastifyInstance | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await app?.close();
    await service?.close();
    await drop?.();
    app = service = undefined;
  });

  it('acknowledge, en route, on site, complete, each by one reply', async () => {
    const s = await store.fresh();
    drop = s.drop;
    const clock = new Date('2026-11-20T07:14:30Z');
    service = await createService({ config: config(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, now: () => clock, adminToken: 'sms-reply-admin' });
    const r = await service.pipeline.ingest([
      { source: 'access_control', type: 'door_forced', sourceEventId: 'sms-door-1', occurredAt: '2026-11-20T07:14:00Z', site: 'store-101', zone: 'cash-office', details: {}, assets: ['safe-1'] },
    ]);
    const incident = r.incidentsOpened[0];
    for (let i = 0; i < 5; i++) {
      await service.runner.drain();
      await service.dispatcher.drain();
    }
    const patrol = (await service.db.query<{ id: string; guard_id: string }>(`SELECT id, guard_id FROM patrols WHERE incident_id = $1 AND kind = 'response'`, [incident])).rows[0];
    expect(patrol).toBeTruthy();
    const guard = service.config.sites.flatMap((x) => x.guards).find((g) => g.id === patrol.guard_id)!;
    const other = service.config.sites.flatMap((x) => x.guards).find((g) => g.id !== patrol.guard_id)!;
    const code = patrol.id.slice(-6);
    // The patrol order names the code.
    expect(twilio.to(guard.phone).map((m) => m.body).join('\n')).toContain(`ACK ${code}`);

    app = await buildServer(service);
    const send = async (from: string, body: string) => {
      const form = { From: from, Body: body };
      const res = await app!.inject({
        method: 'POST',
        url: '/webhooks/sms/inbound',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(twilio.authToken, 'http://vigil.test/webhooks/sms/inbound', form) },
        payload: new URLSearchParams(form).toString(),
      });
      expect(res.statusCode).toBe(200);
      return res.body;
    };
    const status = async () => (await service!.db.query<{ status: string }>('SELECT status FROM patrols WHERE id = $1', [patrol.id])).rows[0].status;

    // Another guard's phone cannot move this patrol.
    expect(await send(other.phone, `DONE ${code}`)).toContain('no patrol under way');
    expect(await status()).toBe('assigned');
    // Each stage in turn; a stage already passed is answered, not applied.
    expect(await send(guard.phone, `ack ${code}`)).toContain('acknowledged. Reply ENROUTE');
    expect(await status()).toBe('acknowledged');
    expect(await send(guard.phone, `en route ${code}`)).toContain('en route. Reply ONSITE');
    expect(await status()).toBe('en_route');
    expect(await send(guard.phone, `ACK ${code}`)).toContain('is en route already');
    expect(await status()).toBe('en_route');
    expect(await send(guard.phone, `On Site ${code}`)).toContain('on site. Reply DONE');
    expect(await status()).toBe('on_site');
    expect(await send(guard.phone, `done ${code}`)).toContain('completed');
    expect(await status()).toBe('completed');
    // Finished: nothing is under way any more.
    expect(await send(guard.phone, `DONE ${code}`)).toContain('no patrol under way');
    expect(await send(guard.phone, 'hello')).toContain('ENROUTE, ONSITE or DONE');

    // Every stage is in the audit log, by the guard's number.
    const audit = (await service.db.query<{ action: string; actor: string }>(`SELECT action, actor FROM audit_log WHERE action LIKE 'patrol.%' ORDER BY seq`)).rows;
    expect(audit.map((a) => a.action)).toEqual(['patrol.acknowledge', 'patrol.en-route', 'patrol.on-site', 'patrol.complete']);
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set([`sms:${guard.phone}`]));
  }, 60_000);
});
