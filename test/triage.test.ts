/**
 * Triage through the real HTTP API on every test store: assigning an incident to a person of its
 * site (validation, scope, permission, audit record, live announcement), the list's filters and
 * search (id, zone, asset id or name, badge), the priority order with its own keyset cursors, and
 * the SLA deadlines from policy on the list and the detail. The clock is controlled.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/api/auth.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type LiveEvent, type Service } from '../src/service.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'triage-admin-token';
const RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Incidents of several bands at several sites (each a separate incident: zones and hours apart). */
const EVENTS = [
  { source: 'access_control', type: 'door_forced', sourceEventId: 'tr-co', occurredAt: '2026-11-20T02:14:00-05:00', site: 'store-101', zone: 'cash-office', device: 'cr-101-co', assets: ['safe-1'] },
  ...Array.from({ length: 4 }, (_, i) => ({ source: 'access_control', type: 'door_forced', sourceEventId: `tr-cage-${i}`, occurredAt: `2026-11-21T0${i * 2}:30:00-06:00`, site: 'dc-201', zone: 'cage', device: 'cr-201-cage' })),
  { source: 'alarm', type: 'glass_break', sourceEventId: 'tr-gb', occurredAt: '2026-11-21T23:10:00-08:00', site: 'hq-301', zone: 'lobby', device: 'gb-301-lobby' },
  { source: 'cctv', type: 'loitering', sourceEventId: 'tr-lo', occurredAt: '2026-11-21T12:00:00-06:00', site: 'dc-201', zone: 'yard', device: 'cam-201-yard' },
  { source: 'access_control', type: 'access_denied', sourceEventId: 'tr-badge', occurredAt: '2026-11-22T03:00:00-05:00', site: 'store-101', zone: 'stockroom', badge: 'B-1022' },
];

describe.each(TEST_STORES)('triage on $name', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let drop: () => Promise<void> = async () => {};
  let clock = new Date('2026-11-22T12:00:00Z');
  const live: LiveEvent[] = [];

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({
      config: loadDemoConfig(),
      ...(s.dataDir ? { dataDir: s.dataDir } : {}),
      ...(s.databaseUrl ? { databaseUrl: s.databaseUrl } : {}),
      adminToken: ADMIN,
      now: () => clock,
    });
    service.bus.on('change', (e: LiveEvent) => live.push(e));
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const r = await call('POST', '/api/v1/events', { body: EVENTS });
    expect(r.status).toBe(202);
  });

  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop();
  });

  async function call(method: string, path: string, opts: { body?: unknown; token?: string } = {}): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? ADMIN}` };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function allPages(path: string, limit: number): Promise<Json[]> {
    const items: Json[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const r = await call('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(limit);
      items.push(...r.body.items);
      cursor = r.body.nextCursor;
      if (!cursor) return items;
    }
    throw new Error('pagination did not end');
  }

  const byZone = async (site: string, zone: string): Promise<Json> => {
    const r = await call('GET', `/api/v1/incidents?site=${site}&limit=500`);
    const found = r.body.items.filter((i: Json) => i.zone === zone);
    expect(found.length).toBeGreaterThan(0);
    return found[0];
  };

  it('sorts by priority: band high to low, then oldest first, and pages through it with its own cursors', async () => {
    const all = await call('GET', '/api/v1/incidents?sort=priority&limit=500');
    expect(all.status).toBe(200);
    const items: Json[] = all.body.items;
    expect(items.length).toBeGreaterThanOrEqual(7);
    expect(new Set(items.map((i) => i.severity.band)).size).toBeGreaterThan(1);
    for (let k = 1; k < items.length; k++) {
      const a = items[k - 1];
      const b = items[k];
      const ra = RANK[a.severity.band];
      const rb = RANK[b.severity.band];
      expect(ra).toBeLessThanOrEqual(rb);
      if (ra === rb) expect(a.openedAt <= b.openedAt).toBe(true);
    }
    // The same incidents as the default order, in another order.
    const newest = await call('GET', '/api/v1/incidents?limit=500');
    expect([...items.map((i) => i.id)].sort()).toEqual([...newest.body.items.map((i: Json) => i.id)].sort());
    expect(items.map((i) => i.id)).not.toEqual(newest.body.items.map((i: Json) => i.id));
    for (const limit of [1, 2, 3]) {
      const paged = await allPages('/api/v1/incidents?sort=priority', limit);
      expect(paged.map((i) => i.id)).toEqual(items.map((i) => i.id));
    }
    // Filters and the priority order together.
    const dc = await allPages('/api/v1/incidents?sort=priority&site=dc-201', 2);
    expect(dc.map((i) => i.id)).toEqual(items.filter((i) => i.site === 'dc-201').map((i) => i.id));
    // A cursor of one order is refused by the other, naming the cursor.
    const first = await call('GET', '/api/v1/incidents?limit=1');
    const wrong = await call('GET', `/api/v1/incidents?sort=priority&limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details[0].path).toBe('cursor');
    const pfirst = await call('GET', '/api/v1/incidents?sort=priority&limit=1');
    const wrong2 = await call('GET', `/api/v1/incidents?limit=1&cursor=${encodeURIComponent(pfirst.body.nextCursor)}`);
    expect(wrong2.status).toBe(400);
    const badSort = await call('GET', '/api/v1/incidents?sort=loudest');
    expect(badSort.status).toBe(400);
    expect(JSON.stringify(badSort.body.error.details)).toContain('sort');
  });

  it('searches by incident id, zone, asset id or name and badge, within the filters', async () => {
    const co = await byZone('store-101', 'cash-office');
    const q = async (term: string, extra = '') => (await call('GET', `/api/v1/incidents?q=${encodeURIComponent(term)}${extra}&limit=500`)).body.items.map((i: Json) => i.id);
    expect(await q(co.id)).toEqual([co.id]);
    expect(await q(co.id.slice(0, co.id.length - 2).toUpperCase())).toContain(co.id);
    expect(await q('cash-office')).toEqual([co.id]);
    expect(await q('safe-1')).toContain(co.id);
    expect(await q('cash safe')).toContain(co.id);
    const cage = await q('cage');
    expect(cage.length).toBe(4);
    expect(await q('cage', '&site=store-101')).toEqual([]);
    const badge = await byZone('store-101', 'stockroom');
    expect(await q('b-1022')).toEqual([badge.id]);
    expect(await q('nothing-like-this')).toEqual([]);
    // A LIKE wildcard is a character, not a pattern.
    expect(await q('%')).toEqual([]);
    const long = await call('GET', `/api/v1/incidents?q=${'x'.repeat(201)}`);
    expect(long.status).toBe(400);
    expect(long.body.error.details[0].path).toContain('q');
  });

  it('assigns an incident to a contact of its site, filters by assignee, unassigns, and refuses what does not fit', async () => {
    const co = await byZone('store-101', 'cash-office');
    const before = live.length;
    const r = await call('POST', `/api/v1/incidents/${co.id}/assign`, { body: { assignee: 'lead-101' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: co.id, assignee: 'lead-101', assignedAt: clock.toISOString() });
    expect(live.slice(before).some((e) => e.kind === 'incident.updated' && e.incidentId === co.id && (e.data as Json).assignee === 'lead-101')).toBe(true);
    const audit = await service.db.query<{ actor: string; action: string; details: Json }>(`SELECT actor, action, details FROM audit_log WHERE target = $1 AND action LIKE 'incident.%assign' ORDER BY seq`, [co.id]);
    expect(audit.rows.map((a) => a.action)).toEqual(['incident.assign']);
    expect(audit.rows[0].details).toEqual({ from: null, to: 'lead-101' });

    expect((await call('GET', `/api/v1/incidents/${co.id}`)).body.assignee).toBe('lead-101');
    const mine = await call('GET', '/api/v1/incidents?assignee=lead-101');
    expect(mine.body.items.map((i: Json) => i.id)).toEqual([co.id]);
    const unassigned = await call('GET', '/api/v1/incidents?assignee=none&limit=500');
    expect(unassigned.body.items.length).toBeGreaterThan(0);
    expect(unassigned.body.items.every((i: Json) => i.assignee === null)).toBe(true);
    const both = await call('GET', '/api/v1/incidents?assignee=none,lead-101&limit=500');
    const all = await call('GET', '/api/v1/incidents?limit=500');
    expect(both.body.items.length).toBe(all.body.items.length);

    // The same assignee again changes nothing and records nothing.
    expect((await call('POST', `/api/v1/incidents/${co.id}/assign`, { body: { assignee: 'lead-101' } })).status).toBe(200);
    // The people of another site, unknown people and bad bodies: 400 naming assignee.
    for (const body of [{ assignee: 'lead-201' }, { assignee: 'nobody' }, { assignee: 'Not An Id' }, {}, { assignee: 'lead-101', extra: 1 }]) {
      const bad = await call('POST', `/api/v1/incidents/${co.id}/assign`, { body });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid');
    }
    const other = await call('POST', `/api/v1/incidents/${co.id}/assign`, { body: { assignee: 'lead-201' } });
    expect(other.body.error.details[0].path).toBe('assignee');
    expect(other.body.error.details[0].message).toContain('lead-101');
    expect((await call('POST', '/api/v1/incidents/no-such-incident/assign', { body: { assignee: 'lead-101' } })).status).toBe(404);

    // The people offered: the contacts covering the site.
    const people = await call('GET', `/api/v1/incidents/${co.id}/assignees`);
    expect(people.body.items.map((p: Json) => p.id)).toEqual(expect.arrayContaining(['lead-101', 'rr-101', 'mgr-retail', 'inv-1']));
    expect(people.body.items.map((p: Json) => p.id)).not.toContain('lead-201');

    // Site scope and permission.
    const dcLead = await createApiToken(service.db, { name: 'dc lead triage', role: 'security_lead', sites: ['dc-201'] });
    expect((await call('POST', `/api/v1/incidents/${co.id}/assign`, { body: { assignee: 'lead-101' }, token: dcLead.token })).status).toBe(404);
    expect((await call('GET', `/api/v1/incidents/${co.id}/assignees`, { token: dcLead.token })).status).toBe(404);
    const guard = await createApiToken(service.db, { name: 'guard triage', role: 'guard' });
    expect((await call('POST', `/api/v1/incidents/${co.id}/assign`, { body: { assignee: 'lead-101' }, token: guard.token })).status).toBe(403);
    const cage = await byZone('dc-201', 'cage');
    const scoped = await call('POST', `/api/v1/incidents/${cage.id}/assign`, { body: { assignee: 'lead-201' }, token: dcLead.token });
    expect(scoped.status).toBe(200);
    expect(scoped.body.assignee).toBe('lead-201');

    // Unassign.
    const un = await call('POST', `/api/v1/incidents/${co.id}/assign`, { body: { assignee: null } });
    expect(un.status).toBe(200);
    expect(un.body).toMatchObject({ assignee: null, assignedAt: null });
    const audit2 = await service.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target = $1 AND action LIKE 'incident.%assign' ORDER BY seq`, [co.id]);
    expect(audit2.rows.map((a) => a.action)).toEqual(['incident.assign', 'incident.unassign']);
    expect((await call('GET', '/api/v1/incidents?assignee=lead-101')).body.items).toEqual([]);
  });

  it('carries the SLA deadlines from policy and where the incident stands against them', async () => {
    const sla = service.config.policy.sla;
    const all = await call('GET', '/api/v1/incidents?limit=500');
    for (const i of all.body.items) {
      const band = i.severity.band as keyof typeof sla.acknowledgeMinutes;
      expect(Date.parse(i.ackDueAt)).toBe(Date.parse(i.openedAt) + sla.acknowledgeMinutes[band] * 60_000);
      expect(Date.parse(i.resolveDueAt)).toBe(Date.parse(i.openedAt) + sla.resolveHours[band] * 3_600_000);
    }
    const inc = await byZone('store-101', 'stockroom');
    // Just after opening: both running; past the acknowledgement deadline: overdue.
    clock = new Date(Date.parse(inc.openedAt) + 60_000);
    expect((await call('GET', `/api/v1/incidents/${inc.id}`)).body).toMatchObject({ ackSla: 'running', resolveSla: 'running', ackDueAt: inc.ackDueAt, resolveDueAt: inc.resolveDueAt });
    clock = new Date(Date.parse(inc.ackDueAt) + 60_000);
    expect((await call('GET', `/api/v1/incidents/${inc.id}`)).body.ackSla).toBe('overdue');
    // Acknowledged late: missed, and the resolution deadline still running.
    const ack = await call('POST', `/api/v1/incidents/${inc.id}/acknowledge`);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ status: 'acknowledged', ackSla: 'missed', resolveSla: 'running' });
    // Acknowledged in time: met.
    const gb = await byZone('hq-301', 'lobby');
    clock = new Date(Date.parse(gb.openedAt) + 30_000);
    const ack2 = await call('POST', `/api/v1/incidents/${gb.id}/acknowledge`);
    expect(ack2.body.ackSla).toBe('met');
    const listed = (await call('GET', '/api/v1/incidents?status=acknowledged&limit=500')).body.items;
    expect(listed.find((i: Json) => i.id === gb.id).ackSla).toBe('met');
  });

  it('filters notifications by site, channel and state', async () => {
    const all = await call('GET', '/api/v1/notifications?limit=2000');
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThan(0);
    const sites = new Set(all.body.items.map((n: Json) => n.site));
    expect(sites.has('store-101')).toBe(true);
    const one = await call('GET', '/api/v1/notifications?site=store-101&limit=2000');
    expect(one.body.items.length).toBeGreaterThan(0);
    expect(one.body.items.every((n: Json) => n.site === 'store-101')).toBe(true);
    expect(one.body.items.length).toBe(all.body.items.filter((n: Json) => n.site === 'store-101').length);
    const sms = await call('GET', '/api/v1/notifications?site=store-101&channel=sms&limit=2000');
    expect(sms.body.items.every((n: Json) => n.channel === 'sms' && n.site === 'store-101')).toBe(true);
    const bad = await call('GET', '/api/v1/notifications?site=Not%20A%20Site');
    expect(bad.status).toBe(400);
  });
});
