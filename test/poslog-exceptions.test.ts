/**
 * POSLog exception-based reporting: exact counts from the real NCR sample (counted here
 * independently from the XML text), the rules firing on a planted business day, the hostile file
 * refused, and the exceptions becoming fraud incidents with the right loss through the real store.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../src/config/loader.js';
import { parseFile, parseOptionsFor, type ParsedRow, type ParseStats } from '../src/sources/event-files.js';
import { createService, type Service } from '../src/service.js';
import { poslog, type GenTx } from './helpers/poslog-gen.js';
import { TEST_STORES } from './helpers/stores.js';

const POSLOG = fileURLToPath(new URL('../../shared/data/poslog/POSLog.xml', import.meta.url));
const config = loadDemoConfig();
const rules = config.policy.pos.exceptions;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-posx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function parse(file: string, opts: Parameters<typeof parseFile>[2]) {
  const stats: ParseStats = { skipped: 0 };
  const rows: ParsedRow[] = [];
  for await (const r of parseFile(file, 'poslog', opts, stats)) rows.push(r);
  return { rows, stats };
}

describe('the real NCR POSLog sample', () => {
  const xml = readFileSync(POSLOG, 'utf8');
  const txs = xml.match(/<Transaction>.*?<\/Transaction>/gs)!;
  const operatorOf = (t: string) => /<OperatorID[^>]*>([^<]*)<\/OperatorID>/.exec(t)![1];
  const count = (t: string, re: RegExp) => (t.match(re) ?? []).length;
  const kindsOf = (list: string[]) => {
    const k: Record<string, number> = { transactions: list.length };
    const add = (name: string, n: number) => {
      if (n > 0) k[name] = (k[name] ?? 0) + n;
    };
    for (const t of list) {
      add('retail transactions', count(t, /<RetailTransaction[\s>]/g));
      add('control transactions', count(t, /<ControlTransaction[\s>]/g));
      add('line voids', count(t, /<LineItem [^>]*VoidFlag="true"/g));
      add('no-sales', count(t, /<NoSale[\s/>]/g));
      add('overrides', /SupervisorOverride|ManagerApproval/.test(t) ? 1 : 0);
      add('cancels', count(t, /<Transaction [^>]*CancelFlag="true"/g));
      add('returns', count(t, /<Return[\s>]/g));
    }
    return k;
  };

  it('counts what the file holds by kind and per operator, exactly', async () => {
    const { rows, stats } = await parse(POSLOG, {});
    expect(rows.filter((r) => r.problems.length > 0)).toEqual([]);
    const whole = kindsOf(txs);
    // Known figures of the sample (PROVENANCE): 51 transactions, 4 line voids, 2 no-sales, 1 override.
    expect(whole).toMatchObject({ transactions: 51, 'line voids': 4, 'no-sales': 2, overrides: 1 });
    expect(stats.kinds).toEqual(whole);
    const operators = [...new Set(txs.map(operatorOf))];
    expect(Object.keys(stats.byOperator!).sort()).toEqual(operators.sort());
    for (const op of operators) expect(stats.byOperator![op]).toEqual(kindsOf(txs.filter((t) => operatorOf(t) === op)));
    // Every skipped transaction is skipped with a reason, and the reasons add up.
    const why = stats.skippedWhy!;
    expect(Object.values(why).reduce((n, r) => n + r.count, 0)).toBe(stats.skipped);
    expect(stats.skipped).toBe(txs.filter((t) => !/VoidFlag="true"|<NoSale[\s>/]/.test(t)).length);
    expect(why['sale with no void, return, price override or cancel'].count).toBe(txs.filter((t) => /<RetailTransaction/.test(t) && !/VoidFlag="true"/.test(t)).length);
    expect(Object.keys(why).some((r) => /^control transaction \(OperatorSign(On|Off)\)/.test(r))).toBe(true);
  });

  it('fires no exception on the sample at the default thresholds, and the void rate when it is lowered', async () => {
    const { stats, rows } = await parse(POSLOG, { posExceptions: rules });
    expect(stats.kinds!.exceptions ?? 0).toBe(0);
    expect(rows.filter((r) => r.event?.details.posException)).toEqual([]);
    // Lowered to 1 %, the void rate fires for exactly the operators whose rate, counted here from the text, is above it.
    const threshold = 0.01;
    const low = await parse(POSLOG, { posExceptions: { ...rules, voidRate: { threshold, minLines: 1 } } });
    const fired = low.rows.map((r) => r.event!).filter((e) => e.details.posException);
    const expected = [...new Set(txs.map(operatorOf))]
      .map((op) => {
        const mine = txs.filter((t) => operatorOf(t) === op);
        const voids = mine.reduce((n, t) => n + count(t, /<LineItem [^>]*VoidFlag="true"/g), 0);
        const lines = mine.reduce((n, t) => n + count(t, /<Sale[\s>]/g) + count(t, /<Return[\s>]/g), 0);
        return { op, voids, lines };
      })
      .filter((o) => o.voids > 0 && o.voids / o.lines > threshold);
    expect(expected.length).toBeGreaterThan(0);
    expect(fired.map((e) => [e.type, e.details.rule, e.details.operator, e.details.counts]).sort()).toEqual(
      expected.map((o) => ['void', 'voidRate', o.op, { voids: o.voids, linesRung: o.lines }]).sort(),
    );
  });
});

/** A planted business day: operator 501 trips every rule, operator 502 has an ordinary day. */
function plantedDay(): GenTx[] {
  const txs: GenTx[] = [];
  let seq = 1000;
  const sale = (n: number) => Array.from({ length: n }, () => ({ kind: 'sale' as const, amount: '5.00' }));
  // 501: 30 sale lines, 4 voids and 4 returns (rate 4/38 > 5 %), 4 no-sales (> 3), 3 refunds without receipt (> 2),
  // 1 refund of a sale 501 rang (> 0), 2 paid-outs worth 150.00 (> 100.00).
  const first = seq;
  txs.push({ seq: seq++, operator: '501', at: '2026-11-20T09:05:00', lines: [...sale(10), { kind: 'void', amount: '12.34' }] });
  txs.push({ seq: seq++, operator: '501', at: '2026-11-20T10:05:00', lines: [...sale(10), { kind: 'void', amount: '20.00' }, { kind: 'void', amount: '0.66' }] });
  txs.push({ seq: seq++, operator: '501', at: '2026-11-20T11:05:00', lines: [...sale(10), { kind: 'void', amount: '7.00' }] });
  for (let i = 0; i < 4; i++) txs.push({ seq: seq++, operator: '501', at: `2026-11-20T12:1${i}:00`, noSale: true });
  for (let i = 0; i < 3; i++) txs.push({ seq: seq++, operator: '501', at: `2026-11-20T13:1${i}:00`, lines: [{ kind: 'return', amount: '19.99' }] });
  txs.push({ seq: seq++, operator: '501', at: '2026-11-20T14:00:00', lines: [{ kind: 'return', amount: '5.00', original: first }] });
  txs.push({ seq: seq++, operator: '501', at: '2026-11-20T15:00:00', paidOut: '100.00' });
  txs.push({ seq: seq++, operator: '501', at: '2026-11-20T15:30:00', paidOut: '50.00' });
  // 502 on another till: 40 lines, 1 void, 1 no-sale, a sign-on.
  txs.push({ seq: seq++, operator: '502', workstation: '2', at: '2026-11-20T08:59:00', signOn: true });
  txs.push({ seq: seq++, operator: '502', workstation: '2', at: '2026-11-20T09:30:00', lines: [...sale(40), { kind: 'void', amount: '3.00' }] });
  txs.push({ seq: seq++, operator: '502', workstation: '2', at: '2026-11-20T10:30:00', noSale: true });
  return txs;
}

describe('exception rules on a planted day', () => {
  it('fires each rule for the operator who tripped it, with the transactions and exact amounts', async () => {
    const file = join(dir, 'planted.xml');
    await writeFile(file, poslog(plantedDay()));
    const { rows, stats } = await parse(file, { site: 'store-101', timezone: 'America/New_York', posExceptions: rules });
    expect(rows.filter((r) => r.problems.length > 0)).toEqual([]);
    const xs = rows.map((r) => r.event!).filter((e) => e.details.posException === true);
    expect(stats.kinds!.exceptions).toBe(xs.length);
    const byRule = Object.fromEntries(xs.map((e) => [e.details.rule as string, e]));
    expect(Object.keys(byRule).sort()).toEqual(['noSales', 'ownSaleRefunds', 'paidOuts', 'refundsWithoutReceipt', 'voidRate']);
    expect(xs.every((e) => e.details.operator === '501' && e.details.businessDay === '2026-11-20' && e.site === 'store-101')).toBe(true);
    expect(byRule.voidRate).toMatchObject({ type: 'void', amount: { value: '40.00', currency: 'USD' }, details: { counts: { voids: 4, linesRung: 38 }, threshold: 0.05 } });
    expect(byRule.voidRate.details.transactions).toEqual(['101/1/1000', '101/1/1001', '101/1/1002']);
    expect(byRule.noSales).toMatchObject({ type: 'no_sale', details: { observed: 4, threshold: 3 } });
    expect(byRule.noSales.amount).toBeUndefined();
    expect(byRule.refundsWithoutReceipt).toMatchObject({ type: 'refund', amount: { value: '59.97' }, details: { observed: 3, threshold: 2 } });
    expect(byRule.ownSaleRefunds).toMatchObject({ type: 'refund', amount: { value: '5.00' }, details: { observed: 1, transactions: ['101/1/1010'] } });
    expect(byRule.paidOuts).toMatchObject({ type: 'cash_shortage', amount: { value: '150.00' }, details: { observed: '150.00', threshold: '100.00' } });
    // The exception surfaces at the last transaction concerned, in the site's zone.
    expect(byRule.paidOuts.occurredAt).toBe('2026-11-20T20:30:00.000Z');
  });

  it('uses the site time zone for the business day when the file names none', async () => {
    const txs: GenTx[] = Array.from({ length: 5 }, (_, i) => ({ seq: i + 1, operator: '9', at: `2026-11-21T0${i}:30:00Z`, day: '', noSale: true }));
    const file = join(dir, 'zone.xml');
    await writeFile(file, poslog(txs).replace(/<BusinessDayDate><\/BusinessDayDate>/g, ''));
    // 00:30Z-04:30Z on the 21st is the evening of the 20th in New York: all five no-sales are one day there.
    const ny = await parse(file, { site: 'store-101', timezoneOf: () => 'America/New_York', posExceptions: rules });
    expect(ny.rows.map((r) => r.event!).filter((e) => e.details.posException).map((e) => e.details.businessDay)).toEqual(['2026-11-20']);
    // In Tokyo they are the 21st too, and still one day; in a zone where the day turns at 02:00Z they split 2 + 3, under the threshold.
    const split = await parse(file, { site: 'store-101', timezoneOf: () => 'Etc/GMT+2', posExceptions: rules });
    expect(split.rows.filter((r) => r.event?.details.posException)).toEqual([]);
  });
});

describe('hostile POSLog', () => {
  it('refuses a file with an external entity, and reads nothing of it', async () => {
    const file = join(dir, 'xxe.xml');
    const secret = join(dir, 'secret.txt');
    await writeFile(secret, 'TOP-SECRET');
    await writeFile(
      file,
      `<?xml version="1.0"?>\n<!DOCTYPE POSLog [ <!ENTITY xxe SYSTEM "file://${secret}"> ]>\n<POSLog><Transaction><RetailStoreID>&xxe;</RetailStoreID><WorkstationID>1</WorkstationID><SequenceNumber>1</SequenceNumber><EndDateTime>2026-11-20T10:00:00</EndDateTime><ControlTransaction><NoSale/></ControlTransaction></Transaction></POSLog>\n`,
    );
    const { rows } = await parse(file, { posExceptions: rules });
    expect(rows).toHaveLength(1);
    expect(rows[0].row).toBe(0);
    expect(rows[0].problems[0].message).toMatch(/DOCTYPE and ENTITY declarations are refused/);
    expect(rows[0].problems[0].message).toMatch(/line 2/);
    expect(JSON.stringify(rows)).not.toContain('TOP-SECRET');
  });
});

describe.each(TEST_STORES)('POS exceptions through the store on $name', (store) => {
  let service: Service;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config, dataDir: s.dataDir, databaseUrl: s.databaseUrl });
  });
  afterAll(async () => {
    await service?.close();
    await drop?.();
  });

  it('opens fraud incidents whose loss counts each line once', async () => {
    const file = join(dir, `store-${store.name}.xml`);
    await writeFile(file, poslog(plantedDay()));
    const opts = parseOptionsFor(config, { zoneOf: (d) => service.org.devices.get(d)?.zone, refs: service.pipeline.refs }, { site: 'store-101' });
    const { rows } = await parse(file, opts);
    expect(rows.filter((r) => r.problems.length > 0)).toEqual([]);
    const events = rows.map((r) => r.event!);
    await service.pipeline.inOneTransaction(async (ingest) => ingest(events));
    const xs = await service.db.query<{ rule: string; incident_id: string | null }>(
      `SELECT details->>'rule' AS rule, incident_id FROM events WHERE source = 'pos' AND details->>'posException' = 'true' ORDER BY 1`,
    );
    expect(xs.rows.map((r) => r.rule)).toEqual(['noSales', 'ownSaleRefunds', 'paidOuts', 'refundsWithoutReceipt', 'voidRate']);
    expect(xs.rows.every((r) => r.incident_id !== null)).toBe(true);
    const incs = await service.db.query<{ id: string; type: string; loss: { items: { kind: string; amount: string; description: string }[] } }>(
      `SELECT id, type, loss FROM incidents WHERE id = ANY($1)`,
      [[...new Set(xs.rows.map((r) => r.incident_id!))]],
    );
    expect(incs.rows.every((i) => i.type === 'fraud')).toBe(true);
    // Money of POS lines across those incidents: voids 40.00 + refunds 59.97 + 5.00 + paid-outs 150.00, each once,
    // although the line events of the voids and refunds are in the log too.
    const eventMoney = incs.rows
      .flatMap((i) => i.loss.items)
      .filter((it) => it.kind === 'replacement' && / event\(s\)$/.test(it.description))
      .reduce((n, it) => n + Math.round(Number(it.amount) * 100), 0);
    const linked = await service.db.query<{ n: string }>(
      `SELECT coalesce(sum(amount), 0)::text AS n FROM events WHERE incident_id = ANY($1) AND NOT (details ? 'posException')`,
      [incs.rows.map((i) => i.id)],
    );
    const expected = 4000 + 5997 + 500 + 15000;
    expect(eventMoney).toBe(expected);
    expect(Math.round(Number(linked.rows[0].n) * 100)).toBeLessThanOrEqual(expected);
  });
});
