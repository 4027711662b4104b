/**
 * The site map, a guard's phone view and the dashboard's quality bar, in a real browser (Chromium
 * through playwright-core) against a real server on the embedded store with the demo chain:
 *
 * - the Map tab: pan (drag, arrow keys), zoom (wheel, buttons, reset), camera cones toggle, zones
 *   coloured by risk, a guard marker at its live position that moves on a stream update, the
 *   patrol path drawn through the plan, the incident pulsing;
 * - at 390x844 a guard (a guard-role API token named after the configured guard) lands on their
 *   patrol and completes it with four taps; the server shows it completed;
 * - chart labels at the body font size at 390 px and 1280 px (computed size times the SVG's scale);
 *   every button has an accessible name; keyboard focus is visible; no console error; the CSP
 *   header is present and nothing violates it;
 * - the page load on the demo data (navigation start to the first incident in the list), written
 *   to test-artifacts/load-timing.json with no assertion on it; screenshots at both sizes in
 *   test-artifacts/.
 *
 * Skipped only on a machine without /usr/bin/chromium outside CI; CI installs it, and fails without it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/api/auth.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { demoScenarioBurst } from '../src/sim/scenarios.js';
import { simulateEvents } from '../src/sim/stream.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'site-map-test-admin-token';
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('site map, guard view and quality in Chromium', () => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let incidentId: string;
  let patrol: Json;
  let guardToken: string;
  const problems: string[] = [];

  const api = async (path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: Json; headers: Headers }> => {
    const res = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.token ?? ADMIN}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };

  /** A page that records console errors, page errors and CSP violations. */
  const open = async (context: BrowserContext): Promise<Page> => {
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
      // The instant the first incident is in the list (for the load measurement).
      const w = window as unknown as { __firstIncidentAt?: number };
      new MutationObserver((_m, obs) => {
        if (w.__firstIncidentAt === undefined && document.querySelector('#incident-list button.inc')) {
          w.__firstIncidentAt = performance.now();
          obs.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    return page;
  };

  /** Every text of the px-text charts on screen, as rendered: computed font size times the SVG's scale. */
  const chartTextSizes = (page: Page) =>
    page.evaluate(() => {
      const body = Number.parseFloat(getComputedStyle(document.body).fontSize);
      const out: { chart: string; text: string; px: number }[] = [];
      for (const svg of document.querySelectorAll<SVGSVGElement>('svg.px-text')) {
        const rect = svg.getBoundingClientRect();
        if (rect.width === 0) continue;
        const scale = rect.width / svg.viewBox.baseVal.width;
        for (const t of svg.querySelectorAll('text')) {
          if (!t.textContent?.trim()) continue;
          out.push({ chart: svg.getAttribute('class') ?? '', text: t.textContent.trim().slice(0, 20), px: Math.round(Number.parseFloat(getComputedStyle(t).fontSize) * scale * 10) / 10 });
        }
      }
      return { body, out };
    });

  /** Buttons without an accessible name (text, aria-label, aria-labelledby or title). */
  const unnamedButtons = (page: Page) =>
    page.evaluate(() =>
      [...document.querySelectorAll('button, [role="button"]')]
        .filter((b) => (b as HTMLElement).offsetParent !== null)
        .filter((b) => !(b.textContent?.trim() || b.getAttribute('aria-label')?.trim() || b.getAttribute('aria-labelledby') || b.getAttribute('title')?.trim()))
        .map((b) => b.outerHTML.slice(0, 80)),
    );

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    service = await createService({ config: loadDemoConfig(), dataDir: 'memory://', adminToken: ADMIN });
    app = await buildServer(service);
    // The demo's opening burst: a forced door into store-101's cash office (safe-1), its alarm and
    // camera, and a POS void spree; the workflow sends a guard.
    const burst = demoScenarioBurst(service.config, new Date(Date.now() - 10 * 60_000), 7);
    const r = await service.pipeline.ingest(burst);
    for (let i = 0; i < 6; i++) {
      await service.runner.drain();
      await service.dispatcher.drain();
    }
    const patrols = (await service.db.query<{ id: string; incident_id: string; guard_id: string }>(`SELECT id, incident_id, guard_id FROM patrols WHERE kind = 'response' AND status = 'assigned' ORDER BY assigned_at`)).rows;
    expect(patrols.length).toBeGreaterThan(0);
    patrol = patrols[0];
    incidentId = patrol.incident_id;
    expect(r.incidentsOpened).toContain(incidentId);
    // A guard-role token named after the configured guard, scoped to the guard's site.
    const site = service.config.sites.find((s) => s.guards.some((g) => g.id === patrol.guard_id))!;
    guardToken = (await createApiToken(service.db, { name: patrol.guard_id, role: 'guard', sites: [site.id] })).token;
    // Six hours of the demo simulator at the chain's other sites, so the page loads a working day's
    // worth of incidents (the guard's site keeps just the burst, so their patrol stays the current one).
    const history = simulateEvents(service.config, { seed: 11, start: new Date(Date.now() - 6 * 3_600_000), end: new Date(Date.now() - 15 * 60_000) }).filter((e) => e.site !== site.id);
    for (let i = 0; i < history.length; i += 500) await service.pipeline.ingest(history.slice(i, i + 500));
    for (let i = 0; i < 6; i++) {
      await service.runner.drain();
      await service.dispatcher.drain();
    }

    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
  });

  it('serves the dashboard under a strict CSP with the usual headers, from this origin only', async () => {
    const res = await fetch(`${base}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) expect(csp).toContain(d);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('permissions-policy')).toContain('camera=()');
    const html = await res.text();
    // Every script and style the page loads is this server's (no CDN), none inline.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const js = await (await fetch(`${base}/web/app.js`)).text();
    expect(js).not.toMatch(/https?:\/\/(cdn|unpkg|fonts\.googleapis|cdnjs)/);
  });

  it('GET /api/v1/me names the guard a token is, and a guard sees only their site', async () => {
    const me = await api('/api/v1/me', { token: guardToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'guard', guard: { id: patrol.guard_id }, permissions: expect.arrayContaining(['patrols:act']) });
    const admin = await api('/api/v1/me');
    expect(admin.body).toMatchObject({ role: 'admin', sites: null, guard: null });
    const seen = await api('/api/v1/patrols', { token: guardToken });
    expect(seen.body.items.length).toBeGreaterThan(0);
    expect(new Set(seen.body.items.map((p: Json) => p.site))).toEqual(new Set(me.body.sites));
    expect((await api('/api/v1/me', { token: 'nope' })).status).toBe(401);
  });

  it('measures the page load on the demo data and draws charts at the body font size at 1280x720', async () => {
    problems.length = 0;
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await open(context);
    // Twice: the first load of a fresh server and browser, then a reload (cached bundle, warm server).
    const loads: Json[] = [];
    for (const run of ['first', 'reload']) {
      if (run === 'first') await page.goto(`${base}/#token=${encodeURIComponent(ADMIN)}`);
      else await page.reload();
      await page.waitForSelector('#incident-list button.inc');
      const firstIncidentMs = await page.evaluate(() => (window as unknown as { __firstIncidentAt: number }).__firstIncidentAt);
      loads.push(
        await page.evaluate((ms) => {
          const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          const api = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
            .filter((r) => r.name.includes('/api/v1/'))
            .map((r) => ({ path: new URL(r.name).pathname + new URL(r.name).search, startMs: Math.round(r.startTime), durationMs: Math.round(r.duration) }));
          return { firstIncidentRenderedMs: Math.round(ms), responseEndMs: Math.round(n.responseEnd), domContentLoadedMs: Math.round(n.domContentLoadedEventEnd), loadMs: Math.round(n.loadEventEnd), api };
        }, firstIncidentMs),
      );
    }
    const incidents = (await api('/api/v1/incidents?limit=500')).body.items.length;
    writeFileSync(`${ARTIFACTS}load-timing.json`, `${JSON.stringify({ viewport: '1280x720', incidents, loads: loads.map((l, i) => ({ run: i === 0 ? 'first' : 'reload', ...l })), at: new Date().toISOString() }, null, 2)}\n`);

    // The incident's detail: factor chart, score history, loss, and the map.
    await page.goto(`${base}/#token=${encodeURIComponent(ADMIN)}&incident=${encodeURIComponent(incidentId)}`);
    await page.waitForSelector(`#detail[data-incident-id="${incidentId}"] svg.factor-chart`);
    await page.waitForSelector('#detail svg.site-plan [data-zone]');
    await page.waitForSelector('#detail svg.loss-chart');
    const { body, out } = await chartTextSizes(page);
    expect(body).toBeGreaterThan(10);
    expect(new Set(out.map((t) => t.chart.split(' ').pop()))).toEqual(new Set(['factor-chart', 'sparkline', 'loss-chart', 'site-plan', 'timeline', 'hourly-chart']));
    for (const t of out) expect(Math.abs(t.px - body), `${t.chart} "${t.text}" is ${t.px}px`).toBeLessThanOrEqual(0.5);
    // The incident pulses on the plan, its patrol's path is drawn.
    const pulse = page.locator(`#detail [data-incident-pulse="${incidentId}"] .pulse`);
    expect(await pulse.count()).toBe(1);
    expect(await pulse.evaluate((el) => getComputedStyle(el).animationName)).toBe('vigil-pulse');
    await page.waitForSelector(`#detail [data-patrol="${patrol.id}"] polyline.patrol-path`);
    expect(await unnamedButtons(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}incident-1280x720.png`, fullPage: true });

    // Risk and weekly charts too.
    await page.locator('.tabs [data-page="risk"]').click();
    await page.waitForSelector('svg.risk-matrix text');
    const risk = await chartTextSizes(page);
    expect(risk.out.length).toBeGreaterThan(0);
    for (const t of risk.out) expect(Math.abs(t.px - body), `${t.chart} "${t.text}" is ${t.px}px`).toBeLessThanOrEqual(0.5);
    await page.locator('.tabs [data-page="weekly"]').click();
    await page.waitForSelector('svg.bar-chart text');
    const weekly = await chartTextSizes(page);
    expect(weekly.out.some((t) => t.chart.includes('bar-chart'))).toBe(true);
    for (const t of weekly.out) expect(Math.abs(t.px - body), `${t.chart} "${t.text}" is ${t.px}px`).toBeLessThanOrEqual(0.5);

    // Keyboard focus is visible: Tab to the first tab and read its outline.
    await page.locator('.tabs [data-page="map"]').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const cs = getComputedStyle(el);
      return { tag: el.tagName, style: cs.outlineStyle, width: Number.parseFloat(cs.outlineWidth) };
    });
    expect(outline.tag).toBe('BUTTON');
    expect(outline.style).not.toBe('none');
    expect(outline.width).toBeGreaterThanOrEqual(2);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the Map tab pans, zooms, toggles cones, moves a guard on a stream update and draws the patrol path', async () => {
    problems.length = 0;
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await open(context);
    const site = (await api(`/api/v1/incidents/${incidentId}`)).body.site;
    await page.goto(`${base}/#token=${encodeURIComponent(ADMIN)}&page=map`);
    await page.waitForSelector('#map-site');
    await page.selectOption('#map-site', site);
    const map = page.locator(`.site-map[data-site="${site}"]`);
    const svg = map.locator('svg.site-plan');
    await svg.locator('[data-zone]').first().waitFor();
    // The stream is connected before anything moves.
    await page.waitForSelector(`.site-map[data-site="${site}"][data-live="connected"]`);

    // Zones coloured by their risk now (the burst's incidents raised some).
    const risk = (await api(`/api/v1/risk?site=${site}&scope=zone`)).body.items;
    expect(risk.length).toBeGreaterThan(0);
    for (const r of risk) expect(await svg.locator(`[data-zone="${r.id.split('/')[1]}"]`).getAttribute('data-risk-band')).toBe(r.band);

    // The incident pulses; its patrol's path runs from the guard to the target.
    await svg.locator(`[data-incident-pulse="${incidentId}"]`).waitFor();
    const path = svg.locator(`[data-patrol="${patrol.id}"] polyline.patrol-path`);
    await path.waitFor();
    expect(((await path.getAttribute('points')) ?? '').trim().split(/\s+/).length).toBeGreaterThanOrEqual(2);

    // Cones toggle.
    const cones = await svg.locator('[data-fov]').count();
    expect(cones).toBeGreaterThan(0);
    await map.locator('button.map-cones').click();
    expect(await svg.locator('[data-fov]').count()).toBe(0);
    expect(await map.locator('button.map-cones').getAttribute('aria-pressed')).toBe('false');
    await map.locator('button.map-cones').click();
    expect(await svg.locator('[data-fov]').count()).toBe(cones);

    // Zoom: buttons, wheel, reset.
    expect(await svg.getAttribute('data-zoom')).toBe('1');
    await map.locator('button.map-zoom-in').click();
    expect(await svg.getAttribute('data-zoom')).toBe('1.4');
    const box = (await svg.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -200);
    await page.waitForFunction((sel) => Number(document.querySelector(sel)?.getAttribute('data-zoom')) > 1.4, `.site-map[data-site="${site}"] svg.site-plan`);
    // Pan: a drag, then the arrow keys.
    const before = await svg.getAttribute('data-pan');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 30, { steps: 5 });
    await page.mouse.up();
    const dragged = await svg.getAttribute('data-pan');
    expect(dragged).not.toBe(before);
    await svg.focus();
    await page.keyboard.press('ArrowLeft');
    const [dx1] = (dragged ?? '0,0').split(',').map(Number);
    const [dx2] = ((await svg.getAttribute('data-pan')) ?? '0,0').split(',').map(Number);
    expect(dx2).toBeGreaterThan(dx1);
    await page.keyboard.press('-');
    await map.locator('button.map-reset').click();
    expect(await svg.getAttribute('data-zoom')).toBe('1');
    expect(await svg.getAttribute('data-pan')).toBe('0,0');

    // A guard at their live position, moved by a stream update (PATCH /guards/{id} announces it).
    const guard = (await api(`/api/v1/guards?site=${site}`)).body.items.find((g: Json) => g.onShift && g.position && g.id !== patrol.guard_id);
    expect(guard).toBeTruthy();
    const marker = svg.locator(`[data-guard="${guard.id}"]`);
    expect(await marker.getAttribute('data-position')).toBe(`${guard.position[0]},${guard.position[1]}`);
    const xBefore = Number(await marker.getAttribute('data-x'));
    const to: [number, number] = [guard.position[0] + 4, guard.position[1] + 2];
    expect((await api(`/api/v1/guards/${guard.id}`, { method: 'PATCH', body: { position: to } })).status).toBe(200);
    await page.waitForSelector(`.site-map[data-site="${site}"] [data-guard="${guard.id}"][data-position="${to[0]},${to[1]}"]`, { timeout: 5000 });
    expect(Number(await marker.getAttribute('data-x'))).toBeGreaterThan(xBefore);
    // The guard's name is on the map.
    expect(await svg.locator('.map-labels text', { hasText: guard.name }).count()).toBe(1);
    expect(await unnamedButtons(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}map-1280x720.png`, fullPage: true });
    // The incident's pulse opens it from the keyboard.
    await svg.locator(`[data-incident-pulse="${incidentId}"]`).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#detail[data-incident-id="${incidentId}"]`);
    expect(await page.locator('.tabs [data-page="incidents"]').getAttribute('aria-current')).toBe('page');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('at 390x844 a guard completes their patrol with four taps', async () => {
    problems.length = 0;
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
    const page = await open(context);
    await page.goto(`${base}/#token=${encodeURIComponent(guardToken)}`);
    // A guard lands on their patrol.
    const view = page.locator(`.guard-view[data-patrol-id="${patrol.id}"]`);
    await view.waitFor();
    expect(await page.locator('.tabs [data-page="guard"]').getAttribute('aria-current')).toBe('page');
    expect(await page.locator('#guard-where').textContent()).toBeTruthy();
    expect(await page.locator('#guard-reason').textContent()).toBeTruthy();
    await page.waitForSelector('#guard-why .chip');
    await page.waitForSelector(`.guard-view [data-patrol="${patrol.id}"] polyline.patrol-path`);
    // Nothing wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const { body, out } = await chartTextSizes(page);
    expect(out.length).toBeGreaterThan(0);
    for (const t of out) expect(Math.abs(t.px - body), `${t.chart} "${t.text}" is ${t.px}px`).toBeLessThanOrEqual(0.5);
    expect(await unnamedButtons(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}guard-390x844-before.png`, fullPage: true });

    // Four taps: acknowledge, en route, on site, complete.
    for (const [action, status] of [
      ['acknowledge', 'acknowledged'],
      ['en-route', 'en_route'],
      ['on-site', 'on_site'],
      ['complete', 'completed'],
    ] as const) {
      const button = page.locator(`.guard-view button[data-patrol-action="${action}"]`);
      expect(await button.isEnabled()).toBe(true);
      await button.tap();
      await page.waitForSelector(`#guard-status[data-status="${status}"]`);
    }
    expect(await page.locator('.guard-view [role="status"]').textContent()).toContain('complete');
    const after = (await api(`/api/v1/patrols?incident=${incidentId}`)).body.items.find((p: Json) => p.id === patrol.id);
    expect(after).toMatchObject({ status: 'completed', acknowledgedAt: expect.any(String), enRouteAt: expect.any(String), onSiteAt: expect.any(String), completedAt: expect.any(String) });
    // Nothing more to tap.
    expect(await page.locator('.guard-view button[data-patrol-action]:enabled').count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}guard-390x844.png`, fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('at 390x844 the incident detail and the map keep their text at the body size', async () => {
    problems.length = 0;
    // Also with reduced motion asked for: the pulse stands still.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2, reducedMotion: 'reduce' });
    const page = await open(context);
    await page.goto(`${base}/#token=${encodeURIComponent(ADMIN)}&incident=${encodeURIComponent(incidentId)}`);
    await page.waitForSelector(`#detail[data-incident-id="${incidentId}"] svg.factor-chart`);
    await page.waitForSelector('#detail svg.site-plan [data-zone]');
    expect(await page.locator(`#detail [data-incident-pulse="${incidentId}"] .pulse`).evaluate((el) => getComputedStyle(el).animationName)).toBe('none');
    const { body, out } = await chartTextSizes(page);
    expect(new Set(out.map((t) => t.chart.split(' ').pop()))).toEqual(new Set(['factor-chart', 'sparkline', 'loss-chart', 'site-plan', 'timeline', 'hourly-chart']));
    for (const t of out) expect(Math.abs(t.px - body), `${t.chart} "${t.text}" is ${t.px}px`).toBeLessThanOrEqual(0.5);
    await page.screenshot({ path: `${ARTIFACTS}incident-390x844.png`, fullPage: true });
    for (const chart of ['factor-chart', 'loss-chart', 'site-plan']) await page.locator(`#detail svg.${chart}`).screenshot({ path: `${ARTIFACTS}${chart}-390.png` });

    // The risk matrix and the weekly bars on the phone.
    for (const [tab, sel] of [
      ['risk', 'svg.risk-matrix text'],
      ['weekly', 'svg.bar-chart text'],
    ] as const) {
      await page.goto(`${base}/#page=${tab}`);
      await page.waitForSelector(sel);
      const sized = await chartTextSizes(page);
      expect(sized.out.length).toBeGreaterThan(0);
      for (const t of sized.out) expect(Math.abs(t.px - body), `${t.chart} "${t.text}" is ${t.px}px`).toBeLessThanOrEqual(0.5);
    }
    await page.screenshot({ path: `${ARTIFACTS}weekly-390x844.png`, fullPage: true });

    // The map page on the phone: the +/− buttons work by tap.
    await page.goto(`${base}/#page=map`);
    const svg = page.locator('.site-map svg.site-plan');
    await svg.locator('[data-zone]').first().waitFor();
    // A wide plan on the phone opens zoomed in to fill the frame; + zooms further, Reset returns.
    const home = Number(await svg.getAttribute('data-zoom'));
    expect(home).toBeGreaterThan(1);
    expect((await svg.boundingBox())!.height).toBeGreaterThanOrEqual(300);
    await page.locator('.site-map button.map-zoom-in').tap();
    expect(Number(await svg.getAttribute('data-zoom'))).toBeCloseTo(Math.min(8, home * 1.4), 1);
    await page.locator('.site-map button.map-reset').tap();
    expect(Number(await svg.getAttribute('data-zoom'))).toBe(home);
    await page.locator('.site-map button.map-zoom-in').tap();
    const sizes = await chartTextSizes(page);
    for (const t of sizes.out) expect(Math.abs(t.px - body), `${t.chart} "${t.text}" is ${t.px}px`).toBeLessThanOrEqual(0.5);
    await page.screenshot({ path: `${ARTIFACTS}map-390x844.png`, fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });
});
