/**
 * `vigil ingest` (the compiled CLI, as a user runs it) on every test store: a file's problems come
 * in one summary, shape and references together, and input the store cannot hold (a lone
 * surrogate, an amount beyond the column, a year-1 time, a POSLog character reference to a
 * surrogate) is named by row, transaction and field instead of failing in the store.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../src/store/db.js';
import { BIN } from './helpers/server-process.js';
import { TEST_STORES } from './helpers/stores.js';

const good = { source: 'alarm', type: 'intrusion', occurredAt: '2026-11-20T02:00:00-05:00', site: 'store-101', zone: 'stockroom' };

describe.each(TEST_STORES)('vigil ingest problems on $name', (store) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ingest-problems-'));
  let where: { dataDir?: string; databaseUrl?: string } = {};
  let drop: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    where = s.databaseUrl ? { databaseUrl: s.databaseUrl } : { dataDir: join(dir, 'data') };
  });
  afterAll(async () => {
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const vigil = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, VIGIL_LOG_LEVEL: 'silent' };
    delete env.DATABASE_URL;
    if (where.databaseUrl) env.DATABASE_URL = where.databaseUrl;
    else env.VIGIL_DATA_DIR = where.dataDir;
    return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  };

  const stored = async () => {
    const db = await openDb(where.databaseUrl ? { url: where.databaseUrl } : { dataDir: where.dataDir });
    try {
      return Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0].n);
    } finally {
      await db.close();
    }
  };

  it('lists every problem of each file in one summary, naming rows, transactions and fields', async () => {
    const ndjson = join(dir, 'mixed.ndjson');
    writeFileSync(
      ndjson,
      [
        JSON.stringify({ ...good, sourceEventId: 'f-1' }),
        JSON.stringify({ ...good, sourceEventId: 'f-2', type: 'intrusionn', site: 'store-999', occurredAt: 'yesterday' }),
        JSON.stringify({ ...good, sourceEventId: 'f-3', zone: 'no-such-zone', details: { note: 'half \ud800' } }),
        JSON.stringify({ ...good, sourceEventId: 'f-4', occurredAt: '0001-01-01T00:00:00Z', amount: { value: '99999999999999999999.99', currency: 'USD' } }),
      ].join('\n'),
    );
    const tx = (seq: number, description: string) =>
      `<Transaction><RetailStoreID>101</RetailStoreID><WorkstationID>1</WorkstationID><SequenceNumber>${seq}</SequenceNumber><EndDateTime>2026-11-20T10:00:00</EndDateTime>` +
      `<RetailTransaction><LineItem VoidFlag="true"><SequenceNumber>1</SequenceNumber><Sale><Description>${description}</Description><ExtendedAmount>-1.50</ExtendedAmount></Sale></LineItem></RetailTransaction></Transaction>`;
    const surrogate = join(dir, 'surrogate.xml');
    writeFileSync(surrogate, `<?xml version="1.0"?>\n<POSLog>\n${tx(1, 'ok')}\n${tx(2, 'bad &#xD800; text')}\n</POSLog>\n`);
    const mended = join(dir, 'mended.xml');
    writeFileSync(mended, `<POSLog>${tx(1, 'ok')}${tx(2, 'mended &#x1F600;')}</POSLog>`);

    // One run, three files (formats detected): each file is its own transaction and its own summary.
    const run = vigil('ingest', '--site', 'store-101', ndjson, surrogate, mended);
    expect(run.status, run.stderr).toBe(1);
    const [r, p] = [{ stdout: run.stdout.slice(0, run.stdout.indexOf('surrogate.xml (')) }, { stdout: run.stdout.slice(run.stdout.indexOf('surrogate.xml (')) }];

    const lines = r.stdout.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toHaveLength(7);
    expect(r.stdout).toMatch(/row 2: type: unknown type "intrusionn"/);
    expect(r.stdout).toMatch(/row 2: site: unknown site "store-999"/);
    expect(r.stdout).toMatch(/row 2: occurredAt: expected an ISO 8601 time/);
    expect(r.stdout).toMatch(/row 3: zone: unknown zone "no-such-zone"/);
    expect(r.stdout).toMatch(/row 3: details\.note: contains a lone surrogate/);
    expect(r.stdout).toMatch(/row 4: occurredAt: expected a time from 1970-01-01T00:00:00\.000Z/);
    expect(r.stdout).toMatch(/row 4: amount\.value: expected an amount of at most 9999999999999999\.99/);
    expect(r.stdout).toMatch(/3 rejected/);

    expect(p.stdout).toMatch(/surrogate\.xml \(poslog\): 2 record\(s\) read, 0 accepted.* 1 rejected/);
    expect(p.stdout).toMatch(/row 2: Transaction\[2\]\.Description: character reference &#xD800; names half of a UTF-16 surrogate pair/);
    expect(p.stdout).toMatch(/mended\.xml \(poslog\): 2 record\(s\) read, 2 accepted.* 0 rejected/);
    // Only the mended file went in.
    expect(await stored()).toBe(2);
  });
});
