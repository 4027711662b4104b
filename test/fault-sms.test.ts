/**
 * Fault test: the server dies (kill -9) right after the SMS provider accepted a message and before
 * Vigil recorded it. After a restart every recipient still has exactly one message: the ambiguous
 * send is settled against the provider's message list instead of being sent again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { BUNDLED } from '../src/config/loader.js';
import { SmtpReceiver, TwilioReceiver } from './helpers/receivers.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

const TOKEN = 'fault-sms-admin-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'vigil-fault-sms-'));
const twilio = new TwilioReceiver();
const smtp = new SmtpReceiver();
let server: ServerProcess | undefined;
let configFile = '';

beforeAll(async () => {
  await Promise.all([twilio.start(), smtp.start()]);
  const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
  doc.notify = {
    sms: { provider: 'twilio', baseUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15550009999' },
    email: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'vigil@test.example' },
  };
  configFile = join(dir, 'vigil.yaml');
  writeFileSync(configFile, YAML.stringify(doc));
});
afterAll(async () => {
  await server?.stop('SIGKILL');
  await Promise.all([twilio.stop(), smtp.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('kill -9 between the provider accepting an SMS and our record', () => {
  it('still delivers exactly one message per recipient after a restart', async () => {
    const env = { VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_ADMIN_TOKEN: TOKEN };
    server = await startServer(['--config', configFile], { ...env, VIGIL_FAULT_KILL_AFTER_SMS_ACCEPT: '1' });
    const event = {
      source: 'access_control', type: 'door_forced', sourceEventId: 'fault-sms-1', occurredAt: '2026-11-20T02:14:00-05:00',
      site: 'store-101', zone: 'cash-office', device: 'cr-101-co', assets: ['safe-1'],
    };
    const res = await fetch(`${server.url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(event) });
    expect(res.status).toBe(202);
    await server.exited(); // it kills itself right after the provider accepted the first SMS
    expect(server.child.signalCode).toBe('SIGKILL');
    const before = twilio.messages.length;
    expect(before).toBeGreaterThanOrEqual(1);

    server = await startServer(['--config', configFile], env);
    // lead-101, rr-101 and the patrol guard each get exactly one SMS.
    const phones = ['+15550000100', '+15550000101', '+15550000001'];
    await waitFor('every SMS', () => phones.every((p) => twilio.to(p).length >= 1)).catch((e) => {
      throw new Error(`${(e as Error).message}; got ${JSON.stringify(twilio.messages.map((m) => m.to))}; server said:\n${server?.output().slice(-3000)}`);
    });
    await new Promise((r) => setTimeout(r, 2500)); // time for a duplicate to show up, if there were one
    for (const p of phones) expect(twilio.to(p), p).toHaveLength(1);
    expect(twilio.messages).toHaveLength(3);

    const list = await fetch(`${server.url}/api/v1/notifications?channel=sms`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const items = (await list.json()).items as { status: string; history: { outcome: string; detail: string }[] }[];
    expect(items.map((n) => n.status)).toEqual(['sent', 'sent', 'sent']);
    expect(items.some((n) => n.history.some((h) => h.detail?.startsWith('reconciled with provider message')))).toBe(true);
  });
});
