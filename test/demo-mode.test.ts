/**
 * Demo mode end to end, as a newcomer runs it: the real `vigil serve` with no configuration and a
 * fresh data directory. The demo's own receivers start on free ports, the simulator's opening
 * forced door becomes a high or critical incident, its SMS and email arrive at the demo receivers
 * (read through the inbox API), a reply "ACK <code>" from the lead's phone through the inbox route
 * acknowledges it; then the dashboard's Demo inbox page in Chromium shows the SMS and the email, and
 * a reply from the page gets Vigil's answer. Screenshot: test-artifacts/demo-inbox.png.
 *
 * The browser part is skipped only on a machine without /usr/bin/chromium outside CI.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from './helpers/server-process.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'demo-mode-e2e-admin-token';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const LEAD = '+15550000100';
const MANAGER = 'morgan.blake@northwind.example';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function until<T>(what: string, fn: () => Promise<T | undefined>, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('demo mode: vigil serve with no configuration', () => {
  let server: ServerProcess;
  let dataDir: string;
  let incidentId: string;
  let browser: Browser | undefined;

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vigil-demo-e2e-'));
    server = await startServer([], { VIGIL_DATA_DIR: dataDir, VIGIL_ADMIN_TOKEN: ADMIN, VIGIL_CONFIG: '', DATABASE_URL: '', VIGIL_SEED: '7' });
  });

  afterAll(async () => {
    await browser?.close();
    const code = await server?.stop();
    expect(code).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts its own receivers on free loopback ports and says where', async () => {
    const out = server.output();
    const m = /SMS API (http:\/\/127\.0\.0\.1:(\d+)), SMTP (smtp:\/\/127\.0\.0\.1:(\d+))/.exec(out);
    expect(m, out).toBeTruthy();
    const status = (await call('GET', '/api/v1/demo')).body;
    expect(status).toMatchObject({ enabled: true, inbox: true, sms: { baseUrl: m![1], api: 'twilio-compatible', webhook: `${server.url}/webhooks/sms/inbound` }, smtp: { url: m![3] } });
    // Not the ports demo.yaml names (8089, 2525): whatever was free.
    expect(Number(m![2])).toBeGreaterThan(0);
    // The demo's SMS API wants this data directory's credentials, not the public demo ones.
    const bad = await fetch(`${m![1]}/2010-04-01/Accounts/ACdemo0000000000000000000000000000/Messages.json`, {
      headers: { authorization: 'Basic ' + Buffer.from('ACdemo0000000000000000000000000000:demo-token').toString('base64') },
    });
    expect(bad.status).toBe(401);
  });

  it("delivers the simulator's high incident to the demo receivers, and a reply ACK from the inbox acknowledges it", async () => {
    // The simulator's opening forced door at store-101's cash office.
    const incident = await until('a high or critical incident at store-101', async () => {
      const items = (await call('GET', '/api/v1/incidents?site=store-101&band=high,critical')).body.items as Json[];
      return items.find((i) => i.zone === 'cash-office');
    });
    incidentId = incident.id;
    const sms = await until('the SMS to the store-101 lead', async () => {
      const r = (await call('GET', `/api/v1/demo/inbox?channel=sms&address=${encodeURIComponent(LEAD)}`)).body.items[0];
      return r?.messages.find((m: Json) => m.direction === 'outbound-api' && m.body.includes(incidentId));
    });
    expect(sms.body).toMatch(/^VIGIL (HIGH|CRITICAL): unauthorized entry at Store 101 Downtown Manhattan, Cash office/);
    expect(sms.replyCode).toBeTruthy();
    const mail = await until('the email to the manager', async () => {
      const r = (await call('GET', `/api/v1/demo/inbox?channel=email&address=${encodeURIComponent(MANAGER)}`)).body.items[0];
      return r?.messages.find((m: Json) => m.text.includes(incidentId));
    });
    expect(mail.subject).toMatch(/unauthorized entry/i);
    expect(mail.from).toContain('vigil@northwind.example');
    // Vigil's record of the same deliveries: sent, with the provider's message id.
    const notifs = (await call('GET', `/api/v1/notifications?incident=${incidentId}`)).body.items as Json[];
    expect(notifs.some((n) => n.channel === 'sms' && n.status === 'sent')).toBe(true);
    expect(notifs.some((n) => n.channel === 'email' && n.status === 'sent')).toBe(true);

    const reply = await call('POST', '/api/v1/demo/sms/reply', { from: LEAD, body: `ACK ${sms.replyCode}` });
    expect(reply.status).toBe(200);
    expect(reply.body.answer).toBe('Vigil: incident acknowledged by Alex Kim. Thank you.');
    const after = (await call('GET', `/api/v1/incidents/${incidentId}`)).body;
    expect(after.status).toBe('acknowledged');
    expect(after.acknowledgedBy).toBe('Alex Kim (sms)');

    // The inbox is kept in the data directory, readable by its owner only.
    const file = join(dataDir, 'demo-inbox.ndjson');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(sms.id);
  });

  describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('the Demo inbox page in Chromium', () => {
    it('shows the delivered SMS and email per recipient, and a reply from the page gets Vigil’s answer', async () => {
      expect(incidentId).toBeTruthy();
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
      });
      const problems: string[] = [];
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(`${server.url}/#token=${encodeURIComponent(ADMIN)}`);
      await page.waitForSelector('#app:not([hidden])');
      // The tab shows in demo mode.
      await page.locator('.tabs [data-page="demo-inbox"]').click();
      const lead = page.locator(`.demo-recipient[data-channel="sms"][data-address="${LEAD}"]`);
      await lead.waitFor();
      expect(await lead.locator('h3').textContent()).toContain('Alex Kim');
      await page.waitForFunction(
        ([addr, id]) => [...document.querySelectorAll(`.demo-recipient[data-address="${addr}"] [data-message-kind="sms"]`)].some((e) => (e.textContent ?? '').includes(id)),
        [LEAD, incidentId] as const,
      );
      // The reply and Vigil's answer are in the conversation.
      expect(await lead.locator('[data-direction="inbound"]').first().textContent()).toContain('ACK');
      expect(await lead.locator('[data-direction="outbound-reply"]').first().textContent()).toContain('acknowledged by Alex Kim');
      const mail = page.locator(`.demo-recipient[data-channel="email"][data-address="${MANAGER}"]`);
      await mail.waitFor();
      // The manager's inbox holds the incident's email (beside others, such as a weekly report
      // that the demo's first start catches up on).
      await page.waitForFunction(
        (addr) => [...document.querySelectorAll(`.demo-recipient[data-channel="email"][data-address="${addr}"] [data-message-kind="email"] .demo-subject`)].some((e) => /unauthorized entry/i.test(e.textContent ?? '')),
        MANAGER,
      );

      // Another recipient of the same alert replies from the page: already acknowledged.
      const desk = page.locator('.demo-recipient[data-channel="sms"][data-address="+15550000101"]');
      await desk.waitFor();
      const button = desk.locator('button[data-reply]').first();
      await button.waitFor();
      await button.click();
      await page.waitForFunction(() => [...document.querySelectorAll('.demo-recipient[data-address="+15550000101"] .demo-note')].some((e) => (e.textContent ?? '').startsWith('Vigil answered:')));

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(ARTIFACTS, 'demo-inbox.png'), fullPage: false });
      // A phone-sized screen reads the same page.
      await page.setViewportSize({ width: 390, height: 844 });
      await lead.waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'demo-inbox-phone.png'), fullPage: false });
      expect(problems).toEqual([]);
      await context.close();
    });
  });
});
