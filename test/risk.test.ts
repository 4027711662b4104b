/**
 * Step 11 end to end on both stores: three incidents in one zone within the recurring window flag
 * the zone recurring and raise its band, with a history row per recalculation and its inputs;
 * GET /api/v1/risk and /risk/history through real HTTP with site scope; the next incident's
 * severity recurrence factor comes from the zone's risk; the checkpoint job plans a patrol for the
 * recurring zone; a re-run of the step adds nothing.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createApiToken } from '../src/api/auth.js';
import { buildServer } from '../src/api/server.js';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, type Service } from '../src/service.js';
import { updateRiskAssessment } from '../src/workflow/steps/update-risk-assessment.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'risk-test-admin-token';
const ZONE = 'store-101/stockroom';

function config() {
  const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
  // Count-based checkpoint planning out of the way: only the zone's risk can ask for a patrol.
  doc.policy = { patrol: { checkpointAfterIncidents: 50 } };
  return parseConfig(doc);
}

describe.each(TEST_STORES)('risk assessment on $name', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let drop: () => Promise<void> = async () => {};
  let clock = new Date('2026-11-10T12:00:00Z');
  let east = '';
  let dc = '';
  const incidents: string[] = [];

  const door = (id: string): SecurityEvent => ({ source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: clock.toISOString(), site: 'store-101', zone: 'stockroom', details: {} });
  const get = async (path: string, token = ADMIN) => {
    const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const zoneRow = async () =>
    (await service.db.query<{ band: string; score: number; likelihood: number; impact: number; recurring: boolean }>(`SELECT band, score, likelihood, impact, recurring FROM risk_scores WHERE scope = 'zone' AND scope_id = $1`, [ZONE])).rows[0];
  const zoneHistory = async () =>
    (await service.db.query<{ band: string; score: number; recurring: boolean; incident_id: string; inputs: any }>( // eslint-disable-line @typescript-eslint/no-explicit-any
      `SELECT band, score, recurring, incident_id, inputs FROM risk_history WHERE scope = 'zone' AND scope_id = $1 ORDER BY seq`,
      [ZONE],
    )).rows;

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: config(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, adminToken: ADMIN, now: () => clock });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    east = (await createApiToken(service.db, { name: 'east manager', role: 'manager', sites: ['store-101'] })).token;
    dc = (await createApiToken(service.db, { name: 'dc manager', role: 'manager', sites: ['dc-201'] })).token;
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop();
  });

  it('three incidents in the stockroom within 30 days flag it recurring and raise its band, each recalculation in the history', async () => {
    const bands: string[] = [];
    for (const [i, day] of ['2026-11-10T12:00:00Z', '2026-11-14T12:00:00Z', '2026-11-18T12:00:00Z'].entries()) {
      clock = new Date(day);
      const r = await service.pipeline.ingest([door(`risk-${i}`)]);
      incidents.push(r.incidentsOpened[0]!);
      await service.runner.drain();
      const row = await zoneRow();
      bands.push(row!.band);
      expect(row!.recurring).toBe(i === 2);
    }
    // Stockroom impact 4 (high-value shelving): likelihood 2 -> 3 -> 4 +1 recurring.
    expect(bands).toEqual(['medium', 'high', 'critical']);
    expect(await zoneRow()).toEqual({ band: 'critical', score: 20, likelihood: 5, impact: 4, recurring: true });
    const h = await zoneHistory();
    expect(h.map((x) => [x.incident_id, x.band, x.recurring])).toEqual([
      [incidents[0], 'medium', false],
      [incidents[1], 'high', false],
      [incidents[2], 'critical', true],
    ]);
    const last = h[2]!.inputs;
    expect(last.likelihood.incidents).toBe(3);
    expect(last.likelihood.recent.map((x: { id: string }) => x.id)).toEqual([incidents[2], incidents[1], incidents[0]]);
    expect(last.likelihood.recent.map((x: { ageDays: number }) => x.ageDays)).toEqual([0, 4, 8]);
    expect(last.likelihood.thresholds).toEqual(service.config.policy.risk.likelihoodThresholds);
    expect(last.recurring).toMatchObject({ count: 3, days: 30, inWindow: 3, flagged: true, until: '2026-12-10T12:00:00.000Z' });
    expect(last.impact).toMatchObject({ level: 4, from: 'asset stock-101-high-value' });
    expect(last.explanation).toContain('= 20, critical');
    // The site and the touched asset are recorded with the incident too.
    const scopes = (await service.db.query<{ scope: string; scope_id: string }>(`SELECT scope, scope_id FROM risk_history WHERE incident_id = $1 ORDER BY scope, scope_id`, [incidents[2]])).rows;
    expect(scopes).toContainEqual({ scope: 'site', scope_id: 'store-101' });
    expect(scopes).toContainEqual({ scope: 'asset', scope_id: 'stock-101-high-value' });
    const step = (await service.db.query<{ status: string; result: any }>(`SELECT status, result FROM workflow_steps WHERE incident_id = $1 AND step = 'update-risk-assessment'`, [incidents[2]])).rows[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(step!.status).toBe('done');
    expect(step!.result.recurringZones).toEqual([ZONE]);
    expect(step!.result.rose).toContain(`zone ${ZONE}`);
  });

  it('a re-run of the step for the same incident adds no history row and changes nothing', async () => {
    const count = async () => Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM risk_history`)).rows[0]!.n);
    const before = await count();
    const out = await service.db.transaction((tx) => updateRiskAssessment(service.org).run({ tx, incidentId: incidents[2]!, attempt: 2, now: clock }));
    expect(out).toMatchObject({ status: 'done', result: { history: 0, note: 'already recorded for this incident' } });
    expect(await count()).toBe(before);
  });

  it('GET /api/v1/risk answers per site, zone and asset with a matrix, in the caller\'s site scope', async () => {
    const r = await get('/api/v1/risk?site=store-101');
    expect(r.status).toBe(200);
    expect(r.body.nextCursor).toBeNull();
    const zone = r.body.items.find((x: { id: string }) => x.id === ZONE);
    expect(zone).toMatchObject({ scope: 'zone', site: 'store-101', zone: 'stockroom', likelihood: 5, impact: 4, score: 20, band: 'critical', recurring: true, computedAt: '2026-11-18T12:00:00.000Z', recurringUntil: '2026-12-10T12:00:00.000Z' });
    expect(zone.inputs.likelihood.incidents).toBe(3);
    expect(r.body.items[0]).toMatchObject({ scope: 'site', id: 'store-101', band: 'critical' });
    expect(r.body.items.find((x: { id: string }) => x.id === 'stock-101-high-value')).toMatchObject({ scope: 'asset', zone: 'stockroom', band: 'critical' });
    const matrix = r.body.matrix.find((m: { site: string }) => m.site === 'store-101');
    expect(matrix.cells[0]).toMatchObject({ likelihood: 5, impact: 4, score: 20, band: 'critical', zones: [ZONE] });
    // Pages: the cursor walks the same rows.
    const p1 = await get('/api/v1/risk?site=store-101&limit=3');
    const p2 = await get(`/api/v1/risk?site=store-101&limit=500&cursor=${p1.body.nextCursor}`);
    expect([...p1.body.items, ...p2.body.items].map((x: { id: string }) => x.id)).toEqual(r.body.items.map((x: { id: string }) => x.id));
    // Twelve days later, without new incidents, the risk has decayed and the flag still holds.
    const saved = clock;
    clock = new Date('2026-12-01T12:00:00Z');
    const later = (await get('/api/v1/risk?site=store-101&scope=zone')).body.items.find((x: { id: string }) => x.id === ZONE);
    expect(later).toMatchObject({ computed: { score: 20, band: 'critical' }, recurring: true });
    expect(later.likelihood).toBeLessThan(5);
    clock = saved;
    // Site scope: the store-101 manager sees it; the distribution-centre manager sees no store-101 row.
    expect((await get('/api/v1/risk', east)).body.items.every((x: { site: string }) => x.site === 'store-101')).toBe(true);
    expect((await get('/api/v1/risk?site=store-101', dc)).body.items).toEqual([]);
    // A machine (ingest) token reads nothing.
    const machine = (await createApiToken(service.db, { name: 'risk machine', role: 'ingest' })).token;
    expect((await get('/api/v1/risk', machine)).status).toBe(403);
    expect((await get(`/api/v1/risk/history?scope=zone&id=${ZONE}`, machine)).status).toBe(403);
    // Every problem of a bad query at once.
    const bad = await get('/api/v1/risk?scope=room&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['limit', 'scope']);
  });

  it('GET /api/v1/risk/history lists one scope\'s recalculations newest first, scoped by site', async () => {
    const r = await get(`/api/v1/risk/history?scope=zone&id=${ZONE}`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((x: { incidentId: string; band: string }) => [x.incidentId, x.band])).toEqual([
      [incidents[2], 'critical'],
      [incidents[1], 'high'],
      [incidents[0], 'medium'],
    ]);
    const p1 = await get(`/api/v1/risk/history?scope=zone&id=${ZONE}&limit=2`);
    expect(p1.body.items).toHaveLength(2);
    const p2 = await get(`/api/v1/risk/history?scope=zone&id=${ZONE}&limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items.map((x: { incidentId: string }) => x.incidentId)).toEqual([incidents[0]]);
    expect(p2.body.nextCursor).toBeNull();
    expect((await get(`/api/v1/risk/history?scope=zone&id=${ZONE}`, east)).status).toBe(200);
    expect((await get(`/api/v1/risk/history?scope=zone&id=${ZONE}`, dc)).status).toBe(404);
    expect((await get(`/api/v1/risk/history?scope=site&id=store-101`, dc)).status).toBe(404);
    expect((await get(`/api/v1/risk/history?scope=zone&id=store-101/vault`)).status).toBe(404);
    const bad = await get(`/api/v1/risk/history?scope=zone&id=stockroom&cursor=nope`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toContain('id');
  });

  it('the asset registry shows each asset\'s risk', async () => {
    const r = await get('/api/v1/assets?site=store-101');
    expect(r.status).toBe(200);
    const stock = r.body.items.find((a: { id: string }) => a.id === 'stock-101-high-value');
    expect(stock.risk).toMatchObject({ likelihood: 5, impact: 4, score: 20, band: 'critical', recurring: true });
    const safe = r.body.items.find((a: { id: string }) => a.id === 'safe-1');
    expect(safe.risk).toMatchObject({ likelihood: 1, impact: 5, band: 'medium', recurring: false });
  });

  it('the next incident in the zone takes its severity recurrence factor from the zone\'s risk', async () => {
    clock = new Date('2026-11-19T12:00:00Z');
    const r = await service.pipeline.ingest([door('risk-4')]);
    const id = r.incidentsOpened[0]!;
    const sev = (await service.db.query<{ severity: { factors: { name: string; value: number; detail: string }[] } }>(`SELECT severity FROM incidents WHERE id = $1`, [id])).rows[0]!.severity;
    const f = sev.factors.find((x) => x.name === 'recurrence')!;
    // Three earlier incidents give 3/4 = 0.75 by count; the recurring zone gives 1.
    expect(f.value).toBe(1);
    expect(f.detail).toMatch(/^from the zone's risk: zone risk critical \(20\/25\), recurring gives 1; 3 earlier incident\(s\)/);
    await service.runner.drain();
  });

  it('the checkpoint job plans a patrol for the recurring zone, which the count rule alone would not', async () => {
    // 06:00 in New York on the 20th: count-based planning needs 50 incidents here, the risk asks for it.
    clock = new Date('2026-11-20T11:05:00Z');
    await service.scheduler.drain();
    const patrols = (await service.db.query<{ id: string; zone: string; reason: string }>(`SELECT id, zone, reason FROM patrols WHERE kind = 'checkpoint' AND id = 'chk-store-101-stockroom-2026-11-20'`)).rows;
    expect(patrols).toHaveLength(1);
    expect(patrols[0]!.reason).toMatch(/zone risk critical \(\d+\/25\), recurring/);
    const run = (await service.db.query<{ result: { zones: number; riskZones?: number; planned: string[] } }>(`SELECT result FROM scheduled_runs WHERE job = 'plan-checkpoint-patrols' AND status = 'done'`)).rows[0]!;
    expect(run.result.zones).toBe(0);
    expect(run.result.planned).toContain('chk-store-101-stockroom-2026-11-20');
  });
});
