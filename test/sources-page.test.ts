/**
 * The dashboard's Sources tab in a real browser against a real server with a Frigate source on a
 * private Mosquitto: the source shows connected (colour), its last message "x s ago" and its
 * counts, and turns to reconnecting with its reason when the broker goes away. Needs the built
 * dashboard (`npm run build`).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import mqtt from 'mqtt';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { WEB_DIST } from '../src/api/routes/dashboard.js';
import { buildServer } from '../src/api/server.js';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { MOSQUITTO, PrivateMosquitto } from './helpers/mosquitto.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'sources-page-admin-token';
const EXAMPLE = readFileSync(new URL('../../shared/data/frigate/events-doc-example.json', import.meta.url), 'utf8');

describe.skipIf((!MOSQUITTO || !existsSync(CHROMIUM)) && !process.env.CI)('the Sources page in Chromium', () => {
  const broker = new PrivateMosquitto();
  const prefix = `frig-page-${Math.random().toString(36).slice(2, 8)}`;
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    await broker.start();
    const demo = YAML.parse(readFileSync(BUNDLED.demo, 'utf8')) as Record<string, unknown>;
    const config = parseConfig({ ...demo, sources: { frigate: { url: broker.url, topicPrefix: prefix, clientId: `vigil-${prefix}`, cameras: { front_door: 'cam-101-ent' }, zones: { yard: 'entrance' } } } });
    service = await createService({ config, dataDir: 'memory://', adminToken: ADMIN, startRunner: true });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
    await broker.dispose();
  });

  it('shows the source connected with its counts, then reconnecting with the reason', async () => {
    expect(existsSync(`${WEB_DIST}index.html`)).toBe(true);
    const c = await mqtt.connectAsync(broker.url, { clientId: `pub-${prefix}` });
    await c.publishAsync(`${prefix}/events`, EXAMPLE, { qos: 1 });
    await c.publishAsync(`${prefix}/events`, EXAMPLE, { qos: 1 });
    await c.publishAsync(`${prefix}/events`, 'not json', { qos: 1 });
    await c.endAsync();
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/#token=${encodeURIComponent(ADMIN)}`);
    await page.waitForSelector('#app:not([hidden])');
    await page.click('button.tab[data-page="sources"]');
    const row = page.locator('tr[data-source="frigate"][data-state="connected"]');
    await row.waitFor();
    // The counts arrive with the page's next refresh once all three messages are handled.
    await page.locator('tr[data-source="frigate"] td[data-field="rejected"]', { hasText: '1' }).waitFor({ timeout: 30_000 });
    expect(await row.locator('td[data-field="accepted"]').textContent()).toBe('1');
    expect(await row.locator('td[data-field="duplicate"]').textContent()).toBe('1');
    expect(await row.locator('td[data-field="last-message"]').textContent()).toMatch(/^\d+ s ago$/);
    expect(await row.locator('.chip').getAttribute('class')).toContain('band-low');
    await broker.stop();
    const down = page.locator('tr[data-source="frigate"][data-state="reconnecting"]');
    await down.waitFor({ timeout: 30_000 });
    expect(await down.locator('.chip').getAttribute('class')).toContain('band-medium');
    expect(await down.textContent()).toMatch(/connection lost|ECONNREFUSED/);
    expect(errors).toEqual([]);
  });
});
