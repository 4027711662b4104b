/**
 * The dashboard's Imports tab in a real browser (Chromium through playwright-core) against a real
 * server: choose a file, profile and site, upload, follow the import to its summary; a file with a
 * bad row shows the problem with its row and nothing is stored.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { accessExport } from './helpers/access-export.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'dashboard-imports-admin';

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('dashboard imports page', () => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-dash-imports-'));

  beforeAll(async () => {
    service = await createService({ config: loadDemoConfig(), dataDir: 'memory://', adminToken: ADMIN });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a file, shows the progress and the summary, and a bad row with its row', async () => {
    const problems: string[] = [];
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${base}/#token=${encodeURIComponent(ADMIN)}`);
    await page.waitForSelector('#app:not([hidden])');
    await page.locator('button.tab[data-page="imports"]').click();

    const good = join(dir, 'badges.csv');
    writeFileSync(good, accessExport(2000, 'dash'));
    await page.locator('input[type=file]').setInputFiles(good);
    await page.locator('select[aria-label="Profile"]').selectOption('generic-access-control');
    await page.locator('select[aria-label="Site"]').selectOption('store-101');
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('.import-summary[data-state="done"]').waitFor({ timeout: 120_000 });
    expect(await page.locator('.import-summary .import-counts').textContent()).toMatch(/2000 read, 2000 accepted, 0 duplicate\(s\), 0 skipped, 0 rejected/);
    const stored = Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source_event_id LIKE 'generic-access-control-dash%'`)).rows[0].n);
    expect(stored).toBe(2000);

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, accessExport(500, 'dashbad', 250));
    await page.locator('input[type=file]').setInputFiles(bad);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('.import-summary[data-state="failed"]').waitFor({ timeout: 120_000 });
    const row = page.locator('.import-problems tbody tr').first();
    expect(await row.locator('td').first().textContent()).toBe('250');
    expect(await row.textContent()).toContain('unknown result "Exploded"');
    expect(await page.locator('.import-summary .err').textContent()).toMatch(/nothing of the file was written/);
    // The recent list shows both.
    await page.locator('.imports-list tbody tr').nth(1).waitFor();
    expect(problems).toEqual([]);
  }, 180_000);
});
