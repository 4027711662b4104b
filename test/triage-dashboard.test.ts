/**
 * Triage and the response in a real browser (Chromium through playwright-core) against a real
 * server on the embedded store, with the workflow and delivery running against local receivers
 * (a Twilio-compatible SMS endpoint that refuses one message, an SMTP server): an event posted
 * through the API appears in the queue within 2 seconds (the live stream, not the 3 s poll) and is
 * announced; the detail shows the factors, the site plan, every notification with its recipient
 * and delivery (one failed, in red with its error), the patrol; the workflow tells decided from
 * delivered; the keyboard acknowledges and assigns; filters, search and the zone picker narrow and
 * relabel the queue; the notifications and guards pages. Screenshots go to test-artifacts/.
 *
 * Skipped only on a machine without /usr/bin/chromium outside CI.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildServer } from '../src/api/server.js';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { SmtpReceiver, TwilioReceiver } from './helpers/receivers.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'triage-dashboard-admin-token';
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('triage dashboard in Chromium', () => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  const twilio = new TwilioReceiver();
  const smtp = new SmtpReceiver();
  const problems: string[] = [];

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await twilio.start();
    await smtp.start();
    const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
    doc.notify = {
      sms: { provider: 'twilio', baseUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15550009999' },
      email: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'vigil@test.example' },
      webhooks: [],
    };
    doc.publicUrl = 'http://vigil.test';
    service = await createService({ config: parseConfig(doc), dataDir: 'memory://', adminToken: ADMIN, startRunner: true, startDelivery: true });
    app = await buildServer(service);
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
    await twilio.stop();
    await smtp.stop();
  });

  it('sees a posted incident arrive live, shows who was told and the patrol, acknowledges and assigns it by keyboard, and narrows the queue', async () => {
    // An older, low incident elsewhere, already in the queue when the page opens.
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    const low = await api('POST', '/api/v1/events', { source: 'cctv', type: 'loitering', sourceEventId: 'td-yard', occurredAt: minutesAgo(30), site: 'dc-201', zone: 'yard', device: 'cam-201-yard' });
    expect(low.status).toBe(202);

    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    await context.grantPermissions(['notifications'], { origin: base });
    // Records the desktop notifications the page raises (the real Notification underneath).
    await context.addInitScript(() => {
      const Real = window.Notification;
      const seen: string[] = [];
      (window as unknown as { __notified: string[] }).__notified = seen;
      class Recording extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          seen.push(`${title} | ${options?.body ?? ''}`);
        }
      }
      window.Notification = Recording as typeof Notification;
    });
    const page = await context.newPage();
    watch(page);
    await page.goto(`${base}/#token=${encodeURIComponent(ADMIN)}`);
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('#incident-list button.inc');
    // The first list is the baseline: nothing announced for what was already there.
    expect(await page.evaluate(() => (window as unknown as { __notified: string[] }).__notified)).toEqual([]);

    // A forced cash-office door with the alarm and a camera: a high or critical incident.
    const at = minutesAgo(1);
    const posted = await api('POST', '/api/v1/events', [
      { source: 'access_control', type: 'door_forced', sourceEventId: 'td-door', occurredAt: at, site: 'store-101', zone: 'cash-office', device: 'cr-101-co', assets: ['safe-1'] },
      { source: 'alarm', type: 'intrusion', sourceEventId: 'td-alarm', occurredAt: at, site: 'store-101', zone: 'cash-office', assets: ['safe-1'] },
    ]);
    expect(posted.status).toBe(202);
    const events = await api('GET', '/api/v1/events?source=access_control&site=store-101');
    const id: string = events.body.items.find((e: Json) => e.sourceEventId === 'td-door').incidentId;
    expect(id).toBeTruthy();
    // In the queue within 2 seconds: the stream's incident.opened, not the 3 s poll.
    const item = page.locator(`#incident-list button[data-id="${id}"]`);
    await item.waitFor({ timeout: 2000 });
    const inc = (await api('GET', `/api/v1/incidents/${id}`)).body;
    expect(['high', 'critical']).toContain(inc.severity.band);
    // By priority: the new high/critical incident above the older low one.
    const order = await page.locator('#incident-list button.inc').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    expect(order[0]).toBe(id);
    // Announced: a desktop notification naming the site, and the SLA countdown on the item.
    await page.waitForFunction(() => (window as unknown as { __notified: string[] }).__notified.length > 0);
    const notified = await page.evaluate(() => (window as unknown as { __notified: string[] }).__notified);
    expect(notified).toHaveLength(1);
    expect(notified[0]).toContain(inc.severity.band);
    expect(notified[0]).toContain('Store 101');
    expect(await item.locator('[data-sla="ack"]').getAttribute('data-sla-state')).toMatch(/^(running|soon)$/);

    // Move with j/k (visible focus on the item), then open it with Enter: the factors, the plan,
    // the notifications with their recipients.
    await item.focus();
    await page.keyboard.press('j');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-id'))).toBe(order[1]);
    await page.keyboard.press('k');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-id'))).toBe(id);
    expect(await page.evaluate(() => document.activeElement?.matches(':focus-visible'))).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#detail[data-incident-id="${id}"] svg.factor-chart`);
    expect(await page.locator('svg.factor-chart [data-factor]').count()).toBe(inc.severity.factors.length);
    expect(await page.locator('svg.site-plan [data-zone="cash-office"]').getAttribute('data-highlight')).toBe('true');
    for (const r of inc.notifications.map((n: Json) => n.recipient)) await page.locator(`#notifications-card tr[data-recipient="${r}"]`).first().waitFor();
    expect(inc.notifications.map((n: Json) => n.recipient)).toEqual(expect.arrayContaining(['lead-101', 'rr-101']));
    await page.locator('#detail-sla [data-sla="ack"]').waitFor();

    // The patrol, once the workflow assigned the guard (announced on the stream).
    await page.locator('#patrols-card tr[data-patrol]').first().waitFor({ timeout: 30_000 });
    const patrol = (await api('GET', `/api/v1/patrols?incident=${id}`)).body.items[0];
    expect(await page.locator(`#patrols-card tr[data-patrol="${patrol.id}"]`).getAttribute('data-guard')).toBe(patrol.guardId);

    // Delivery: every SMS reached the provider; the step reads decided and delivered.
    await page.waitForSelector('.steps [data-step="send-emergency-sms"][data-delivery="delivered"]', { timeout: 30_000 });
    expect(await page.locator('.steps [data-step="send-emergency-sms"] [data-delivered]').getAttribute('data-delivered')).toBe('yes');
    expect(await page.locator('.steps [data-step="send-emergency-sms"] .delivery').textContent()).toContain('decided');
    for (const n of inc.notifications.filter((x: Json) => x.channel === 'sms')) {
      await page.waitForSelector(`#notifications-card tr[data-notification="${n.id}"][data-state="sent"]`, { timeout: 30_000 });
    }
    expect(twilio.messages.length).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: `${ARTIFACTS}triage-detail.png`, fullPage: true });

    // Acknowledge with the keyboard (a) and see the status change, in the detail and the queue.
    await page.locator(`#incident-list button[data-id="${id}"]`).focus();
    await page.keyboard.press('a');
    await page.waitForSelector('#detail-status[data-status="acknowledged"]');
    await page.waitForSelector(`#incident-list button[data-id="${id}"][data-status="acknowledged"]`);
    expect((await api('GET', `/api/v1/incidents/${id}`)).body.status).toBe('acknowledged');

    // Assign with the keyboard (s focuses the picker, Enter assigns).
    await page.locator(`#incident-list button[data-id="${id}"]`).focus();
    await page.keyboard.press('s');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('assign-select');
    await page.selectOption('#assign-select', 'lead-101');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#detail-assignee[data-assignee="lead-101"]');
    expect((await api('GET', `/api/v1/incidents/${id}`)).body.assignee).toBe('lead-101');

    // The help lists the shortcuts.
    await page.locator(`#incident-list button[data-id="${id}"]`).focus();
    await page.keyboard.press('?');
    await page.waitForSelector('#shortcuts-help');
    expect(await page.locator('#shortcuts-help').textContent()).toContain('acknowledge');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#shortcuts-help', { state: 'detached' });

    // A filter and the search narrow the queue.
    const ids = () => page.locator('#incident-list button.inc').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    const lowId = (await api('GET', '/api/v1/incidents?site=dc-201')).body.items[0].id;
    await page.selectOption('#filter-site', 'dc-201');
    await page.waitForSelector(`#incident-list button[data-id="${id}"]`, { state: 'detached' });
    expect(await ids()).toEqual([lowId]);
    await page.selectOption('#filter-site', '');
    await page.waitForSelector(`#incident-list button[data-id="${id}"]`);
    await page.selectOption('#filter-assignee', 'lead-101');
    await page.waitForSelector(`#incident-list button[data-id="${lowId}"]`, { state: 'detached' });
    expect(await ids()).toEqual([id]);
    await page.selectOption('#filter-assignee', '');
    await page.waitForSelector(`#incident-list button[data-id="${lowId}"]`);
    await page.fill('#queue-search', 'cash-office');
    await page.waitForSelector(`#incident-list button[data-id="${lowId}"]`, { state: 'detached' });
    expect(await ids()).toEqual([id]);
    await page.fill('#queue-search', 'safe-1');
    await page.waitForSelector(`#incident-list button[data-id="${id}"]`);
    expect(await ids()).toEqual([id]);
    await page.fill('#queue-search', '');
    await page.waitForSelector(`#incident-list button[data-id="${lowId}"]`);

    // Times in the zone the viewer picks, the zone named, kept for the next visit.
    await page.selectOption('#zone-picker', 'UTC');
    await page.waitForFunction((x) => document.querySelector(`#incident-list button[data-id="${x}"] .inc-time`)?.textContent?.includes('UTC'), id);
    expect(await page.evaluate(() => localStorage.getItem('vigil.zone'))).toBe('UTC');
    await page.screenshot({ path: `${ARTIFACTS}triage-queue.png`, fullPage: true });

    // The notifications page, filtered by state and site; the guards page with the patrol.
    await page.locator('.tab[data-page="notifications"]').click();
    await page.waitForSelector('#notifications-title');
    await page.selectOption('#notif-site', 'store-101');
    await page.selectOption('#notif-state', 'sent');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('.dl-table tbody tr[data-state]')];
      return rows.length > 0 && rows.every((r) => r.getAttribute('data-state') === 'sent');
    });
    await page.screenshot({ path: `${ARTIFACTS}triage-notifications.png`, fullPage: true });
    await page.locator('.tab[data-page="guards"]').click();
    await page.waitForSelector(`#guards-title`);
    await page.locator(`tr[data-guard="${patrol.guardId}"]`).waitFor();
    expect(await page.locator(`tr[data-guard="${patrol.guardId}"]`).textContent()).toContain(`incident ${id}`);
    await page.screenshot({ path: `${ARTIFACTS}triage-guards.png`, fullPage: true });

    // The provider refuses one emergency SMS and keeps answering 503 to the other: the step is
    // decided but not delivered, the failure in red with its error, the retrying one in amber.
    twilio.failNext.push(400, ...Array.from({ length: 30 }, () => 503));
    const at2 = minutesAgo(1);
    const bad = await api('POST', '/api/v1/events', [
      { source: 'access_control', type: 'door_forced', sourceEventId: 'td-door-102', occurredAt: at2, site: 'store-102', zone: 'cash-office', device: 'cr-102-co', assets: ['safe-2'] },
      { source: 'alarm', type: 'intrusion', sourceEventId: 'td-alarm-102', occurredAt: at2, site: 'store-102', zone: 'cash-office', assets: ['safe-2'] },
    ]);
    expect(bad.status).toBe(202);
    const badId: string = (await api('GET', '/api/v1/events?source=access_control&site=store-102')).body.items.find((e: Json) => e.sourceEventId === 'td-door-102').incidentId;
    await page.locator('.tab[data-page="incidents"]').click();
    await page.locator(`#incident-list button[data-id="${badId}"]`).click();
    const step = `.steps [data-step="send-emergency-sms"]`;
    await page.waitForSelector(`#detail[data-incident-id="${badId}"] ${step}[data-delivery="failed"]`, { timeout: 30_000 });
    expect(await page.locator(`${step} [data-delivered]`).getAttribute('data-delivered')).toBe('no');
    expect(await page.locator(`${step} .dl-tag`).first().textContent()).toContain('decided');
    expect(await page.locator(`${step} .dl-list.bad`).textContent()).toContain('refused the message (400)');
    await page.waitForFunction((sel) => document.querySelector(`${sel} .dl-list.warn`)?.textContent?.includes('503'), step, { timeout: 30_000 });
    expect(await page.locator('#notifications-card tr[data-state="failed"] td.err').first().textContent()).toContain('400');
    await page.screenshot({ path: `${ARTIFACTS}triage-delivery-failed.png`, fullPage: true });
    twilio.failNext.length = 0;

    // On a phone: the same queue and controls, readable.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator(`#incident-list button[data-id="${badId}"]`).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}triage-phone.png`, fullPage: false });

    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);
});
