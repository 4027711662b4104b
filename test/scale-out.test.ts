/**
 * Scale-out on PostgreSQL with real processes: one `vigil serve --role api` and two
 * `vigil serve --role worker` on a fresh database. One worker is killed with SIGKILL in the middle
 * of the load; afterwards every event is stored once, every critical incident alerted, every
 * workflow step finished by the surviving worker, and nobody got the same incident's SMS twice
 * (counted at the Twilio-compatible receiver). PostgreSQL only: skipped without
 * VIGIL_TEST_DATABASE_URL. Needs the compiled CLI (`npm run build`). The first worker also dies on
 * its own right after a provider accepted one of its SMS (the crash tests' fault switch), so the
 * lease and the settling with the provider's message list are always exercised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvents, offer, settle, startCluster, type Cluster } from '../src/bench/scale-out.js';

const serverUrl = process.env.VIGIL_TEST_DATABASE_URL;

describe.skipIf(!serverUrl)('scale-out on PostgreSQL: api and worker processes', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    // The first worker also kills itself (SIGKILL) the moment the provider accepted an SMS it sent,
    // before recording it: the worst moment for a crash, which the other worker has to settle.
    cluster = await startCluster({ serverUrl: serverUrl!, workers: 2, sites: 20, workerEnv: (i): Record<string, string> => (i === 0 ? { VIGIL_FAULT_KILL_AFTER_SMS_ACCEPT: '1' } : {}) });
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('a worker answers only /healthz and /metrics; the API process answers the API', async () => {
    const w = cluster.workers[1];
    const health = await fetch(`${w.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', store: 'postgres', role: 'worker' });
    expect((await fetch(`${w.url}/metrics`)).status).toBe(200);
    const api = await fetch(`${w.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${cluster.token}` } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await fetch(`${cluster.api.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${cluster.token}` } })).status).toBe(200);
  });

  it('kill -9 of one worker in the middle of the load loses nothing and alerts nobody twice', async () => {
    const tag = `t-${Date.now()}`;
    const events = loadEvents(cluster, tag, 400);
    const criticals = events.filter((e) => e.critical).length;
    let killed = false;
    const r = await offer(cluster, events, 40, {
      atFraction: 0.5,
      run: () => {
        killed = true;
        void cluster.workers[0].stop('SIGKILL');
      },
    });
    expect(killed).toBe(true);
    expect(cluster.workers[0].child.signalCode).toBe('SIGKILL');
    expect(r.statuses.get(202)).toBe(events.length);
    // The killed worker's claims come free when their leases run out (60 s at most).
    const s = await settle(cluster, tag, criticals, 200_000);
    const stored = await cluster.db.query<{ n: number; distinct: number }>(`SELECT count(*)::int AS n, count(DISTINCT source_event_id)::int AS distinct FROM events WHERE source_event_id LIKE $1`, [`${tag}-%`]);
    expect(stored.rows[0]).toEqual({ n: events.length, distinct: events.length });
    expect(s.incidents).toBe(criticals);
    expect(s.openSteps).toBe(0);
    const first = cluster.receiver.firstPerIncident();
    expect(first.size).toBe(criticals);
    const perRecipient = cluster.receiver.perIncidentRecipient();
    expect(perRecipient.size).toBeGreaterThanOrEqual(criticals);
    expect([...perRecipient.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(cluster.receiver.duplicates()).toBe(0);
    expect(cluster.receiver.repeats()).toBe(0);
    // Every queued SMS (alerts and guard dispatches) ended sent, and reached the provider exactly
    // once. One the killed worker held mid-send stays `sending` until its lease runs out and the
    // surviving worker settles it against the provider's message list: wait for that first.
    for (let waited = 0; waited < 120_000; waited += 250) {
      const busy = await cluster.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE channel = 'sms' AND status IN ('queued', 'sending')`);
      if (busy.rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const left = await cluster.db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM notifications WHERE channel = 'sms' GROUP BY status ORDER BY status`);
    expect(left.rows).toEqual([{ status: 'sent', n: cluster.receiver.messages.length }]);
  }, 400_000);
});
