/**
 * Integration tests of the ingest pipeline and the workflow runner through the real store
 * (embedded always, PostgreSQL when VIGIL_TEST_DATABASE_URL is set).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../src/config/loader.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, type Service } from '../src/service.js';
import { TEST_STORES } from './helpers/stores.js';

const config = loadDemoConfig();
const iso = (s: string) => new Date(s).toISOString();
const ev = (e: Partial<SecurityEvent> & Pick<SecurityEvent, 'source' | 'type' | 'occurredAt'>): SecurityEvent => ({ site: 'store-101', details: {}, ...e, occurredAt: iso(e.occurredAt) });

describe.each(TEST_STORES)('ingest pipeline on $name', (store) => {
  let service: Service;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config, dataDir: s.dataDir, databaseUrl: s.databaseUrl, ingest: { failAssessment: () => failNext.shift() === true } });
  });
  afterAll(async () => {
    await service?.close();
    await drop?.();
  });
  const failNext: boolean[] = [];

  const count = async (sql: string, params: unknown[] = []) => Number((await service.db.query<{ n: number }>(sql, params)).rows[0].n);

  it('stores a forced door after hours as a high or critical unauthorized entry, explained', async () => {
    const r = await service.pipeline.ingest([
      ev({ source: 'access_control', type: 'door_forced', sourceEventId: 'p-door-1', occurredAt: '2026-11-20T02:14:00-05:00', zone: 'cash-office', device: 'cr-101-co', assets: ['safe-1'] }),
    ]);
    expect(r.accepted).toBe(1);
    expect(r.incidentsOpened).toHaveLength(1);
    const inc = (await service.db.query<{ type: string; band: string; score: number; severity: { factors: { name: string; value: number; contribution: number }[]; policyVersion: string } }>(
      'SELECT type, band, score, severity FROM incidents WHERE id = $1',
      [r.incidentsOpened[0]],
    )).rows[0];
    expect(inc.type).toBe('unauthorized_entry');
    expect(['high', 'critical']).toContain(inc.band);
    const f = Object.fromEntries(inc.severity.factors.map((x) => [x.name, x]));
    expect(f.afterHours.value).toBe(1);
    expect(f.restrictedZone.value).toBe(1);
    expect(f.assetCriticality.value).toBeGreaterThan(0.5);
    expect(inc.severity.policyVersion).toBe(config.policy.version);
    const sum = inc.severity.factors.reduce((s, x) => s + x.contribution, 0);
    expect(Math.abs(sum - inc.score)).toBeLessThan(0.11);
    const steps = (await service.db.query<{ step: string; status: string; attempts: number }>('SELECT step, status, attempts FROM workflow_steps WHERE incident_id = $1 ORDER BY ord', [r.incidentsOpened[0]])).rows;
    // Every step but the archive, which waits for the resolution.
    expect(steps.slice(0, -1).map((s) => [s.step, s.status])).toEqual([
      ['fetch-incident-logs', 'done'],
      ['get-high-risk-assets', 'done'],
      ['calculate-severity', 'done'],
      ['calculate-loss-impact', 'done'],
      // The emergency-SMS decision runs in the ingest transaction too; the rest is the runner's.
      ['send-emergency-sms', 'done'],
      ['notify-management', 'pending'],
      ['assign-guard-patrol', 'pending'],
      ['create-incident-report', 'pending'],
      ['create-investigation-task', 'pending'],
      ['update-asset-status', 'pending'],
      ['update-risk-assessment', 'pending'],
      ['review-access-logs', 'pending'],
      ['audit-surveillance-equipment', 'pending'],
    ]);
    const queued = await count(`SELECT count(*)::int AS n FROM notifications WHERE incident_id = $1 AND kind LIKE 'emergency:%' AND status = 'queued'`, [r.incidentsOpened[0]]);
    expect(queued).toBe(2); // lead-101 and rr-101, committed with the event
  });

  it('stores the same event twice only once and answers with the same id', async () => {
    const e = ev({ source: 'alarm', type: 'glass_break', sourceEventId: 'p-dup-1', occurredAt: '2026-11-21T03:00:00-05:00', zone: 'entrance' });
    const a = await service.pipeline.ingest([e]);
    const b = await service.pipeline.ingest([e, e]);
    expect(a.accepted).toBe(1);
    expect(b.accepted).toBe(0);
    expect(b.duplicates).toBe(2);
    expect(b.ids).toEqual([a.ids[0], a.ids[0]]);
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE source_event_id = 'p-dup-1'`)).toBe(1);
  });

  it('keeps business-hours motion on the sales floor as an event and opens nothing', async () => {
    const r = await service.pipeline.ingest([ev({ source: 'cctv', type: 'motion', sourceEventId: 'p-motion-1', occurredAt: '2026-11-20T14:00:00-05:00', zone: 'sales-floor' })]);
    expect(r.accepted).toBe(1);
    expect(r.incidentsOpened).toEqual([]);
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE source_event_id = 'p-motion-1' AND incident_id IS NULL`)).toBe(1);
  });

  it('joins corroborating events, recomputes severity and keeps the score history', async () => {
    const open = await service.pipeline.ingest([ev({ source: 'access_control', type: 'door_forced', sourceEventId: 'p-j-1', occurredAt: '2026-11-22T01:00:00-05:00', zone: 'stockroom' })]);
    const id = open.incidentsOpened[0];
    const join = await service.pipeline.ingest([
      ev({ source: 'alarm', type: 'intrusion', sourceEventId: 'p-j-2', occurredAt: '2026-11-22T01:02:00-05:00', zone: 'stockroom' }),
      ev({ source: 'cctv', type: 'person_detected', sourceEventId: 'p-j-3', occurredAt: '2026-11-22T01:03:00-05:00', zone: 'stockroom' }),
    ]);
    expect(join.incidentsOpened).toEqual([]);
    expect(join.incidentsUpdated).toEqual([id]);
    const inc = (await service.db.query<{ event_count: number; sources: string[] }>('SELECT event_count, sources FROM incidents WHERE id = $1', [id])).rows[0];
    expect(inc.event_count).toBe(3);
    expect([...inc.sources].sort()).toEqual(['access_control', 'alarm', 'cctv']);
    const hist = (await service.db.query<{ seq: number; score: number }>('SELECT seq, score FROM incident_scores WHERE incident_id = $1 ORDER BY seq', [id])).rows;
    expect(hist.map((h) => h.seq)).toEqual([1, 2]);
    expect(hist[1].score).toBeGreaterThan(hist[0].score); // corroboration and a higher breach raise it
  });

  it('opens a fraud incident on the third void of one till and attaches the earlier two', async () => {
    const voids = [0, 4, 9].map((m, k) =>
      ev({ source: 'pos', type: 'void', sourceEventId: `p-v-${k}`, occurredAt: `2026-11-23T15:${String(10 + m).padStart(2, '0')}:00-05:00`, zone: 'sales-floor', device: 'pos-101-1', amount: { value: '19.99', currency: 'USD' } }),
    );
    expect((await service.pipeline.ingest([voids[0]])).incidentsOpened).toEqual([]);
    expect((await service.pipeline.ingest([voids[1]])).incidentsOpened).toEqual([]);
    const third = await service.pipeline.ingest([voids[2]]);
    expect(third.incidentsOpened).toHaveLength(1);
    const id = third.incidentsOpened[0];
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE incident_id = $1`, [id])).toBe(3);
    const inc = (await service.db.query<{ type: string; loss: { replacement: string } }>('SELECT type, loss FROM incidents WHERE id = $1', [id])).rows[0];
    expect(inc.type).toBe('fraud');
    expect(inc.loss.replacement).toBe('59.97');
  });

  it('records device state from device events and raises vulnerability when the covering camera is down', async () => {
    await service.pipeline.ingest([ev({ source: 'device', type: 'offline', sourceEventId: 'p-off-1', occurredAt: '2026-11-24T01:00:00-05:00', device: 'cam-101-co', zone: 'cash-office' })]);
    const st = (await service.db.query<{ online: boolean; recording: boolean }>(`SELECT online, recording FROM device_state WHERE id = 'cam-101-co'`)).rows[0];
    expect(st).toEqual({ online: false, recording: true });
    const r = await service.pipeline.ingest([ev({ source: 'access_control', type: 'door_forced', sourceEventId: 'p-off-2', occurredAt: '2026-11-24T01:30:00-05:00', zone: 'cash-office', assets: ['safe-1'] })]);
    const f = (await service.db.query<{ severity: { factors: { name: string; value: number }[] } }>('SELECT severity FROM incidents WHERE id = $1', [r.incidentsOpened[0]])).rows[0].severity.factors;
    expect(f.find((x) => x.name === 'assetVulnerability')!.value).toBeGreaterThan(0.6);
    await service.pipeline.ingest([ev({ source: 'device', type: 'recording_off', sourceEventId: 'p-off-3', occurredAt: '2026-11-24T01:40:00-05:00', device: 'cam-101-co' })]);
    const st2 = (await service.db.query<{ online: boolean; recording: boolean }>(`SELECT online, recording FROM device_state WHERE id = 'cam-101-co'`)).rows[0];
    expect(st2).toEqual({ online: false, recording: false });
  });

  it('keeps the events when the inline assessment fails and lets the runner finish the steps', async () => {
    failNext.push(true);
    const r = await service.pipeline.ingest([ev({ source: 'alarm', type: 'panic', sourceEventId: 'p-fail-1', occurredAt: '2026-11-25T12:00:00-05:00', zone: 'back-hall' })]);
    expect(r.accepted).toBe(1);
    const id = r.incidentsOpened[0];
    const before = (await service.db.query<{ step: string; status: string; error: string | null }>('SELECT step, status, error FROM workflow_steps WHERE incident_id = $1 ORDER BY ord', [id])).rows;
    expect(before.every((s) => s.status === 'pending')).toBe(true);
    expect(before[0].error).toContain('injected');
    await service.runner.drain();
    const after = (await service.db.query<{ step: string; status: string; attempts: number }>('SELECT step, status, attempts FROM workflow_steps WHERE incident_id = $1 ORDER BY ord', [id])).rows;
    expect(after.slice(0, 4).map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    // Everything finished but the archive step, which waits for the resolution.
    expect(after.slice(4).filter((s) => s.step !== 'archive-resolved-incident').every((s) => s.status === 'done' || s.status === 'skipped')).toBe(true);
    expect(after.find((s) => s.step === 'archive-resolved-incident')?.status).toBe('pending');
    const inc = (await service.db.query<{ band: string; severity: unknown; loss: unknown }>('SELECT band, severity, loss FROM incidents WHERE id = $1', [id])).rows[0];
    expect(inc.severity).not.toBeNull();
    expect(inc.loss).not.toBeNull();
  });

  it('writes nothing of a batch when the transaction fails', async () => {
    const before = await count('SELECT count(*)::int AS n FROM events');
    await expect(
      service.pipeline.inOneTransaction(async (ingest) => {
        await ingest([ev({ source: 'alarm', type: 'intrusion', sourceEventId: 'p-tx-1', occurredAt: '2026-11-25T02:00:00-05:00', zone: 'stockroom' })]);
        throw new Error('row 2 was invalid');
      }),
    ).rejects.toThrow('row 2');
    expect(await count('SELECT count(*)::int AS n FROM events')).toBe(before);
    expect(await count(`SELECT count(*)::int AS n FROM incidents WHERE first_event_at = $1`, [iso('2026-11-25T02:00:00-05:00')])).toBe(0);
  });
});

describe('embedded store', () => {
  it('keeps data across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-restart-'));
    try {
      const a = await createService({ config, dataDir: dir });
      const r = await a.pipeline.ingest([ev({ source: 'alarm', type: 'intrusion', sourceEventId: 'r-1', occurredAt: '2026-11-20T03:00:00-05:00', zone: 'stockroom' })]);
      await a.close();
      const b = await createService({ config, dataDir: dir });
      const rows = (await b.db.query<{ id: string }>('SELECT id FROM incidents')).rows;
      expect(rows.map((x) => x.id)).toEqual(r.incidentsOpened);
      const again = await b.pipeline.ingest([ev({ source: 'alarm', type: 'intrusion', sourceEventId: 'r-1', occurredAt: '2026-11-20T03:00:00-05:00', zone: 'stockroom' })]);
      expect(again.duplicates).toBe(1);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
