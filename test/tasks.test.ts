/**
 * Step 9 end to end on both stores: an incident gets its investigation task (investigator in turn,
 * due by the band's SLA, evidence checklist from the cameras' geometry, the badge events around
 * it, the POS transactions behind a POS incident), the assignee is emailed through the local SMTP
 * receiver, the task is worked through the API (lifecycle, 409, checklist, comments,
 * reassignment, site scope), and an overdue task notifies its assignee and the site's managers
 * once. The clock is controlled.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createApiToken } from '../src/api/auth.js';
import { buildServer } from '../src/api/server.js';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import type { Config } from '../src/config/schema.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, type LiveEvent, type Service } from '../src/service.js';
import { SmtpReceiver } from './helpers/receivers.js';
import { TEST_STORES } from './helpers/stores.js';

const smtp = new SmtpReceiver();
beforeAll(async () => {
  await smtp.start();
});
afterAll(async () => {
  await smtp.stop();
});

const HOUR = 3_600_000;
const ADMIN = { authorization: 'Bearer tasks-admin' };

/** The demo organisation with a second investigator for store-101 (inv-3) and none for dc-201. */
function config(policy: Record<string, unknown> = {}): Config {
  const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
  doc.notify = { email: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'vigil@test.example' }, webhooks: [] };
  doc.publicUrl = 'http://vigil.test';
  doc.contacts = doc.contacts.map((c: { id: string; sites: string[] }) => (c.id === 'inv-2' ? { ...c, sites: ['hq-301'] } : c));
  doc.contacts.push({ id: 'inv-3', name: 'Sasha Novak', role: 'investigator', sites: ['store-101'], email: 'sasha.novak@northwind.example' });
  doc.policy = { notify: { retry: { maxAttempts: 3, baseMs: 1000, maxMs: 5000 } }, ...policy };
  return parseConfig(doc);
}

const iso = (s: string) => new Date(s).toISOString();
const ev = (id: string, source: SecurityEvent['source'], type: string, at: string, site: string, zone: string, extra: Partial<SecurityEvent> = {}): SecurityEvent => ({
  source, type, sourceEventId: id, occurredAt: iso(at), site, zone, details: {}, ...extra,
});

describe.each(TEST_STORES)('investigation tasks on $name', (store) => {
  let service: Service | undefined;
  let drop: (() => Promise<void>) | undefined;
  let clock = new Date('2026-11-20T07:14:30Z');
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

  async function start(policy: Record<string, unknown> = {}) {
    const s = await store.fresh();
    drop = s.drop;
    clock = new Date('2026-11-20T07:14:30Z');
    smtp.mails.length = 0;
    service = await createService({ config: config(policy), dataDir: s.dataDir, databaseUrl: s.databaseUrl, now: () => clock, adminToken: 'tasks-admin' });
    return service;
  }
  async function settle(svc: Service) {
    for (let i = 0; i < 4; i++) {
      await svc.runner.drain();
      await svc.dispatcher.drain();
    }
  }
  afterEach(async () => {
    await service?.close();
    await drop?.();
    service = undefined;
  });

  it('a critical break-in gets a task: the investigator in turn, due by the SLA, the covering cameras, the badge events around it, an email', async () => {
    const svc = await start();
    // Badge events: one in the adjacent back hall 10 minutes before (listed), one on the sales floor
    // (not adjacent to the cash office: not listed), one in the cash office two hours before (outside the window).
    await svc.pipeline.ingest([
      ev('b-1', 'access_control', 'access_granted', '2026-11-20T02:04:00-05:00', 'store-101', 'back-hall', { badge: 'B-1018', device: 'cr-101-co' }),
      ev('b-2', 'access_control', 'access_granted', '2026-11-20T02:05:00-05:00', 'store-101', 'sales-floor', { badge: 'B-1017' }),
      ev('b-3', 'access_control', 'access_granted', '2026-11-20T00:10:00-05:00', 'store-101', 'cash-office', { badge: 'B-1019' }),
    ]);
    const r = await svc.pipeline.ingest([ev('d-1', 'access_control', 'door_forced', '2026-11-20T02:14:00-05:00', 'store-101', 'cash-office', { device: 'cr-101-co', assets: ['safe-1'] })]);
    const id = r.incidentsOpened[0];
    await settle(svc);
    const step = (await svc.db.query<{ status: string; result: { task: string; assignee: string } }>(`SELECT status, result FROM workflow_steps WHERE incident_id = $1 AND step = 'create-investigation-task'`, [id])).rows[0];
    expect(step.status).toBe('done');
    expect(step.result.task).toBe(`task-${id}`);

    const app = await buildServer(svc);
    try {
      const inc = (await app.inject({ method: 'GET', url: `/api/v1/incidents/${id}`, headers: ADMIN })).json();
      expect(inc.severity.band).toBe('critical');
      expect(inc.tasks).toHaveLength(1);
      const task = inc.tasks[0];
      expect(task).toMatchObject({ id: `task-${id}`, kind: 'investigation', incidentId: id, site: 'store-101', status: 'open', assignee: 'inv-1', overdue: false, version: 1 });
      expect(task.title).toBe('Investigate unauthorized entry at Store 101 Downtown Manhattan, Cash office (critical)');
      // Critical: 8 hours, under a day, so elapsed time from the opening (the ingest clock).
      expect(task.dueAt).toBe(new Date(clock.getTime() + 8 * HOUR).toISOString());
      // Cameras whose field of view reaches the cash office [34..40]x[0..8]: its own camera at (34.5, 7.5)
      // facing south-east; the back-hall camera at (32, 24.5) facing south with 26 m (its cone widens
      // past x = 34 below y = 19); the stockroom camera at (45.5, 24.5) facing south-west with 20 m
      // (the office's corner (40, 8) is 17.4 m away at a bearing of 252 degrees). The sales-floor cameras
      // face away or stop short.
      const clips = task.checklist.filter((i: { kind: string }) => i.kind === 'clip');
      expect(clips.map((c: { camera: string }) => c.camera)).toEqual(['cam-101-bh', 'cam-101-co', 'cam-101-sr']);
      const co = clips.find((c: { camera: string }) => c.camera === 'cam-101-co');
      expect(co).toMatchObject({ id: 'clip:cam-101-co', from: iso('2026-11-20T02:09:00-05:00'), to: iso('2026-11-20T02:19:00-05:00'), zones: ['cash-office'], basis: 'geometry', done: false });
      expect(co.assets).toContain('safe-1');
      const badges = task.checklist.find((i: { kind: string }) => i.kind === 'badge_events');
      expect(badges.zones).toEqual(['back-hall', 'cash-office']);
      expect(badges.count).toBe(1);
      expect(badges.events[0]).toMatchObject({ badge: 'B-1018', person: 'emp-101-2', name: 'Marcus Reed', zone: 'back-hall', type: 'access_granted' });
      expect(task.checklist.some((i: { kind: string }) => i.kind === 'pos_transactions')).toBe(false);

      // The assignee was emailed once, with the due date in New York time.
      const mail = smtp.to('robin.diaz@northwind.example');
      expect(mail).toHaveLength(1);
      expect(mail[0].subject).toContain('Task assigned: Investigate unauthorized entry');
      expect(mail[0].subject).toContain('2026-11-20T10:14:30-05:00');
      expect(mail[0].text).toContain(`http://vigil.test/#task=task-${id}`);

      // The list and the single task.
      const mine = (await app.inject({ method: 'GET', url: '/api/v1/tasks?assignee=inv-1&status=open', headers: ADMIN })).json();
      expect(mine.items.map((t: { id: string }) => t.id)).toEqual([`task-${id}`]);
      expect((await app.inject({ method: 'GET', url: '/api/v1/tasks?assignee=inv-3', headers: ADMIN })).json().items).toEqual([]);
      const one = (await app.inject({ method: 'GET', url: `/api/v1/tasks/task-${id}`, headers: ADMIN })).json();
      expect(one.comments).toEqual([]);
      expect(one.allowedStatuses).toEqual(['in_progress', 'blocked', 'done']);

      // Running the step again changes nothing and mails nobody twice.
      await svc.db.query(`UPDATE workflow_steps SET status = 'pending', next_run_at = $2 WHERE incident_id = $1 AND step = 'create-investigation-task'`, [id, clock]);
      await settle(svc);
      expect((await svc.db.query(`SELECT id FROM tasks`)).rows).toHaveLength(1);
      expect(smtp.to('robin.diaz@northwind.example')).toHaveLength(1);
      expect((await app.inject({ method: 'GET', url: `/api/v1/tasks/task-${id}`, headers: ADMIN })).json().version).toBe(1);

      // The next incidents at the site go to the next investigator, then round again.
      advance(3 * HOUR);
      const r2 = await svc.pipeline.ingest([ev('d-2', 'access_control', 'door_forced', '2026-11-20T05:14:00-05:00', 'store-101', 'loading-dock')]);
      await settle(svc);
      advance(3 * HOUR);
      const r3 = await svc.pipeline.ingest([ev('d-3', 'access_control', 'door_forced', '2026-11-20T08:14:00-05:00', 'store-101', 'stockroom')]);
      await settle(svc);
      const assignees = await svc.db.query<{ incident_id: string; assignee: string }>(`SELECT incident_id, assignee FROM tasks WHERE incident_id = ANY($1::text[])`, [[r2.incidentsOpened[0], r3.incidentsOpened[0]]]);
      const by = new Map(assignees.rows.map((x) => [x.incident_id, x.assignee]));
      expect(by.get(r2.incidentsOpened[0])).toBe('inv-3');
      expect(by.get(r3.incidentsOpened[0])).toBe('inv-1');
      expect(smtp.to('sasha.novak@northwind.example')).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('working a task: lifecycle with 409, checklist ticks, comments, reassignment email, version check, every problem at once', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([ev('d-1', 'access_control', 'door_forced', '2026-11-20T02:14:00-05:00', 'store-101', 'cash-office', { assets: ['safe-1'] })]);
    const tid = `task-${r.incidentsOpened[0]}`;
    await settle(svc);
    const heard: LiveEvent[] = [];
    svc.bus.on('change', (e: LiveEvent) => e.kind === 'task.updated' && heard.push(e));
    const app = await buildServer(svc);
    const patch = (payload: unknown, headers: Record<string, string> = ADMIN) => app.inject({ method: 'PATCH', url: `/api/v1/tasks/${tid}`, headers, payload: payload as object });
    try {
      // open -> in_progress, ticking a clip, with a note.
      const a = await patch({ status: 'in_progress', checklist: [{ id: 'clip:cam-101-co', done: true }], note: 'pulling the footage', version: 1 });
      expect(a.statusCode).toBe(200);
      expect(a.json()).toMatchObject({ status: 'in_progress', version: 2, commentCount: 1 });
      expect(a.json().checklist.find((i: { id: string }) => i.id === 'clip:cam-101-co').done).toBe(true);
      expect(a.json().progress.done).toBe(1);
      expect(a.json().comments[0]).toMatchObject({ seq: 1, author: 'admin', text: 'pulling the footage' });
      // A stale version is refused.
      const stale = await patch({ status: 'blocked', version: 1 });
      expect(stale.statusCode).toBe(409);
      expect(stale.json().error.message).toContain('version');
      // in_progress -> blocked; blocked -> done is not allowed (unblock first), and says what is.
      expect((await patch({ status: 'blocked' })).json().status).toBe('blocked');
      const illegal = await patch({ status: 'done' });
      expect(illegal.statusCode).toBe(409);
      expect(illegal.json().error.message).toBe(`task ${tid} is blocked; it cannot move to done; allowed from blocked: in_progress`);
      // Every input problem at once, nothing written.
      const bad = await patch({ checklist: [{ id: 'clip:nope', done: true }], assignee: 'mgr-retail' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.map((d: { path: string }) => d.path).sort()).toEqual(['assignee', 'checklist[0].id']);
      expect((await patch({ assignee: 'inv-2' })).json().error.details[0].message).toContain('does not cover site store-101');
      expect((await patch({})).statusCode).toBe(400);
      expect((await patch({ status: 'closed' })).statusCode).toBe(400);
      // Reassignment emails the new assignee; an added item gets an id.
      const re = await patch({ assignee: 'inv-3', addItems: ['Ask the bank for the deposit log'] });
      expect(re.json().assignee).toBe('inv-3');
      expect(re.json().checklist.at(-1)).toEqual({ id: 'item-1', kind: 'item', text: 'Ask the bank for the deposit log', done: false });
      await svc.dispatcher.drain();
      expect(smtp.to('sasha.novak@northwind.example')).toHaveLength(1);
      // Comments.
      const c = await app.inject({ method: 'POST', url: `/api/v1/tasks/${tid}/comments`, headers: ADMIN, payload: { text: 'safe door scratched' } });
      expect(c.statusCode).toBe(201);
      expect(c.json()).toMatchObject({ seq: 2, text: 'safe door scratched' });
      expect((await app.inject({ method: 'POST', url: `/api/v1/tasks/${tid}/comments`, headers: ADMIN, payload: { text: '  ' } })).statusCode).toBe(400);
      // blocked -> in_progress -> done; done -> open (reopen).
      await patch({ status: 'in_progress' });
      const done = (await patch({ status: 'done' })).json();
      expect(done.status).toBe('done');
      expect(done.completedAt).toBe(clock.toISOString());
      expect(done.allowedStatuses).toEqual(['open']);
      const reopened = (await patch({ status: 'open' })).json();
      expect(reopened).toMatchObject({ status: 'open', completedAt: null });
      expect(heard).toHaveLength(7); // the seven changes that went through (refusals announce nothing)
      expect(heard.every((e) => e.site === 'store-101' && e.data.id === tid)).toBe(true);

      // Site scope: a store-102 investigator neither sees nor works it, nor opens one for store-101.
      const other = await createApiToken(svc.db, { name: 'west inv', role: 'investigator', sites: ['store-102'] });
      const h = { authorization: `Bearer ${other.token}` };
      expect((await app.inject({ method: 'GET', url: `/api/v1/tasks/${tid}`, headers: h })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: h })).json().items).toEqual([]);
      expect((await patch({ status: 'in_progress' }, h)).statusCode).toBe(404);
      expect((await app.inject({ method: 'POST', url: `/api/v1/tasks/${tid}/comments`, headers: h, payload: { text: 'x' } })).statusCode).toBe(404);
      expect((await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: h, payload: { site: 'store-101', title: 'look' } })).statusCode).toBe(403);
      expect((await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: h, payload: { incidentId: r.incidentsOpened[0] } })).statusCode).toBe(404);
      // A guard may read tasks but not work them.
      const guard = await createApiToken(svc.db, { name: 'a guard', role: 'guard' });
      expect((await patch({ status: 'in_progress' }, { authorization: `Bearer ${guard.token}` })).statusCode).toBe(403);
      expect((await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: { authorization: `Bearer ${guard.token}` } })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('a person opens tasks: for an incident with its evidence, or a site task of their own; the list filters and pages', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([ev('d-1', 'access_control', 'door_forced', '2026-11-20T02:14:00-05:00', 'store-101', 'cash-office', { assets: ['safe-1'] })]);
    const app = await buildServer(svc);
    try {
      // Before the workflow ran: the person's task takes the incident's evidence, and the step then leaves it be.
      const made = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: ADMIN, payload: { incidentId: r.incidentsOpened[0], assignee: 'inv-3', items: ['interview the night manager'] } });
      expect(made.statusCode).toBe(201);
      const t = made.json();
      expect(t).toMatchObject({ kind: 'investigation', site: 'store-101', assignee: 'inv-3', incidentId: r.incidentsOpened[0] });
      expect(t.checklist.map((i: { id: string }) => i.id)).toEqual(['clip:cam-101-bh', 'clip:cam-101-co', 'clip:cam-101-sr', 'badge_events', 'item-1']);
      await settle(svc);
      const step = (await svc.db.query<{ status: string; reason: string }>(`SELECT status, reason FROM workflow_steps WHERE incident_id = $1 AND step = 'create-investigation-task'`, [r.incidentsOpened[0]])).rows[0];
      expect(step).toEqual({ status: 'skipped', reason: `the incident already has investigation task ${t.id}, opened by a person` });
      // A site task without an incident; problems listed together.
      const bad = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: ADMIN, payload: { kind: 'maintenance', deviceId: 'cam-102-co' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.map((d: { path: string }) => d.path).sort()).toEqual(['site', 'title']);
      const m = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: ADMIN, payload: { kind: 'maintenance', site: 'store-102', deviceId: 'cam-102-co', title: 'Refocus the cash office camera', assignee: 'lead-102', dueAt: '2026-11-21T09:00:00-07:00' } });
      expect(m.statusCode).toBe(201);
      expect(m.json()).toMatchObject({ kind: 'maintenance', deviceId: 'cam-102-co', dueAt: '2026-11-21T16:00:00.000Z', incidentId: null });
      expect((await app.inject({ method: 'GET', url: '/api/v1/tasks?kind=maintenance', headers: ADMIN })).json().items.map((x: { id: string }) => x.id)).toEqual([m.json().id]);
      expect((await app.inject({ method: 'GET', url: '/api/v1/tasks?site=store-101', headers: ADMIN })).json().items.map((x: { id: string }) => x.id)).toEqual([t.id]);
      const p1 = (await app.inject({ method: 'GET', url: '/api/v1/tasks?limit=1', headers: ADMIN })).json();
      expect(p1.items).toHaveLength(1);
      const p2 = (await app.inject({ method: 'GET', url: `/api/v1/tasks?limit=1&cursor=${p1.nextCursor}`, headers: ADMIN })).json();
      expect(p2.items).toHaveLength(1);
      expect(p2.nextCursor).toBeNull();
      expect(new Set([p1.items[0].id, p2.items[0].id]).size).toBe(2);
      expect((await app.inject({ method: 'GET', url: '/api/v1/tasks?cursor=garbage', headers: ADMIN })).statusCode).toBe(400);
      expect((await app.inject({ method: 'GET', url: '/api/v1/tasks?status=nope', headers: ADMIN })).statusCode).toBe(400);
      // An investigation task of the site without an incident goes to the investigator in turn.
      const own = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: ADMIN, payload: { site: 'store-101', title: 'Audit the till counts' } });
      expect(own.json()).toMatchObject({ kind: 'investigation', assignee: 'inv-1', incidentId: null, dueAt: null, checklist: [] });
    } finally {
      await app.close();
    }
  });

  it('overdue: the assignee and the site managers are emailed once; a new due date can be overdue again', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([ev('d-1', 'access_control', 'door_forced', '2026-11-20T02:14:00-05:00', 'store-101', 'cash-office', { assets: ['safe-1'] })]);
    const tid = `task-${r.incidentsOpened[0]}`;
    await settle(svc);
    expect(await svc.taskMonitor.sweep()).toEqual([]);
    advance(8 * HOUR - 1000);
    expect(await svc.taskMonitor.sweep()).toEqual([]);
    advance(2000);
    const flagged = await svc.taskMonitor.sweep();
    expect(flagged.map((n) => [n.task, [...n.recipients].sort()])).toEqual([[tid, ['inv-1', 'mgr-lp', 'mgr-retail']]]);
    expect(await svc.taskMonitor.sweep()).toEqual([]);
    await svc.dispatcher.drain();
    const overdue = smtp.mails.filter((m) => m.subject.includes('OVERDUE'));
    expect(overdue.flatMap((m) => m.to).sort()).toEqual(['lp-director@northwind.example', 'morgan.blake@northwind.example', 'robin.diaz@northwind.example']);
    expect(overdue[0].text).toContain('2026-11-20T10:14:30-05:00');
    const app = await buildServer(svc);
    try {
      const t = (await app.inject({ method: 'GET', url: `/api/v1/tasks/${tid}`, headers: ADMIN })).json();
      expect(t).toMatchObject({ overdue: true, overdueNotifiedAt: clock.toISOString() });
      expect((await app.inject({ method: 'GET', url: '/api/v1/tasks?overdue=true', headers: ADMIN })).json().items).toHaveLength(1);
      // A later due date clears the flag; when that passes too, one more notice.
      await app.inject({ method: 'PATCH', url: `/api/v1/tasks/${tid}`, headers: ADMIN, payload: { dueAt: new Date(clock.getTime() + HOUR).toISOString() } });
      expect((await app.inject({ method: 'GET', url: `/api/v1/tasks/${tid}`, headers: ADMIN })).json()).toMatchObject({ overdue: false, overdueNotifiedAt: null });
      advance(2 * HOUR);
      expect((await svc.taskMonitor.sweep()).map((n) => n.task)).toEqual([tid]);
      // Done tasks are never overdue.
      await app.inject({ method: 'PATCH', url: `/api/v1/tasks/${tid}`, headers: ADMIN, payload: { status: 'done', dueAt: new Date(clock.getTime() - HOUR).toISOString() } });
      expect(await svc.taskMonitor.sweep()).toEqual([]);
      expect((await app.inject({ method: 'GET', url: `/api/v1/tasks/${tid}`, headers: ADMIN })).json().overdue).toBe(false);
    } finally {
      await app.close();
    }
    await svc.dispatcher.drain();
    expect(smtp.mails.filter((m) => m.subject.includes('OVERDUE'))).toHaveLength(6);
  });

  it('policy: low incidents are skipped with the reason, theft and fraud are investigated at any band, a site without investigators is said so', async () => {
    const svc = await start();
    const low = await svc.pipeline.ingest([ev('l-1', 'cctv', 'loitering', '2026-11-20T14:00:00-05:00', 'store-101', 'entrance')]);
    const theft = await svc.pipeline.ingest([ev('t-1', 'alarm', 'eas_gate', '2026-11-20T15:00:00-05:00', 'store-102', 'entrance')]);
    const dc = await svc.pipeline.ingest([ev('x-1', 'access_control', 'door_forced', '2026-11-20T02:14:00-06:00', 'dc-201', 'cage')]);
    // A void spree at one register of store-102: a fraud incident.
    const pos = (n: number, tx: string, amount: string, min: number) =>
      ev(`p-${n}`, 'pos', 'void', `2026-11-20T16:${String(min).padStart(2, '0')}:00-05:00`, 'store-102', 'sales-floor', { device: 'pos-102-1', badge: 'B-2003', amount: { value: amount, currency: 'USD' }, details: { transaction: tx, workstation: 'pos-102-1', operator: 'emp-102-3' } });
    const fraud = await svc.pipeline.ingest([pos(1, 'T100', '19.99', 0), pos(2, 'T100', '0.01', 1), pos(3, 'T101', '45.10', 3)]);
    await settle(svc);
    const stepOf = async (id: string) => (await svc.db.query<{ status: string; reason: string | null }>(`SELECT status, reason FROM workflow_steps WHERE incident_id = $1 AND step = 'create-investigation-task'`, [id])).rows[0];
    const lowId = low.incidentsOpened[0];
    expect((await svc.db.query<{ band: string }>('SELECT band FROM incidents WHERE id = $1', [lowId])).rows[0].band).toBe('low');
    expect(await stepOf(lowId)).toEqual({ status: 'skipped', reason: 'band low is below the investigation threshold (medium) and suspicious_activity is not investigated at every band (theft, fraud)' });
    const theftId = theft.incidentsOpened[0];
    expect((await svc.db.query<{ band: string; type: string }>('SELECT band, type FROM incidents WHERE id = $1', [theftId])).rows[0]).toEqual({ band: 'low', type: 'theft' });
    expect((await stepOf(theftId)).status).toBe('done');
    const theftTask = (await svc.db.query<{ assignee: string; due_at: Date }>('SELECT assignee, due_at FROM tasks WHERE incident_id = $1', [theftId])).rows[0];
    expect(theftTask.assignee).toBe('inv-1');
    // Low: 168 hours = 7 local days at the same wall-clock time in Denver (no clock change in between).
    expect(theftTask.due_at.toISOString()).toBe(new Date(clock.getTime() + 168 * HOUR).toISOString());
    const dcStep = await stepOf(dc.incidentsOpened[0]);
    expect(dcStep.status).toBe('skipped');
    expect(dcStep.reason).toContain('site dc-201 has no investigator');
    const fraudId = fraud.incidentsOpened[0] ?? fraud.incidentsUpdated[0];
    const t = (await svc.db.query<{ checklist: { kind: string; transactions?: { transaction: string; amount: string; eventIds: string[] }[]; totals?: unknown }[] }>('SELECT checklist FROM tasks WHERE incident_id = $1', [fraudId])).rows[0];
    const item = t.checklist.find((i) => i.kind === 'pos_transactions')!;
    expect(item.transactions!.map((x) => [x.transaction, x.amount, x.eventIds.length])).toEqual([['T100', '20.00', 2], ['T101', '45.10', 1]]);
    expect(item.totals).toEqual([{ currency: 'USD', amount: '65.10' }]);
  });

  it('badge events after the incident join the checklist once their window has closed, done flags kept', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([ev('d-1', 'access_control', 'door_forced', '2026-11-20T02:14:00-05:00', 'store-101', 'cash-office', { assets: ['safe-1'] })]);
    const tid = `task-${r.incidentsOpened[0]}`;
    await settle(svc);
    const app = await buildServer(svc);
    try {
      const get = async () => (await app.inject({ method: 'GET', url: `/api/v1/tasks/${tid}`, headers: ADMIN })).json();
      const badges = (t: { checklist: { kind: string }[] }) => t.checklist.find((i) => i.kind === 'badge_events') as unknown as { count: number; complete: boolean; to: string; events: { badge: string }[] };
      expect(badges(await get())).toMatchObject({ count: 0, complete: false, to: iso('2026-11-20T02:44:00-05:00') });
      await app.inject({ method: 'PATCH', url: `/api/v1/tasks/${tid}`, headers: ADMIN, payload: { checklist: [{ id: 'clip:cam-101-co', done: true }] } });
      // Twenty minutes later someone badges into the back hall; at 02:50 someone else (past the window).
      advance(20 * 60_000);
      await svc.pipeline.ingest([
        ev('b-1', 'access_control', 'access_granted', '2026-11-20T02:34:00-05:00', 'store-101', 'back-hall', { badge: 'B-1019' }),
        ev('b-2', 'access_control', 'access_granted', '2026-11-20T02:50:00-05:00', 'store-101', 'back-hall', { badge: 'B-1020' }),
      ]);
      expect(await svc.taskMonitor.refreshEvidence()).toEqual([]); // the window is still open
      advance(20 * 60_000);
      expect(await svc.taskMonitor.refreshEvidence()).toEqual([tid]);
      const t = await get();
      expect(badges(t)).toMatchObject({ count: 1, complete: true });
      expect(badges(t).events.map((e) => e.badge)).toEqual(['B-1019']);
      expect(t.checklist.find((i: { id: string }) => i.id === 'clip:cam-101-co').done).toBe(true);
      expect(t.version).toBe(3);
      expect(await svc.taskMonitor.refreshEvidence()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it("due across the US clock change in the site's zone: 72 hours from Friday 10:00 EDT is Monday 10:00 EST", async () => {
    const svc = await start();
    clock = new Date('2026-10-30T14:00:00Z');
    const r = await svc.pipeline.ingest([ev('l-1', 'cctv', 'loitering', '2026-10-30T09:59:00-04:00', 'store-101', 'back-hall')]);
    await settle(svc);
    const id = r.incidentsOpened[0];
    expect((await svc.db.query<{ band: string }>('SELECT band FROM incidents WHERE id = $1', [id])).rows[0].band).toBe('medium');
    const app = await buildServer(svc);
    try {
      const t = (await app.inject({ method: 'GET', url: `/api/v1/tasks/task-${id}`, headers: ADMIN })).json();
      expect(t.dueAt).toBe('2026-11-02T15:00:00.000Z'); // 73 hours of elapsed time
    } finally {
      await app.close();
    }
    await svc.dispatcher.drain();
    expect(smtp.to('robin.diaz@northwind.example')[0].subject).toContain('due 2026-11-02T10:00:00-05:00');
  });

  it('an incident that rises from low to medium gets its task when it rises', async () => {
    const svc = await start();
    const a = await svc.pipeline.ingest([ev('l-1', 'cctv', 'loitering', '2026-11-20T14:00:00-05:00', 'store-101', 'entrance')]);
    const id = a.incidentsOpened[0];
    await settle(svc);
    expect((await svc.db.query('SELECT id FROM tasks')).rows).toHaveLength(0);
    advance(5 * 60_000);
    // Loitering on the sales floor next door joins it; the floor's electronics display raises it to medium.
    await svc.pipeline.ingest([ev('l-2', 'cctv', 'loitering', '2026-11-20T14:05:00-05:00', 'store-101', 'sales-floor')]);
    await settle(svc);
    const inc = (await svc.db.query<{ band: string }>('SELECT band FROM incidents WHERE id = $1', [id])).rows[0];
    expect(inc.band).toBe('medium');
    const task = (await svc.db.query<{ id: string; due_at: Date }>('SELECT id, due_at FROM tasks WHERE incident_id = $1', [id])).rows;
    expect(task.map((x) => x.id)).toEqual([`task-${id}`]);
    // Medium: 72 hours from the incident's opening (not from the rise).
    expect(task[0].due_at.toISOString()).toBe(new Date(clock.getTime() - 5 * 60_000 + 72 * HOUR).toISOString());
  });
});
