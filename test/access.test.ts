/**
 * Who may read and do what, end to end on every test store through real HTTP: the live stream
 * keeps sites apart and hears every change a user can see in a list; tokens are made, listed and
 * revoked over the API; each role is held to its permissions, and a machine `ingest` token reads
 * no contact data; the notification list pages newest first through every row. The tests of a
 * store share it and build on each other's data in order.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/api/auth.js';
import { buildServer } from '../src/api/server.js';
import type { Providers } from '../src/channels/dispatcher.js';
import { loadDemoConfig } from '../src/config/loader.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, hashToken, type Service } from '../src/service.js';
import { TEST_STORES } from './helpers/stores.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const ADMIN = 'access-admin-token';

/** In-process delivery providers: everything is accepted, nothing leaves the machine. */
function fakeProviders(): Providers {
  let n = 0;
  return {
    sms: { send: async (to, body) => ({ sid: `SM${++n}`, to, body }), list: async () => [] },
    email: { send: async () => `mail-${++n}` },
    webhook: { post: async () => 200 },
  };
}

const door = (id: string, occurredAt: string, site: string, zone: string): SecurityEvent => ({
  source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: new Date(occurredAt).toISOString(), site, zone, details: {},
});

interface StreamMessage {
  event: string;
  data: Json;
}

/**
 * Connects to the live stream and collects its messages until `until` holds or `ms` pass.
 * `ready` resolves once the server has answered (the listener is registered by then).
 */
function listen(base: string, token: string, ms: number, until: (msgs: StreamMessage[]) => boolean): { ready: Promise<void>; done: Promise<StreamMessage[]> } {
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const done = (async () => {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), ms);
    const msgs: StreamMessage[] = [];
    try {
      const res = await fetch(`${base}/api/v1/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      while (!until(msgs)) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buf += decoder.decode(value, { stream: true });
        if (buf.includes(': connected')) markReady();
        let k: number;
        while ((k = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, k);
          buf = buf.slice(k + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data) msgs.push({ event: ev, data: JSON.parse(data) });
        }
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    } finally {
      clearTimeout(timer);
      ctrl.abort();
      markReady();
    }
    return msgs;
  })();
  return { ready, done };
}

describe.each(TEST_STORES)('access on $name', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let base = '';
  let drop: (() => Promise<void>) | undefined;
  let clock = new Date('2026-11-20T08:30:00Z');

  async function call(method: string, path: string, token = ADMIN, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: Json = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  }

  /** Runs the workflow and delivers everything due now. */
  async function settle() {
    for (let i = 0; i < 4; i++) {
      await service.runner.drain();
      await service.dispatcher.drain();
    }
  }

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({
      config: loadDemoConfig(),
      dataDir: s.dataDir,
      databaseUrl: s.databaseUrl,
      adminToken: ADMIN,
      now: () => clock,
      providers: fakeProviders(),
      dispatcher: { random: () => 0.999 },
    });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop?.();
  });

  it('tells each site-scoped token only its own site, and an unscoped admin every site', async () => {
    const east = await createApiToken(service.db, { name: 'east manager', role: 'manager', sites: ['store-101'] });
    const dc = await createApiToken(service.db, { name: 'dc manager', role: 'manager', sites: ['dc-201'] });
    // The last change of the scenario is a guard update at each site: it ends each listener.
    const lastGuard: Record<string, string> = {};
    const heardGuard = (m: StreamMessage, g: string | undefined) => g !== undefined && (m.data.guard === g || m.data.id === g);
    const eastStream = listen(base, east.token, 20_000, (ms) => ms.some((m) => heardGuard(m, lastGuard['store-101'])));
    const dcStream = listen(base, dc.token, 20_000, (ms) => ms.some((m) => heardGuard(m, lastGuard['dc-201'])));
    const allStream = listen(base, ADMIN, 20_000, (ms) => ms.some((m) => heardGuard(m, lastGuard['store-101'])) && ms.some((m) => heardGuard(m, lastGuard['dc-201'])));
    await Promise.all([eastStream.ready, dcStream.ready, allStream.ready]);

    // A new incident at each site (the emergency SMS is queued with it), then the workflow: the
    // SMS and emails are delivered (notification changes) and a guard is sent (a patrol).
    const a = await service.pipeline.ingest([door('acc-east', '2026-11-20T02:14:00-05:00', 'store-101', 'cash-office')]);
    const b = await service.pipeline.ingest([door('acc-dc', '2026-11-20T02:14:00-06:00', 'dc-201', 'cage')]);
    const incidents: Record<string, string> = { 'store-101': a.incidentsOpened[0], 'dc-201': b.incidentsOpened[0] };
    expect(Object.values(incidents).every(Boolean)).toBe(true);
    await settle();

    const patrols: Record<string, { id: string; guardId: string }> = {};
    for (const site of ['store-101', 'dc-201']) {
      // A lifecycle action through the API.
      const ack = await call('POST', `/api/v1/incidents/${incidents[site]}/acknowledge`, ADMIN, { note: 'on it' });
      expect(ack.status, JSON.stringify(ack.body)).toBe(200);
      // A patrol acknowledged through the API.
      const list = await call('GET', `/api/v1/patrols?incident=${incidents[site]}`);
      expect(list.body.items.length).toBeGreaterThan(0);
      patrols[site] = list.body.items[0];
      expect((await call('POST', `/api/v1/patrols/${patrols[site].id}/acknowledge`)).status).toBe(200);
    }
    for (const site of ['store-101', 'dc-201']) {
      lastGuard[site] = patrols[site].guardId;
      const patch = await call('PATCH', `/api/v1/guards/${patrols[site].guardId}`, ADMIN, { position: [5, 5] });
      expect(patch.status, JSON.stringify(patch.body)).toBe(200);
    }

    const [eastHeard, dcHeard, allHeard] = await Promise.all([eastStream.done, dcStream.done, allStream.done]);
    const expectSite = (heard: StreamMessage[], site: string) => {
      const other = site === 'store-101' ? 'dc-201' : 'store-101';
      // Every message names its site, and only the token's own site is heard.
      expect(heard.filter((m) => m.data.site !== site).map((m) => [m.event, m.data.site])).toEqual([]);
      expect(heard.some((m) => m.data.incidentId === incidents[other] || m.data.id === patrols[other].id || heardGuard(m, patrols[other].guardId))).toBe(false);
      const about = (pred: (m: StreamMessage) => boolean) => heard.filter(pred).length;
      expect(about((m) => m.event === 'incident.opened' && m.data.incidentId === incidents[site])).toBe(1);
      expect(about((m) => m.event === 'incident.updated' && m.data.incidentId === incidents[site] && m.data.status === 'acknowledged')).toBe(1);
      expect(about((m) => m.event === 'notification.updated' && m.data.incidentId === incidents[site])).toBeGreaterThan(0);
      expect(about((m) => m.event === 'patrol.updated' && m.data.id === patrols[site].id && m.data.status === 'acknowledged')).toBe(1);
      expect(about((m) => heardGuard(m, patrols[site].guardId))).toBe(1);
    };
    expectSite(eastHeard, 'store-101');
    expectSite(dcHeard, 'dc-201');
    // The admin hears both sites, each message with its site.
    for (const site of ['store-101', 'dc-201']) {
      const mine = allHeard.filter((m) => m.data.site === site);
      expect(mine.filter((m) => m.event === 'incident.opened').map((m) => m.data.incidentId)).toEqual([incidents[site]]);
      expect(mine.some((m) => m.event === 'incident.updated' && m.data.status === 'acknowledged')).toBe(true);
      expect(mine.some((m) => m.event === 'notification.updated')).toBe(true);
      expect(mine.some((m) => m.event === 'patrol.updated' && m.data.id === patrols[site].id)).toBe(true);
      expect(mine.some((m) => heardGuard(m, patrols[site].guardId))).toBe(true);
    }
    expect(allHeard.every((m) => typeof m.data.site === 'string')).toBe(true);
  });

  it('makes, lists and revokes tokens over the API (admin only); a duplicate name is a 409 and the plain token is shown once', async () => {
    const made = await call('POST', '/api/v1/tokens', ADMIN, { name: 'east feeder', role: 'ingest', sites: ['store-101'], expires: '30d' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ name: 'east feeder', role: 'ingest', sites: ['store-101'] });
    expect(made.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(made.body.expiresAt).getTime()).toBe(clock.getTime() + 30 * 86_400_000);
    // Only the hash is stored.
    const stored = await service.db.query<{ token_hash: string }>(`SELECT token_hash FROM api_tokens WHERE name = 'east feeder'`);
    expect(stored.rows.map((r) => r.token_hash)).toEqual([hashToken(made.body.token)]);

    const dup = await call('POST', '/api/v1/tokens', ADMIN, { name: 'east feeder', role: 'guard' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict');
    const bad = await call('POST', '/api/v1/tokens', ADMIN, { name: '', role: 'wizard', sites: ['Nope!'], expires: 'soon' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: Json) => d.path).sort()).toEqual(['expires', 'name', 'role', 'sites[0]'].sort());
    const foreign = await call('POST', '/api/v1/tokens', ADMIN, { name: 'typo', role: 'guard', sites: ['store-909'] });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.details[0]).toMatchObject({ path: 'sites[0]', message: expect.stringContaining('unknown site "store-909"') });

    const list = await call('GET', '/api/v1/tokens');
    expect(list.status).toBe(200);
    const row = list.body.items.find((t: Json) => t.name === 'east feeder');
    expect(row).toMatchObject({ role: 'ingest', sites: ['store-101'], revokedAt: null, state: 'active' });
    expect(JSON.stringify(list.body)).not.toContain(made.body.token);
    expect(JSON.stringify(list.body)).not.toContain(hashToken(made.body.token));

    // Nobody but an admin manages tokens.
    const manager = await createApiToken(service.db, { name: 'a manager', role: 'manager' });
    expect((await call('GET', '/api/v1/tokens', manager.token)).status).toBe(403);
    expect((await call('POST', '/api/v1/tokens', manager.token, { name: 'mine', role: 'admin' })).status).toBe(403);
    expect((await call('DELETE', '/api/v1/tokens/east%20feeder', manager.token)).status).toBe(403);

    // The new token works until it is revoked; revoking through this server takes effect at once.
    const ev = { source: 'device', type: 'heartbeat', sourceEventId: 'acc-hb-1', occurredAt: '2026-11-20T08:00:00Z', site: 'store-101', device: 'cr-101-co' };
    expect((await call('POST', '/api/v1/events', made.body.token, ev)).status).toBe(202);
    const revoked = await call('DELETE', '/api/v1/tokens/east%20feeder');
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ name: 'east feeder', state: 'revoked' });
    expect((await call('POST', '/api/v1/events', made.body.token, { ...ev, sourceEventId: 'acc-hb-2' })).status).toBe(401);
    expect((await call('DELETE', '/api/v1/tokens/east%20feeder')).status).toBe(404);
    // The name is free again once its token is revoked.
    expect((await call('POST', '/api/v1/tokens', ADMIN, { name: 'east feeder', role: 'ingest' })).status).toBe(201);
  });

  it('refuses an expired token with 401', async () => {
    const made = await call('POST', '/api/v1/tokens', ADMIN, { name: 'short lived', role: 'auditor', expires: '1h' });
    expect(made.status).toBe(201);
    expect((await call('GET', '/api/v1/incidents', made.body.token)).status).toBe(200);
    const past = await createApiToken(service.db, { name: 'already expired', role: 'auditor', expiresAt: new Date(clock.getTime() - 1000) });
    const r = await call('GET', '/api/v1/incidents', past.token);
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(/expired/);
    const saved = clock;
    clock = new Date(clock.getTime() + 2 * 3_600_000);
    try {
      expect((await call('GET', '/api/v1/incidents', made.body.token)).status).toBe(401);
    } finally {
      clock = saved;
    }
  });

  it('holds every role to its permissions: an ingest token posts events and reads nothing, contact data needs people:read', async () => {
    const ingest = await createApiToken(service.db, { name: 'machine', role: 'ingest', sites: ['store-101'] });
    const investigator = await createApiToken(service.db, { name: 'investigator', role: 'investigator' });
    const guard = await createApiToken(service.db, { name: 'a guard', role: 'guard' });
    const lead = await createApiToken(service.db, { name: 'a lead', role: 'security_lead' });
    const incident = (await call('GET', '/api/v1/incidents?site=store-101')).body.items[0].id as string;
    const admin = await call('GET', `/api/v1/incidents/${incident}`);
    expect(admin.body.notifications.length).toBeGreaterThan(0);
    expect(admin.body.notifications.some((n: Json) => typeof n.address === 'string' && typeof n.body === 'string')).toBe(true);

    // The machine token: events in, nothing out.
    const ev = { source: 'device', type: 'heartbeat', sourceEventId: 'acc-hb-9', occurredAt: '2026-11-20T08:00:00Z', site: 'store-101', device: 'cr-101-co' };
    expect((await call('POST', '/api/v1/events', ingest.token, ev)).status).toBe(202);
    for (const path of ['/api/v1/notifications', '/api/v1/guards', '/api/v1/patrols', `/api/v1/incidents/${incident}`, '/api/v1/incidents', '/api/v1/events', '/api/v1/stream', '/api/v1/tokens', '/api/v1/sites', `/api/v1/incidents/${incident}/cap`]) {
      const r = await call('GET', path, ingest.token);
      expect([path, r.status]).toEqual([path, 403]);
    }

    // Reading roles without people:read see incidents, not contact data.
    for (const token of [investigator.token, guard.token]) {
      const detail = await call('GET', `/api/v1/incidents/${incident}`, token);
      expect(detail.status).toBe(200);
      expect(detail.body.notifications.length).toBe(admin.body.notifications.length);
      for (const n of detail.body.notifications) {
        expect(n).not.toHaveProperty('address');
        expect(n).not.toHaveProperty('body');
        expect(n).not.toHaveProperty('subject');
        expect(n.status).toEqual(expect.any(String));
      }
      const guards = await call('GET', '/api/v1/guards', token);
      expect(guards.status).toBe(200);
      expect(guards.body.items.length).toBeGreaterThan(0);
      expect(guards.body.items.some((g: Json) => 'phone' in g)).toBe(false);
      expect((await call('GET', '/api/v1/notifications', token)).status).toBe(403);
      // Nor do the step results name anybody's phone number or email address.
      expect(JSON.stringify(detail.body)).not.toMatch(/\+1555|@northwind\.example/);
    }
    // The guard may move a guard, but the answer carries no phone number.
    const gid = (await call('GET', '/api/v1/guards?site=store-101')).body.items[0].id;
    const moved = await call('PATCH', `/api/v1/guards/${gid}`, guard.token, { position: [6, 6] });
    expect(moved.status).toBe(200);
    expect(moved.body).not.toHaveProperty('phone');
    // The investigator reads but acts on nothing.
    expect((await call('POST', `/api/v1/incidents/${incident}/resolve`, investigator.token, {})).status).toBe(403);
    expect((await call('PATCH', `/api/v1/guards/${gid}`, investigator.token, { position: [6, 6] })).status).toBe(403);
    // A lead sees contact data.
    const leadList = await call('GET', '/api/v1/notifications', lead.token);
    expect(leadList.status).toBe(200);
    expect(leadList.body.items.every((n: Json) => typeof n.address === 'string')).toBe(true);
    expect((await call('GET', '/api/v1/guards', lead.token)).body.items.every((g: Json) => typeof g.phone === 'string')).toBe(true);
  });

  it('lists notifications newest first, every one reachable exactly once through nextCursor', async () => {
    const inc = (await call('GET', '/api/v1/incidents?site=dc-201')).body.items[0].id as string;
    // 1,234 more notifications, three to a microsecond-identical time so the tiebreaker matters.
    await service.db.query(
      `INSERT INTO notifications (id, incident_id, idempotency_key, channel, kind, recipient, address, body, status, created_at)
       SELECT 'ntf-bulk-' || lpad(g::text, 5, '0'), $1, 'bulk:' || g, 'email', 'bulk', 'lead-201', 'lead@example.test', 'body ' || g, 'cancelled',
              $2::timestamptz + ((g / 3) * interval '1 second')
         FROM generate_series(1, 1234) AS g`,
      [inc, '2026-11-19T00:00:00Z'],
    );
    const total = Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications`)).rows[0].n);
    expect(total).toBeGreaterThan(1234);
    const newest = (await service.db.query<{ id: string }>(`SELECT id FROM notifications ORDER BY created_at DESC, id DESC LIMIT 1`)).rows[0].id;

    const seen: Json[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const r: { status: number; body: Json } = await call('GET', `/api/v1/notifications?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.items);
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(seen.length).toBe(total);
    expect(new Set(seen.map((n) => n.id)).size).toBe(total);
    expect(seen[0].id).toBe(newest);
    for (let i = 1; i < seen.length; i++) expect(seen[i - 1].createdAt >= seen[i].createdAt).toBe(true);
    // The default page is the newest 500.
    const first = await call('GET', '/api/v1/notifications');
    expect(first.body.items.map((n: Json) => n.id)).toEqual(seen.slice(0, 500).map((n) => n.id));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    // Filters and cursors combine; a foreign cursor is a 400.
    const bulk = await call('GET', `/api/v1/notifications?incident=${inc}&channel=email&limit=1000`);
    const bulkNext = await call('GET', `/api/v1/notifications?incident=${inc}&channel=email&limit=1000&cursor=${encodeURIComponent(bulk.body.nextCursor)}`);
    expect(bulk.body.items.length + bulkNext.body.items.length).toBe(seen.filter((n) => n.incidentId === inc && n.channel === 'email').length);
    expect(bulkNext.body.nextCursor).toBeNull();
    expect((await call('GET', '/api/v1/notifications?cursor=bm9wZQ')).status).toBe(400);
  });
});
