import { describe, expect, it } from 'vitest';
import { parseCsvText } from './csv-file.js';
import type { CsvProfileDef } from './csv-profiles.js';
import type { ParsedRow, ParseOptions, ParseStats } from './file-formats.js';

async function rowsOf(text: string, opts: ParseOptions) {
  const stats: ParseStats = { skipped: 0 };
  const rows: ParsedRow[] = [];
  for await (const r of parseCsvText(text, opts, stats)) rows.push(r);
  return { rows, stats };
}

const EXPORT = [
  'Timestamp,Badge,Door,Result,Direction,Event ID',
  '2026-11-20T08:58:00,B-1017,Cash Office,Access Granted,In,9001',
  '2026-11-20T09:10:00,B-1017,Cash Office,GRANTED,out,9002',
  '2026-11-20T22:40:00,B-2211,Cash Office,Denied,in,9003',
  '2026-11-20T23:05:00,,Stockroom,Door Forced Open,,9004',
  '2026-11-20T23:06:00-05:00,,Stockroom,Door Held Open,,9005',
  '2026-11-20T23:30:00,B-2211,Loading Dock,tailgate,Entry,9006',
].join('\n');

describe('generic-access-control profile', () => {
  it('maps mixed results and directions to the contract event types, in the site zone', async () => {
    const { rows } = await rowsOf(EXPORT, {
      profile: 'generic-access-control',
      site: 'store-101',
      timezoneOf: (s) => (s === 'store-101' ? 'America/New_York' : undefined),
      zoneOf: (d) => ({ 'cash-office': 'cash-office', stockroom: 'stockroom' })[d],
    });
    expect(rows.filter((r) => r.problems.length > 0)).toEqual([]);
    const evs = rows.map((r) => r.event!);
    expect(evs.map((e) => [e.source, e.type, e.badge ?? null, e.device, e.zone ?? null, e.details.direction ?? null, e.occurredAt])).toEqual([
      ['access_control', 'access_granted', 'B-1017', 'cash-office', 'cash-office', 'in', '2026-11-20T13:58:00.000Z'],
      ['access_control', 'access_granted', 'B-1017', 'cash-office', 'cash-office', 'out', '2026-11-20T14:10:00.000Z'],
      ['access_control', 'access_denied', 'B-2211', 'cash-office', 'cash-office', 'in', '2026-11-21T03:40:00.000Z'],
      ['access_control', 'door_forced', null, 'stockroom', 'stockroom', null, '2026-11-21T04:05:00.000Z'],
      ['access_control', 'door_held_open', null, 'stockroom', 'stockroom', null, '2026-11-21T04:06:00.000Z'],
      ['access_control', 'tailgating', 'B-2211', 'loading-dock', null, 'in', '2026-11-21T04:30:00.000Z'],
    ]);
    expect(evs.map((e) => e.sourceEventId)).toEqual(['9001', '9002', '9003', '9004', '9005', '9006'].map((id) => `generic-access-control-${id}`));
  });

  it('names the row and column of an unknown result or direction, with the codes it knows', async () => {
    const { rows } = await rowsOf('Timestamp,Badge,Door,Result,Direction\n2026-11-20T08:58:00,B-1,Front,Exploded,sideways\n', { profile: 'generic-access-control', site: 'store-101' });
    expect(rows).toHaveLength(1);
    expect(rows[0].problems.map((p) => [p.row, p.path])).toEqual([
      [2, 'Result'],
      [2, 'Direction'],
    ]);
    expect(rows[0].problems[0].message).toMatch(/unknown result "Exploded"; expected one of .*"access granted"/);
  });

  it('a mismatched header lists the expected columns and names the profile it matches', async () => {
    const { rows } = await rowsOf(EXPORT, { site: 'store-101' }); // default profile "vigil"
    expect(rows).toHaveLength(1);
    expect(rows[0].problems[0].path).toBe('header');
    expect(rows[0].problems[0].message).toMatch(/expected columns among source, type/);
    expect(rows[0].problems[0].message).toMatch(/matches profile\(s\) generic-access-control: give --profile generic-access-control/);
    const pos = await rowsOf('Timestamp,Card,Door\n', { profile: 'generic-access-control', site: 'store-101' });
    expect(pos.rows[0].problems[0].message).toMatch(/missing column\(s\) Result; expected columns Timestamp, Door, Result \(optional: Badge, Direction, Event ID, Site\)/);
    expect(pos.rows[0].problems[0].message).toMatch(/matches none of the known profiles/);
  });
});

describe('profiles from the configuration', () => {
  const badgeExport: CsvProfileDef = {
    kind: 'access_control',
    columns: { timestamp: 'When', badge: 'Card No', door: 'Reader', result: 'Event', direction: 'Dir' },
    timestampFormat: 'M/D/YYYY H:MM',
    timezone: 'America/Chicago',
    results: { access_granted: ['AG'], access_denied: ['AD'], door_forced: ['DF'], door_held_open: ['DH'], skip: ['HB'] },
    directions: { in: ['I'], out: ['O'] },
    devices: { 'RDR 7': 'cr-101-co' },
  };
  const till: CsvProfileDef = {
    kind: 'pos',
    columns: { timestamp: 'Time', register: 'Till', operator: 'Clerk', transaction: 'Txn', code: 'Code', amount: 'Value' },
    codes: { void: ['V'], refund: ['R'], no_sale: ['NS'], skip: ['S'] },
    devices: { '1': 'pos-101-1' },
  };
  const opts: ParseOptions = { site: 'store-101', csvProfiles: { 'badge-export': badgeExport, till }, currency: 'USD' };

  it('maps a configured access export: its codes, its devices, its zone; heartbeats are skipped with a reason', async () => {
    const { rows, stats } = await rowsOf('When,Card No,Reader,Event,Dir\n11/20/2026 22:15,777,RDR 7,AD,I\n11/20/2026 22:16,,RDR 7,HB,\n11/20/2026 22:17,,RDR 7,DF,\n', { ...opts, profile: 'badge-export' });
    expect(rows.filter((r) => r.problems.length)).toEqual([]);
    expect(rows.map((r) => [r.event!.type, r.event!.device, r.event!.occurredAt])).toEqual([
      ['access_denied', 'cr-101-co', '2026-11-21T04:15:00.000Z'],
      ['door_forced', 'cr-101-co', '2026-11-21T04:17:00.000Z'],
    ]);
    expect(stats.skipped).toBe(1);
    expect(stats.skippedWhy).toEqual({ 'result "HB" is not an event (badge-export)': { count: 1, rows: [3] } });
  });

  it('maps a configured POS export with exact amounts, and the header check names it', async () => {
    const text = 'Time,Till,Clerk,Txn,Code,Value\n2026-11-20T10:00:00Z,1,44,T1,V,-12.30\n2026-11-20T10:01:00Z,1,44,T2,S,5.00\n2026-11-20T10:02:00Z,1,44,T3,NS,\n';
    const { rows } = await rowsOf(text, { ...opts, profile: 'till' });
    expect(rows.map((r) => [r.event!.type, r.event!.device, r.event!.amount?.value ?? null, r.event!.details.operator])).toEqual([
      ['void', 'pos-101-1', '12.30', '44'],
      ['no_sale', 'pos-101-1', null, '44'],
    ]);
    const wrong = await rowsOf(text, { ...opts, profile: 'generic-access-control' });
    expect(wrong.rows[0].problems[0].message).toMatch(/matches profile\(s\) till/);
  });
});
