/**
 * The HTTP API end to end: a real server on a random port, real HTTP through fetch, on every test
 * store (embedded always, PostgreSQL when VIGIL_TEST_DATABASE_URL is set), a fresh store per store.
 * Tests in a describe share the store and build on each other's data in order.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/api/auth.js';
import { locateJsonError } from '../src/api/json-body.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { TEST_STORES } from './helpers/stores.js';
import { BUILT_INCIDENT_STEPS } from '../src/workflow/incident-response.js';

const ADMIN = 'test-admin-token';

interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const forcedDoor = {
  source: 'access_control',
  type: 'door_forced',
  sourceEventId: 't-1',
  occurredAt: '2026-11-20T02:14:00-05:00',
  site: 'store-101',
  zone: 'cash-office',
  device: 'cr-101-co', // the card reader on the cash-office door (demo config)
  assets: ['safe-1'],
};

describe('locateJsonError', () => {
  it('finds the first bad character of a JSON text, and nothing in valid JSON', () => {
    expect(locateJsonError('{"a":}')).toMatchObject({ position: 5 });
    expect(locateJsonError('[1,2,,3]')).toMatchObject({ position: 5 });
    expect(locateJsonError('{"a":1')).toMatchObject({ position: 6, reason: 'unexpected end of input' });
    expect(locateJsonError('{"a":tru}')).toMatchObject({ position: 8 });
    expect(locateJsonError('[1] x')).toMatchObject({ position: 4 });
    expect(locateJsonError('{"a":"\\q"}')).toMatchObject({ position: 7 });
    expect(locateJsonError('{"a":-01}')).toMatchObject({ position: 7 });
    for (const ok of ['{}', '[]', ' {"a": [1, -2.5e+3, true, false, null, "x\\u00e9\\n"], "b": {}} ', '"s"', '0']) {
      expect(locateJsonError(ok)).toBeUndefined();
      JSON.parse(ok);
    }
    // Deep nesting is scanned without recursion.
    expect(locateJsonError('['.repeat(100_000) + ']'.repeat(99_999))).toMatchObject({ position: 199_999 });
  });
});

describe.each(TEST_STORES)('HTTP API on $name', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let drop: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({
      config: loadDemoConfig(),
      ...(s.dataDir ? { dataDir: s.dataDir } : {}),
      ...(s.databaseUrl ? { databaseUrl: s.databaseUrl } : {}),
      adminToken: ADMIN,
    });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop();
  });

  async function call(method: string, path: string, opts: { body?: unknown; raw?: string; type?: string; token?: string | null } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? ADMIN : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
    const res = await fetch(base + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  const countEvents = async () => Number((await service.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0].n);

  /** Every item of a list, following nextCursor page by page. */
  async function allPages(path: string, limit: number): Promise<Json[]> {
    const items: Json[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 1000; page++) {
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

  it('answers 401 in the contract shape without a token, with a wrong token, or with another scheme', async () => {
    for (const token of [null, 'wrong-token', '']) {
      const r = await call('GET', '/api/v1/incidents', { token });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
      expect(typeof r.body.error.message).toBe('string');
      expect(r.body.error.details).toEqual([]);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const basic = await fetch(`${base}/api/v1/events`, { headers: { authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` } });
    expect(basic.status).toBe(401);
    // A POST without a token is refused before its body is looked at.
    const post = await call('POST', '/api/v1/events', { body: forcedDoor, token: null });
    expect(post.status).toBe(401);
    expect(await countEvents()).toBe(0);
  });

  it('ingests one event, an array and NDJSON (202) and lists them in the event log', async () => {
    const hb = (n: number, minute: number) => ({
      source: 'device',
      type: 'heartbeat',
      sourceEventId: `hb-${n}`,
      occurredAt: `2026-11-20T10:${String(minute).padStart(2, '0')}:00-05:00`,
      site: 'store-101',
      zone: 'sales-floor',
      device: 'cam-101-sf-1',
    });
    const one = await call('POST', '/api/v1/events', { body: hb(1, 1) });
    expect(one.status).toBe(202);
    expect(one.body).toEqual({ accepted: 1, duplicates: 0, ids: [expect.stringMatching(/^evt-\d+$/)] });

    const arr = await call('POST', '/api/v1/events', {
      body: [hb(2, 2), hb(3, 3), { source: 'pos', type: 'void', sourceEventId: 'pos-1', occurredAt: '2026-11-20T10:04:00-05:00', site: 'store-101', device: 'pos-101-1', amount: { value: 12.5, currency: 'USD' } }],
    });
    expect(arr.status).toBe(202);
    expect(arr.body.accepted).toBe(3);
    expect(arr.body.ids).toHaveLength(3);

    const nd = await call('POST', '/api/v1/events', { raw: `${JSON.stringify(hb(4, 5))}\n\n${JSON.stringify(hb(5, 6))}\r\n`, type: 'application/x-ndjson' });
    expect(nd.status).toBe(202);
    expect(nd.body.accepted).toBe(2);

    const list = await call('GET', '/api/v1/events?site=store-101&source=device,pos');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(6);
    expect(list.body.nextCursor).toBeNull();
    // Newest first.
    const times = list.body.items.map((e: Json) => e.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(list.body.items[0]).toMatchObject({ source: 'device', type: 'heartbeat', sourceEventId: 'hb-5', occurredAt: '2026-11-20T15:06:00.000Z', site: 'store-101', zone: 'sales-floor', device: 'cam-101-sf-1', incidentId: null });
    expect(list.body.items[0].id).toBe(nd.body.ids[1]);
    expect(typeof list.body.items[0].receivedAt).toBe('string');
    const pos = list.body.items.find((e: Json) => e.source === 'pos');
    expect(pos.amount).toEqual({ value: '12.50', currency: 'USD' });
    expect(pos.id).toBe(arr.body.ids[2]);

    // Keyset pagination of the event log returns each event once.
    const paged = await allPages('/api/v1/events?site=store-101&source=device,pos', 4);
    expect(paged.map((e) => e.id)).toEqual(list.body.items.map((e: Json) => e.id));
    const filtered = await call('GET', '/api/v1/events?type=heartbeat&from=2026-11-20T10:03:00-05:00&to=2026-11-20T10:06:00-05:00');
    expect(filtered.body.items.map((e: Json) => e.sourceEventId)).toEqual(['hb-4', 'hb-3']);
  });

  it('stores the same (source, sourceEventId) once and answers the same id', async () => {
    const ev = { source: 'device', type: 'heartbeat', sourceEventId: 'dup-1', occurredAt: '2026-11-20T11:00:00Z', site: 'dc-201', device: 'cam-201-yard' };
    const first = await call('POST', '/api/v1/events', { body: ev });
    const before = await countEvents();
    const second = await call('POST', '/api/v1/events', { body: ev });
    expect(second.status).toBe(202);
    expect(second.body).toEqual({ accepted: 0, duplicates: 1, ids: first.body.ids });
    expect(await countEvents()).toBe(before);
  });

  it('refuses an invalid batch with every problem listed and stores nothing', async () => {
    const before = await countEvents();
    const r = await call('POST', '/api/v1/events', {
      body: [
        { source: 'cctv', type: 'motion', occurredAt: 'yesterday', site: 'Store 101' },
        { source: 'cctv', type: 'motion', occurredAt: '2026-11-20T10:00:00Z', site: 'store-101', sourceEventId: 'ok-1' },
        { source: 'telepathy', type: 'motion', occurredAt: '2026-11-20T10:00:00Z', site: 'store-101' },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid');
    const paths = r.body.error.details.map((d: Json) => d.path).sort();
    expect(paths).toEqual(['[0].occurredAt', '[0].site', '[2].source']);
    for (const d of r.body.error.details) expect(d.message.length).toBeGreaterThan(5);
    expect(await countEvents()).toBe(before);

    // One event: paths without a prefix.
    const single = await call('POST', '/api/v1/events', { body: { source: 'cctv', type: 'motion', site: 'store-101', color: 'red' } });
    expect(single.status).toBe(400);
    expect(single.body.error.details.map((d: Json) => d.path).sort()).toEqual(['', 'occurredAt']);

    // NDJSON: problems carry the line, including lines that are not JSON.
    const nd = await call('POST', '/api/v1/events', {
      raw: [JSON.stringify({ source: 'cctv', type: 'motion', occurredAt: '2026-11-20T10:00:00Z', site: 'store-101' }), '{not json', '', JSON.stringify({ source: 'cctv', type: 'motion', site: 'store-101' })].join('\n'),
      type: 'application/x-ndjson',
    });
    expect(nd.status).toBe(400);
    expect(nd.body.error.details.map((d: Json) => [d.row, d.path])).toEqual([
      [2, ''],
      [4, 'occurredAt'],
    ]);
    expect(await countEvents()).toBe(before);

    const empty = await call('POST', '/api/v1/events', { body: [] });
    expect(empty.status).toBe(400);
    const none = await call('POST', '/api/v1/events');
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('invalid');
  });

  it('refuses more than 10,000 events in one request', async () => {
    const ev = { source: 'device', type: 'heartbeat', occurredAt: '2026-11-20T10:00:00Z', site: 'store-101' };
    const r = await call('POST', '/api/v1/events', { body: Array.from({ length: 10_001 }, () => ev) });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].message).toMatch(/at most 10000 events/);
  });

  it('answers 400 with the position for malformed JSON', async () => {
    const r = await call('POST', '/api/v1/events', { raw: '{"source": "cctv",\n  "type": }' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid');
    expect(r.body.error.details[0].message).toMatch(/line 2, column 11 \(position 29\)/);
    const proto = await call('POST', '/api/v1/events', { raw: '{"source":"cctv","__proto__":{"polluted":true}}' });
    expect(proto.status).toBe(400);
    expect(proto.body.error.details[0].message).toMatch(/__proto__/);
    const text = await call('POST', '/api/v1/events', { raw: 'hello', type: 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');
    // Hostile nesting: refused as input, not a 500.
    const deep = await call('POST', '/api/v1/events', {
      raw: `{"source":"cctv","type":"motion","occurredAt":"2026-11-20T10:00:00Z","site":"store-101","details":${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}}`,
    });
    expect(deep.status).toBe(400);
    expect(deep.body.error.details[0].message).toMatch(/nest/);
    const unsupported = await call('POST', '/api/v1/events', { raw: 'source=cctv', type: 'application/x-www-form-urlencoded' });
    expect(unsupported.status).toBe(415);
    expect(unsupported.body.error.code).toBe('unsupported_media_type');
  });

  it('answers 413 for a body over the limit', async () => {
    const small = await buildServer(service, { bodyLimit: 1024, metrics: false });
    const url = await small.listen({ port: 0, host: '127.0.0.1' });
    try {
      const body = JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ ...forcedDoor, sourceEventId: `big-${i}` })));
      expect(body.length).toBeGreaterThan(4096);
      const res = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body });
      expect(res.status).toBe(413);
      const json = (await res.json()) as Json;
      expect(json.error.code).toBe('payload_too_large');
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
    } finally {
      await small.close();
    }
  });

  let forcedId = '';

  it('scores the forced cash-office door at night as an unauthorized entry, high or critical, with its workflow', async () => {
    const r = await call('POST', '/api/v1/events', { body: forcedDoor });
    expect(r.status).toBe(202);
    const ev = await call('GET', `/api/v1/events?source=access_control&site=store-101`);
    const stored = ev.body.items.find((e: Json) => e.id === r.body.ids[0]);
    expect(stored.incidentId).toMatch(/^inc-/);
    forcedId = stored.incidentId;

    const d = await call('GET', `/api/v1/incidents/${forcedId}`);
    expect(d.status).toBe(200);
    const inc = d.body;
    expect(inc).toMatchObject({ id: forcedId, site: 'store-101', zone: 'cash-office', type: 'unauthorized_entry', status: 'open', eventCount: 1, sources: ['access_control'] });
    expect(inc.zones).toEqual(['cash-office']);
    expect(inc.firstEventAt).toBe('2026-11-20T07:14:00.000Z');
    expect(typeof inc.openedAt).toBe('string');
    expect(['high', 'critical']).toContain(inc.severity.band);
    expect(inc.severity.policyVersion).toBeTruthy();
    const factor = (name: string) => inc.severity.factors.find((f: Json) => f.name === name);
    expect(factor('afterHours').value).toBe(1);
    expect(factor('restrictedZone').value).toBe(1);
    for (const f of inc.severity.factors) for (const k of ['name', 'value', 'weight', 'contribution', 'detail']) expect(f).toHaveProperty(k);
    const sum = inc.severity.factors.reduce((s: number, f: Json) => s + f.contribution, 0);
    expect(Math.abs(sum - inc.severity.score)).toBeLessThanOrEqual(0.1);
    expect(inc.severityHistory).toHaveLength(1);
    expect(inc.severityHistory[0]).toMatchObject({ seq: 1, band: inc.severity.band, eventCount: 1 });
    expect(inc.severityHistory[0].score).toBeCloseTo(inc.severity.score, 1);

    expect(inc.loss.currency).toBe('USD');
    expect(inc.loss.gross).toBe(inc.loss.net);
    expect(inc.loss.gross).toMatch(/^\d+\.\d{2}$/);
    expect(Number(inc.loss.gross)).toBeGreaterThan(0);

    expect(inc.events).toHaveLength(1);
    expect(inc.events[0]).toMatchObject({ id: r.body.ids[0], source: 'access_control', type: 'door_forced', device: 'cr-101-co', assets: ['safe-1'], incidentId: forcedId });
    const safe = inc.assets.find((a: Json) => a.id === 'safe-1');
    expect(safe).toMatchObject({ id: 'safe-1', status: 'active', highRisk: true });
    expect(Array.isArray(inc.adjacentHighRisk)).toBe(true);

    // Every built step, in CONTRACT order (the archive step last).
    expect(inc.workflow.map((s: Json) => s.step)).toEqual([...BUILT_INCIDENT_STEPS]);
    expect(inc.workflow.map((s: Json) => s.step).slice(0, -1)).toEqual([
      'fetch-incident-logs', 'get-high-risk-assets', 'calculate-severity', 'calculate-loss-impact',
      'send-emergency-sms', 'notify-management', 'assign-guard-patrol', 'create-incident-report', 'create-investigation-task', 'update-asset-status', 'update-risk-assessment', 'review-access-logs', 'audit-surveillance-equipment',
    ]);
    // Steps 1-5 run in the ingest transaction; the runner (not started in this test) owns the rest.
    for (const s of inc.workflow.slice(0, 5)) {
      expect(s.status).toBe('done');
      expect(s.attempts).toBeGreaterThanOrEqual(1);
      expect(Date.parse(s.startedAt)).not.toBeNaN();
      expect(Date.parse(s.finishedAt)).not.toBeNaN();
    }
    expect(inc.workflow[5]).toMatchObject({ status: 'pending' });
    expect(Date.parse(inc.workflow[5].nextRunAt)).not.toBeNaN();
    // The emergency SMS decided in the ingest transaction, to the site's lead and rapid-response desk.
    expect(inc.notifications.map((n: Json) => n.recipient).sort()).toEqual(['lead-101', 'rr-101']);
    for (const k of ['patrols', 'tasks', 'accessFindings', 'equipmentFindings']) expect(inc[k]).toEqual([]);
    expect(inc.acknowledgedAt).toBeNull();
    expect(inc.resolvedAt).toBeNull();
  });

  it('opens nothing (or a low incident) for motion on the sales floor during business hours', async () => {
    const r = await call('POST', '/api/v1/events', {
      body: { source: 'cctv', type: 'motion', sourceEventId: 'm-1', occurredAt: '2026-11-20T14:00:00-05:00', site: 'store-101', zone: 'sales-floor', device: 'cam-101-sf-2' },
    });
    expect(r.status).toBe(202);
    const ev = await call('GET', '/api/v1/events?source=cctv&site=store-101');
    const stored = ev.body.items.find((e: Json) => e.id === r.body.ids[0]);
    expect(stored).toBeDefined();
    if (stored.incidentId !== null) {
      const d = await call('GET', `/api/v1/incidents/${stored.incidentId}`);
      expect(d.body.severity.band).toBe('low');
    }
  });

  it('filters the incident list and pages through it with each incident exactly once', async () => {
    // Six forced cage doors an hour apart (six incidents, opened in the same instant) and two more elsewhere.
    const cage = Array.from({ length: 6 }, (_, i) => ({
      source: 'access_control',
      type: 'door_forced',
      sourceEventId: `cage-${i}`,
      occurredAt: `2026-11-21T0${i}:30:00-06:00`,
      site: 'dc-201',
      zone: 'cage',
      device: 'cr-201-cage',
    }));
    const more = [
      { source: 'alarm', type: 'glass_break', sourceEventId: 'gb-1', occurredAt: '2026-11-21T23:10:00-08:00', site: 'hq-301', zone: 'lobby', device: 'gb-301-lobby' },
      { source: 'cctv', type: 'loitering', sourceEventId: 'lo-1', occurredAt: '2026-11-21T12:00:00-06:00', site: 'dc-201', zone: 'yard', device: 'cam-201-yard' },
    ];
    const r = await call('POST', '/api/v1/events', { body: [...cage, ...more] });
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(8);

    const all = await call('GET', '/api/v1/incidents?limit=500');
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThanOrEqual(9);
    expect(all.body.nextCursor).toBeNull();
    const item = all.body.items.find((i: Json) => i.id === forcedId);
    expect(item).toMatchObject({ site: 'store-101', type: 'unauthorized_entry', status: 'open', severity: { band: expect.any(String) }, loss: { currency: 'USD' } });

    const dc = await call('GET', '/api/v1/incidents?site=dc-201');
    expect(dc.body.items.length).toBe(7);
    expect(dc.body.items.every((i: Json) => i.site === 'dc-201')).toBe(true);
    const hot = await call('GET', '/api/v1/incidents?band=high,critical');
    expect(hot.body.items.length).toBeGreaterThan(0);
    expect(hot.body.items.every((i: Json) => ['high', 'critical'].includes(i.severity.band))).toBe(true);
    expect(hot.body.items.some((i: Json) => i.id === forcedId)).toBe(true);
    const open = await call('GET', '/api/v1/incidents?status=open&site=hq-301');
    expect(open.body.items.map((i: Json) => i.site)).toEqual(['hq-301']);
    const none = await call('GET', '/api/v1/incidents?status=resolved');
    expect(none.body.items).toEqual([]);
    const byType = await call('GET', '/api/v1/incidents?type=vandalism');
    expect(byType.body.items.map((i: Json) => i.site)).toEqual(['hq-301']);

    for (const limit of [1, 2, 4]) {
      const paged = await allPages('/api/v1/incidents', limit);
      expect(paged.map((i) => i.id)).toEqual(all.body.items.map((i: Json) => i.id));
      expect(new Set(paged.map((i) => i.id)).size).toBe(paged.length);
    }
    const pagedDc = await allPages('/api/v1/incidents?site=dc-201', 3);
    expect(pagedDc.map((i) => i.id)).toEqual(dc.body.items.map((i: Json) => i.id));
  });

  it('lists every problem of bad list parameters, and refuses foreign cursors', async () => {
    const r = await call('GET', '/api/v1/incidents?limit=0&band=purple&stauts=open&from=yesterday');
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: Json) => d.path).sort()).toEqual(['band', 'from', 'limit', 'stauts']);
    const c = await call('GET', '/api/v1/incidents?cursor=not-a-cursor');
    expect(c.status).toBe(400);
    expect(c.body.error.details[0].path).toBe('cursor');
    const e = await call('GET', `/api/v1/events?cursor=${Buffer.from('["2026-01-01T00:00:00.000000Z","x"]').toString('base64url')}`);
    expect(e.status).toBe(400);
    const lim = await call('GET', '/api/v1/events?limit=501');
    expect(lim.status).toBe(400);
  });

  it('acknowledges, resolves and reopens an incident, refuses invalid transitions and audits each action', async () => {
    const ack = await call('POST', `/api/v1/incidents/${forcedId}/acknowledge`);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id: forcedId, status: 'acknowledged', acknowledgedBy: 'admin' });
    expect(Date.parse(ack.body.acknowledgedAt)).not.toBeNaN();

    const again = await call('POST', `/api/v1/incidents/${forcedId}/acknowledge`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect(again.body.error.message).toMatch(/acknowledged/);
    const reopenEarly = await call('POST', `/api/v1/incidents/${forcedId}/reopen`);
    expect(reopenEarly.status).toBe(409);

    const res = await call('POST', `/api/v1/incidents/${forcedId}/resolve`, { body: { resolution: 'door repaired; nothing taken', outcome: 'no_loss' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'resolved', resolvedBy: 'admin', resolution: 'door repaired; nothing taken' });
    const listed = await call('GET', '/api/v1/incidents?status=resolved');
    expect(listed.body.items.map((i: Json) => i.id)).toEqual([forcedId]);

    const reopen = await call('POST', `/api/v1/incidents/${forcedId}/reopen`);
    expect(reopen.status).toBe(200);
    expect(reopen.body).toMatchObject({ status: 'open', resolvedAt: null, resolvedBy: null });

    const badBody = await call('POST', `/api/v1/incidents/${forcedId}/resolve`, { body: { resolution: 5, extra: true, outcome: 'no_loss' } });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.details.map((d: Json) => d.path).sort()).toEqual(['extra', 'resolution']);
    const missing = await call('POST', '/api/v1/incidents/inc-nope/acknowledge');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');

    const audit = await service.db.query<{ actor: string; action: string }>(`SELECT actor, action FROM audit_log WHERE target = $1 ORDER BY seq`, [forcedId]);
    expect(audit.rows.map((a) => [a.actor, a.action])).toEqual([
      ['admin', 'incident.acknowledge'],
      ['admin', 'incident.resolve'],
      ['admin', 'incident.reopen'],
    ]);
  });

  it('keeps roles to their permissions and site-scoped tokens to their sites', async () => {
    const lead = await createApiToken(service.db, { name: 'dc lead', role: 'security_lead', sites: ['dc-201'] });
    const feeder = await createApiToken(service.db, { name: 'dc feeder', role: 'ingest', sites: ['dc-201'] });
    const guard = await createApiToken(service.db, { name: 'guard', role: 'guard' });

    const list = await call('GET', '/api/v1/incidents?limit=500', { token: lead.token });
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBe(7);
    expect(list.body.items.every((i: Json) => i.site === 'dc-201')).toBe(true);
    const foreignFilter = await call('GET', '/api/v1/incidents?site=store-101', { token: lead.token });
    expect(foreignFilter.body.items).toEqual([]);
    const foreign = await call('GET', `/api/v1/incidents/${forcedId}`, { token: lead.token });
    expect(foreign.status).toBe(404);
    const foreignAck = await call('POST', `/api/v1/incidents/${forcedId}/acknowledge`, { token: lead.token });
    expect(foreignAck.status).toBe(404);
    const events = await call('GET', '/api/v1/events?limit=500', { token: lead.token });
    expect(events.body.items.length).toBeGreaterThan(0);
    expect(events.body.items.every((e: Json) => e.site === 'dc-201')).toBe(true);
    const assets = await call('GET', '/api/v1/assets', { token: lead.token });
    expect(assets.body.items.every((a: Json) => a.site === 'dc-201')).toBe(true);

    // The lead may act on its site's incidents, but not post events.
    const own = list.body.items[0].id;
    expect((await call('POST', `/api/v1/incidents/${own}/acknowledge`, { token: lead.token })).status).toBe(200);
    const audit = await service.db.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE target = $1`, [own]);
    expect(audit.rows.map((a) => a.actor)).toEqual(['dc lead']);
    const leadPost = await call('POST', '/api/v1/events', { body: { ...forcedDoor, site: 'dc-201', zone: 'cage', device: 'cr-201-cage', sourceEventId: 'lead-1' }, token: lead.token });
    expect(leadPost.status).toBe(403);
    expect(leadPost.body.error.code).toBe('forbidden');

    const before = await countEvents();
    const foreignPost = await call('POST', '/api/v1/events', { body: [{ ...forcedDoor, sourceEventId: 'feed-0', site: 'dc-201', zone: 'yard', device: 'cam-201-yard' }, { ...forcedDoor, sourceEventId: 'feed-1' }], token: feeder.token });
    expect(foreignPost.status).toBe(403);
    expect(foreignPost.body.error.message).toMatch(/store-101/);
    expect(await countEvents()).toBe(before);
    const ownPost = await call('POST', '/api/v1/events', {
      body: { source: 'device', type: 'heartbeat', sourceEventId: 'feed-2', occurredAt: '2026-11-21T12:00:00Z', site: 'dc-201', device: 'cam-201-yard' },
      token: feeder.token,
    });
    expect(ownPost.status).toBe(202);

    const guardAck = await call('POST', `/api/v1/incidents/${forcedId}/acknowledge`, { token: guard.token });
    expect(guardAck.status).toBe(403);
    expect((await call('GET', `/api/v1/incidents/${forcedId}`, { token: guard.token })).status).toBe(200);

    // A revoked token stops working once the cache forgets it; a fresh server has no cache.
    await service.db.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [guard.id]);
    const fresh = await buildServer(service);
    const url = await fresh.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect((await fetch(`${url}/api/v1/incidents`, { headers: { authorization: `Bearer ${guard.token}` } })).status).toBe(401);
      expect((await fetch(`${url}/api/v1/incidents`, { headers: { authorization: `Bearer ${lead.token}` } })).status).toBe(200);
    } finally {
      await fresh.close();
    }
    await expect(createApiToken(service.db, { name: '', role: 'wizard' })).rejects.toMatchObject({ code: 'invalid' });
  });

  it('lists high-risk assets with their reasons', async () => {
    const r = await call('GET', '/api/v1/assets?highRisk=true&site=store-101');
    expect(r.status).toBe(200);
    const ids = r.body.items.map((a: Json) => a.id);
    expect(ids).toContain('safe-1');
    expect(ids).not.toContain('pallet-jack-101');
    expect(r.body.items.every((a: Json) => a.site === 'store-101' && a.highRisk && a.highRiskReasons.length > 0)).toBe(true);
    const safe = r.body.items.find((a: Json) => a.id === 'safe-1');
    expect(safe).toMatchObject({ zone: 'cash-office', name: 'Cash safe', category: 'cash', value: '25000.00', currency: 'USD', vulnerability: 0.6, sensitiveData: false, status: 'active' });
    expect(safe.recentIncidents).toBeGreaterThanOrEqual(1);
    const low = await call('GET', '/api/v1/assets?highRisk=false&site=store-101');
    expect(low.body.items.map((a: Json) => a.id)).toContain('pallet-jack-101');
    expect(low.body.items.every((a: Json) => !a.highRisk && a.highRiskReasons.length === 0)).toBe(true);
    const bad = await call('GET', '/api/v1/assets?highRisk=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('highRisk');
  });

  it('answers an opaque 500 for an unexpected failure and 503 from /healthz when the store fails', async () => {
    const broken: Service = { ...service, db: { ...service.db, query: async () => Promise.reject(new Error('secret: connection to 10.0.0.7 refused')) } };
    const bad = await buildServer(broken);
    const url = await bad.listen({ port: 0, host: '127.0.0.1' });
    try {
      const r = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(r.status).toBe(500);
      const text = await r.text();
      expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: expect.any(String), details: [] } });
      expect(text).not.toMatch(/secret|10\.0\.0\.7/);
      const h = await fetch(`${url}/healthz`);
      expect(h.status).toBe(503);
      expect(await h.text()).not.toMatch(/secret/);
    } finally {
      await bad.close();
    }
  });

  it('serves /healthz, /metrics and /openapi.json without a token, and 404s in the contract shape', async () => {
    const h = await call('GET', '/healthz', { token: null });
    expect(h.status).toBe(200);
    expect(h.body).toEqual({ status: 'ok', store: service.db.kind });

    const m = await fetch(`${base}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await m.text()).toMatch(/vigil_events_ingested_total\{source="access_control"\} \d+/);

    const o = await call('GET', '/openapi.json', { token: null });
    expect(o.status).toBe(200);
    expect(o.body.openapi).toMatch(/^3\.1/);
    for (const p of ['/api/v1/events', '/api/v1/incidents', '/api/v1/incidents/{id}', '/api/v1/incidents/{id}/acknowledge', '/api/v1/assets', '/healthz']) {
      expect(o.body.paths).toHaveProperty([p]);
    }
    expect(o.body.paths['/api/v1/events'].post.requestBody.content).toHaveProperty(['application/x-ndjson']);
    // Resolving asks for an outcome (policy.caseNotes.defaultOutcome is null by default), so it has a body.
    expect(o.body.paths['/api/v1/incidents/{id}/resolve'].post.requestBody.required).toBe(true);
    expect(o.body.paths['/api/v1/incidents/{id}/acknowledge'].post.requestBody.required).toBe(false);
    expect(o.body.paths['/api/v1/incidents/{id}'].get.responses['200'].content['application/json'].schema.properties).toHaveProperty('workflow');
    expect(o.body.paths['/api/v1/incidents'].get.parameters.map((p: Json) => p.name)).toEqual(expect.arrayContaining(['status', 'site', 'band', 'from', 'to', 'limit', 'cursor']));

    const nf = await call('GET', '/api/v1/nothing-here');
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ error: { code: 'not_found', message: expect.any(String), details: [] } });
  });
});
