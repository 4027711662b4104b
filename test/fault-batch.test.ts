/**
 * Fault test: kill -9 the real `vigil serve` several times while it delivers a batch of 100 emails
 * (to a real local SMTP server) and 100 webhooks, restart it each time, and count at the
 * receivers. Each outcome is recorded right after its send and emails and webhooks go one at a
 * time, so a crash sends again only the one message it caught in flight: at most one duplicate per
 * kill, carrying the same Message-ID (email) or X-Vigil-Delivery id (webhook) so the receiver can
 * drop it. Every kill lands while the receiver holds a message it has not answered yet, so each
 * leaves one ambiguous message behind.
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
/**
 * The kills: each comes while the receiver holds the n-th message of that kind the run delivered,
 * before it answered (250 or 204). The last run drains the rest.
 */
const KILLS: { on: 'email' | 'webhook'; n: number }[] = [
  { on: 'email', n: 15 },
  { on: 'webhook', n: 12 },
  { on: 'email', n: 10 },
  { on: 'webhook', n: 10 },
  { on: 'email', n: 10 },
];

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
  it('sends again at most the one email or webhook in flight at each kill, and everything arrives', async () => {
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
    const ids = () => new Set(smtp.mails.map((m) => m.messageId));
    const deliveries = () => new Set(hooks.deliveries.map((d) => String(d.headers['x-vigil-delivery'])));
    const report: string[] = [];
    let atRisk = 0;

    /** How many times each notification reached its receiver, by notification id. */
    const received = () => tally([...smtp.mails.map((m) => /^<(.*)@vigil>$/.exec(m.messageId ?? '')?.[1] ?? ''), ...hooks.deliveries.map((d) => String(d.headers['x-vigil-delivery']))]);

    for (const kill of KILLS) {
      const before = received();
      const run = await startServer(['--config', configFile], env);
      server = run;
      const base = kill.on === 'email' ? smtp.mails.length : hooks.deliveries.length;
      let killed = false;
      const maybeKill = () => {
        const seen = (kill.on === 'email' ? smtp.mails.length : hooks.deliveries.length) - base;
        if (!killed && seen >= kill.n) {
          killed = true;
          run.child.kill('SIGKILL');
        }
      };
      if (kill.on === 'email') smtp.onMail = maybeKill;
      else hooks.onDelivery = maybeKill;
      await run.exited();
      smtp.onMail = undefined;
      hooks.onDelivery = undefined;
      expect(run.child.signalCode).toBe('SIGKILL');
      server = undefined;
      // What this kill left to go twice: messages the receivers got during this run whose outcome
      // the store has not recorded (each is sent again, with the same id).
      const now = received();
      const seen = [...now].filter(([id, n]) => n > (before.get(id) ?? 0)).map(([id]) => id);
      const store = await openDb({ dataDir: env.VIGIL_DATA_DIR });
      let unrecorded: string[];
      try {
        unrecorded = (await store.query<{ id: string }>(`SELECT id FROM notifications WHERE id = ANY($1::text[]) AND status <> 'sent' ORDER BY id`, [seen])).rows.map((r) => r.id);
      } finally {
        await store.close();
      }
      atRisk += unrecorded.length;
      report.push(`kill on ${kill.on} #${kill.n}: ${ids().size} emails, ${deliveries().size} webhooks in, ${unrecorded.length} of them unrecorded (${unrecorded.join(', ')})`);
      expect(ids().size + deliveries().size, report.join('; ')).toBeLessThan(EMAILS + WEBHOOKS); // killed mid-way
      expect(unrecorded.length, report.join('; ')).toBeLessThanOrEqual(1);
    }

    server = await startServer(['--config', configFile], env);
    await waitFor('every email and webhook', () => ids().size >= EMAILS && deliveries().size >= WEBHOOKS).catch((e) => {
      throw new Error(`${(e as Error).message}: ${ids().size} emails, ${deliveries().size} webhooks; server said:\n${server?.output().slice(-3000)}`);
    });
    expect(await server.stop('SIGTERM')).toBe(0);
    server = undefined;
    report.push(`drained: ${smtp.mails.length} emails and ${hooks.deliveries.length} webhooks received`);

    // Every message arrived; exactly the unrecorded ones came twice: at most one per kill.
    const perId = tally(smtp.mails.map((m) => m.messageId ?? ''));
    const perDelivery = tally(hooks.deliveries.map((d) => String(d.headers['x-vigil-delivery'])));
    expect(perId.size).toBe(EMAILS);
    expect(perDelivery.size).toBe(WEBHOOKS);
    const repeats = [...perId.values(), ...perDelivery.values()].reduce((a, n) => a + n - 1, 0);
    expect(repeats, report.join('; ')).toBe(atRisk);
    expect(repeats).toBeLessThanOrEqual(KILLS.length);

    const after = await openDb({ dataDir: env.VIGIL_DATA_DIR });
    try {
      const states = (await after.query<{ channel: string; status: string; n: number }>(`SELECT channel, status, count(*)::int AS n FROM notifications GROUP BY channel, status ORDER BY channel`)).rows;
      expect(states.map((s) => [s.channel, s.status, Number(s.n)])).toEqual([['email', 'sent', EMAILS], ['webhook', 'sent', WEBHOOKS]]);
    } finally {
      await after.close();
    }
    // Seven store openings (one creates it) and six server starts: allow for a loaded machine.
  }, 300_000);
});
