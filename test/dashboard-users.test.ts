/**
 * Signing in to the dashboard with a name and password, in a real browser (Chromium through
 * playwright-core) against a real server: the session cookie is HttpOnly and SameSite=Strict, the
 * queue loads, a reload keeps the session, a state-changing fetch with the cookie but without the
 * CSRF token is refused (403) and taken with it, the Users page shows for admins only and makes a
 * user, signing out ends the session, and a guard of one site sees nothing of another in the page
 * and in the live stream (EventSource with the cookie). Screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_ROOT } from '../src/api/routes/dashboard.js';
import { buildServer } from '../src/api/server.js';
import { createUser, issueSetupCode } from '../src/api/user-accounts.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const PW = 'a dashboard password';

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('dashboard sign-in with name and password (Chromium)', () => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let id101: string;
  const problems: string[] = [];

  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  };
  const signIn = async (page: Page, name: string) => {
    await page.goto(`${base}/`);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#name-input', name);
    await page.fill('#password-input', PW);
    await page.click('#password-form button[type="submit"]');
  };

  beforeAll(async () => {
    if (!existsSync(join(WEB_ROOT, 'index.html'))) throw new Error('the dashboard is not built: run `npm run build` first');
    mkdirSync(ARTIFACTS, { recursive: true });
    service = await createService({ config: loadDemoConfig(), dataDir: 'memory://' });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const now = new Date();
    await createUser(service.db, { name: 'ada', role: 'admin', password: PW, now });
    await createUser(service.db, { name: 'lena', role: 'manager', password: PW, now });
    await createUser(service.db, { name: 'gus', role: 'guard', sites: ['store-102'], password: PW, now });
    const r = await service.pipeline.ingest([{ source: 'access_control', type: 'door_forced', sourceEventId: 'dash-users-101', occurredAt: new Date(Date.now() - 60_000).toISOString(), site: 'store-101', zone: 'cash-office', details: {} }]);
    id101 = r.incidentsOpened[0];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
  });

  it('signs in by password, sees the queue, refuses a cookie request without the CSRF token, and signs out', async () => {
    problems.length = 0;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, 'lena');
    await page.waitForSelector(`#incident-list button[data-id="${id101}"]`);
    expect(await page.locator('#login').isHidden()).toBe(true);
    await page.waitForSelector('#signed-in-as');
    expect(await page.textContent('#signed-in-as')).toContain('lena');
    // A manager has no Users tab.
    expect(await page.locator('.tabs [data-page="users"]').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'users-signed-in-queue.png'), fullPage: true });

    // The cookie: HttpOnly (the page cannot read it), SameSite=Strict; no token in storage.
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'vigil_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('vigil_session');
    expect(await page.evaluate(() => localStorage.getItem('vigil.token'))).toBeNull();

    // CSRF: the cookie alone does not change anything; with the session's token it does.
    const outcome = await page.evaluate(async (incident) => {
      const ack = (headers: Record<string, string>) =>
        fetch(`/api/v1/incidents/${incident}/acknowledge`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
      const without = await ack({});
      const body = await without.json();
      const me = await (await fetch('/api/v1/session', { credentials: 'same-origin' })).json();
      const withToken = await ack({ 'X-CSRF-Token': me.csrfToken });
      return { without: without.status, code: body.error?.code, with: withToken.status };
    }, id101);
    expect(outcome).toEqual({ without: 403, code: 'forbidden', with: 200 });
    expect((await (await fetch(`${base}/api/v1/incidents/${id101}`, { headers: { cookie: `vigil_session=${session!.value}` } })).json()).status).toBe('acknowledged');

    // A reload keeps the session (the cookie), without signing in again.
    await page.reload();
    await page.waitForSelector(`#incident-list button[data-id="${id101}"]`);
    expect(await page.locator('#login').isHidden()).toBe(true);

    await page.click('#sign-out');
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.evaluate(async () => (await fetch('/api/v1/session', { credentials: 'same-origin' })).status)).toBe(401);
    expect((await fetch(`${base}/api/v1/session`, { headers: { cookie: `vigil_session=${session!.value}` } })).status).toBe(401);
    // The only console errors expected are the 403 and 401 this test asked for.
    expect(problems.filter((p) => !/\b(401|403)\b/.test(p))).toEqual([]);
    await context.close();
  }, 120_000);

  it('refuses a wrong password on the form', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#name-input', 'lena');
    await page.fill('#password-input', 'not the password');
    await page.click('#password-form button[type="submit"]');
    await page.waitForFunction(() => (document.getElementById('login-error')?.textContent ?? '').includes('wrong'));
    expect(await page.locator('#app').isHidden()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'users-login-refused.png'), fullPage: true });
    await context.close();
  }, 60_000);

  it('shows the Users page to an admin, who makes a user there', async () => {
    problems.length = 0;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    watch(page);
    await signIn(page, 'ada');
    await page.waitForSelector('.tabs [data-page="users"]');
    await page.click('.tabs [data-page="users"]');
    await page.waitForSelector('.users-list tr[data-user="gus"]');
    await page.fill('#user-create input[name="name"]', 'nina');
    await page.selectOption('#user-create select[name="role"]', 'investigator');
    await page.fill('#user-create input[name="sites"]', 'dc-201');
    await page.fill('#user-create input[name="password"]', 'nina password 1');
    await page.click('#user-create button[type="submit"]');
    await page.waitForSelector('.users-list tr[data-user="nina"]');
    const made = await service.db.query<{ role: string; sites: string[] }>(`SELECT role, sites FROM users WHERE name = 'nina'`);
    expect(made.rows).toEqual([{ role: 'investigator', sites: ['dc-201'] }]);
    // Disable from the page: the row says so, and nina cannot sign in.
    await page.click('.users-list tr[data-user="nina"] button:has-text("Disable")');
    await page.waitForSelector('.users-list tr[data-user="nina"][data-disabled="true"]');
    await page.screenshot({ path: join(ARTIFACTS, 'users-page.png'), fullPage: true });
    const login = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nina', password: 'nina password 1' }) });
    expect(login.status).toBe(401);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('first run: the setup link makes the first admin in the page, and leaves the address bar', async () => {
    const fresh = await createService({ config: loadDemoConfig(), dataDir: 'memory://' });
    const freshApp = await buildServer(fresh);
    const freshBase = await freshApp.listen({ port: 0, host: '127.0.0.1' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const code = (await issueSetupCode(fresh.db, fresh.now()))!;
      const page = await context.newPage();
      await page.goto(`${freshBase}/#setup=${code}`);
      await page.waitForSelector('#setup-form');
      expect(page.url()).not.toContain(code);
      await page.fill('#setup-name', 'owner');
      await page.fill('#setup-password', 'the owner password');
      await page.fill('#setup-repeat', 'the owner password');
      await page.screenshot({ path: join(ARTIFACTS, 'users-first-run-setup.png'), fullPage: true });
      await page.click('#setup-form button[type="submit"]');
      await page.waitForSelector('.tabs [data-page="users"]');
      expect(await page.textContent('#signed-in-as')).toContain('owner');
      expect((await fresh.db.query<{ name: string; role: string }>(`SELECT name, role FROM users`)).rows).toEqual([{ name: 'owner', role: 'admin' }]);
      // The link works once.
      const again = await context.newPage();
      await again.goto(`${freshBase}/#setup=${code}`);
      await again.waitForSelector('#setup-form');
      await again.fill('#setup-name', 'intruder');
      await again.fill('#setup-password', 'the intruder pw');
      await again.fill('#setup-repeat', 'the intruder pw');
      await again.click('#setup-form button[type="submit"]');
      await again.waitForSelector('#password-form');
      expect(await again.textContent('#login-error')).toMatch(/setup is done|not valid/);
      expect((await fresh.db.query(`SELECT 1 FROM users`)).rows).toHaveLength(1);
    } finally {
      await context.close();
      await freshApp.close();
      await fresh.close();
    }
  }, 120_000);

  it('shows a guard of one site nothing of another, in the page and in the stream', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await signIn(page, 'gus');
    // A guard lands on their phone view ("My patrol"); the queue is one tap away.
    await page.waitForSelector('#guard-view, .guard-view');
    await page.click('button.tab[data-page="incidents"]');
    await page.waitForSelector('#signed-in-as');
    await page.waitForFunction(() => (document.getElementById('updated')?.textContent ?? '').includes('updated'));
    expect(await page.locator(`#incident-list button[data-id="${id101}"]`).count()).toBe(0);
    // The live stream with the cookie (EventSource sends it; it cannot send a bearer token).
    await page.evaluate(() => {
      const w = window as unknown as { __seen: string[]; __open: boolean };
      w.__seen = [];
      w.__open = false;
      const es = new EventSource('/api/v1/stream');
      es.onopen = () => (w.__open = true);
      es.addEventListener('incident.opened', (e) => w.__seen.push((e as MessageEvent).data));
    });
    await page.waitForFunction(() => (window as unknown as { __open: boolean }).__open);
    const other = await service.pipeline.ingest([{ source: 'access_control', type: 'door_forced', sourceEventId: 'dash-users-101b', occurredAt: new Date().toISOString(), site: 'store-101', zone: 'cash-office', details: {} }]);
    const mine = await service.pipeline.ingest([{ source: 'access_control', type: 'door_forced', sourceEventId: 'dash-users-102', occurredAt: new Date().toISOString(), site: 'store-102', zone: 'cash-office', details: {} }]);
    const mineId = mine.incidentsOpened[0];
    await page.waitForFunction((id) => (window as unknown as { __seen: string[] }).__seen.some((d) => d.includes(id)), mineId);
    const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
    expect(seen.join('\n')).not.toContain(other.incidentsOpened[0]);
    expect(seen.every((d) => JSON.parse(d).site === 'store-102')).toBe(true);
    await page.waitForSelector(`#incident-list button[data-id="${mineId}"]`);
    expect(await page.locator(`#incident-list button[data-id="${other.incidentsOpened[0]}"]`).count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'users-guard-phone.png'), fullPage: true });
    await context.close();
  }, 120_000);
});
