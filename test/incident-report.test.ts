/**
 * Step 8 end to end on both stores: an incident through the service gets its report from the
 * workflow; GET serves it as JSON, HTML and PDF (the PDF's text read back with a real PDF text
 * extractor); sign-off freezes a version, puts its digest in the audit trail, refuses a second
 * sign-off and a stale version (409); a later change makes a new version and leaves the signed one
 * as it was; the database itself refuses to edit or delete a signed version; another site's
 * caller gets 404, a guard 403.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createApiToken } from '../src/api/auth.js';
import { buildServer } from '../src/api/server.js';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import type { Config } from '../src/config/schema.js';
import { formatMoney } from '../src/domain/money.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { reportDigest } from '../src/reports/incident-report.js';
import { latestCheckpoint } from '../src/store/transparency-log.js';
import { createService, type Service } from '../src/service.js';
import { SmtpReceiver, TwilioReceiver, WebhookReceiver } from './helpers/receivers.js';
import { TEST_STORES } from './helpers/stores.js';

const twilio = new TwilioReceiver();
const smtp = new SmtpReceiver();
const hooks = new WebhookReceiver();
beforeAll(async () => {
  await Promise.all([twilio.start(), smtp.start(), hooks.start()]);
});
afterAll(async () => {
  await Promise.all([twilio.stop(), smtp.stop(), hooks.stop()]);
});

function config(policy: Record<string, unknown> = {}): Config {
  const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
  doc.notify = {
    sms: { provider: 'twilio', baseUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15550009999' },
    email: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'vigil@test.example' },
    webhooks: [{ url: hooks.url, secret: 'webhook-secret-123', kinds: [] }],
  };
  doc.policy = policy;
  return parseConfig(doc);
}

const ADMIN = 'report-admin';
const door = (id: string, at: string, extra: Partial<SecurityEvent> = {}): SecurityEvent => ({
  source: 'access_control', type: 'door_forced', sourceEventId: id, occurredAt: new Date(at).toISOString(), site: 'store-101', zone: 'cash-office', details: {}, ...extra,
});

async function pdfText(body: Buffer): Promise<string> {
  const pdf = await getDocumentProxy(new Uint8Array(body));
  const { text } = await extractText(pdf, { mergePages: true });
  return text;
}

describe.each(TEST_STORES)('incident report on $name', (store) => {
  let service: Service | undefined;
  let app: FastifyInstance | undefined;
  let drop: (() => Promise<void>) | undefined;
  let clock = new Date('2026-11-20T07:14:30Z');

  async function start(policy: Record<string, unknown> = {}) {
    const s = await store.fresh();
    drop = s.drop;
    clock = new Date('2026-11-20T07:14:30Z');
    service = await createService({ config: config(policy), dataDir: s.dataDir, databaseUrl: s.databaseUrl, now: () => clock, adminToken: ADMIN, dispatcher: { random: () => 0.999 } });
    app = await buildServer(service);
    return { svc: service, app };
  }
  async function settle(svc: Service) {
    for (let i = 0; i < 5; i++) {
      await svc.runner.drain();
      await svc.dispatcher.drain();
    }
  }
  afterEach(async () => {
    await app?.close();
    await service?.close();
    await drop?.();
    service = undefined;
    app = undefined;
  });
  const get = (a: FastifyInstance, url: string, token = ADMIN) => a.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const sign = (a: FastifyInstance, id: string, token: string, body?: unknown) =>
    a.inject({ method: 'POST', url: `/api/v1/incidents/${id}/report/sign`, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });

  it('writes the report in the workflow, serves JSON, HTML and PDF, freezes a signed version and keeps later changes as new versions', async () => {
    const { svc, app } = await start();
    const r = await svc.pipeline.ingest([door('rep-1', '2026-11-20T02:14:00-05:00', { device: 'cr-101-co', assets: ['safe-1'] })]);
    const id = r.incidentsOpened[0];
    await settle(svc);

    // Step 8 ran after the guard patrol and stored version 1.
    const steps = (await svc.db.query<{ step: string; status: string; result: { version: number; digest: string } | null }>(`SELECT step, status, result FROM workflow_steps WHERE incident_id = $1 ORDER BY ord`, [id])).rows;
    const at = steps.findIndex((s) => s.step === 'create-incident-report');
    expect(steps[at - 1]?.step).toBe('assign-guard-patrol');
    const step = steps[at]!;
    expect(step.status).toBe('done');
    expect(step.result?.version).toBe(1);

    // GET json: the current version (deliveries happened since step 8, so it may be newer), digest of its content.
    const j1 = await get(app, `/api/v1/incidents/${id}/report`);
    expect(j1.statusCode, j1.body).toBe(200);
    const rep = j1.json();
    expect(rep.incidentId).toBe(id);
    expect(rep.digest).toBe(reportDigest(rep.content));
    expect(rep.signoff).toBeNull();
    expect(Object.keys(rep.content).sort()).toEqual(
      ['schema', 'organization', 'incident', 'summary', 'timeline', 'events', 'eventsListed', 'assets', 'adjacentHighRisk', 'severity', 'loss', 'notifications', 'patrols', 'workflow', 'caseNotes', 'tasks', 'evidence', 'accessFindings', 'equipmentFindings', 'assetStatusChanges', 'risk', 'chainOfCustody', 'sitePlan'].sort(),
    );
    const c = rep.content;
    expect(c.incident.site).toBe('store-101');
    expect(c.summary.band).toBe('critical');
    expect(c.events.map((e: { id: string }) => e.id)).toHaveLength(1);
    expect(c.assets.find((a: { id: string }) => a.id === 'safe-1')?.highRisk).toBe(true);
    expect(c.notifications.length).toBeGreaterThan(0);
    expect(c.notifications.every((n: Record<string, unknown>) => !('address' in n) && !('body' in n))).toBe(true);
    expect(c.notifications.some((n: { status: string }) => n.status === 'sent')).toBe(true);
    expect(c.patrols).toHaveLength(1);
    expect(c.sitePlan.zones.find((z: { id: string }) => z.id === 'cash-office').incident).toBe(true);
    expect(c.sitePlan.guardPaths).toHaveLength(1);
    expect(c.sitePlan.guardPaths[0].points.length).toBeGreaterThanOrEqual(2);
    expect(c.evidence.cameraClips.length).toBeGreaterThan(0);
    // Step 11's recalculation for this incident: the site and the cash office, as they were then.
    expect(c.risk.map((r: { scope: string; id: string }) => `${r.scope}:${r.id}`)).toEqual(expect.arrayContaining(['site:store-101', 'zone:store-101/cash-office']));
    expect(c.workflow.map((w: { step: string }) => w.step)).not.toContain('create-incident-report');
    expect(c.loss.net).toBe(c.summary.netLoss);

    // An unchanged incident adds no version.
    const j2 = (await get(app, `/api/v1/incidents/${id}/report?format=json`)).json();
    expect(j2.version).toBe(rep.version);
    expect(j2.digest).toBe(rep.digest);

    // HTML: printable, with the inline SVG plan (zone, cameras with fields of view, the guard's path) and the charts.
    const html = await get(app, `/api/v1/incidents/${id}/report?format=html`);
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toContain(id);
    expect(html.body).toContain('class="site-plan"');
    expect(html.body).toContain('class="zone incident-zone" data-zone="cash-office"');
    expect(html.body).toContain('class="fov"');
    expect(html.body).toContain('class="guard-path"');
    expect(html.body).toContain('class="asset high-risk" data-asset="safe-1"');
    expect(html.body).toContain('@media print');
    expect(html.body).toContain('Draft: not signed off yet.');

    // PDF: its text (read back by a PDF text extractor) holds the id, site, band and net loss.
    const pdf = await get(app, `/api/v1/incidents/${id}/report?format=pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(pdf.rawPayload);
    expect(text).toContain(id);
    expect(text).toContain('Store 101 Downtown Manhattan');
    expect(text).toContain('store-101');
    expect(text).toMatch(/Band\s+critical/);
    expect(text).toContain(formatMoney(c.summary.netLoss, 'USD'));
    expect(text).toContain('Draft: not signed off yet.');

    // Sign-off by an investigator: the version is frozen, its digest in the audit trail.
    const inv = await createApiToken(svc.db, { name: 'Ines Investigator', role: 'investigator', now: clock });
    clock = new Date(clock.getTime() + 60_000);
    const s1 = await sign(app, id, inv.token, { version: rep.version, note: 'reviewed on site' });
    expect(s1.statusCode, s1.body).toBe(200);
    const signed = s1.json();
    expect(signed.version).toBe(rep.version);
    expect(signed.digest).toBe(rep.digest);
    expect(signed.signoff).toEqual({ signedBy: 'Ines Investigator', signedAt: clock.toISOString(), note: 'reviewed on site' });
    const audit = (await svc.db.query<{ actor: string; details: { version: number; digest: string; signedBy: string } }>(`SELECT actor, details FROM audit_log WHERE action = 'report.sign' AND target = $1`, [id])).rows;
    expect(audit).toEqual([{ actor: 'Ines Investigator', details: { version: rep.version, digest: rep.digest, digestAlgorithm: 'sha256', signedBy: 'Ines Investigator', note: 'reviewed on site' } }]);
    // The sign-off is a leaf of the transparency log, and the log's latest checkpoint, signed in the same
    // transaction, covers it.
    const leaves = (await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM log_leaves`)).rows[0]!.n;
    expect((await latestCheckpoint(svc.db))?.treeSize).toBe(leaves);

    // Reading it again changes nothing (the sign-off is not part of the content); the PDF shows the signer.
    const after = (await get(app, `/api/v1/incidents/${id}/report`)).json();
    expect(after.version).toBe(rep.version);
    expect(after.signoff.signedBy).toBe('Ines Investigator');
    const signedText = await pdfText((await get(app, `/api/v1/incidents/${id}/report?format=pdf&version=${rep.version}`)).rawPayload);
    expect(signedText).toContain('Signed off by Ines Investigator');
    expect(signedText).toContain(id);

    // A second sign-off of the same version is a conflict.
    const s2 = await sign(app, id, ADMIN);
    expect(s2.statusCode).toBe(409);
    expect(s2.json().error.message).toMatch(/already signed by Ines Investigator/);

    // A later change (a case note, a new event joining) makes a new version; the signed one stays as it was.
    await svc.db.query(`INSERT INTO incident_notes (incident_id, at, author, kind, text) VALUES ($1, $2, 'Ines Investigator', 'note', 'Safe door found open; cash count pending.')`, [id, clock]);
    clock = new Date(clock.getTime() + 60_000);
    const r2 = await svc.pipeline.ingest([door('rep-2', '2026-11-20T02:16:00-05:00', { type: 'door_held_open', device: 'cr-101-co' })]);
    expect(r2.incidentsUpdated).toContain(id);
    await settle(svc);
    const v2 = (await get(app, `/api/v1/incidents/${id}/report`)).json();
    expect(v2.version).toBeGreaterThan(rep.version);
    expect(v2.signoff).toBeNull();
    // The person's note, next to the system note step 10 wrote when it restricted the assets.
    expect(v2.content.caseNotes.map((n: { text: string }) => n.text)).toContain('Safe door found open; cash count pending.');
    expect(v2.content.caseNotes.map((n: { kind: string }) => n.kind)).toContain('note');
    expect(v2.content.events).toHaveLength(2);
    expect(v2.content.chainOfCustody.some((a: { action: string }) => a.action.startsWith('report.'))).toBe(false);
    const old = (await get(app, `/api/v1/incidents/${id}/report?version=${rep.version}`)).json();
    expect(old.digest).toBe(rep.digest);
    expect(old.content).toEqual(rep.content);
    expect(old.signoff.signedBy).toBe('Ines Investigator');
    expect(old.latestVersion).toBe(v2.version);

    // Signing the old version is refused now (it is not the current one, and it is signed).
    const stale = await sign(app, id, inv.token, { version: rep.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.message).toMatch(new RegExp(`version ${rep.version} .*not the current one`));
    const fresh = await sign(app, id, inv.token, { version: v2.version });
    expect(fresh.statusCode, fresh.body).toBe(200);

    // The database refuses to edit or delete a signed version, whoever writes the SQL.
    await expect(svc.db.query(`UPDATE report_versions SET content = '{}'::jsonb WHERE incident_id = $1 AND version = $2`, [id, rep.version])).rejects.toThrow(/signed and frozen/);
    await expect(svc.db.query(`UPDATE report_versions SET digest = 'x' WHERE incident_id = $1 AND version = $2`, [id, rep.version])).rejects.toThrow(/signed and frozen/);
    await expect(svc.db.query(`UPDATE report_versions SET signed_by = 'Mallory' WHERE incident_id = $1 AND version = $2`, [id, rep.version])).rejects.toThrow(/signed and frozen/);
    await expect(svc.db.query(`DELETE FROM report_versions WHERE incident_id = $1 AND version = $2`, [id, rep.version])).rejects.toThrow(/signed and frozen/);
    await expect(svc.db.query(`TRUNCATE report_versions`)).rejects.toThrow(/cannot be truncated/);
    const kept = (await svc.db.query<{ digest: string; signed_by: string; content: unknown }>(`SELECT digest, signed_by, content FROM report_versions WHERE incident_id = $1 AND version = $2`, [id, rep.version])).rows[0];
    expect(kept.digest).toBe(rep.digest);
    expect(kept.signed_by).toBe('Ines Investigator');
    expect(reportDigest(kept.content)).toBe(rep.digest);
    // An unsigned version's content cannot be edited either (versions are append-only).
    await svc.db.query(`INSERT INTO report_versions (incident_id, version, generated_at, digest, content) VALUES ($1, 999, now(), 'd', '{}'::jsonb)`, [id]);
    await expect(svc.db.query(`UPDATE report_versions SET content = '{"x":1}'::jsonb WHERE incident_id = $1 AND version = 999`, [id])).rejects.toThrow(/append-only/);
  });

  it('answers 404 for another site, 403 for a role that may not sign, 400 for a bad format, and skips the step below the policy band', async () => {
    const { svc, app } = await start({ report: { minBand: 'high' } });
    const r = await svc.pipeline.ingest([
      door('rep-10', '2026-11-20T02:14:00-05:00', { device: 'cr-101-co', assets: ['safe-1'] }),
      // Motion in the sales floor during business hours opens nothing; a loitering event opens a low incident.
      { source: 'cctv', type: 'loitering', sourceEventId: 'rep-11', occurredAt: new Date('2026-11-20T14:00:00-05:00').toISOString(), site: 'store-101', zone: 'loading-dock', details: {} },
    ]);
    await settle(svc);
    const bands = (await svc.db.query<{ id: string; band: string }>(`SELECT id, band FROM incidents ORDER BY opened_at`)).rows;
    const critical = bands.find((b) => b.band === 'critical')!.id;
    const low = bands.find((b) => b.band === 'low' || b.band === 'medium');
    expect(low, JSON.stringify(bands)).toBeDefined();
    {
      const st = (await svc.db.query<{ status: string; reason: string }>(`SELECT status, reason FROM workflow_steps WHERE incident_id = $1 AND step = 'create-incident-report'`, [low!.id])).rows[0];
      expect(st).toEqual({ status: 'skipped', reason: `band ${low!.band} is below the report threshold (high)` });
      // Asked for, it is written all the same.
      const onDemand = await get(app, `/api/v1/incidents/${low!.id}/report`);
      expect(onDemand.statusCode).toBe(200);
      expect(onDemand.json().version).toBe(1);
    }

    const other = await createApiToken(svc.db, { name: 'east-lead', role: 'manager', sites: ['store-202'], now: clock });
    for (const fmt of ['json', 'html', 'pdf']) expect((await get(app, `/api/v1/incidents/${critical}/report?format=${fmt}`, other.token)).statusCode).toBe(404);
    expect((await get(app, `/api/v1/incidents/${critical}/report?version=1`, other.token)).statusCode).toBe(404);
    expect((await sign(app, critical, other.token)).statusCode).toBe(404);
    expect((await get(app, `/api/v1/incidents/inc-nope/report`)).statusCode).toBe(404);
    expect((await get(app, `/api/v1/incidents/${critical}/report?version=42`)).statusCode).toBe(404);

    const guard = await createApiToken(svc.db, { name: 'a-guard', role: 'guard', now: clock });
    expect((await get(app, `/api/v1/incidents/${critical}/report`, guard.token)).statusCode).toBe(200);
    expect((await sign(app, critical, guard.token)).statusCode).toBe(403);

    const bad = await get(app, `/api/v1/incidents/${critical}/report?format=docx&version=0`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { path: string }) => d.path).sort()).toEqual(['format', 'version']);
    const badBody = await sign(app, critical, ADMIN, { version: 'one', extra: true });
    expect(badBody.statusCode).toBe(400);

    const mgr = await createApiToken(svc.db, { name: 'Morgan Manager', role: 'manager', sites: ['store-101'], now: clock });
    const ok = await sign(app, critical, mgr.token);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().signoff.signedBy).toBe('Morgan Manager');
  });

  it('writes the report once the band rises to the policy threshold', async () => {
    const { svc } = await start({ report: { minBand: 'high' } });
    const r = await svc.pipeline.ingest([{ source: 'cctv', type: 'loitering', sourceEventId: 'rise-1', occurredAt: '2026-11-20T19:00:00.000Z', site: 'store-101', zone: 'back-hall', details: {} }]);
    const id = r.incidentsOpened[0];
    await settle(svc);
    const step = async () => (await svc.db.query<{ status: string; reason: string | null }>(`SELECT status, reason FROM workflow_steps WHERE incident_id = $1 AND step = 'create-incident-report'`, [id])).rows[0];
    expect(await step()).toEqual({ status: 'skipped', reason: 'band medium is below the report threshold (high)' });
    expect((await svc.db.query(`SELECT 1 FROM report_versions WHERE incident_id = $1`, [id])).rows).toHaveLength(0);
    // A forced door next door joins the incident and raises it to high: the step is planned again and writes the report.
    const r2 = await svc.pipeline.ingest([door('rise-2', '2026-11-20T19:05:00.000Z', { assets: ['safe-1'] })]);
    expect(r2.incidentsUpdated).toEqual([id]);
    await settle(svc);
    expect(await step()).toEqual({ status: 'done', reason: null });
    const v = (await svc.db.query<{ version: number; band: string }>(`SELECT version, content->'summary'->>'band' AS band FROM report_versions WHERE incident_id = $1`, [id])).rows;
    expect(v).toEqual([{ version: 1, band: 'high' }]);
  });
});
