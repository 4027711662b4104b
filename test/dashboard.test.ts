/**
 * The dashboard in a real browser (Chromium through playwright-core) against a real server on the
 * embedded store: login through `#token=`, the live incident list, the detail pane's charts (one
 * factor bar per severity factor, the site plan with the incident zone and the touched asset, one
 * timeline mark per event), the lifecycle buttons, the login again on a wrong token, escaping of
 * API text, and the Content-Security-Policy (no violation in the console). Also GET /api/v1/sites
 * and its site scope.
 *
 * Skipped only on a machine without /usr/bin/chromium outside CI; CI installs it, and fails without it.
 */
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/api/auth.js';
import { WEB_ROOT } from '../src/api/routes/dashboard.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, type Service } from '../src/service.js';
import { archiveIncident } from '../src/archive/record.js';
import { applyIncidentAction } from '../src/api/lifecycle-actions.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'dashboard-test-admin-token';
const SCREENSHOT = '/tmp/vigil-dashboard.png';

const iso = (s: string) => new Date(s).toISOString();
const ev = (e: Partial<SecurityEvent> & Pick<SecurityEvent, 'source' | 'type' | 'occurredAt'>): SecurityEvent => ({
  site: 'store-101',
  details: {},
  ...e,
  occurredAt: iso(e.occurredAt),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

// Skipped only on a developer machine without Debian's Chromium; in CI (which installs it) a missing browser fails.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('dashboard in Chromium', () => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let doorId: string;
  let fraudId: string;
  const problems: string[] = [];

  const get = async (path: string, token = ADMIN): Promise<{ status: number; body: Json; headers: Headers }> => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };

  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  };

  beforeAll(async () => {
    service = await createService({ config: loadDemoConfig(), dataDir: 'memory://', adminToken: ADMIN });
    app = await buildServer(service);

    const door = await service.pipeline.ingest([
      ev({ source: 'access_control', type: 'door_forced', sourceEventId: 'dash-door-1', occurredAt: '2026-11-20T02:14:00-05:00', zone: 'cash-office', device: 'cr-101-co', assets: ['safe-1'] }),
      // The NVR saw it: its own clip and snapshot go on that camera's item of the evidence checklist.
      ev({
        source: 'cctv',
        type: 'person_detected',
        sourceEventId: 'dash-nvr-1',
        occurredAt: '2026-11-20T02:14:20-05:00',
        zone: 'cash-office',
        device: 'cam-101-co',
        details: { footage: { frigateId: '1700000000.1-abc', clip: 'http://nvr.example/api/events/1700000000.1-abc/clip.mp4', snapshot: 'javascript:alert(1)' } },
      }),
    ]);
    doorId = door.incidentsOpened[0];
    // A POS void spree on one till; the third void opens a fraud incident with all three. The
    // source's own id carries markup, which the page must show as text.
    let fraud: string | undefined;
    for (const [k, m] of [0, 4, 9].entries()) {
      const r = await service.pipeline.ingest([
        ev({
          source: 'pos',
          type: 'void',
          sourceEventId: k === 2 ? '<img src=x onerror="window.__xss=1">' : `dash-void-${k}`,
          occurredAt: `2026-11-23T15:${String(10 + m).padStart(2, '0')}:00-05:00`,
          zone: 'sales-floor',
          device: 'pos-101-1',
          amount: { value: '19.99', currency: 'USD' },
        }),
      ]);
      fraud ??= r.incidentsOpened[0];
    }
    fraudId = fraud!;
    expect(doorId).toBeTruthy();
    expect(fraudId).toBeTruthy();

    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
  });

  it('resolves the web directory from src/ (and the same relative path from dist/)', () => {
    expect(WEB_ROOT.replace(/\/$/, '')).toBe(new URL('../web', import.meta.url).pathname);
    expect(existsSync(`${WEB_ROOT}index.html`)).toBe(true);
  });

  it('serves the page with a strict Content-Security-Policy and no API token needed', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\sstyle=/);
    const js = await fetch(`${base}/web/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await js.text()).toContain('createElementNS');
    const traversal = await fetch(`${base}/web/%2e%2e/package.json`);
    expect(traversal.status).toBe(404);
    expect(await traversal.text()).not.toContain('"dependencies"');
    // The API keeps its own rules.
    const api = await fetch(`${base}/api/v1/incidents`);
    expect(api.status).toBe(401);
    await api.text();
  });

  it('GET /api/v1/sites lists the site plans within the token scope', async () => {
    const all = await get('/api/v1/sites');
    expect(all.status).toBe(200);
    expect(all.body.items.map((s: Json) => s.id)).toEqual(['store-101', 'store-102', 'dc-201', 'hq-301']);
    const s101 = all.body.items[0];
    expect(s101).toMatchObject({ timezone: 'America/New_York', businessHours: { open: '08:00', close: '22:00' } });
    expect(s101.zones.find((z: Json) => z.id === 'cash-office')).toMatchObject({ restricted: true, polygon: [[34, 0], [40, 0], [40, 8], [34, 8]], adjacent: ['back-hall'] });
    expect(s101.assets.find((a: Json) => a.id === 'safe-1')).toMatchObject({ zone: 'cash-office', position: [37, 4], value: '25000.00' });
    expect(s101.devices.find((d: Json) => d.id === 'cam-101-co')).toMatchObject({ kind: 'camera', fov: { direction: 315, angle: 90, range: 9 } });
    expect(s101.guards[0]).toEqual({ id: 'guard-101-1', name: 'Sam Ortiz', position: [15, 15], onShift: true });
    expect(JSON.stringify(all.body)).not.toContain('+1555'); // no phone numbers, no personnel
    expect(JSON.stringify(all.body)).not.toContain('B-1017');

    const { token } = await createApiToken(service.db, { name: 'dc lead', role: 'security_lead', sites: ['dc-201'] });
    const scoped = await get('/api/v1/sites', token);
    expect(scoped.body.items.map((s: Json) => s.id)).toEqual(['dc-201']);
    expect((await get('/api/v1/sites?site=store-101', token)).body.items).toEqual([]);
    expect((await get('/api/v1/sites?site=store-101,hq-301')).body.items.map((s: Json) => s.id)).toEqual(['store-101', 'hq-301']);
    expect((await get('/api/v1/sites?site=NOT VALID')).status).toBe(400);
    expect((await get('/api/v1/sites', 'wrong')).status).toBe(401);
  });

  it('shows the live list, explains the selected incident and acknowledges it', async () => {
    problems.length = 0;
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    watch(page);
    await page.goto(`${base}/#token=${encodeURIComponent(ADMIN)}`);

    // The token leaves the address bar.
    await page.waitForSelector('#app:not([hidden])');
    expect(page.url()).not.toContain(ADMIN);

    const door = (await get(`/api/v1/incidents/${doorId}`)).body;
    expect(door.type).toBe('unauthorized_entry');
    const item = page.locator(`#incident-list button[data-id="${doorId}"]`);
    await item.waitFor();
    expect(await item.getAttribute('data-type')).toBe('unauthorized_entry');
    expect((await item.locator('[data-band]').textContent())?.trim()).toBe(door.severity.band);
    expect(await item.textContent()).toContain('Cash office'); // zone name from the site plan
    await page.locator(`#incident-list button[data-id="${fraudId}"]`).waitFor();
    // Newest first (the queue's other order; priority is the default, test/triage-dashboard.test.ts).
    await page.selectOption('#queue-sort', 'opened');
    await page.waitForSelector('#incident-list[aria-label="Incidents, newest first"]');
    await page.waitForFunction(
      ([a, b]) => {
        const ids = [...document.querySelectorAll('#incident-list button.inc')].map((e) => e.getAttribute('data-id'));
        return ids.indexOf(a) >= 0 && ids.indexOf(a) < ids.indexOf(b);
      },
      [fraudId, doorId],
    );
    const order = await page.locator('#incident-list button.inc').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    expect(order.indexOf(fraudId)).toBeLessThan(order.indexOf(doorId));
    // Header counters and the 24 h chart.
    await page.locator('#counters [data-band="critical"]').waitFor();
    const counted = Number(await page.locator(`#counters [data-band="${door.severity.band}"] .n`).textContent());
    expect(counted).toBeGreaterThanOrEqual(1);
    await page.locator('#hourly svg [data-hour="23"]').waitFor();

    // (a) one bar per factor, (c) the plan with the zone and the asset, (d) one mark per event.
    await item.click();
    await page.waitForSelector(`#detail[data-incident-id="${doorId}"] svg.factor-chart`);
    expect(await page.locator('svg.factor-chart [data-factor]').count()).toBe(door.severity.factors.length);
    const stacked = await page.locator('svg.factor-chart [data-segment]').count();
    expect(stacked).toBe(door.severity.factors.filter((f: Json) => f.contribution > 0).length);
    const afterHours = page.locator('svg.factor-chart [data-factor="afterHours"] title');
    expect(await afterHours.textContent()).toContain(door.severity.factors.find((f: Json) => f.name === 'afterHours').detail);
    expect(await page.locator('svg.sparkline [data-history]').count()).toBe(door.severityHistory.length);

    const zone = page.locator('svg.site-plan [data-zone="cash-office"]');
    expect(await zone.getAttribute('data-highlight')).toBe('true');
    expect(await zone.getAttribute('data-restricted')).toBe('true');
    expect(await page.locator('svg.site-plan [data-highlight="true"]').count()).toBe(1);
    const safe = page.locator('svg.site-plan [data-asset="safe-1"]');
    expect(await safe.getAttribute('data-touched')).toBe('true');
    expect(await safe.getAttribute('data-high-risk')).toBe('true');
    expect(await page.locator('svg.site-plan [data-fov="cam-101-co"]').count()).toBe(1);
    expect(await page.locator('svg.site-plan [data-device="cr-101-co"]').getAttribute('data-involved')).toBe('true');

    expect(await page.locator('svg.timeline [data-event]').count()).toBe(door.events.length);
    expect(await page.locator('svg.loss-chart [data-loss]').count()).toBeGreaterThan(0);
    expect(await page.locator('.steps [data-step]').count()).toBe(14);
    expect(await page.locator('.steps [data-step="calculate-severity"]').getAttribute('data-step-status')).toBe('done');

    // The fraud incident: three voids, three marks; the markup in a source id stays text.
    await page.locator(`#incident-list button[data-id="${fraudId}"]`).click();
    await page.waitForSelector(`#detail[data-incident-id="${fraudId}"] svg.timeline`);
    expect(await page.locator('svg.timeline [data-event]').count()).toBe(3);
    expect(await page.locator('.event-table').textContent()).toContain('<img src=x onerror="window.__xss=1">');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#detail img').count()).toBe(0);

    // Keyboard: arrow down from the fraud incident selects the next one (the forced door).
    await page.locator(`#incident-list button[data-id="${fraudId}"]`).focus();
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector(`#detail[data-incident-id="${doorId}"] svg.factor-chart`);

    // (f) Acknowledge
    expect(await page.locator('#detail-status').getAttribute('data-status')).toBe('open');
    await page.locator('#detail button[data-action="acknowledge"]').click();
    await page.waitForSelector('#detail-status[data-status="acknowledged"]');
    expect(await page.locator('#detail button[data-action="acknowledge"]').isDisabled()).toBe(true);
    expect(await page.locator('#detail button[data-action="resolve"]').isEnabled()).toBe(true);
    expect((await get(`/api/v1/incidents/${doorId}`)).body.status).toBe('acknowledged');
    await page.waitForSelector(`#incident-list button[data-id="${doorId}"][data-status="acknowledged"]`);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);

    // The network fails: a banner says so, polling goes on, and the banner leaves when it is back.
    await page.route('**/api/v1/**', (route) => route.abort('connectionrefused'));
    await page.waitForSelector('#banner:not([hidden])', { timeout: 8000 });
    expect(await page.locator('#banner').textContent()).toContain('Connection problem');
    expect(await page.locator('#app').isVisible()).toBe(true);
    await page.unroute('**/api/v1/**');
    await page.waitForSelector('#banner[hidden]', { state: 'attached', timeout: 8000 });
    await context.close();
  });

  it('shows the investigation: report sign-off, the task and its evidence, case notes, and the tabs (tasks, risk, equipment, weekly, archive)', async () => {
    problems.length = 0;
    // Let the workflow write the report, the task and the risk of the forced door.
    for (let i = 0; i < 5; i++) {
      await service.runner.drain();
      await service.dispatcher.drain();
    }
    // A second incident, resolved and archived, for the archive page.
    const extra = await service.pipeline.ingest([ev({ source: 'alarm', type: 'glass_break', sourceEventId: 'dash-glass-1', occurredAt: '2026-11-21T03:00:00-05:00', zone: 'sales-floor' })]);
    const archivedId = extra.incidentsOpened[0];
    await applyIncidentAction(service, { id: archivedId, action: 'resolve', actor: 'dashboard-test', scope: null, now: new Date(), note: 'window replaced', outcome: 'no_loss' });
    const archived = await service.db.transaction((tx) => archiveIncident(tx, archivedId, { now: new Date(), rules: service.config.policy.retention, signer: service.logSigner, minAgeMs: 0 }));
    expect(archived.status).toBe('archived');
    const task = (await get(`/api/v1/tasks?incident=${doorId}`)).body.items[0];
    expect(task).toBeTruthy();

    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    watch(page);
    await page.goto(`${base}/#token=${encodeURIComponent(ADMIN)}&incident=${encodeURIComponent(doorId)}`);
    await page.waitForSelector(`#detail[data-incident-id="${doorId}"] #report-card [data-report-version]`);

    // The report: sign off the current version; the card then names the signer.
    await page.locator('#report-sign').click();
    await page.waitForSelector('#report-card [data-signed-by]');
    const signed = (await get(`/api/v1/incidents/${doorId}/report?format=json`)).body.signoff;
    expect(signed?.signedBy).toBeTruthy();
    expect(await page.locator('#report-card [data-signed-by]').getAttribute('data-signed-by')).toBe(signed.signedBy);
    expect(await page.locator('#report-sign').isDisabled()).toBe(true);

    // The task with its checklist; ticking an item reaches the server.
    const card = page.locator(`#task-card [data-task-id="${task.id}"]`);
    await card.waitFor();
    expect(await card.locator('.checklist input[type="checkbox"]').count()).toBe(task.checklist.length);
    // The NVR's clip is a link on its camera's item; a link that is not http(s) is not drawn.
    const footage = card.locator('.checklist [data-nvr-event="1700000000.1-abc"]');
    expect(await footage.locator('a').count()).toBe(1);
    expect(await footage.locator('a').getAttribute('href')).toBe('http://nvr.example/api/events/1700000000.1-abc/clip.mp4');
    await card.locator('.checklist input[type="checkbox"]').first().check();
    await page.waitForFunction(
      async ([url, token]) => ((await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as { checklist: { done: boolean }[] }).checklist[0].done,
      [`${base}/api/v1/tasks/${task.id}`, ADMIN] as const,
    );

    // A case note through the note field joins the timeline.
    await page.fill('#action-note', 'Cash count confirmed, nothing missing.');
    await page.locator('#detail button[data-action="note"]').click();
    await page.waitForFunction(() => (document.getElementById('case-notes')?.textContent ?? '').includes('Cash count confirmed'));

    // Tabs: the tasks board shows the task in its status column.
    await page.locator('.tabs [data-page="tasks"]').click();
    await page.waitForSelector(`.board [data-column="${task.status}"] [data-task-id="${task.id}"]`);
    // The risk page draws a 5x5 matrix per site.
    await page.locator('.tabs [data-page="risk"]').click();
    await page.waitForSelector('.risk-card[data-site="store-101"] svg.risk-matrix');
    expect(await page.locator('.risk-card[data-site="store-101"] svg.risk-matrix rect.cell').count()).toBe(25);
    // Equipment: each site's devices and its coverage plan with camera cones.
    await page.locator('.tabs [data-page="equipment"]').click();
    await page.waitForSelector('.equipment-site[data-site="store-101"] svg.coverage-plan [data-camera]');
    expect(await page.locator('.equipment-site[data-site="store-101"] [data-device]').count()).toBeGreaterThan(0);
    // The weekly report for the week of the forced door (2026-W47).
    await page.locator('.tabs [data-page="weekly"]').click();
    await page.fill('#week-picker', '2026-W47');
    await page.waitForSelector('.weekly[data-week="2026-W47"] [data-total="net"]');
    const weekly = (await get('/api/v1/reports/weekly?week=2026-W47')).body;
    expect(await page.locator('.weekly [data-total="incidents"] dd').textContent()).toContain(String(weekly.totals.incidents));
    // The archive: the record is listed and its inclusion proof checks out in the browser.
    await page.locator('.tabs [data-page="archive"]').click();
    const row = page.locator(`.archive-list [data-archived="${archivedId}"]`);
    await row.waitFor();
    await row.locator('button.link').click();
    await page.waitForSelector(`.archive-list [data-archived="${archivedId}"] [data-verified="true"]`);
    // A reload keeps the page.
    await page.reload();
    await page.waitForSelector('.tabs [data-page="archive"][aria-current="page"]');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows the login again on a wrong token, and signs in with a good one', async () => {
    problems.length = 0;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    watch(page);
    await page.goto(`${base}/#token=not-a-valid-token`);
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.locator('#app').isHidden()).toBe(true);
    await page.waitForFunction(() => (document.getElementById('login-error')?.textContent ?? '').includes('refused'));
    expect(await page.evaluate(() => localStorage.getItem('vigil.token'))).toBeNull();

    await page.fill('#token-input', ADMIN);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector(`#incident-list button[data-id="${doorId}"]`);
    expect(await page.locator('#login').isHidden()).toBe(true);
    // A reload keeps the session (token in localStorage).
    await page.reload();
    await page.waitForSelector(`#incident-list button[data-id="${doorId}"]`);
    // A 401 response is the only console error expected here (the browser logs failed fetches).
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    await context.close();
  });
});
