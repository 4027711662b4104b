/**
 * Resolving an incident stands down its response: a patrol still under way is cancelled and its
 * guard is free again, the acknowledgement timeout does not send another guard, and the audit
 * record names the cancelled patrols. On both stores, through the real HTTP API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, type Service } from '../src/service.js';
import { TEST_STORES } from './helpers/stores.js';

const door = (id: string): SecurityEvent => ({ source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: new Date('2026-11-20T02:14:00-06:00').toISOString(), site: 'dc-201', zone: 'cage', details: {} });

describe.each(TEST_STORES)('resolving an incident on $name', (store) => {
  let service: Service | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await service?.close();
    await drop?.();
  });

  it('cancels the patrols under way and frees their guards', async () => {
    const s = await store.fresh();
    drop = s.drop;
    let clock = new Date('2026-11-20T08:14:30Z');
    service = await createService({ config: loadDemoConfig(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, now: () => clock, adminToken: 'stand-down-admin' });
    const svc = service;
    const id = (await svc.pipeline.ingest([door('sd-1')])).incidentsOpened[0];
    await svc.runner.drain();
    const patrol = async () => (await svc.db.query<{ id: string; guard_id: string; status: string }>(`SELECT id, guard_id, status FROM patrols WHERE incident_id = $1 AND kind = 'response' ORDER BY attempt`, [id])).rows;
    const guardStatus = async (g: string) => (await svc.db.query<{ status: string }>(`SELECT status FROM guards WHERE id = $1`, [g])).rows[0].status;
    const [p] = await patrol();
    expect(p.status).toBe('assigned');
    expect(await guardStatus(p.guard_id)).toBe('assigned');

    const app = await buildServer(svc);
    try {
      const r = await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/resolve`, headers: { authorization: 'Bearer stand-down-admin' }, payload: { resolution: 'false alarm', outcome: 'false_alarm' } });
      expect(r.statusCode, r.body).toBe(200);
    } finally {
      await app.close();
    }
    expect((await patrol()).map((x) => x.status)).toEqual(['cancelled']);
    expect(await guardStatus(p.guard_id)).toBe('available');
    const audit = (await svc.db.query<{ details: { patrolsCancelled?: string[] } }>(`SELECT details FROM audit_log WHERE target = $1 AND action = 'incident.resolve'`, [id])).rows;
    expect(audit[0].details.patrolsCancelled).toEqual([p.id]);

    // Past the acknowledgement deadline nobody is sent in the cancelled patrol's place.
    clock = new Date(clock.getTime() + 10 * 60_000);
    expect((await svc.monitor.sweep()).reassigned).toEqual([]);
    await svc.runner.drain();
    expect(await patrol()).toHaveLength(1);
  });
});
