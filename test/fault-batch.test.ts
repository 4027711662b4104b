/**
 * Fault test: kill -9 the server while it delivers a batch of emails and webhooks, restart it, and
 * count at the real local receivers. Each outcome is recorded right after its send, so only what
 * was in flight at the kill goes out twice: at most one message per recipient lane, carrying the
 * same Message-ID (email) or X-Vigil-Delivery id (webhook), so the receiver can drop it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { BUNDLED } from '../src/config/loader.js';
import { openDb } from '../src/store/db.js';
import { enqueue, type OutboxItem } from '../src/store/notifications.js';
import { SmtpReceiver, WebhookReceiver } from './helpers/receivers.js';
import { startServer, type ServerProcess } from './helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-fault-batch-'));
const smtp = new SmtpReceiver();
const hooks = new WebhookReceiver();
const env = { VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_ADMIN_TOKEN: 'fault-batch-admin-token-0123456789' };
let server: ServerProcess | undefined;
let configFile = '';

const EMAILS = 100;
const WEBHOOKS = 100;
const ADDRESSES = ['a@batch.example', 'b@batch.example', 'c@batch.example', 'd@batch.example'];
/** The kill comes while the receiver holds this email, before it answered 250. */
const KILL_AT_MAIL = 15;

beforeAll(async () => {
  await Promise.all([smtp.start(), hooks.start()]);
  const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
  doc.notify = { email: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'vigil@test.example' }, webhooks: [{ url: hooks.url, secret: 'batch-secret', kinds: [] }] };
  // Only the batch queued below goes to the receiver: the weekly report's Monday email stays out.
  doc.policy = { schedule: { jobs: { 'generate-weekly-loss-report': { cron: '0 6 * * 1', enabled: false } } } };
  configFile = join(dir, 'vigil.yaml');
  writeFileSync(configFile, YAML.stringify(doc));
});
afterAll(async () => {
  await server?.stop('SIGKILL');
  await Promise.all([smtp.stop(), hooks.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const waitFor = async (what: string, cond: () => boolean, ms = 45_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** How many times each key was seen. */
const tally = (keys: string[]) => {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
};

describe('kill -9 in the middle of a delivery batch', () => {
  it('sends each email and webhook again at most once, and only what was in flight: one per recipient lane', async () => {
    // Queue the outbox in the store the server will open: emails and webhooks interleaved, so
    // every claimed batch holds both.
    const db = await openDb({ dataDir: env.VIGIL_DATA_DIR });
    try {
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      await db.transaction(async (tx) => {
        for (let k = 0; k < Math.max(EMAILS, WEBHOOKS); k++) {
          const items: OutboxItem[] = [];
          if (k < EMAILS) {
            items.push({ incidentId: `inc-batch-${k}`, channel: 'email', kind: 'batch', recipient: `mgr-${k % ADDRESSES.length}`, address: ADDRESSES[k % ADDRESSES.length], subject: `batch ${k}`, body: `email ${k}` });
          }
          if (k < WEBHOOKS) items.push({ incidentId: `inc-batch-${k}`, channel: 'webhook', kind: 'webhook:batch', recipient: 'webhook-0', address: hooks.url, body: JSON.stringify({ k }) });
          await enqueue(tx, items, new Date(t0 + k));
        }
      });
    } finally {
      await db.close();
    }
    server = await startServer(['--config', configFile], env);
    const first = server;
    let killed = false;
    smtp.onMail = () => {
      if (!killed && smtp.mails.length >= KILL_AT_MAIL) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    };
    await first.exited();
    smtp.onMail = undefined;
    expect(first.child.signalCode).toBe('SIGKILL');
    const mailsAtKill = smtp.mails.length;
    expect(new Set(smtp.mails.map((m) => m.messageId)).size).toBeLessThan(EMAILS); // killed mid-way

    server = await startServer(['--config', configFile], env);
    const ids = () => new Set(smtp.mails.map((m) => m.messageId));
    const deliveries = () => new Set(hooks.deliveries.map((d) => String(d.headers['x-vigil-delivery'])));
    await waitFor('every email and webhook', () => ids().size >= EMAILS && deliveries().size >= WEBHOOKS).catch((e) => {
      throw new Error(`${(e as Error).message}: ${ids().size} emails, ${deliveries().size} webhooks; server said:\n${server?.output().slice(-3000)}`);
    });
    expect(await server.stop('SIGTERM')).toBe(0);
    server = undefined;

    // Every Message-ID at most twice; per recipient, at most one Message-ID twice.
    const perId = tally(smtp.mails.map((m) => m.messageId ?? ''));
    expect(perId.size).toBe(EMAILS);
    expect([...perId.values()].filter((n) => n > 2)).toEqual([]);
    const twice = [...perId].filter(([, n]) => n === 2).map(([id]) => id);
    for (const address of ADDRESSES) {
      const dup = twice.filter((id) => smtp.mails.find((m) => m.messageId === id)!.to.includes(address));
      expect(dup.length, `${address}: ${dup.join(', ')} (${mailsAtKill} emails before the kill)`).toBeLessThanOrEqual(1);
    }
    // Webhooks have one lane (one URL): at most one delivery id twice.
    const perDelivery = tally(hooks.deliveries.map((d) => String(d.headers['x-vigil-delivery'])));
    expect(perDelivery.size).toBe(WEBHOOKS);
    expect([...perDelivery.values()].filter((n) => n > 2)).toEqual([]);
    expect([...perDelivery.values()].filter((n) => n === 2).length).toBeLessThanOrEqual(1);
    // And in all, no more than one message per lane went twice.
    expect(twice.length + [...perDelivery.values()].filter((n) => n === 2).length).toBeLessThanOrEqual(ADDRESSES.length + 1);

    const after = await openDb({ dataDir: env.VIGIL_DATA_DIR });
    try {
      const states = (await after.query<{ channel: string; status: string; n: number }>(`SELECT channel, status, count(*)::int AS n FROM notifications GROUP BY channel, status ORDER BY channel`)).rows;
      expect(states.map((s) => [s.channel, s.status, Number(s.n)])).toEqual([['email', 'sent', EMAILS], ['webhook', 'sent', WEBHOOKS]]);
    } finally {
      await after.close();
    }
    // Three store openings (one creates it) and two server starts: allow for a loaded machine.
  }, 180_000);
});
