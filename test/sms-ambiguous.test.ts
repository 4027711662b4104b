/**
 * SMS whose outcome is unknown: the provider took the message but its answer was lost (connection
 * reset, timeout). Such a send is settled against the provider's message list before it is sent
 * again, on both stores, through a real Twilio-compatible receiver over HTTP.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { sendSms, type TwilioConfig } from '../src/channels/sms-twilio.js';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import type { Config } from '../src/config/schema.js';
import { OutcomeUnknownError, RetryableError } from '../src/domain/errors.js';
import { createService, type Service } from '../src/service.js';
import { enqueue } from '../src/store/notifications.js';
import { SmtpReceiver, TwilioReceiver } from './helpers/receivers.js';
import { TEST_STORES } from './helpers/stores.js';

const twilio = new TwilioReceiver();
const smtp = new SmtpReceiver();

beforeAll(async () => {
  await Promise.all([twilio.start(), smtp.start()]);
});
afterAll(async () => {
  await Promise.all([twilio.stop(), smtp.stop()]);
});

const smsConfig = (): TwilioConfig => ({ baseUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15550009999' });

function config(): Config {
  const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
  doc.notify = { sms: { provider: 'twilio', ...smsConfig() }, email: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'vigil@test.example' } };
  doc.policy = { notify: { retry: { maxAttempts: 5, baseMs: 1000, maxMs: 60000 } } };
  return parseConfig(doc);
}

const LEAD = '+15550000100';
const RR = '+15550000101';
const GUARD = '+15550000001';

describe('which SMS failures leave the outcome unknown', () => {
  afterEach(() => {
    twilio.resetAfterAccept = twilio.resetBeforeAccept = twilio.hangAfterAccept = 0;
    twilio.failNext.length = 0;
  });

  it('a connection reset after the request was sent is ambiguous', async () => {
    twilio.resetAfterAccept = 1;
    const err = await sendSms(smsConfig(), LEAD, 'reset me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect(err).toBeInstanceOf(RetryableError); // still retried, by the one retry decision
  });

  it('a timeout after the request was sent is ambiguous', async () => {
    twilio.hangAfterAccept = 1;
    const err = await sendSms(smsConfig(), LEAD, 'hang me', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
  });

  it('a 5xx or 4xx answer and a refused connection are not ambiguous', async () => {
    twilio.failNext.push(500, 400);
    const e500 = await sendSms(smsConfig(), LEAD, 'x').catch((e: unknown) => e);
    const e400 = await sendSms(smsConfig(), LEAD, 'x').catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(RetryableError);
    expect(e500).not.toBeInstanceOf(OutcomeUnknownError);
    expect(e400).not.toBeInstanceOf(RetryableError);
    // A port nobody listens on: the request never left.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const refused = await sendSms({ ...smsConfig(), baseUrl: `http://127.0.0.1:${closedPort}` }, LEAD, 'x').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RetryableError);
    expect(refused).not.toBeInstanceOf(OutcomeUnknownError);
  });
});

describe.each(TEST_STORES)('ambiguous SMS on $name', (store) => {
  let service: Service | undefined;
  let drop: (() => Promise<void>) | undefined;
  let clock = new Date('2026-11-20T07:14:30Z');
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

  async function start() {
    const s = await store.fresh();
    drop = s.drop;
    clock = new Date('2026-11-20T07:14:30Z');
    twilio.now = () => clock;
    twilio.messages.length = 0;
    twilio.posts = 0;
    smtp.mails.length = 0;
    service = await createService({ config: config(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, now: () => clock, dispatcher: { random: () => 0.999 } });
    return service;
  }
  /** Runs the workflow and delivers, moving the clock past each backoff; bounded. */
  async function settle(svc: Service) {
    for (let i = 0; i < 6; i++) {
      await svc.runner.drain();
      await svc.dispatcher.drain();
      advance(120_000);
    }
  }
  afterEach(async () => {
    twilio.resetAfterAccept = twilio.resetBeforeAccept = 0;
    await service?.close();
    await drop?.();
    service = undefined;
  });

  it('sends exactly one message per recipient when the provider took it and the answer was lost, twice', async () => {
    const svc = await start();
    twilio.resetAfterAccept = 2;
    await svc.pipeline.ingest([
      { source: 'access_control', type: 'door_forced', sourceEventId: 'amb-1', occurredAt: '2026-11-20T07:14:00.000Z', site: 'store-101', zone: 'cash-office', device: 'cr-101-co', assets: ['safe-1'], details: {} },
    ]);
    await settle(svc);
    expect(twilio.resetAfterAccept).toBe(0); // both resets happened
    for (const phone of [LEAD, RR, GUARD]) expect(twilio.to(phone), phone).toHaveLength(1);
    expect(twilio.messages).toHaveLength(3);
    expect(twilio.posts).toBe(3); // the two ambiguous sends were settled by the list, not posted again
    const rows = (await svc.db.query<{ id: string; status: string; provider_id: string | null }>(`SELECT id, status, provider_id FROM notifications WHERE channel = 'sms'`)).rows;
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    expect(new Set(rows.map((r) => r.provider_id)).size).toBe(3);
    const reconciled = (await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_attempts WHERE detail LIKE 'reconciled with provider message%'`)).rows[0];
    expect(Number(reconciled.n)).toBe(2);
  });

  it('does not take an older message, or one another notification owns, with the same words for this one', async () => {
    const svc = await start();
    const incidentId = 'inc-amb-2';
    // An identical text an hour ago (same day: the provider's list returns it).
    twilio.messages.push({ sid: 'SMold', to: LEAD, from: '+15550009999', body: 'same words', dateCreated: new Date(clock.getTime() - 3_600_000).toISOString() });
    // Another notification sent the same words 20 s ago, and recorded it.
    await svc.db.transaction((tx) => enqueue(tx, [{ incidentId, channel: 'sms', kind: 'test:a', recipient: 'lead-101', address: LEAD, body: 'same words' }], clock));
    await svc.dispatcher.drain();
    advance(20_000);
    await svc.db.transaction((tx) => enqueue(tx, [{ incidentId, channel: 'sms', kind: 'test:b', recipient: 'lead-101', address: LEAD, body: 'same words' }], clock));
    twilio.resetBeforeAccept = 1; // this one's first send is cut off before the provider took it
    await svc.dispatcher.drain();
    advance(120_000);
    await svc.dispatcher.drain();
    const rows = (await svc.db.query<{ kind: string; status: string; provider_id: string }>(`SELECT kind, status, provider_id FROM notifications ORDER BY kind`)).rows;
    expect(rows.map((r) => [r.kind, r.status])).toEqual([['test:a', 'sent'], ['test:b', 'sent']]);
    // Each got a message of its own: the old one and test:a's were not taken for test:b's.
    // (Which sid is whose depends on the order the retries ran in, so compare as sets.)
    const sids = twilio.to(LEAD).map((m) => m.sid);
    expect(sids).toHaveLength(3);
    expect(new Set(rows.map((r) => r.provider_id))).toEqual(new Set(sids.filter((s) => s !== 'SMold')));
  });
});
