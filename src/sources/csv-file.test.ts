import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../domain/errors.js';
import type { SecurityEvent } from '../domain/types.js';
import { parseCsvFile, parseCsvText, VIGIL_COLUMNS } from './csv-file.js';
import { validateEvent } from './event-input.js';
import { parseFile, type ParsedRow, type ParseOptions, type ParseStats } from './event-files.js';

const UCI = fileURLToPath(new URL('../../../shared/data/retail/online-retail-2010-12-sample.csv', import.meta.url));

async function collect(gen: AsyncGenerator<ParsedRow>): Promise<ParsedRow[]> {
  const rows: ParsedRow[] = [];
  for await (const r of gen) rows.push(r);
  return rows;
}

async function csv(text: string, opts: ParseOptions = {}) {
  const stats: ParseStats = { skipped: 0 };
  return { rows: await collect(parseCsvText(text, opts, stats)), stats };
}

/** Writes events in the "vigil" profile layout, quoting like a spreadsheet would. */
function toCsv(events: Record<string, unknown>[]): string {
  const q = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [VIGIL_COLUMNS.join(',')];
  for (const e of events) {
    const amount = e.amount as { value: string; currency: string } | undefined;
    const cells: Record<string, string> = {
      source: String(e.source),
      type: String(e.type),
      sourceEventId: (e.sourceEventId as string) ?? '',
      occurredAt: String(e.occurredAt),
      site: String(e.site),
      zone: (e.zone as string) ?? '',
      device: (e.device as string) ?? '',
      badge: (e.badge as string) ?? '',
      assets: ((e.assets as string[]) ?? []).join(';'),
      amount: amount?.value ?? '',
      currency: amount?.currency ?? '',
      details: e.details ? JSON.stringify(e.details) : '',
    };
    lines.push(VIGIL_COLUMNS.map((c) => q(cells[c])).join(','));
  }
  return lines.join('\n') + '\n';
}

describe('CSV profile "vigil"', () => {
  const inputs: Record<string, unknown>[] = [
    {
      source: 'access_control', type: 'door_forced', sourceEventId: 'ac-000123', occurredAt: '2026-11-20T02:14:00-05:00',
      site: 'store-101', zone: 'cash-office', device: 'door-co-1', badge: 'B-1017', assets: ['safe-1', 'till-2'],
      amount: { value: '120.50', currency: 'USD' }, details: { note: 'forced, "hard"', n: 3, nested: { ok: true } },
    },
    { source: 'cctv', type: 'motion', occurredAt: '2026-11-20T03:00:00Z', site: 'store-101', details: {} },
    { source: 'pos', type: 'refund', sourceEventId: 'r-9', occurredAt: '2026-11-20T10:00:00+01:00', site: 'store-102', amount: { value: '5', currency: 'EUR' }, details: { line: 'a\nb' } },
  ];

  it('round-trips events written as CSV', async () => {
    const { rows } = await csv(toCsv(inputs));
    const expected = inputs.map((raw) => validateEvent(raw, '').event as SecurityEvent);
    expect(rows.every((r) => r.problems.length === 0)).toBe(true);
    expect(rows.map((r) => r.event)).toEqual(expected);
    // The third record starts on line 4 and spans two lines (a newline inside details).
    expect(rows.map((r) => r.row)).toEqual([2, 3, 4]);
    expect(rows[2].event?.amount).toEqual({ value: '5.00', currency: 'EUR' });
  });

  it('names the row and column of a bad cell, and goes on', async () => {
    const text = [
      'source,type,occurredAt,site,amount,details',
      'pos,void,2026-11-20T10:00:00Z,store-1,12.5,',
      'pos,void,yesterday,store-1,abc,{"a":1}',
      'pos,void,2026-11-20T10:00:00Z,store-1,,{not json}',
      'pos,void,2026-11-20T10:00:00Z',
      'pos,void,2026-11-20T10:00:00Z,store-1,1.00,',
    ].join('\n');
    const { rows } = await csv(text);
    expect(rows.map((r) => r.row)).toEqual([2, 3, 4, 5, 6]);
    expect(rows[0].event?.amount).toEqual({ value: '12.50', currency: 'USD' });
    expect(rows[1].problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ row: 3, path: 'occurredAt', message: expect.stringContaining('ISO 8601') }),
      ]),
    );
    expect(rows[2].problems).toEqual([expect.objectContaining({ row: 4, path: 'details', message: expect.stringContaining('expected JSON object text') })]);
    expect(rows[3].problems).toEqual([expect.objectContaining({ row: 5, message: 'expected 6 columns (source, type, occurredAt, site, amount, details), got 3' })]);
    expect(rows[4].event).toBeDefined();
  });

  it('names the amount column for a bad amount', async () => {
    const { rows } = await csv('source,type,occurredAt,site,amount,currency\npos,void,2026-11-20T10:00:00Z,store-1,12.x,USD\npos,void,2026-11-20T10:00:00Z,store-1,1,usd\n');
    expect(rows[0].problems).toEqual([expect.objectContaining({ row: 2, path: 'amount', message: expect.stringContaining('expected a decimal amount') })]);
    expect(rows[1].problems).toEqual([expect.objectContaining({ row: 3, path: 'currency' })]);
  });

  it('reads local times in --timezone and fills --site', async () => {
    const { rows } = await csv('source,type,occurredAt\ncctv,motion,2026-07-01 09:30:00\n', { site: 'store-9', timezone: 'America/New_York' });
    expect(rows[0].event).toMatchObject({ site: 'store-9', occurredAt: '2026-07-01T13:30:00.000Z' });
  });

  it('refuses an unknown column in the header, once', async () => {
    const { rows } = await csv('source,type,occurredAt,site,colour\npos,void,2026-11-20T10:00:00Z,s,red\n');
    expect(rows).toEqual([{ row: 1, problems: [expect.objectContaining({ row: 1, path: 'header', message: expect.stringContaining('unknown column(s) colour') })] }]);
  });

  it('reports broken quoting with its line instead of dropping the record', async () => {
    const { rows } = await csv('source,type,occurredAt,site\npos,void,2026-11-20T10:00:00Z,s\npos,void,2026-11-20T10:00:00Z,"s');
    expect(rows).toHaveLength(2);
    expect(rows[0].event).toBeDefined();
    expect(rows[1]).toMatchObject({ row: 3, problems: [{ message: expect.stringContaining('malformed CSV: Quote Not Closed') }] });
  });

  it('refuses an unknown profile, listing the known ones', async () => {
    await expect(collect(parseCsvFile(UCI, { profile: 'nope' }, { skipped: 0 }))).rejects.toThrow(InvalidError);
    await expect(collect(parseCsvFile(UCI, { profile: 'nope' }, { skipped: 0 }))).rejects.toThrow(/expected one of vigil, uci-online-retail/);
  });
});

describe('CSV profile "uci-online-retail" on the real UCI sample', () => {
  // Independent counts, straight from the file text. The last five columns (Quantity,
  // InvoiceDate, UnitPrice, CustomerID, Country) never contain commas, so they can be split off.
  const lines = readFileSync(UCI, 'utf8').split(/\r?\n/).slice(1).filter((l) => l !== '');
  const cancellations = lines.filter((l) => /^C\d+,/.test(l)).length;
  const writeOffs = lines.filter((l) => {
    const tail = l.split(',').slice(-5);
    return !l.startsWith('C') && Number(tail[0]) < 0 && Number(tail[2]) === 0;
  }).length;

  it('maps every cancellation line to a refund and every price-0 negative line to a write-off', async () => {
    expect(cancellations).toBe(100); // as PROVENANCE.md says: 100 lines
    expect(writeOffs).toBe(30);
    const stats: ParseStats = { skipped: 0 };
    const rows = await collect(parseFile(UCI, 'csv', { profile: 'uci-online-retail', site: 'uk-online' }, stats));
    expect(rows.filter((r) => r.problems.length > 0)).toEqual([]);
    const events = rows.map((r) => r.event!);
    expect(events.filter((e) => e.type === 'refund' && e.source === 'pos')).toHaveLength(cancellations);
    expect(events.filter((e) => e.type === 'shrink_discrepancy' && e.source === 'inventory')).toHaveLength(writeOffs);
    expect(rows).toHaveLength(cancellations + writeOffs);
    expect(stats.skipped).toBe(lines.length - cancellations - writeOffs);
    expect(new Set(events.map((e) => e.sourceEventId)).size).toBe(events.length);
    expect(new Set(events.map((e) => e.details.invoice).filter((i) => String(i).startsWith('C'))).size).toBe(43);

    const byRow = new Map(rows.map((r) => [r.row, r.event!]));
    // Line 143: C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527,United Kingdom -> 1 x 27.50
    expect(byRow.get(143)).toEqual({
      source: 'pos', type: 'refund', sourceEventId: 'uci-C536379-D-143', occurredAt: '2010-12-01T09:41:00.000Z', site: 'uk-online',
      amount: { value: '27.50', currency: 'GBP' },
      details: { kind: 'cancellation', invoice: 'C536379', stockCode: 'D', description: 'Discount', quantity: -1, unitPrice: '27.5', customerId: '14527', country: 'United Kingdom', lineKind: 'discount' },
    });
    // Line 238: C536391,21984,PACK OF 12 PINK PAISLEY TISSUES ,-24,...,0.29 -> 24 x 0.29 = 6.96
    expect(byRow.get(238)?.amount).toEqual({ value: '6.96', currency: 'GBP' });
    // Line 243: C536391,22553,PLASTERS IN TIN SKULLS,-24,...,1.65 -> 24 x 1.65 = 39.60
    expect(byRow.get(243)?.amount).toEqual({ value: '39.60', currency: 'GBP' });
    // Line 1982: a quoted description with commas; -2 x 0.85 = 1.70
    expect(byRow.get(1982)).toMatchObject({ amount: { value: '1.70', currency: 'GBP' }, details: { description: 'HOOK, 1 HANGER ,MAGIC GARDEN', country: 'Germany' } });
    // Line 2408: 536589,21777,,-10,12/1/2010 16:50,0,,United Kingdom -> a write-off, no amount
    expect(byRow.get(2408)).toEqual({
      source: 'inventory', type: 'shrink_discrepancy', sourceEventId: 'uci-536589-21777-2408', occurredAt: '2010-12-01T16:50:00.000Z', site: 'uk-online',
      details: { kind: 'stock_write_off', invoice: '536589', stockCode: '21777', description: '', quantity: -10, unitPrice: '0', customerId: null, country: 'United Kingdom' },
    });
  });

  it('needs --site', async () => {
    const rows = await collect(parseFile(UCI, 'csv', { profile: 'uci-online-retail' }, { skipped: 0 }));
    expect(rows).toEqual([{ row: 0, problems: [{ path: 'site', message: expect.stringContaining('expected --site for profile uci-online-retail') }] }]);
  });

  it('reports malformed lines even when they would be skipped, and reads summer time', async () => {
    const text = [
      'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country',
      '536365,85123A,HEART,six,12/1/2010 8:26,2.55,17850,United Kingdom',
      '536366,85123A,HEART,6,13/1/2010 8:26,2.55,17850,United Kingdom',
      'C570000,22333,BAG,-3,7/1/2011 10:00,0.333,,United Kingdom',
      '570001,22333,BAG,3,7/1/2011 10:00,1,,United Kingdom',
    ].join('\n');
    const { rows, stats } = await csv(text, { profile: 'uci-online-retail', site: 'uk-online' });
    expect(rows[0].problems).toEqual([expect.objectContaining({ row: 2, path: 'Quantity' })]);
    expect(rows[1].problems).toEqual([expect.objectContaining({ row: 3, path: 'InvoiceDate' })]);
    // 3 x 0.333 = 0.999 exactly, rounded to 1.00; 10:00 BST is 09:00 UTC.
    expect(rows[2].event).toMatchObject({ occurredAt: '2011-07-01T09:00:00.000Z', amount: { value: '1.00', currency: 'GBP' } });
    expect(stats.skipped).toBe(1);
  });
});
