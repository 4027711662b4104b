/**
 * Steps 5-7 end to end through real local receivers: a Twilio-compatible SMS API over HTTP, an SMTP
 * server and a webhook endpoint. The clock is controlled so escalation and timeouts are exact.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildServer } from '../src/api/server.js';
import { verifySignature } from '../src/channels/webhook.js';
import { twilioSignature } from '../src/api/routes/response.js';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import type { Config } from '../src/config/schema.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, type Service } from '../src/service.js';
import { enqueue } from '../src/store/notifications.js';
import { validateCap } from './helpers/cap-validate.js';
import { SmtpReceiver, TwilioReceiver, WebhookReceiver } from './helpers/receivers.js';
import { TEST_STORES } from './helpers/stores.js';

const twilio = new TwilioReceiver();
const smtp = new SmtpReceiver();
const hooks = new WebhookReceiver();
const HOOK_SECRET = 'webhook-secret-123';

beforeAll(async () => {
  await Promise.all([twilio.start(), smtp.start(), hooks.start()]);
});
afterAll(async () => {
  await Promise.all([twilio.stop(), smtp.stop(), hooks.stop()]);
});

function config(policy: Record<string, unknown> = {}): Config {
  const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
  doc.notify = {
    sms: { provider: 'twilio', baseUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15550009999' },
    email: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'vigil@test.example' },
    webhooks: [{ url: hooks.url, secret: HOOK_SECRET, kinds: [] }],
  };
  doc.publicUrl = 'http://vigil.test';
  doc.policy = { notify: { retry: { maxAttempts: 5, baseMs: 1000, maxMs: 60000 } }, ...policy };
  return parseConfig(doc);
}

const iso = (s: string) => new Date(s).toISOString();
const door = (id: string, at: string, site = 'store-101', zone = 'cash-office', extra: Partial<SecurityEvent> = {}): SecurityEvent => ({
  source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: iso(at), site, zone, details: {}, ...extra,
});

describe.each(TEST_STORES)('response on $name', (store) => {
  let service: Service | undefined;
  let drop: (() => Promise<void>) | undefined;
  let clock = new Date('2026-11-20T07:14:30Z');
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

  async function start(policy: Record<string, unknown> = {}) {
    const s = await store.fresh();
    drop = s.drop;
    clock = new Date('2026-11-20T07:14:30Z');
    twilio.messages.length = 0;
    twilio.failNext.length = 0;
    smtp.mails.length = 0;
    hooks.deliveries.length = 0;
    service = await createService({ config: config(policy), dataDir: s.dataDir, databaseUrl: s.databaseUrl, now: () => clock, adminToken: 'resp-admin', dispatcher: { random: () => 0.999 } });
    return service;
  }
  /** Runs the workflow and delivers everything due now. */
  async function settle(svc: Service) {
    for (let i = 0; i < 5; i++) {
      await svc.runner.drain();
      await svc.dispatcher.drain();
    }
  }
  afterEach(async () => {
    await service?.close();
    await drop?.();
    service = undefined;
  });

  it('alerts each lead and rapid response once, emails managers and executives, signs the webhook, sends the nearest guard', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([door('r-1', '2026-11-20T02:14:00-05:00', 'store-101', 'cash-office', { device: 'cr-101-co', assets: ['safe-1'] })]);
    const id = r.incidentsOpened[0];
    await settle(svc);
    const inc = (await svc.db.query<{ band: string; ack_code: string }>('SELECT band, ack_code FROM incidents WHERE id = $1', [id])).rows[0];
    expect(inc.band).toBe('critical');
    expect(twilio.to('+15550000100')).toHaveLength(1); // lead-101
    expect(twilio.to('+15550000101')).toHaveLength(1); // rr-101
    const sms = twilio.to('+15550000100')[0].body;
    expect(sms.length).toBeLessThanOrEqual(320);
    expect(sms).toContain('CRITICAL');
    expect(sms).toContain('unauthorized entry');
    expect(sms).toContain('Cash office');
    expect(sms).toContain('02:14 local');
    expect(sms).toContain('Cash safe');
    expect(sms).toContain(`ACK ${inc.ack_code}`);
    // Managers of store-101, and executives because the band is critical.
    const mailTo = smtp.mails.flatMap((m) => m.to).sort();
    expect(mailTo).toEqual(['cfo@northwind.example', 'cso@northwind.example', 'lp-director@northwind.example', 'morgan.blake@northwind.example']);
    const mail = smtp.to('morgan.blake@northwind.example')[0];
    expect(mail.subject).toContain('Unauthorized entry at Store 101');
    expect(mail.raw).toMatch(/text\/plain/);
    expect(mail.raw).toMatch(/text\/html/);
    expect(mail.text).toContain(`http://vigil.test/#incident=${id}`);
    expect(mail.text).toContain('afterHours +15');
    // A signed webhook.
    expect(hooks.deliveries).toHaveLength(1);
    const d = hooks.deliveries[0];
    expect(verifySignature(HOOK_SECRET, d.body, d.headers['x-vigil-signature'] as string)).toBe(true);
    expect(JSON.parse(d.body).incident.id).toBe(id);
    // A patrol to the nearest free guard: guard-101-1 on the sales floor at [15,15], not guard-101-2 at the
    // entrance [3,3]; guard-101-3 by the cash office is off shift.
    const patrols = (await svc.db.query<{ guard_id: string; status: string; target: number[] }>(`SELECT guard_id, status, target FROM patrols WHERE incident_id = $1`, [id])).rows;
    expect(patrols).toHaveLength(1);
    expect(patrols[0].guard_id).toBe('guard-101-1');
    expect(twilio.to('+15550000001')).toHaveLength(1);
    expect(twilio.to('+15550000001')[0].body).toContain('VIGIL PATROL for Sam Ortiz');
    // Nothing else went out: 2 emergency SMS + 1 patrol SMS.
    expect(twilio.messages).toHaveLength(3);
    // The workflow shows it; running the steps again changes nothing.
    const steps = (await svc.db.query<{ step: string; status: string }>(`SELECT step, status FROM workflow_steps WHERE incident_id = $1 ORDER BY ord`, [id])).rows;
    expect(steps.slice(4, 7).map((s) => [s.step, s.status])).toEqual([['send-emergency-sms', 'done'], ['notify-management', 'done'], ['assign-guard-patrol', 'done']]);
    await svc.db.query(`UPDATE workflow_steps SET status = 'pending', next_run_at = $2 WHERE incident_id = $1 AND ord >= 4`, [id, clock]);
    await settle(svc);
    expect(twilio.messages).toHaveLength(3);
    expect(smtp.mails).toHaveLength(4);
    // A corroborating event joins without re-alerting (the band stays critical).
    await svc.pipeline.ingest([{ source: 'alarm', type: 'intrusion', sourceEventId: 'r-2', occurredAt: iso('2026-11-20T02:15:00-05:00'), site: 'store-101', zone: 'cash-office', details: {} }]);
    await settle(svc);
    expect(twilio.messages).toHaveLength(3);
    // The API shows notifications and patrols in the incident, and CAP validates.
    const app = await buildServer(svc);
    try {
      const res = await app.inject({ method: 'GET', url: `/api/v1/incidents/${id}`, headers: { authorization: 'Bearer resp-admin' } });
      const body = res.json();
      expect(body.notifications.map((n: { channel: string; status: string }) => `${n.channel}:${n.status}`).sort()).toEqual([
        'email:sent', 'email:sent', 'email:sent', 'email:sent', 'sms:sent', 'sms:sent', 'sms:sent', 'webhook:sent',
      ]);
      expect(body.patrols[0].guardId).toBe('guard-101-1');
      const cap = await app.inject({ method: 'GET', url: `/api/v1/incidents/${id}/cap`, headers: { authorization: 'Bearer resp-admin' } });
      expect(cap.headers['content-type']).toContain('application/cap+xml');
      expect(await validateCap(cap.body)).toEqual({ valid: true, errors: [] });
      expect(cap.body).toContain('<msgType>Alert</msgType>');
      await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/resolve`, headers: { authorization: 'Bearer resp-admin' }, payload: {} });
      const cancel = await app.inject({ method: 'GET', url: `/api/v1/incidents/${id}/cap`, headers: { authorization: 'Bearer resp-admin' } });
      expect(cancel.body).toContain('<msgType>Cancel</msgType>');
      expect((await validateCap(cancel.body)).valid).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('alerts nobody for a low incident', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([{ source: 'cctv', type: 'loitering', sourceEventId: 'low-1', occurredAt: iso('2026-11-20T14:00:00-05:00'), site: 'store-101', zone: 'entrance', details: {} }]);
    await settle(svc);
    const inc = (await svc.db.query<{ band: string }>('SELECT band FROM incidents WHERE id = $1', [r.incidentsOpened[0]])).rows[0];
    expect(inc.band).toBe('low');
    expect(twilio.messages).toHaveLength(0);
    expect(smtp.mails).toHaveLength(0);
    const steps = (await svc.db.query<{ step: string; status: string; reason: string }>(`SELECT step, status, reason FROM workflow_steps WHERE incident_id = $1 AND ord >= 4 ORDER BY ord`, [r.incidentsOpened[0]])).rows;
    expect(steps[0]).toMatchObject({ status: 'skipped', reason: 'band low is below the SMS threshold (high)' });
    expect(steps[2]).toMatchObject({ status: 'skipped' });
  });

  it('retries a provider that answers 500 twice and delivers once, with three attempts recorded', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([{ source: 'cctv', type: 'loitering', sourceEventId: 'x-1', occurredAt: iso('2026-11-20T14:00:00-05:00'), site: 'store-101', zone: 'entrance', details: {} }]);
    await settle(svc);
    await svc.db.transaction((tx) => enqueue(tx, [{ incidentId: r.incidentsOpened[0], channel: 'sms', kind: 'test', recipient: 'lead-101', address: '+15550000100', body: 'retry me' }], clock));
    twilio.failNext.push(500, 500);
    await svc.dispatcher.drain();
    advance(2_000);
    await svc.dispatcher.drain();
    advance(4_000);
    await svc.dispatcher.drain();
    expect(twilio.posts).toBeGreaterThanOrEqual(3);
    expect(twilio.to('+15550000100').map((m) => m.body)).toEqual(['retry me']);
    const n = (await svc.db.query<{ id: string; status: string; attempts: number }>(`SELECT id, status, attempts FROM notifications WHERE kind = 'test'`)).rows[0];
    expect(n).toMatchObject({ status: 'sent', attempts: 3 });
    const attempts = (await svc.db.query<{ outcome: string }>(`SELECT outcome FROM notification_attempts WHERE notification_id = $1 ORDER BY attempt`, [n.id])).rows;
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'sent']);
  });

  it('fails a notification at once on a 4xx other than 429, with the reason', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([{ source: 'cctv', type: 'loitering', sourceEventId: 'x-2', occurredAt: iso('2026-11-20T14:00:00-05:00'), site: 'store-101', zone: 'entrance', details: {} }]);
    await settle(svc);
    await svc.db.transaction((tx) => enqueue(tx, [{ incidentId: r.incidentsOpened[0], channel: 'sms', kind: 'test', recipient: 'lead-101', address: '+15550000100', body: 'bad number' }], clock));
    twilio.failNext.push(400);
    await svc.dispatcher.drain();
    const n = (await svc.db.query<{ status: string; attempts: number; error: string }>(`SELECT status, attempts, error FROM notifications WHERE kind = 'test'`)).rows[0];
    expect(n).toMatchObject({ status: 'failed', attempts: 1 });
    expect(n.error).toContain('400');
  });

  it('folds alerts beyond the per-recipient limit into one digest', async () => {
    const svc = await start();
    // Seven critical incidents in store-101 an hour apart (separate incidents), all within one clock window.
    for (let k = 0; k < 7; k++) {
      await svc.pipeline.ingest([door(`rl-${k}`, `2026-11-20T0${k}:10:00-05:00`, 'store-101', k % 2 ? 'cash-office' : 'stockroom', { assets: ['safe-1'] })]);
      await settle(svc);
    }
    // Seven emergency SMS plus "no guard" notices once both on-shift guards are out: only 5 reach the lead.
    expect(twilio.to('+15550000100')).toHaveLength(5);
    const folded = Number((await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE address = '+15550000100' AND status = 'folded'`)).rows[0].n);
    expect(folded).toBeGreaterThanOrEqual(2);
    advance(16 * 60_000);
    await svc.dispatcher.drain();
    const lead = twilio.to('+15550000100');
    expect(lead).toHaveLength(6);
    expect(lead[5].body).toContain(`VIGIL DIGEST: ${folded} more alert(s)`);
    expect((await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE address = '+15550000100' AND status = 'folded'`)).rows[0].n).toBe(0);
    expect(lead[5].body.length).toBeLessThanOrEqual(320);
  });

  it('escalates to managers, then executives, when nobody acknowledges; an SMS reply ACK stops it', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([door('esc-1', '2026-11-20T02:14:00-08:00', 'hq-301', 'server-room')]);
    const id = r.incidentsOpened[0];
    await settle(svc);
    expect(twilio.to('+15550000300')).toHaveLength(1); // lead-301
    smtp.mails.length = 0;
    advance(4 * 60_000);
    expect((await svc.monitor.sweep()).escalated).toEqual([]);
    advance(2 * 60_000);
    expect((await svc.monitor.sweep()).escalated).toEqual([id]);
    await settle(svc);
    // Level 1: managers of hq-301 (email only: no phone).
    expect(smtp.mails.filter((m) => m.subject.startsWith('ESCALATION 1')).flatMap((m) => m.to).sort()).toEqual(['jamie.fox@northwind.example', 'lp-director@northwind.example']);
    advance(6 * 60_000);
    await svc.monitor.sweep();
    await settle(svc);
    // Level 2: executives (the CSO has a phone, the CFO gets email).
    expect(twilio.to('+15550000900').map((m) => m.body.startsWith('ESCALATION 2'))).toEqual([true]);
    // The lead replies ACK <code> by SMS.
    const code = (await svc.db.query<{ ack_code: string }>('SELECT ack_code FROM incidents WHERE id = $1', [id])).rows[0].ack_code;
    const app = await buildServer(svc);
    try {
      const form = { From: '+15550000300', Body: `ack ${code}` };
      const bad = await app.inject({ method: 'POST', url: '/webhooks/sms/inbound', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'nope' }, payload: new URLSearchParams(form).toString() });
      expect(bad.statusCode).toBe(403);
      const sig = twilioSignature(twilio.authToken, 'http://vigil.test/webhooks/sms/inbound', form);
      const ok = await app.inject({ method: 'POST', url: '/webhooks/sms/inbound', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig }, payload: new URLSearchParams(form).toString() });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('acknowledged by Noah Bennett');
    } finally {
      await app.close();
    }
    const inc = (await svc.db.query<{ status: string; acknowledged_by: string }>('SELECT status, acknowledged_by FROM incidents WHERE id = $1', [id])).rows[0];
    expect(inc).toEqual({ status: 'acknowledged', acknowledged_by: 'Noah Bennett (sms)' });
    const sent = twilio.messages.length;
    advance(30 * 60_000);
    expect((await svc.monitor.sweep()).escalated).toEqual([]);
    await settle(svc);
    expect(twilio.messages.length).toBe(sent);
    const acked = (await svc.db.query<{ status: string }>(`SELECT status FROM notifications WHERE incident_id = $1 AND recipient = 'lead-301' AND kind LIKE 'emergency:%'`, [id])).rows;
    expect(acked.map((x) => x.status)).toEqual(['acknowledged']);
  });

  it('reassigns a patrol the guard did not acknowledge, then tracks it to completion', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([door('pat-1', '2026-11-20T02:14:00-06:00', 'dc-201', 'cage')]);
    const id = r.incidentsOpened[0];
    await settle(svc);
    const first = (await svc.db.query<{ id: string; guard_id: string }>(`SELECT id, guard_id FROM patrols WHERE incident_id = $1`, [id])).rows[0];
    advance(4 * 60_000);
    expect((await svc.monitor.sweep()).reassigned).toEqual([first.id]);
    await settle(svc);
    const all = (await svc.db.query<{ id: string; guard_id: string; status: string; attempt: number }>(`SELECT id, guard_id, status, attempt FROM patrols WHERE incident_id = $1 ORDER BY attempt`, [id])).rows;
    expect(all.map((p) => [p.status, p.attempt])).toEqual([['unacknowledged', 1], ['assigned', 2]]);
    expect(all[1].guard_id).not.toBe(first.guard_id);
    const app = await buildServer(svc);
    try {
      const auth = { authorization: 'Bearer resp-admin' };
      const ack = await app.inject({ method: 'POST', url: `/api/v1/patrols/${all[1].id}/acknowledge`, headers: auth });
      expect(ack.json(), ack.body).toMatchObject({ status: 'acknowledged' });
      expect((await app.inject({ method: 'POST', url: `/api/v1/patrols/${all[1].id}/on-site`, headers: auth })).json().status).toBe('on_site');
      expect((await app.inject({ method: 'POST', url: `/api/v1/patrols/${all[1].id}/acknowledge`, headers: auth })).statusCode).toBe(409);
      expect((await app.inject({ method: 'POST', url: `/api/v1/patrols/${all[1].id}/complete`, headers: auth })).json().status).toBe('completed');
      const guards = (await app.inject({ method: 'GET', url: '/api/v1/guards?site=dc-201', headers: auth })).json().items;
      expect(guards.find((g: { id: string }) => g.id === all[1].guard_id).status).toBe('available');
    } finally {
      await app.close();
    }
  });

  it('tells the security lead when no guard is free', async () => {
    const svc = await start();
    await svc.db.query(`UPDATE guards SET status = 'unavailable' WHERE site = 'store-102'`);
    const r = await svc.pipeline.ingest([door('ng-1', '2026-11-20T02:14:00-07:00', 'store-102', 'pharmacy')]);
    await settle(svc);
    const step = (await svc.db.query<{ status: string; result: { assigned: boolean; reason: string } }>(`SELECT status, result FROM workflow_steps WHERE incident_id = $1 AND step = 'assign-guard-patrol'`, [r.incidentsOpened[0]])).rows[0];
    expect(step.status).toBe('done');
    expect(step.result.assigned).toBe(false);
    expect(step.result.reason).toContain('unavailable');
    expect(twilio.to('+15550000110').map((m) => m.body).some((b) => b.includes('no guard available'))).toBe(true);
  });
});
