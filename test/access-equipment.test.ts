/**
 * Steps 12 and 13 through the real store and real HTTP on both stores: an incident with planted
 * badge anomalies and cameras going down shows its access findings and its covering devices in
 * GET /api/v1/incidents/{id}; a camera silent past the policy limit gets a device.offline event,
 * a maintenance task and shows offline with the blind spot it leaves in GET /api/v1/devices/audit;
 * the daily jobs run once per window and add nothing on a re-run.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, type Service } from '../src/service.js';
import { EquipmentMonitor } from '../src/workflow/equipment-monitor.js';
import { reviewAccessLogs } from '../src/workflow/steps/review-access-logs.js';
import { reviewAccessLogsDaily } from '../src/workflow/steps/review-access-logs-daily.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'access-equipment-admin-token';

// Wednesday 18 November 2026; store-101 is in New York (UTC-5): 06:50Z is 01:50 local, after hours.
const ev = (over: Partial<SecurityEvent> & Pick<SecurityEvent, 'source' | 'type' | 'occurredAt'>): SecurityEvent => ({ site: 'store-101', details: {}, ...over });
let n = 0;
const id = () => `ae-${++n}`;

describe.each(TEST_STORES)('access review and equipment audit on $name', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let drop: () => Promise<void> = async () => {};
  let clock = new Date('2026-11-18T06:55:00Z');
  let incidentId = '';

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: loadDemoConfig(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, adminToken: ADMIN, now: () => clock });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop();
  });

  const call = async (method: string, path: string, body?: unknown, token = ADMIN) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await service.db.query<{ n: number }>(sql, params)).rows[0]!.n);

  it('an incident shows who badged in around it, the anomalies, and which cameras were up', async () => {
    const events = [
      ev({ source: 'device', type: 'heartbeat', occurredAt: '2026-11-18T06:40:00Z', zone: 'cash-office', device: 'cam-101-co', sourceEventId: id() }),
      ev({ source: 'device', type: 'heartbeat', occurredAt: '2026-11-18T06:40:00Z', zone: 'back-hall', device: 'cam-101-bh', sourceEventId: id() }),
      // A cashier without the cash clearance, off shift, into the cash office.
      ev({ source: 'access_control', type: 'access_granted', occurredAt: '2026-11-18T06:50:00Z', zone: 'cash-office', device: 'cr-101-co', badge: 'B-1017', details: { direction: 'in' }, sourceEventId: id() }),
      // The badge of someone who left, three times in a minute.
      ...['06:51:00', '06:51:20', '06:51:40'].map((t) =>
        ev({ source: 'access_control', type: 'access_denied', occurredAt: `2026-11-18T${t}Z`, zone: 'cash-office', device: 'cr-101-co', badge: 'B-1022', details: { reason: 'badge_inactive' }, sourceEventId: id() }),
      ),
      ev({ source: 'access_control', type: 'door_forced', occurredAt: '2026-11-18T06:52:00Z', zone: 'cash-office', device: 'dc-101-co', sourceEventId: id() }),
      // Both cameras that see the safe go down.
      ev({ source: 'device', type: 'offline', occurredAt: '2026-11-18T06:52:10Z', zone: 'cash-office', device: 'cam-101-co', sourceEventId: id() }),
      ev({ source: 'device', type: 'offline', occurredAt: '2026-11-18T06:52:20Z', zone: 'back-hall', device: 'cam-101-bh', sourceEventId: id() }),
    ];
    const r = await call('POST', '/api/v1/events', events);
    expect(r.status).toBe(202);
    const opened = await service.db.query<{ id: string }>(`SELECT id FROM incidents WHERE site = 'store-101' AND zone = 'cash-office'`);
    expect(opened.rows).toHaveLength(1);
    incidentId = opened.rows[0]!.id;

    // The window (until 07:07) is still open: the findings seen so far are there, the step waits.
    await service.runner.drain();
    let inc = (await call('GET', `/api/v1/incidents/${incidentId}`)).body;
    const step12 = inc.workflow.find((s: { step: string }) => s.step === 'review-access-logs');
    expect(step12).toMatchObject({ status: 'pending', reason: expect.stringContaining('window open until 2026-11-18T07:07:00.000Z') });
    expect(inc.accessFindings.length).toBeGreaterThan(0);

    clock = new Date('2026-11-18T07:10:00Z');
    await service.runner.drain();
    inc = (await call('GET', `/api/v1/incidents/${incidentId}`)).body;
    const byStep = Object.fromEntries(inc.workflow.map((s: { step: string }) => [s.step, s]));
    expect(byStep['review-access-logs'].status).toBe('done');
    expect(byStep['audit-surveillance-equipment'].status).toBe('done');

    const rules = inc.accessFindings.map((f: { rule: string }) => f.rule).sort();
    expect(rules).toEqual(['denied_burst', 'inactive_badge', 'no_clearance', 'off_shift']);
    const burst = inc.accessFindings.find((f: { rule: string }) => f.rule === 'denied_burst');
    expect(burst).toMatchObject({ incidentId, site: 'store-101', badge: 'B-1022', person: 'emp-101-7', zone: 'cash-office', severity: 'medium' });
    expect(burst.evidence).toHaveLength(3);
    // The evidence is the stored events (evt-<seq>).
    const evidenceIds = inc.events.map((e: { id: string }) => e.id);
    for (const seq of burst.evidence) expect(evidenceIds).toContain(`evt-${seq}`);
    const noClearance = inc.accessFindings.find((f: { rule: string }) => f.rule === 'no_clearance');
    expect(noClearance).toMatchObject({ badge: 'B-1017', person: 'emp-101-1', severity: 'high' });

    // Who badged in around it.
    const holders = byStep['review-access-logs'].result.badgeHolders.map((h: { badge: string }) => h.badge);
    expect(holders).toEqual(['B-1017', 'B-1022']);

    // Which devices cover it and whether they were up.
    const eq = Object.fromEntries(inc.equipmentFindings.filter((f: { deviceId: string | null }) => f.deviceId).map((f: { deviceId: string; finding: string }) => [f.deviceId, f]));
    expect(eq['cam-101-co'].finding).toBe('offline');
    expect(eq['cam-101-co'].details.offline[0][0]).toBe('2026-11-18T06:52:10.000Z');
    expect(eq['cam-101-bh'].finding).toBe('offline');
    expect(eq['cam-101-co'].details.covers.assets).toEqual(expect.arrayContaining(['safe-1', 'bo-server-101']));
    expect(eq['cr-101-co'].finding).toBe('unknown'); // a reader that sends no device events
    const blind = inc.equipmentFindings.filter((f: { finding: string }) => f.finding === 'blind_spot').map((f: { details: { asset: string } }) => f.details.asset);
    // The safe is seen only by the two cameras that went down; the server is also seen by the stockroom camera.
    expect(blind).toEqual(['safe-1']);
  });

  it('runs again without adding anything', async () => {
    const before = await count(`SELECT count(*)::int AS n FROM access_findings`);
    await service.db.transaction(async (tx) => {
      const out = await reviewAccessLogs(service.org).run({ tx, incidentId, attempt: 2, now: clock });
      expect(out.status).toBe('done');
      expect((out as { result: { added: number } }).result.added).toBe(0);
    });
    expect(await count(`SELECT count(*)::int AS n FROM access_findings`)).toBe(before);
    const list = await call('GET', `/api/v1/access-findings?incident=${incidentId}&limit=2`);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    const next = await call('GET', `/api/v1/access-findings?incident=${incidentId}&limit=2&cursor=${list.body.nextCursor}`);
    expect(next.body.items).toHaveLength(2);
    expect(next.body.nextCursor).toBeNull();
  });

  it('a camera silent past the limit goes offline once, opens a maintenance task and leaves a blind spot', async () => {
    clock = new Date('2026-11-18T16:00:00Z');
    await call('POST', '/api/v1/events', [ev({ source: 'device', type: 'heartbeat', occurredAt: '2026-11-18T16:00:00Z', site: 'store-102', zone: 'pharmacy', device: 'cam-102-ph', sourceEventId: id() })]);
    let audit = (await call('GET', '/api/v1/devices/audit?site=store-102')).body.items[0];
    expect(audit.devices.find((d: { id: string }) => d.id === 'cam-102-ph')).toMatchObject({ status: 'online', working: true });
    expect(audit.blindSpots.map((b: { asset: string }) => b.asset)).not.toContain('rx-102-controlled');

    clock = new Date('2026-11-18T16:12:00Z'); // stale, not yet offline
    expect((await service.equipment.runOnce()).offline).toEqual([]);
    audit = (await call('GET', '/api/v1/devices/audit?site=store-102')).body.items[0];
    expect(audit.devices.find((d: { id: string }) => d.id === 'cam-102-ph').status).toBe('stale');

    clock = new Date('2026-11-18T16:20:00Z');
    // A process that has just started does not take the silence for an outage (it may be its own downtime).
    const fresh = new EquipmentMonitor(service.db, service.org, (e) => service.pipeline.ingest(e), { now: () => clock, config: service.config });
    expect((await fresh.runOnce()).offline).toEqual([]);
    const check = await service.equipment.runOnce();
    expect(check.offline).toEqual(['cam-102-ph']);
    expect(check.tasks).toContain(`mnt-cam-102-ph-${Date.parse('2026-11-18T16:15:00Z')}`);
    const stored = await service.db.query<{ occurred_at: Date; source_event_id: string; details: { reason: string } }>(
      `SELECT occurred_at, source_event_id, details FROM events WHERE device = 'cam-102-ph' AND type = 'offline'`,
    );
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]!.occurred_at.toISOString()).toBe('2026-11-18T16:15:00.000Z');
    expect(stored.rows[0]!.details.reason).toBe('no_heartbeat');
    const state = await service.db.query<{ online: boolean }>(`SELECT online FROM device_state WHERE id = 'cam-102-ph'`);
    expect(state.rows[0]!.online).toBe(false);
    // The severity of an incident in the pharmacy now counts the silent camera as down (vulnerability raised).
    const opened = await call('POST', '/api/v1/events', [
      ev({ source: 'alarm', type: 'intrusion', occurredAt: '2026-11-18T16:19:00Z', site: 'store-102', zone: 'pharmacy', sourceEventId: id() }),
    ]);
    expect(opened.status).toBe(202);
    const rx = await service.db.query<{ severity: { factors: { name: string; detail: string }[] } }>(`SELECT severity FROM incidents WHERE site = 'store-102' AND zone = 'pharmacy'`);
    expect(rx.rows[0]!.severity.factors.find((f) => f.name === 'assetVulnerability')!.detail).toContain('1 of 1 covering cameras down');

    // Once: a second check changes nothing.
    expect(await service.equipment.runOnce()).toMatchObject({ offline: [], tasks: [], changed: 0 });
    expect(await count(`SELECT count(*)::int AS n FROM tasks WHERE kind = 'maintenance' AND device_id = 'cam-102-ph'`)).toBe(1);

    const res = await call('GET', '/api/v1/devices/audit?site=store-102');
    expect(res.status).toBe(200);
    audit = res.body.items[0];
    expect(audit.devices.find((d: { id: string }) => d.id === 'cam-102-ph')).toMatchObject({ status: 'offline', working: false });
    expect(audit.blindSpots).toContainEqual(expect.objectContaining({ asset: 'rx-102-controlled', reason: 'cameras_down', cameras: ['cam-102-ph'] }));
    expect(audit.coverage.find((c: { zone: string }) => c.zone === 'pharmacy').camerasDown).toContain('cam-102-ph');
    expect(audit.maintenanceTasks.map((t: { deviceId: string }) => t.deviceId)).toContain('cam-102-ph');
    // The store-101 cameras that went down in the first test have their tasks too.
    const a101 = (await call('GET', '/api/v1/devices/audit?site=store-101')).body.items[0];
    expect(a101.maintenanceTasks.map((t: { deviceId: string }) => t.deviceId).sort()).toEqual(['cam-101-bh', 'cam-101-co']);
  });

  it('skips the access review where no reader is, with the reason', async () => {
    await call('POST', '/api/v1/events', [ev({ source: 'alarm', type: 'glass_break', occurredAt: '2026-11-18T16:19:30Z', zone: 'entrance', device: 'gb-101-1', sourceEventId: id() })]);
    const inc = await service.db.query<{ id: string }>(`SELECT id FROM incidents WHERE site = 'store-101' AND zone = 'entrance'`);
    await service.runner.drain();
    const steps = await service.db.query<{ step: string; status: string; reason: string | null }>(`SELECT step, status, reason FROM workflow_steps WHERE incident_id = $1 ORDER BY ord`, [inc.rows[0]!.id]);
    const byStep = Object.fromEntries(steps.rows.map((r) => [r.step, r]));
    expect(byStep['review-access-logs']).toMatchObject({ status: 'skipped', reason: expect.stringContaining('no card reader or biometric scanner in zone(s) entrance, sales-floor') });
    // The equipment step runs next and waits for the window like step 12 would.
    expect(byStep['audit-surveillance-equipment']).toMatchObject({ status: 'pending', reason: expect.stringContaining('equipment window open until') });
  });

  it('keeps sites apart and lists every problem of a bad query', async () => {
    const made = await call('POST', '/api/v1/tokens', { name: 'east reader', role: 'manager', sites: ['store-101'] });
    expect(made.status).toBe(201);
    const token = made.body.token as string;
    expect((await call('GET', '/api/v1/devices/audit?site=store-102', undefined, token)).status).toBe(403);
    const own = await call('GET', '/api/v1/devices/audit', undefined, token);
    expect(own.body.items.map((a: { site: string }) => a.site)).toEqual(['store-101']);
    const other = await call('GET', `/api/v1/access-findings?site=store-102`, undefined, token);
    expect(other.body.items).toEqual([]);
    const bad = await call('GET', '/api/v1/devices/audit?site=nowhere');
    expect(bad.status).toBe(400);
    const worse = await call('GET', '/api/v1/access-findings?rule=nope&limit=0');
    expect(worse.status).toBe(400);
    expect(worse.body.error.details.length).toBe(2);
  });

  it('the daily jobs run once per window; the access review skips what incidents already hold', async () => {
    // A manager badging in New York, then in Denver twenty minutes later (no incident).
    await call('POST', '/api/v1/events', [
      ev({ source: 'access_control', type: 'access_granted', occurredAt: '2026-11-18T15:00:00Z', zone: 'stockroom', device: 'cr-101-sr', badge: 'B-1018', sourceEventId: id() }),
      ev({ source: 'access_control', type: 'access_granted', occurredAt: '2026-11-18T15:20:00Z', site: 'store-102', zone: 'stockroom', device: 'cr-102-sr', badge: 'B-1018', sourceEventId: id() }),
    ]);
    clock = new Date('2026-11-19T08:00:00Z'); // 03:00 in New York: both daily jobs of 19 November are due
    await service.scheduler.drain();
    const jobs = (await call('GET', '/api/v1/jobs?runs=5')).body.items;
    const access = jobs.find((j: { id: string }) => j.id === 'review-access-logs-daily');
    const equipment = jobs.find((j: { id: string }) => j.id === 'audit-surveillance-equipment-daily');
    expect(access.runs).toHaveLength(1);
    expect(access.runs[0]).toMatchObject({ window: '2026-11-19', status: 'done' });
    expect(access.runs[0].result).toMatchObject({ day: '2026-11-18', findings: 1, alreadyOnIncidents: 4, bySite: { 'store-101': { impossible_travel: 1 } } });
    expect(equipment.runs[0]).toMatchObject({ window: '2026-11-19', status: 'done' });
    expect(equipment.runs[0].result.sites['store-102']).toMatchObject({ offline: 1, blindSpots: expect.any(Number) });

    const daily = (await call('GET', '/api/v1/access-findings?rule=impossible_travel')).body.items;
    expect(daily).toHaveLength(1);
    expect(daily[0]).toMatchObject({ incidentId: null, badge: 'B-1018', site: 'store-101' });
    expect(await count(`SELECT count(*)::int AS n FROM device_audits`)).toBe(service.org.sites.size);
    expect(await count(`SELECT count(*)::int AS n FROM equipment_findings WHERE incident_id IS NULL AND device_id = 'cam-102-ph' AND finding = 'offline'`)).toBe(1);
    const audit = (await call('GET', '/api/v1/devices/audit?site=store-102')).body.items[0];
    expect(audit.lastStoredAuditAt).toBe('2026-11-19T08:00:00.000Z');

    // Once per window: a second pass runs nothing and adds nothing.
    const findings = await count(`SELECT count(*)::int AS n FROM access_findings`);
    clock = new Date('2026-11-19T09:00:00Z');
    await service.scheduler.drain();
    const again = (await call('GET', '/api/v1/jobs?runs=5')).body.items.find((j: { id: string }) => j.id === 'review-access-logs-daily');
    expect(again.runs).toHaveLength(1);
    expect(await count(`SELECT count(*)::int AS n FROM access_findings`)).toBe(findings);
    expect(await count(`SELECT count(*)::int AS n FROM device_audits`)).toBe(service.org.sites.size);
  });

  it("the daily access review reads and judges the day's badge events before its transaction, which only writes", async () => {
    const job = reviewAccessLogsDaily(service.org);
    const at = new Date('2026-11-19T08:00:00Z');
    const prepared = await job.prepare!({ db: service.db, window: '2026-11-19', dueAt: at, now: at, attempt: 1 });
    expect(prepared.day).toBe('2026-11-18');
    expect(prepared.findings.filter((f) => f.rule === 'impossible_travel')).toHaveLength(1);
    const statements: string[] = [];
    const undo = new Error('roll back');
    const result = await service.db
      .transaction(async (tx) => {
        const out = await job.run({ tx: { query: (sql, params) => (statements.push(sql), tx.query(sql, params)) }, window: '2026-11-19', dueAt: at, now: at, attempt: 1, prepared });
        throw Object.assign(undo, { out });
      })
      .catch((e: unknown) => (e === undo ? (undo as Error & { out: unknown }).out : Promise.reject(e)));
    // The findings were stored by the first run of the window: nothing new, and no badge event read in the transaction.
    expect(result).toMatchObject({ day: '2026-11-18', badgeEvents: prepared.badgeEvents, added: 0 });
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((sql) => /\bFROM events\b/.test(sql))).toEqual([]);
  });
});
