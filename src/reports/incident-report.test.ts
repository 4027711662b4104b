import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../config/loader.js';
import { buildOrgModel } from '../domain/site-model.js';
import type { ReportData } from '../store/read/report-data.js';
import { barChartSvg } from './charts.js';
import { renderReportHtml } from './html.js';
import { lossChart, severityChart } from './incident-charts.js';
import { buildIncidentReport, canonicalJson, reportDigest, type ReportContext } from './incident-report.js';
import { winAnsi } from './pdf.js';
import type { ServedReport } from './report-versions.js';
import { fovPolygon, sitePlanSvg } from './site-plan.js';

const config = loadDemoConfig();
const org = buildOrgModel(config);
const ctx: ReportContext = { site: org.sites.get('store-101'), policy: config.policy, organization: config.organization };

/** Report data as the store would give it for a critical door-forced incident in the cash office. */
function data(over: Partial<ReportData['incident']> = {}, extra: Partial<ReportData> = {}): ReportData {
  return {
    incident: {
      id: 'inc-test-1',
      site: 'store-101',
      zone: 'cash-office',
      zones: ['cash-office'],
      type: 'unauthorized_entry',
      status: 'open',
      outcome: null,
      notes: [],
      openedAt: '2026-11-20T07:14:00.000Z',
      firstEventAt: '2026-11-20T07:14:00.000Z',
      lastEventAt: '2026-11-20T07:15:00.000Z',
      updatedAt: '2026-11-20T07:15:00.000Z',
      eventCount: 2,
      sources: ['cctv', 'access_control'],
      acknowledgedAt: null,
      acknowledgedBy: null,
      assignee: null,
      assignedAt: null,
      resolvedAt: null,
      resolvedBy: null,
      severity: {
        score: 87,
        band: 'critical',
        policyVersion: '2026.11-1',
        factors: [
          { name: 'breachType', value: 0.85, weight: 0.3, contribution: 25.5, detail: 'door forced' },
          { name: 'afterHours', value: 1, weight: 0.15, contribution: 15, detail: '02:14 local' },
        ],
      },
      severityHistory: [{ seq: 1, score: 87, band: 'critical', policyVersion: '2026.11-1', eventCount: 2, computedAt: '2026-11-20T07:15:00.000Z', factors: [] }],
      loss: { currency: 'USD', replacement: '0.00', downtime: '600.00', fines: '0.00', remediation: '250.00', recovered: '100.00', gross: '850.00', net: '750.00', items: [{ kind: 'downtime', description: '0.5 h', amount: '600.00' }] },
      events: [
        { id: 'evt-2', source: 'cctv', type: 'person_detected', occurredAt: '2026-11-20T07:15:00.000Z', site: 'store-101', zone: 'cash-office', details: {}, receivedAt: '2026-11-20T07:15:01.000Z', incidentId: 'inc-test-1' },
        { id: 'evt-1', source: 'access_control', type: 'door_forced', occurredAt: '2026-11-20T07:14:00.000Z', site: 'store-101', zone: 'cash-office', device: 'cr-101-co', assets: ['safe-1'], details: {}, receivedAt: '2026-11-20T07:14:01.000Z', incidentId: 'inc-test-1' },
      ],
      assets: [{ id: 'safe-1', name: 'Cash safe', zone: 'cash-office', value: '25000.00', category: 'cash', relation: 'named', highRisk: true, highRiskReasons: ['category cash'], status: 'active' }],
      adjacentHighRisk: [],
      workflow: [
        { step: 'calculate-severity', status: 'done', attempts: 1, startedAt: 'x', finishedAt: '2026-11-20T07:15:00.000Z', nextRunAt: null, error: null, reason: null, result: { secret: 1 } },
        { step: 'create-incident-report', status: 'running', attempts: 1, startedAt: 'x', finishedAt: null, nextRunAt: null, error: null, reason: null, result: null },
      ],
      notifications: [],
      patrols: [
        {
          id: 'pat-1', incidentId: 'inc-test-1', site: 'store-101', kind: 'response', guardId: 'guard-101-1', zone: 'cash-office', target: [37, 4], route: [], assets: ['Cash safe'], reason: 'critical', status: 'assigned',
          metres: 30, etaSeconds: 22, attempt: 1, ackDeadline: null, scheduledFor: null, assignedAt: '2026-11-20T07:16:00.000Z', acknowledgedAt: null, enRouteAt: null, onSiteAt: null, completedAt: null,
        },
      ],
      tasks: [],
      accessFindings: [],
      equipmentFindings: [],
      resolution: null,
      version: 3,
      ...over,
    },
    outcome: null,
    notes: [],
    tasks: [],
    assetStatusChanges: [],
    risk: [],
    accessFindings: [],
    equipmentFindings: [],
    audit: [
      { seq: 1, at: '2026-11-20T07:20:00.000Z', actor: 'lead', action: 'incident.acknowledge', target: 'inc-test-1', details: {} },
      { seq: 2, at: '2026-11-20T07:30:00.000Z', actor: 'ines', action: 'report.sign', target: 'inc-test-1', details: { version: 1 } },
    ],
    ...extra,
  };
}

describe('incident report model', () => {
  it('holds every section, the plan geometry and nothing volatile', () => {
    const c = buildIncidentReport(data(), ctx);
    expect(c.incident.siteName).toBe('Store 101 Downtown Manhattan');
    expect(c.incident.zoneName).toBe('Cash office');
    expect(c.incident.localStart).toBe('2026-11-20 02:14');
    expect(c.summary.netLoss).toBe('750.00');
    expect(c.summary.text).toContain('net loss USD 750.00');
    expect(c.summary.headline).toBe('Critical unauthorized entry at Store 101 Downtown Manhattan, Cash office');
    // The report step's own journal row and the results of steps are left out; sign-offs are the versions' own.
    expect(c.workflow).toEqual([{ step: 'calculate-severity', title: 'Severity', status: 'done', reason: null, finishedAt: '2026-11-20T07:15:00.000Z' }]);
    expect(c.chainOfCustody.map((a) => a.action)).toEqual(['incident.acknowledge']);
    // Timeline oldest first.
    const ats = c.timeline.map((t) => t.at);
    expect([...ats].sort()).toEqual(ats);
    expect(c.timeline[0].kind).toBe('opened');
    // Site plan: the incident zone highlighted, the safe high-risk and touched, cameras, the guard's path from the post to the target.
    const plan = c.sitePlan!;
    expect(plan.zones.filter((z) => z.incident).map((z) => z.id)).toEqual(['cash-office']);
    expect(plan.assets.find((a) => a.id === 'safe-1')).toMatchObject({ highRisk: true, touched: true });
    expect(plan.cameras.some((cam) => cam.coversIncident)).toBe(true);
    const path = plan.guardPaths[0];
    expect(path.points[0]).toEqual(ctx.site!.site.guards.find((g) => g.id === 'guard-101-1')!.position);
    expect(path.points.at(-1)).toEqual([37, 4]);
    expect(path.points.length).toBeGreaterThan(2); // through doorways, not a straight line through walls
    expect(c.evidence.cameraClips.every((x) => x.from === '2026-11-20T07:09:00.000Z' && x.to === '2026-11-20T07:20:00.000Z')).toBe(true);
    expect(JSON.stringify(c)).not.toMatch(/generatedAt|signedBy|secret/);
  });

  it('gives the same digest for the same data, and another for any change', () => {
    const a = buildIncidentReport(data(), ctx);
    const b = buildIncidentReport(data(), ctx);
    expect(reportDigest(a)).toBe(reportDigest(b));
    // Volatile incident fields (updatedAt, the row version) do not count.
    expect(reportDigest(buildIncidentReport(data({ updatedAt: '2030-01-01T00:00:00.000Z', version: 9 }), ctx))).toBe(reportDigest(a));
    expect(reportDigest(buildIncidentReport(data({ status: 'acknowledged' }), ctx))).not.toBe(reportDigest(a));
    const noted = data({}, { notes: [{ seq: 1, at: '2026-11-20T08:00:00.000Z', author: 'ines', kind: 'note', text: 'safe open' }] });
    expect(reportDigest(buildIncidentReport(noted, ctx))).not.toBe(reportDigest(a));
  });

  it('digests the canonical JSON: key order and a jsonb round trip do not matter', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), tie('arr'), tie('obj')),
      arr: fc.array(tie('value'), { maxLength: 4 }),
      obj: fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        const reparsed = JSON.parse(JSON.stringify(v));
        const reordered = reorder(reparsed);
        expect(canonicalJson(reordered)).toBe(canonicalJson(v));
        expect(JSON.parse(canonicalJson(v))).toEqual(reparsed);
      }),
    );
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 'x' }], u: undefined })).toBe('{"a":[{"c":"x","d":2}],"b":1}');
  });

  it('renders charts and a plan from the content, and keeps PDF text within WinAnsi', () => {
    const c = buildIncidentReport(data(), ctx);
    const sev = severityChart(c);
    expect(sev.bars.map((b) => b.label)).toEqual(['breachType', 'afterHours']);
    expect(sev.bars[0].tone).toBe('emphasis');
    const loss = lossChart(c);
    expect(loss.bars.find((b) => b.label === 'recovered')).toMatchObject({ display: '-USD 100.00', tone: 'credit' });
    expect(barChartSvg(loss)).toContain('USD 600.00');
    const svg = sitePlanSvg(c.sitePlan!);
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(XMLValidator.validate(barChartSvg(severityChart(c)))).toBe(true);
    expect(svg).toContain('data-zone="cash-office"');
    expect(svg.match(/class="fov"/g)?.length).toBe(c.sitePlan!.cameras.filter((x) => x.fov).length);
    // A 90-degree field of view facing east spans from -45 to +45 degrees.
    const fov = fovPolygon([0, 0], { direction: 0, angle: 90, range: 10 });
    expect(fov[0]).toEqual([0, 0]);
    expect(fov[1][0]).toBeCloseTo(10 * Math.cos(-Math.PI / 4));
    expect(fov[1][1]).toBeCloseTo(10 * Math.sin(-Math.PI / 4));
    expect(winAnsi('Café – Łódź → 東京 “ok”')).toBe('Café – Lódz -> ?? “ok”');
    const served: ServedReport = { incidentId: c.incident.id, version: 2, generatedAt: 'g', digestAlgorithm: 'sha256', digest: 'd', signoff: { signedBy: 'Ines <admin>', signedAt: 't', note: null }, latestVersion: 2, versions: [], content: c };
    const html = renderReportHtml(served);
    expect(html).toContain('Signed off by Ines &lt;admin&gt; at t');
    expect(html).not.toContain('<admin>');
  });
});

/** The same value with every object's keys in reverse order. */
function reorder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reorder);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reorder((v as Record<string, unknown>)[k])]));
  return v;
}
