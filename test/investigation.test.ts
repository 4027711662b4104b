/**
 * Case notes and outcomes, step 10 (asset status) and the VERIS export, end to end through the real
 * store and real HTTP on both stores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { fromMinor, toMinor } from '../src/domain/money.js';
import { createService, type LiveEvent, type Service } from '../src/service.js';
import { checkVeris } from './helpers/veris-schema.js';
import { TEST_STORES } from './helpers/stores.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const ADMIN = 'investigation-admin';

const ev = (id: string, source: string, type: string, at: string, zone: string, extra: Partial<SecurityEvent> = {}): SecurityEvent => ({
  source: source as SecurityEvent['source'],
  type,
  sourceEventId: id,
  occurredAt: new Date(at).toISOString(),
  site: 'store-101',
  zone,
  details: {},
  ...extra,
});

describe.each(TEST_STORES)('investigation on $name', (store) => {
  let service: Service | undefined;
  let app: FastifyInstance | undefined;
  let base = '';
  const cleanups: (() => Promise<void> | void)[] = [];

  async function start(opts: { dataDir?: string; databaseUrl?: string; policy?: Record<string, unknown> } = {}) {
    let target = opts;
    if (!opts.dataDir && !opts.databaseUrl) {
      const s = await store.fresh();
      cleanups.push(s.drop);
      target = { ...(s.dataDir ? { dataDir: s.dataDir } : {}), ...(s.databaseUrl ? { databaseUrl: s.databaseUrl } : {}) };
    }
    const config = loadDemoConfig();
    if (opts.policy) Object.assign(config.policy, opts.policy);
    service = await createService({ config, ...target, adminToken: ADMIN });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    return service;
  }
  async function stop() {
    await app?.close();
    await service?.close();
    app = undefined;
    service = undefined;
  }
  afterEach(async () => {
    await stop();
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function call(method: string, path: string, body?: unknown, token = ADMIN): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  async function token(role: string, sites: string[] = []): Promise<string> {
    const r = await call('POST', '/api/v1/tokens', { name: `${role}-${sites.join('-') || 'all'}-${Math.random().toString(36).slice(2, 8)}`, role, sites });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.token;
  }
  async function open(svc: Service, events: SecurityEvent[]): Promise<string> {
    const r = await svc.pipeline.ingest(events);
    expect(r.incidentsOpened).toHaveLength(1);
    await svc.runner.drain();
    return r.incidentsOpened[0];
  }
  const assetStatus = async (svc: Service, id: string) => (await svc.db.query<{ status: string }>('SELECT status FROM assets WHERE id = $1', [id])).rows[0].status;

  it('theft: step 10 puts the stolen asset under investigation; a recovery changes the net loss exactly and survives re-assessment and restart', async () => {
    const dir = store.name === 'pglite' ? mkdtempSync(join(tmpdir(), 'vigil-inv-')) : undefined;
    if (dir) cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const fresh = dir ? undefined : await store.fresh();
    if (fresh) cleanups.push(fresh.drop);
    const where = dir ? { dataDir: dir } : { databaseUrl: fresh!.databaseUrl! };
    let svc = await start(where);

    const id = await open(svc, [ev('th-1', 'alarm', 'eas_gate', '2026-11-18T15:00:00-05:00', 'entrance', { device: 'eas-101-1', assets: ['display-101-electronics'] })]);
    let inc = (await call('GET', `/api/v1/incidents/${id}`)).body;
    expect(inc.type).toBe('theft');
    const step = inc.workflow.find((s: Json) => s.step === 'update-asset-status');
    expect(step).toMatchObject({ status: 'done' });
    expect(step.result.changes).toEqual([expect.objectContaining({ asset: 'display-101-electronics', from: 'active', to: 'under_investigation', rule: 'theft' })]);
    expect(inc.assets.find((a: Json) => a.id === 'display-101-electronics').status).toBe('under_investigation');
    // Assets merely standing in the zone are left as they are.
    for (const a of inc.assets.filter((x: Json) => x.id !== 'display-101-electronics')) expect(a.status).toBe('active');
    // The change is in the history with who, when, why and the incident, and on the timeline.
    let asset = (await call('GET', '/api/v1/assets/display-101-electronics')).body;
    expect(asset.history).toEqual([
      expect.objectContaining({ from: 'active', to: 'under_investigation', actor: 'vigil (update-asset-status)', incidentId: id, reason: expect.stringContaining('policy rule theft') }),
    ]);
    expect(Date.parse(asset.history[0].at)).not.toBeNaN();
    expect(inc.notes.map((n: Json) => [n.kind, n.text])).toEqual([['system', 'Asset status by policy: display-101-electronics active -> under_investigation']]);
    // Running the step again changes nothing.
    await svc.db.transaction(async (tx) => {
      const { updateAssetStatus } = await import('../src/workflow/steps/update-asset-status.js');
      const out = await updateAssetStatus(svc.org).run({ tx, incidentId: id, attempt: 2, now: svc.now() });
      expect(out).toMatchObject({ status: 'skipped', reason: expect.stringContaining('already under_investigation') });
    });
    expect((await call('GET', '/api/v1/assets/display-101-electronics')).body.history).toHaveLength(1);

    // Recovery for the incident: the value becomes a recovery item; net falls by exactly that.
    const before = inc.loss;
    const seen: LiveEvent[] = [];
    svc.bus.on('change', (e: LiveEvent) => seen.push(e));
    const rec = await call('PATCH', '/api/v1/assets/display-101-electronics', { status: 'recovered', reason: 'found in the car park bin', incident: id, recoveredValue: '1234.56' });
    expect(rec.status, JSON.stringify(rec.body)).toBe(200);
    expect(rec.body).toMatchObject({ id: 'display-101-electronics', status: 'recovered', change: { from: 'under_investigation', to: 'recovered', recoveredValue: '1234.56', currency: 'USD', incidentId: id } });
    const cur = 'USD';
    expect(toMinor(rec.body.loss.recovered, cur) - toMinor(before.recovered, cur)).toBe(123456n);
    expect(rec.body.loss.net).toBe(fromMinor(toMinor(before.net, cur) - 123456n, cur));
    expect(rec.body.loss.gross).toBe(before.gross);
    expect(rec.body.loss.items).toContainEqual({ kind: 'recovered', amount: '1234.56', description: expect.stringContaining('display-101-electronics') });
    inc = (await call('GET', `/api/v1/incidents/${id}`)).body;
    expect(inc.loss.net).toBe(rec.body.loss.net);
    const stored = (await svc.db.query<{ net: string }>('SELECT net_loss::text AS net FROM incidents WHERE id = $1', [id])).rows[0];
    expect(toMinor(stored.net, cur)).toBe(toMinor(rec.body.loss.net, cur));
    expect(inc.assets.find((a: Json) => a.id === 'display-101-electronics').status).toBe('recovered');
    await new Promise((r) => setImmediate(r));
    expect(seen.find((e) => e.kind === 'asset.updated')).toMatchObject({ site: 'store-101', incidentId: id, data: { id: 'display-101-electronics', status: 'recovered' } });

    // A later event joins the incident and re-assesses it: the recovery is kept.
    const joined = await svc.pipeline.ingest([ev('th-2', 'alarm', 'eas_gate', '2026-11-18T15:03:00-05:00', 'entrance', { device: 'eas-101-1', assets: ['display-101-fragrance'] })]);
    expect(joined.incidentsUpdated).toContain(id);
    await svc.runner.drain();
    inc = (await call('GET', `/api/v1/incidents/${id}`)).body;
    expect(toMinor(inc.loss.gross, cur)).toBeGreaterThan(toMinor(before.gross, cur));
    expect(inc.loss.items.filter((i: Json) => i.kind === 'recovered')).toEqual([expect.objectContaining({ amount: '1234.56' })]);
    expect(inc.loss.net).toBe(fromMinor(toMinor(inc.loss.gross, cur) - toMinor(inc.loss.recovered, cur), cur));
    expect(inc.loss.recovered).toBe('1234.56');

    // A restart syncs the registry from the configuration again: the status stays the store's.
    await stop();
    svc = await start(where);
    expect(await assetStatus(svc, 'display-101-electronics')).toBe('recovered');
    asset = (await call('GET', '/api/v1/assets/display-101-electronics')).body;
    expect(asset.status).toBe('recovered');
    expect(asset.history.map((h: Json) => h.to)).toEqual(['under_investigation', 'recovered']);
    expect((await call('GET', `/api/v1/incidents/${id}`)).body.loss.recovered).toBe('1234.56');
  });

  it('a recovery and an event joining the incident at the same time: the loss keeps both', async () => {
    const svc = await start();
    const id = await open(svc, [ev('cc-1', 'alarm', 'eas_gate', '2026-11-18T11:00:00-05:00', 'entrance', { device: 'eas-101-1', assets: ['display-101-electronics'] })]);
    const [patch, joined] = await Promise.all([
      call('PATCH', '/api/v1/assets/display-101-electronics', { status: 'recovered', reason: 'returned by the police', incident: id, recoveredValue: '500.00' }),
      svc.pipeline.ingest([ev('cc-2', 'alarm', 'eas_gate', '2026-11-18T11:02:00-05:00', 'entrance', { device: 'eas-101-1', assets: ['display-101-fragrance'] })]),
    ]);
    expect(patch.status, JSON.stringify(patch.body)).toBe(200);
    expect(joined.incidentsUpdated).toContain(id);
    await svc.runner.drain();
    const inc = (await call('GET', `/api/v1/incidents/${id}`)).body;
    expect(inc.loss.recovered).toBe('500.00');
    expect(inc.loss.items.filter((i: Json) => i.kind === 'replacement' && i.assetId).map((i: Json) => i.assetId).sort()).toEqual(['display-101-electronics', 'display-101-fragrance']);
    expect(toMinor(inc.loss.net, 'USD')).toBe(toMinor(inc.loss.gross, 'USD') - 50000n);
  });

  it('leaves the assets alone when the incident was resolved as a false alarm before step 10 ran', async () => {
    const svc = await start();
    const r = await svc.pipeline.ingest([ev('fa-1', 'access_control', 'door_forced', '2026-11-19T04:00:00-05:00', 'cash-office', { device: 'cr-101-co', assets: ['safe-1'] })]);
    const id = r.incidentsOpened[0];
    expect((await call('POST', `/api/v1/incidents/${id}/resolve`, { outcome: 'false_alarm', note: 'door sensor fault' })).status).toBe(200);
    await svc.runner.drain();
    const inc = (await call('GET', `/api/v1/incidents/${id}`)).body;
    expect(inc.workflow.find((s: Json) => s.step === 'update-asset-status')).toMatchObject({ status: 'skipped', reason: 'the incident was resolved as a false alarm' });
    expect(await assetStatus(svc, 'safe-1')).toBe('active');
  });

  it('a breach of a restricted zone restricts its assets; PATCH refuses an illegal move with the allowed ones, checks scope and permission', async () => {
    const svc = await start();
    const id = await open(svc, [ev('ue-1', 'access_control', 'door_forced', '2026-11-19T02:14:00-05:00', 'cash-office', { device: 'cr-101-co', assets: ['safe-1'] })]);
    const inc = (await call('GET', `/api/v1/incidents/${id}`)).body;
    expect(inc.type).toBe('unauthorized_entry');
    const statuses = Object.fromEntries(inc.assets.map((a: Json) => [a.id, a.status]));
    expect(statuses['safe-1']).toBe('restricted_access');
    expect(statuses['bo-server-101']).toBe('restricted_access');
    // An asset of an unrestricted zone next door is not restricted.
    expect(await assetStatus(svc, 'nvr-101')).toBe('active');

    // restricted_access -> recovered is not in the table: 409 listing what is allowed.
    const bad = await call('PATCH', '/api/v1/assets/safe-1', { status: 'recovered', reason: 'x', incident: id });
    expect(bad.status).toBe(409);
    expect(bad.body.error.code).toBe('conflict');
    expect(bad.body.error.message).toContain('allowed from restricted_access: active, under_investigation, decommissioned');
    expect(await assetStatus(svc, 'safe-1')).toBe('restricted_access');
    // Every problem of a bad body at once.
    const invalid = await call('PATCH', '/api/v1/assets/safe-1', { status: 'lost', reason: '', recoveredValue: '1.2.3', extra: 1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.map((d: Json) => d.path).sort()).toEqual(['extra', 'reason', 'recoveredValue', 'status']);
    // A recovered value without a recovery for an incident is a mistake, and nothing is written.
    const stray = await call('PATCH', '/api/v1/assets/safe-1', { status: 'active', reason: 'cleared', recoveredValue: '10.00' });
    expect(stray.status).toBe(400);
    expect(await assetStatus(svc, 'safe-1')).toBe('restricted_access');
    expect((await call('PATCH', '/api/v1/assets/nope', { status: 'active', reason: 'x' })).status).toBe(404);
    const empty = await call('PATCH', '/api/v1/assets/safe-1');
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.map((d: Json) => d.path).sort()).toEqual(['reason', 'status']);

    // Site scope: another site's asset is not found; a role without assets:act is refused.
    const otherSite = await token('security_lead', ['store-102']);
    expect((await call('PATCH', '/api/v1/assets/safe-1', { status: 'active', reason: 'x' }, otherSite)).status).toBe(404);
    expect((await call('GET', '/api/v1/assets/safe-1', undefined, otherSite)).status).toBe(404);
    const auditor = await token('auditor');
    expect((await call('PATCH', '/api/v1/assets/safe-1', { status: 'active', reason: 'x' }, auditor)).status).toBe(403);

    // A person lifts the restriction: recorded with who and why.
    const lead = await token('security_lead', ['store-101']);
    const ok = await call('PATCH', '/api/v1/assets/safe-1', { status: 'active', reason: 'door repaired, safe checked', incident: id }, lead);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.history.at(-1)).toMatchObject({ from: 'restricted_access', to: 'active', reason: 'door repaired, safe checked', incidentId: id, recoveredValue: null });
    expect(ok.body.history.at(-1).actor).toMatch(/^security_lead/);
    expect(ok.body.loss).toBeNull();
    expect((await call('GET', `/api/v1/incidents/${id}`)).body.assets.find((a: Json) => a.id === 'safe-1').status).toBe('active');
    // History rows are append-only in the store itself.
    await expect(svc.db.query(`UPDATE asset_status_changes SET reason = 'edited'`)).rejects.toThrow(/append-only/);
    await expect(svc.db.query(`DELETE FROM asset_status_changes`)).rejects.toThrow(/append-only/);
  });

  it('case notes: one note field on every action, an outcome on resolve, a plain notes route, append-only, announced with the site', async () => {
    const svc = await start();
    const id = await open(svc, [ev('n-1', 'alarm', 'glass_break', '2026-11-17T03:00:00-05:00', 'entrance', { device: 'gb-101-1' })]);
    const seen: LiveEvent[] = [];
    svc.bus.on('change', (e: LiveEvent) => seen.push(e));

    const ack = await call('POST', `/api/v1/incidents/${id}/acknowledge`, { note: 'on my way' });
    expect(ack.status).toBe(200);
    const guard = await token('guard', ['store-101']);
    const added = await call('POST', `/api/v1/incidents/${id}/notes`, { note: 'front window shattered, nobody inside' }, guard);
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ kind: 'note', text: 'front window shattered, nobody inside' });
    expect(added.body.author).toMatch(/^guard/);

    // Resolve without an outcome: 400 naming it (required by the default policy); nothing changes.
    const missing = await call('POST', `/api/v1/incidents/${id}/resolve`, { note: 'glazier called' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d: Json) => d.path)).toEqual(['outcome']);
    const noBody = await call('POST', `/api/v1/incidents/${id}/resolve`);
    expect(noBody.status).toBe(400);
    expect(noBody.body.error.details).toEqual([{ path: 'outcome', message: expect.stringContaining('required when resolving') }]);
    const wrong = await call('POST', `/api/v1/incidents/${id}/resolve`, { outcome: 'lost', note: 5 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details.map((d: Json) => d.path).sort()).toEqual(['note', 'outcome']);
    const both = await call('POST', `/api/v1/incidents/${id}/resolve`, { outcome: 'no_loss', note: 'a', resolution: 'b' });
    expect(both.status).toBe(400);
    expect((await call('GET', `/api/v1/incidents/${id}`)).body.status).toBe('acknowledged');

    // The deprecated `resolution` is still the note.
    const res = await call('POST', `/api/v1/incidents/${id}/resolve`, { resolution: 'window boarded up', outcome: 'confirmed_loss' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'resolved', outcome: 'confirmed_loss', resolution: 'window boarded up' });
    const reopen = await call('POST', `/api/v1/incidents/${id}/reopen`, {});
    expect(reopen.body).toMatchObject({ status: 'open', outcome: null });
    const again = await call('POST', `/api/v1/incidents/${id}/resolve`, { note: 'insurer informed', outcome: 'referred_to_police' });
    expect(again.body.outcome).toBe('referred_to_police');
    expect((await svc.db.query<{ outcome: string }>('SELECT outcome FROM incidents WHERE id = $1', [id])).rows[0].outcome).toBe('referred_to_police');

    const notes = again.body.notes;
    expect(notes.map((n: Json) => [n.kind, n.author, n.text])).toEqual([
      ['acknowledge', 'admin', 'on my way'],
      ['note', added.body.author, 'front window shattered, nobody inside'],
      ['resolve', 'admin', 'window boarded up [outcome confirmed_loss]'],
      ['reopen', 'admin', 'Reopened'],
      ['resolve', 'admin', 'insurer informed [outcome referred_to_police]'],
    ]);
    for (const n of notes) expect(Date.parse(n.at)).not.toBeNaN();
    expect(notes.map((n: Json) => n.seq)).toEqual([...notes.map((n: Json) => n.seq)].sort((a: number, b: number) => a - b));

    // Empty notes, unknown incidents, other sites and roles without notes:write are refused.
    expect((await call('POST', `/api/v1/incidents/${id}/notes`, { note: '   ' })).status).toBe(400);
    expect((await call('POST', `/api/v1/incidents/${id}/notes`, {})).status).toBe(400);
    expect((await call('POST', '/api/v1/incidents/inc-nope/notes', { note: 'x' })).status).toBe(404);
    expect((await call('POST', `/api/v1/incidents/${id}/notes`, { note: 'x' }, await token('guard', ['store-102']))).status).toBe(404);
    expect((await call('POST', `/api/v1/incidents/${id}/notes`, { note: 'x' }, await token('auditor'))).status).toBe(403);

    // Notes are append-only in the store itself.
    await expect(svc.db.query(`UPDATE incident_notes SET text = 'edited'`)).rejects.toThrow(/append-only/);
    await expect(svc.db.query(`DELETE FROM incident_notes`)).rejects.toThrow(/append-only/);
    expect((await call('GET', `/api/v1/incidents/${id}`)).body.notes).toHaveLength(5);

    await new Promise((r) => setImmediate(r));
    const noteEvents = seen.filter((e) => e.kind === 'incident.note');
    expect(noteEvents).toHaveLength(5);
    for (const e of noteEvents) expect(e).toMatchObject({ site: 'store-101', incidentId: id });
    expect(noteEvents[1].data).toMatchObject({ kind: 'note', text: 'front window shattered, nobody inside' });
  });

  it('a policy default outcome lets older clients resolve without one, and says so on the timeline', async () => {
    const svc = await start({ policy: { caseNotes: { defaultOutcome: 'no_loss' } } });
    const id = await open(svc, [ev('d-1', 'alarm', 'glass_break', '2026-11-16T03:00:00-05:00', 'entrance', { device: 'gb-101-1' })]);
    const res = await call('POST', `/api/v1/incidents/${id}/resolve`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.outcome).toBe('no_loss');
    expect(res.body.notes.at(-1)).toMatchObject({ kind: 'resolve', text: 'Resolved: outcome no_loss (policy default)' });
  });

  it('exports every incident type as valid VERIS 1.4', async () => {
    const svc = await start();
    const cases: [string, SecurityEvent[], string | null][] = [
      ['theft', [ev('v-1', 'alarm', 'eas_gate', '2026-11-10T15:00:00-05:00', 'entrance', { device: 'eas-101-1', assets: ['display-101-electronics'] })], 'confirmed_loss'],
      ['unauthorized_entry', [ev('v-2', 'access_control', 'door_forced', '2026-11-11T02:14:05-05:00', 'cash-office', { device: 'cr-101-co', assets: ['safe-1'] })], null],
      ['vandalism', [ev('v-3', 'alarm', 'glass_break', '2026-11-12T03:00:00-05:00', 'entrance', { device: 'gb-101-1' })], 'no_loss'],
      ['tampering', [ev('v-4', 'cctv', 'camera_tamper', '2026-11-13T23:30:00-05:00', 'sales-floor', { device: 'cam-101-sf-1' })], 'false_alarm'],
      ['suspicious_activity', [ev('v-5', 'cctv', 'loitering', '2026-11-14T13:00:00-05:00', 'sales-floor', { device: 'cam-101-sf-2' })], null],
      ['fraud', [ev('v-6', 'pos', 'cash_shortage', '2026-11-15T18:00:00-05:00', 'sales-floor', { device: 'pos-101-1', amount: { value: '312.40', currency: 'USD' } })], 'referred_to_police'],
    ];
    const seenTypes: string[] = [];
    for (const [type, events, outcome] of cases) {
      const id = await open(svc, events);
      if (outcome) expect((await call('POST', `/api/v1/incidents/${id}/resolve`, { outcome })).status).toBe(200);
      const inc = (await call('GET', `/api/v1/incidents/${id}`)).body;
      expect(inc.type).toBe(type);
      seenTypes.push(inc.type);
      const r = await call('GET', `/api/v1/incidents/${id}/veris`);
      expect(r.status).toBe(200);
      const v = r.body;
      expect(checkVeris(v), `${type}: ${JSON.stringify(v)}`).toEqual([]);
      expect(v).toMatchObject({ schema_version: '1.4.0', incident_id: id, plus: { master_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) } });
      expect(v.impact.iso_currency_code).toBe('USD');
      expect(v.impact.overall_amount).toBe(Number(inc.loss.net));
      // The local date of the first event at the site (America/New_York).
      const d = events[0].occurredAt;
      const local = new Date(new Date(d).getTime() - 5 * 3_600_000);
      expect(v.timeline.incident).toMatchObject({ year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() });
      expect(v.security_incident).toBe(outcome === null ? 'Suspected' : outcome === 'false_alarm' ? 'False positive' : outcome === 'no_loss' ? 'Near miss' : 'Confirmed');
      if (type === 'fraud') expect(v.action.misuse).toBeDefined();
      else expect(v.action.physical.variety).toHaveLength(1);
      // Stable: the same record every time.
      expect((await call('GET', `/api/v1/incidents/${id}/veris`)).body).toEqual(v);
    }
    expect(seenTypes.sort()).toEqual(['fraud', 'suspicious_activity', 'tampering', 'theft', 'unauthorized_entry', 'vandalism']);
    const ue = (await call('GET', `/api/v1/incidents/${(await svc.db.query<{ id: string }>(`SELECT id FROM incidents WHERE type = 'unauthorized_entry'`)).rows[0].id}/veris`)).body;
    expect(ue.action.physical).toEqual({ variety: ['Bypassed controls'], vector: ['Victim secure area'] });
    expect(ue.timeline.incident.time).toBe('02:14:05 AM');
    expect(ue.attribute.confidentiality).toEqual({ data_disclosure: 'Potentially' }); // the back-office server holds cardholder data
    expect((await call('GET', '/api/v1/incidents/inc-nope/veris')).status).toBe(404);
    expect((await call('GET', `/api/v1/incidents/${ue.incident_id}/veris`, undefined, await token('auditor', ['store-102']))).status).toBe(404);
  });
});
