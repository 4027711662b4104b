/**
 * The fast path from a forced door to its emergency SMS writes what the slower paths write. The
 * ingest transaction writes the incident with the links of its events in one statement, the
 * inline SMS step takes the incident from that write and marks it alerted and queues its messages
 * in one more statement, and with delivery in the process the messages go in already claimed.
 * Three services on fresh stores take the same forced door:
 *
 * - fast: delivery in the process (messages inserted claimed, sent right after the commit);
 * - queued: no delivery in the process (the inline step queues them; the dispatcher claims them later);
 * - runner: the inline assessment fails, so steps 1-5 run on the runner's path (the incident read
 *   and locked by the step, the messages queued, then claimed by the dispatcher).
 *
 * Once delivered, the incident, its events, its emergency messages with their attempts and the
 * SMS step's journal entry are the same on all three (ids, times and the random code aside).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import type { Config } from '../src/config/schema.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, type Service } from '../src/service.js';
import { incidentSteps } from '../src/workflow/step-registry.js';
import { TwilioReceiver } from './helpers/receivers.js';
import { TEST_STORES } from './helpers/stores.js';

const twilio = new TwilioReceiver();
const NOW = new Date('2026-11-20T07:14:30Z');

beforeAll(async () => {
  await twilio.start();
});
afterAll(async () => {
  await twilio.stop();
});

function config(policy: Record<string, unknown> = {}): Config {
  const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
  doc.policy = policy;
  doc.notify = { sms: { provider: 'twilio', baseUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15550009999' }, webhooks: [] };
  doc.publicUrl = 'http://vigil.test';
  return parseConfig(doc);
}

const door: SecurityEvent = {
  source: 'access_control',
  type: 'door_forced',
  sourceEventId: 'fast-door-1',
  occurredAt: new Date('2026-11-20T02:14:00-05:00').toISOString(),
  site: 'store-101',
  zone: 'cash-office',
  device: 'cr-101-co',
  assets: ['safe-1'],
  details: {},
};

/** What a path stored for the incident, with ids, times and the acknowledgement code left out. */
async function stored(svc: Service, id: string) {
  const q = async <T>(sql: string) => (await svc.db.query<T>(sql, [id])).rows;
  const [inc] = await q<{ ack_code: string | null; next_escalation_at: Date | null; [k: string]: unknown }>(
    `SELECT site, zone, zones, type, status, band, score, severity, loss, net_loss, assets, event_count, alerted_band, ack_code, next_escalation_at, escalation_level
       FROM incidents WHERE id = $1`,
  );
  const code = inc.ack_code ?? '(none)';
  const events = await q(`SELECT source, type, source_event_id FROM events WHERE incident_id = $1 ORDER BY seq`);
  const sms = (
    await q<{ recipient: string; kind: string; status: string; attempts: number; was_sent: boolean; locked_by: string | null; attempts_recorded: unknown; body: string }>(
      `SELECT channel, kind, recipient, address, body, band, level, status, attempts, provider_id IS NOT NULL AS has_provider_id, sending_at IS NOT NULL AS was_sending,
              sent_at IS NOT NULL AS was_sent, locked_by, locked_until, outcome_unknown, error, digest_id,
              (SELECT json_agg(json_build_object('attempt', a.attempt, 'outcome', a.outcome) ORDER BY a.attempt) FROM notification_attempts a WHERE a.notification_id = n.id) AS attempts_recorded
         FROM notifications n WHERE incident_id = $1 AND kind LIKE 'emergency:%' ORDER BY recipient`,
    )
  ).map((n) => ({ ...n, body: n.body.replaceAll(code, '<code>').replaceAll(id, '<id>') }));
  const [step] = await q<{ result: { ackCode?: string } & Record<string, unknown>; [k: string]: unknown }>(
    `SELECT status, attempts, error, reason, result FROM workflow_steps WHERE incident_id = $1 AND step = 'send-emergency-sms'`,
  );
  return {
    incident: { ...inc, ack_code: /^\d{4}$/.test(code) ? '<4 digits>' : inc.ack_code, next_escalation_at: inc.next_escalation_at?.getTime() ?? null },
    events,
    sms,
    step: { ...step, result: { ...step.result, ackCode: step.result.ackCode === code ? '<code>' : step.result.ackCode } },
  };
}

describe.each(TEST_STORES)('the fast path to the emergency SMS on $name', (store) => {
  const drops: (() => Promise<void>)[] = [];
  const services: Service[] = [];
  afterAll(async () => {
    for (const s of services) await s.close();
    for (const d of drops) await d();
  });

  async function run(path: 'fast' | 'queued' | 'runner', policy: Record<string, unknown> = {}) {
    const s = await store.fresh();
    drops.push(s.drop);
    const svc = await createService({
      config: config(policy),
      dataDir: s.dataDir,
      databaseUrl: s.databaseUrl,
      now: () => NOW,
      startDelivery: path === 'fast',
      ...(path === 'runner' ? { ingest: { failAssessment: () => true } } : {}),
    });
    services.push(svc);
    const before = twilio.messages.length;
    const r = await svc.pipeline.ingest([door]);
    const id = r.incidentsOpened[0];
    if (path === 'fast') {
      // Handed to delivery at the commit: wait for the two messages to be recorded (a hang guard, not a timing assertion).
      const sent = async () => Number((await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE incident_id = $1 AND status = 'sent'`, [id])).rows[0].n);
      for (let i = 0; i < 600 && (await sent()) < 2; i++) await new Promise((res) => setTimeout(res, 50));
    } else {
      if (path === 'runner') {
        // Steps 1-5 are the runner's; run them (and nothing more) before delivering.
        for (let i = 0; i < 5; i++) await svc.runner.runDue();
      }
      await svc.dispatcher.drain();
    }
    return { id, svc, r, texts: twilio.messages.slice(before).map((m) => m.body) };
  }

  it('writes the same incident, links, messages, attempts and journal entry as the queued and the runner paths', async () => {
    const fast = await run('fast');
    const queued = await run('queued');
    const runner = await run('runner');
    const a = await stored(fast.svc, fast.id);
    // What the fast path stored, stated outright.
    expect(a.incident).toMatchObject({ status: 'open', band: 'critical', alerted_band: 'critical', ack_code: '<4 digits>', escalation_level: 0 });
    expect(a.incident.next_escalation_at).toBe(NOW.getTime() + fast.svc.config.policy.notify.escalation.afterMinutes * 60_000);
    expect(a.events).toEqual([{ source: 'access_control', type: 'door_forced', source_event_id: 'fast-door-1' }]);
    expect(a.sms.map((n) => [n.recipient, n.kind, n.status, n.attempts, n.was_sent, n.locked_by, n.attempts_recorded])).toEqual([
      ['lead-101', 'emergency:critical', 'sent', 1, true, null, [{ attempt: 1, outcome: 'sent' }]],
      ['rr-101', 'emergency:critical', 'sent', 1, true, null, [{ attempt: 1, outcome: 'sent' }]],
    ]);
    expect(a.sms[0].body).toContain('Reply ACK <code>');
    expect(a.step).toMatchObject({ status: 'done', attempts: 1, error: null, result: { band: 'critical', ackCode: '<code>', queued: 2 } });
    // The provider got exactly the two stored texts.
    const [inc] = (await fast.svc.db.query<{ ack_code: string }>(`SELECT ack_code FROM incidents WHERE id = $1`, [fast.id])).rows;
    expect(fast.texts.map((t) => t.replaceAll(inc.ack_code, '<code>').replaceAll(fast.id, '<id>')).sort()).toEqual(a.sms.map((n) => n.body).sort());
    // And the other two paths stored the same.
    expect(await stored(queued.svc, queued.id)).toEqual(a);
    expect(await stored(runner.svc, runner.id)).toEqual(a);
  });

  it('queues nothing twice and keeps the code when the SMS step runs again for the same band', async () => {
    const { svc, id } = await run('queued');
    const code = async () => (await svc.db.query<{ ack_code: string }>(`SELECT ack_code FROM incidents WHERE id = $1`, [id])).rows[0].ack_code;
    const first = await code();
    const sms = incidentSteps(svc.org).find((s) => s.id === 'send-emergency-sms')!;
    const out = await svc.db.transaction((tx) => sms.run({ tx, incidentId: id, attempt: 2, now: NOW }));
    expect(out).toMatchObject({ status: 'done', result: { ackCode: first, queued: 0 } });
    expect(await code()).toBe(first);
    const n = await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE incident_id = $1 AND kind LIKE 'emergency:%'`, [id]);
    expect(n.rows[0].n).toBe(2);
  });

  it('joins a later event to the open incident read with the context, its score history and links continued', async () => {
    const { svc, id } = await run('queued');
    // Two minutes later in the same zone: correlation reads the open incident in the same statement as the context.
    const r = await svc.pipeline.ingest([{ ...door, sourceEventId: 'fast-door-2', occurredAt: new Date('2026-11-20T02:16:00-05:00').toISOString() }]);
    expect(r.incidentsOpened).toEqual([]);
    expect(r.incidentsUpdated).toEqual([id]);
    const q = async <T>(sql: string) => (await svc.db.query<T>(sql, [id])).rows;
    expect(await q(`SELECT source_event_id FROM events WHERE incident_id = $1 ORDER BY seq`)).toEqual([{ source_event_id: 'fast-door-1' }, { source_event_id: 'fast-door-2' }]);
    expect(await q(`SELECT seq, event_count FROM incident_scores WHERE incident_id = $1 ORDER BY seq`)).toEqual([
      { seq: 1, event_count: 1 },
      { seq: 2, event_count: 2 },
    ]);
    expect(await q(`SELECT event_count, status FROM incidents WHERE id = $1`)).toEqual([{ event_count: 2, status: 'open' }]);
  });

  it('counts what a recipient already got when the messages are claimed at insert: beyond the limit the SMS is folded', async () => {
    const { svc, id, texts } = await run('fast', { notify: { rateLimit: { perRecipient: 1, windowMinutes: 15 } } });
    expect(texts).toHaveLength(2);
    // Three hours later at the same site: a new incident, whose SMS go to the same two people within the window.
    const r = await svc.pipeline.ingest([{ ...door, sourceEventId: 'fast-door-3', occurredAt: new Date('2026-11-20T05:14:00-05:00').toISOString() }]);
    const second = r.incidentsOpened[0];
    expect(second).toBeDefined();
    expect(second).not.toBe(id);
    const statuses = async () =>
      (await svc.db.query<{ recipient: string; status: string }>(`SELECT recipient, status FROM notifications WHERE incident_id = $1 AND kind LIKE 'emergency:%' ORDER BY recipient`, [second])).rows;
    for (let i = 0; i < 600 && (await statuses()).some((n) => n.status === 'sending'); i++) await new Promise((res) => setTimeout(res, 50));
    expect(await statuses()).toEqual([
      { recipient: 'lead-101', status: 'folded' },
      { recipient: 'rr-101', status: 'folded' },
    ]);
    const digests = await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE kind LIKE 'digest:%' AND status = 'queued'`);
    expect(digests.rows[0].n).toBe(2);
  });
});
