import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFile, type ParsedRow, type ParseStats } from './event-files.js';
import { parsePoslogText, TransactionSplitter } from './poslog.js';

const POSLOG = fileURLToPath(new URL('../../../shared/data/poslog/POSLog.xml', import.meta.url));
const SMALL = fileURLToPath(new URL('../../../shared/data/poslog/SMALL.xml', import.meta.url));

async function parsePath(file: string, opts = {}) {
  const stats: ParseStats = { skipped: 0 };
  const rows: ParsedRow[] = [];
  for await (const r of parseFile(file, 'poslog', opts, stats)) rows.push(r);
  return { rows, stats };
}

describe('POSLog.xml (real NCR ACS export)', () => {
  // Independent counts from the raw text.
  const xml = readFileSync(POSLOG, 'utf8');
  const transactions = xml.match(/<Transaction>/g)!.length;
  const voids = xml.match(/<LineItem [^>]*VoidFlag="true"/g)!.length;
  const noSales = xml.match(/<NoSale[\s>/]/g)!.length;
  const voidAmounts = [...xml.matchAll(/<LineItem [^>]*VoidFlag="true"[^>]*>.*?<ExtendedAmount>-?([\d.]+)<\/ExtendedAmount>/g)].map((m) => m[1]);
  const txTexts = xml.match(/<Transaction>.*?<\/Transaction>/g)!;
  const withSignal = txTexts.filter((t) => /VoidFlag="true"|<NoSale[\s>/]/.test(t)).length;
  const withOverride = txTexts.filter((t) => /SupervisorOverride|ManagerApproval/.test(t));

  it('finds every line void and no-sale, and skips the other transactions', async () => {
    expect([transactions, voids, noSales, withSignal, withOverride.length]).toEqual([51, 4, 2, 6, 1]);
    const { rows, stats } = await parsePath(POSLOG);
    expect(rows.filter((r) => r.problems.length > 0)).toEqual([]);
    const events = rows.map((r) => r.event!);
    expect(events.filter((e) => e.type === 'void')).toHaveLength(voids);
    expect(events.filter((e) => e.type === 'no_sale')).toHaveLength(noSales);
    expect(events).toHaveLength(voids + noSales);
    expect(stats.skipped).toBe(transactions - withSignal);
    expect(events.filter((e) => e.type === 'void').map((e) => e.amount?.value)).toEqual(voidAmounts.map((a) => (a.includes('.') ? a : `${a}.00`)));
    expect(events.every((e) => e.source === 'pos' && e.site === 'store-9' && e.amount?.currency !== 'EUR')).toBe(true);
    expect(new Set(events.map((e) => e.sourceEventId)).size).toBe(events.length);
  });

  it('maps the void under supervisor override with its details', async () => {
    const { rows } = await parsePath(POSLOG, { site: 'store-101', zoneOf: (d: string) => (d === 'pos-9-3' ? 'front-tills' : undefined) });
    const overridden = rows.map((r) => r.event!).filter((e) => e.details.override === true);
    expect(overridden).toHaveLength(withOverride.length);
    expect(overridden[0]).toEqual({
      source: 'pos',
      type: 'void',
      sourceEventId: 'poslog-9-3-92-9',
      occurredAt: '2017-10-01T15:25:00.000Z',
      site: 'store-101',
      zone: 'front-tills',
      device: 'pos-9-3',
      amount: { value: '93.66', currency: 'USD' },
      details: {
        store: '9', workstation: '3', sequence: '92', operator: '437', operatorName: 'John R', businessDay: '2017-10-01',
        lineSequence: '9', lineKind: 'Sale', itemId: '00000000090537', description: 'BULK ALMOND BUTTER', quantity: '-7.21',
        override: true, supervisor: '893',
      },
    });
  });

  it('maps the no-sales', async () => {
    const { rows } = await parsePath(POSLOG, { timezone: 'America/Chicago' });
    const ns = rows.map((r) => r.event!).filter((e) => e.type === 'no_sale');
    expect(ns.map((e) => [e.sourceEventId, e.device, e.occurredAt, e.details.reasonCode])).toEqual([
      ['poslog-9-5-65-nosale', 'pos-9-5', '2017-10-01T20:19:11.000Z', 'Procedure 21'],
      ['poslog-9-5-66-nosale', 'pos-9-5', '2017-10-01T20:20:30.000Z', 'Procedure 21'],
    ]);
  });

  it('gives the same rows whatever the chunking of the stream', () => {
    const expected = parsePoslogText(xml, {}, { skipped: 0 });
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: xml.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), xml.length];
        const splitter = new TransactionSplitter();
        const items = points.slice(1).flatMap((p, i) => splitter.push(xml.slice(points[i], p)));
        items.push(...splitter.end());
        expect(items.filter((i) => i.kind === 'fatal')).toEqual([]);
        expect(items).toHaveLength(transactions);
      }),
      { numRuns: 30 },
    );
    expect(expected).toHaveLength(voids + noSales);
  });
});

describe('SMALL.xml', () => {
  it('has a sign-on and a normal sale: no events, both counted as skipped', async () => {
    const { rows, stats } = await parsePath(SMALL);
    expect(rows).toEqual([]);
    expect(stats.skipped).toBe((readFileSync(SMALL, 'utf8').match(/<Transaction>/g) ?? []).length);
    expect(stats.skipped).toBe(2);
  });
});

describe('hostile XML', () => {
  it('refuses a DOCTYPE with entities and never expands them', async () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE POSLog [
  <!ENTITY a "EXPANDED-EXPANDED-EXPANDED">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
]>
<POSLog><Transaction><RetailStoreID>1</RetailStoreID><WorkstationID>1</WorkstationID><SequenceNumber>1</SequenceNumber>
<EndDateTime>2017-10-01T10:00:00</EndDateTime><ControlTransaction><NoSale>&b;</NoSale></ControlTransaction></Transaction></POSLog>`;
    const stats = { skipped: 0 };
    const rows = parsePoslogText(bomb, {}, stats);
    expect(rows).toEqual([{ row: 0, problems: [{ path: 'document', message: expect.stringMatching(/DOCTYPE and ENTITY declarations are refused.*line 2/) }] }]);
    expect(JSON.stringify(rows)).not.toContain('EXPANDED');

    const dir = await mkdtemp(join(tmpdir(), 'vigil-poslog-'));
    try {
      await writeFile(join(dir, 'bomb.xml'), bomb);
      const { rows: fileRows } = await parsePath(join(dir, 'bomb.xml'));
      expect(fileRows).toHaveLength(1);
      expect(fileRows[0].row).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an ENTITY declaration and keeps undeclared references literal', () => {
    const rows = parsePoslogText('<POSLog><!ENTITY x SYSTEM "file:///etc/passwd"></POSLog>', {}, { skipped: 0 });
    expect(rows[0].problems[0].message).toMatch(/refused/);
    const ok = parsePoslogText(
      '<POSLog><Transaction><RetailStoreID>1</RetailStoreID><WorkstationID>2</WorkstationID><SequenceNumber>3</SequenceNumber><EndDateTime>2017-10-01T10:00:00Z</EndDateTime>' +
        '<RetailTransaction><LineItem VoidFlag="true"><SequenceNumber>1</SequenceNumber><Sale><Description>A &amp; B &#65; &xxe;</Description><ExtendedAmount>-1.5</ExtendedAmount></Sale></LineItem></RetailTransaction></Transaction></POSLog>',
      {},
      { skipped: 0 },
    );
    expect(ok[0].event?.details.description).toBe('A & B A &xxe;');
  });

  it('refuses character references to what is not an XML character, naming the transaction and element', () => {
    const voided = (description: string, store = '1') =>
      `<Transaction><RetailStoreID>${store}</RetailStoreID><WorkstationID>2</WorkstationID><SequenceNumber>3</SequenceNumber><EndDateTime>2017-10-01T10:00:00Z</EndDateTime>` +
      `<RetailTransaction><LineItem VoidFlag="true"><SequenceNumber>1</SequenceNumber><Sale><Description>${description}</Description><ExtendedAmount>-1.5</ExtendedAmount></Sale></LineItem></RetailTransaction></Transaction>`;
    const rows = parsePoslogText(`<POSLog>${voided('fine &#x1F600;')}${voided('half &#xD800; pair')}${voided('nul &#0;', '&#55296;')}</POSLog>`, {}, { skipped: 0 });
    expect(rows[0].problems).toEqual([]);
    expect(rows[0].event?.details.description).toBe('fine \u{1F600}');
    expect(rows.slice(1)).toEqual([
      { row: 2, problems: [{ row: 2, path: 'Transaction[2].Description', message: expect.stringMatching(/&#xD800;.*lone surrogate.*not an XML character/) }] },
      {
        row: 3,
        problems: [
          { row: 3, path: 'Transaction[3].RetailStoreID', message: expect.stringMatching(/&#55296;.*lone surrogate/) },
          { row: 3, path: 'Transaction[3].Description', message: expect.stringMatching(/&#0;.*U\+0000.*not an XML character/) },
        ],
      },
    ]);
  });

  it('reports malformed and truncated documents', () => {
    expect(parsePoslogText('<POSLog><Transaction><A></B></Transaction></POSLog>', {}, { skipped: 0 })[0].problems[0].message).toMatch(/expected <\/A>, found <\/B>/);
    expect(parsePoslogText('<POSLog><Transaction>', {}, { skipped: 0 })[0].problems[0].message).toMatch(/document ends inside <Transaction>/);
    expect(parsePoslogText('<Orders/>', {}, { skipped: 0 })[0].problems[0].message).toMatch(/expected a POSLog document/);
  });
});

describe('other ARTS elements', () => {
  const tx = (body: string, attrs = '', header = '<RetailStoreID>101</RetailStoreID><WorkstationID>R 4</WorkstationID><SequenceNumber>77</SequenceNumber><EndDateTime>2026-11-20T21:05:00-05:00</EndDateTime><OperatorID>12</OperatorID><CurrencyCode>CAD</CurrencyCode>') =>
    `<Transaction${attrs}>${header}${body}</Transaction>`;
  const doc = (...txs: string[]) => `<?xml version="1.0" encoding="UTF-8"?>\n<poslog:POSLog xmlns:poslog="urn:x">\n${txs.join('\n')}\n</poslog:POSLog>`;

  it('maps returns, price overrides, cancelled baskets and ignores promotions and tender controls', () => {
    const stats = { skipped: 0 };
    const rows = parsePoslogText(
      doc(
        tx('<RetailTransaction><LineItem><SequenceNumber>1</SequenceNumber><Return><ItemID>9</ItemID><ExtendedAmount>-19.99</ExtendedAmount><Reason>Defective</Reason></Return></LineItem></RetailTransaction>'),
        tx('<RetailTransaction><ManagerApproval>true</ManagerApproval><LineItem><SequenceNumber>2</SequenceNumber><Sale><ItemID>5</ItemID><ExtendedAmount>4.00</ExtendedAmount><RetailPriceModifier><Amount Action="Subtract">6.00</Amount><PreviousPrice>10.00</PreviousPrice><NewPrice>4.00</NewPrice></RetailPriceModifier></Sale></LineItem></RetailTransaction>'),
        tx('<RetailTransaction><LineItem><SequenceNumber>3</SequenceNumber><Sale><ExtendedAmount>4.00</ExtendedAmount><RetailPriceModifier><Amount Action="Subtract">1.00</Amount></RetailPriceModifier></Sale></LineItem></RetailTransaction>'),
        tx('<RetailTransaction><LineItem><SequenceNumber>1</SequenceNumber><Sale><ExtendedAmount>8.00</ExtendedAmount></Sale></LineItem><Total TotalType="TransactionGrandAmount">8.40</Total></RetailTransaction>', ' CancelFlag="true"'),
        tx('<TenderControlTransaction><PaidOut><Amount>20.00</Amount></PaidOut></TenderControlTransaction>'),
      ),
      {},
      stats,
    );
    expect(rows.map((r) => r.problems)).toEqual([[], [], []]);
    const [refund, override, cancelled] = rows.map((r) => r.event!);
    expect(refund).toMatchObject({ type: 'refund', amount: { value: '19.99', currency: 'CAD' }, device: 'pos-101-r-4', site: 'store-101', sourceEventId: 'poslog-101-r-4-77-1', occurredAt: '2026-11-21T02:05:00.000Z', details: { reason: 'Defective' } });
    expect(override).toMatchObject({ type: 'price_override', amount: { value: '6.00' }, details: { override: true, previousPrice: '10.00', newPrice: '4.00' } });
    expect(cancelled).toMatchObject({ type: 'void', amount: { value: '8.40' }, sourceEventId: 'poslog-101-r-4-77-txn', details: { cancelled: true, voidScope: 'transaction' } });
    expect(stats.skipped).toBe(2); // the promotion and the paid-out
  });

  it('reports a transaction without EndDateTime or with a bad amount, by transaction and element', () => {
    const rows = parsePoslogText(
      doc(
        tx('<ControlTransaction><NoSale/></ControlTransaction>', '', '<RetailStoreID>1</RetailStoreID><WorkstationID>2</WorkstationID><SequenceNumber>3</SequenceNumber>'),
        tx('<RetailTransaction><LineItem VoidFlag="true"><SequenceNumber>1</SequenceNumber><Sale><ExtendedAmount>12,50</ExtendedAmount></Sale></LineItem></RetailTransaction>'),
      ),
      {},
      { skipped: 0 },
    );
    expect(rows).toEqual([
      { row: 1, problems: [{ row: 1, path: 'Transaction[1].EndDateTime', message: 'expected an EndDateTime' }] },
      { row: 2, problems: [{ row: 2, path: 'Transaction[2].LineItem[0].Sale.ExtendedAmount', message: 'expected a decimal amount like -2.79, got "12,50"' }] },
    ]);
  });
});
