import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, parseConfig } from '../config/loader.js';
import type { Pt } from './coverage.js';
import {
  badgeZones,
  clipItems,
  dueAt,
  investigatorInTurn,
  mergeChecklist,
  posTransactionsItem,
  sameChecklist,
  wantsInvestigation,
  type ChecklistItem,
} from './investigation.js';
import { buildOrgModel } from './site-model.js';

const HOUR = 3_600_000;

/**
 * A hand-drawn site: office [0,10]x[0,10], hall [10,20]x[0,10] (adjacent), yard [0,20]x[10,20].
 * The safe stands in the hall at (18, 5).
 */
const config = parseConfig({
  organization: { name: 'Geo', currency: 'USD', timezone: 'UTC' },
  sites: [
    {
      id: 'geo',
      name: 'Geo site',
      timezone: 'UTC',
      businessHours: { open: '08:00', close: '18:00' },
      zones: [
        { id: 'office', name: 'Office', polygon: [[0, 0], [10, 0], [10, 10], [0, 10]], adjacent: ['hall'] },
        { id: 'hall', name: 'Hall', polygon: [[10, 0], [20, 0], [20, 10], [10, 10]] },
        { id: 'yard', name: 'Yard', polygon: [[0, 10], [20, 10], [20, 20], [0, 20]] },
        { id: 'shed', name: 'Shed (no plan)' },
      ],
      assets: [{ id: 'safe', name: 'Safe', category: 'cash', zone: 'hall', position: [18, 5], value: '100.00' }],
      devices: [
        // West of the office looking east, 60 degrees, 5 m: reaches x = 4 inside the office.
        { id: 'cam-a', kind: 'camera', zone: 'office', position: [-1, 5], fov: { direction: 0, angle: 60, range: 5 } },
        // Same place, facing away (west), though declared in the office: sees nothing of it.
        { id: 'cam-b', kind: 'camera', zone: 'office', position: [-1, 5], fov: { direction: 180, angle: 90, range: 50 } },
        // In the hall looking east, 4 m: x 15..19, never the office (x <= 10), but the safe at (18, 5).
        { id: 'cam-c', kind: 'camera', zone: 'hall', position: [15, 5], fov: { direction: 0, angle: 90, range: 4 } },
        // In the yard at (5, 19) looking south, 8 m: down to y = 11, 1 m short of the office's top edge.
        { id: 'cam-d', kind: 'camera', zone: 'yard', position: [5, 19], fov: { direction: 270, angle: 40, range: 8 }, covers: ['office'] },
        // The same with 9.5 m: down to y = 9.5, half a metre into the office.
        { id: 'cam-e', kind: 'camera', zone: 'yard', position: [5, 19], fov: { direction: 270, angle: 40, range: 9.5 } },
        // No field of view configured: its declared zone is all there is to go by.
        { id: 'cam-f', kind: 'camera', zone: 'office' },
        // A full circle of 1 m in the hall: x 11..13.
        { id: 'cam-g', kind: 'camera', zone: 'hall', position: [12, 5], fov: { direction: 0, angle: 360, range: 1 } },
        { id: 'ms-1', kind: 'motion_sensor', zone: 'office', position: [5, 5] },
      ],
    },
  ],
});
const site = buildOrgModel(config).sites.get('geo')!;
const positions = new Map<string, Pt | undefined>([['safe', [18, 5]]]);
const first = new Date('2026-11-20T02:00:00Z');
const last = new Date('2026-11-20T02:10:00Z');

describe('clip windows: the cameras that see the zone or the touched assets', () => {
  it('lists exactly the cameras whose field of view reaches the zone, with the padded window', () => {
    const items = clipItems({ site, zones: ['office'], assets: [], assetPositions: positions, firstEventAt: first, lastEventAt: last, clipPaddingMinutes: 5 });
    expect(items.map((i) => i.camera)).toEqual(['cam-a', 'cam-e', 'cam-f']);
    expect(items[0]).toEqual({ id: 'clip:cam-a', kind: 'clip', camera: 'cam-a', from: '2026-11-20T01:55:00.000Z', to: '2026-11-20T02:15:00.000Z', zones: ['office'], assets: [], basis: 'geometry', done: false });
    expect(items.find((i) => i.camera === 'cam-f')!.basis).toBe('declared');
  });

  it('a camera that faces away is not listed; one whose cone reaches a touched asset outside the zone is', () => {
    const items = clipItems({ site, zones: ['office'], assets: ['safe'], assetPositions: positions, firstEventAt: first, lastEventAt: last, clipPaddingMinutes: 0 });
    expect(items.map((i) => i.camera)).toEqual(['cam-a', 'cam-c', 'cam-e', 'cam-f']);
    const c = items.find((i) => i.camera === 'cam-c')!;
    expect(c.zones).toEqual([]);
    expect(c.assets).toEqual(['safe']);
    expect(c.from).toBe(first.toISOString());
    expect(c.to).toBe(last.toISOString());
    expect(items.some((i) => i.camera === 'cam-b')).toBe(false);
  });

  it('geometry wins over a declared `covers`: cam-d is declared to cover the office but stops a metre short', () => {
    const items = clipItems({ site, zones: ['office'], assets: [], assetPositions: positions, firstEventAt: first, lastEventAt: last, clipPaddingMinutes: 5 });
    expect(items.some((i) => i.camera === 'cam-d')).toBe(false);
  });

  it('the hall: cam-c and cam-g see it; nothing from the yard reaches down there', () => {
    const items = clipItems({ site, zones: ['hall'], assets: [], assetPositions: positions, firstEventAt: first, lastEventAt: last, clipPaddingMinutes: 5 });
    expect(items.map((i) => i.camera)).toEqual(['cam-c', 'cam-g']);
  });

  it('a zone without a plan falls back to the declared zone and covers; none declared, none listed', () => {
    expect(clipItems({ site, zones: ['shed'], assets: [], assetPositions: positions, firstEventAt: first, lastEventAt: last, clipPaddingMinutes: 5 })).toEqual([]);
  });

  it('badge events come from the zones and their neighbours', () => {
    expect(badgeZones(site, ['office'])).toEqual(['hall', 'office']);
    expect(badgeZones(site, ['yard'])).toEqual(['yard']);
  });
});

describe('due dates in the site time zone', () => {
  const due = (start: string, hours: number, tz: string) => dueAt(new Date(start), hours, tz).toISOString();

  it('US fall back (1 Nov 2026): 72 hours from Friday 10:00 is Monday 10:00 local, 73 hours elapsed', () => {
    expect(due('2026-10-30T10:00:00-04:00', 72, 'America/New_York')).toBe('2026-11-02T15:00:00.000Z'); // 10:00-05:00
  });

  it('US spring forward (8 Mar 2026): 24 hours from Saturday noon is Sunday noon, 23 hours elapsed', () => {
    expect(due('2026-03-07T12:00:00-05:00', 24, 'America/New_York')).toBe('2026-03-08T16:00:00.000Z'); // 12:00-04:00
  });

  it('hours under a day are elapsed time: 8 hours from 00:30 on the night the clocks go forward is 09:30 local', () => {
    expect(due('2026-03-08T00:30:00-05:00', 8, 'America/New_York')).toBe('2026-03-08T13:30:00.000Z'); // 09:30-04:00
  });

  it('a wall-clock time the clocks skip moves forward by the gap; one that happens twice is the earlier', () => {
    expect(due('2026-03-07T02:30:00-05:00', 24, 'America/New_York')).toBe('2026-03-08T07:30:00.000Z'); // 03:30-04:00
    expect(due('2026-10-31T01:30:00-04:00', 24, 'America/New_York')).toBe('2026-11-01T05:30:00.000Z'); // the first 01:30 (-04:00)
  });

  it('EU fall back (25 Oct 2026): 24 hours from 09:00 CEST is 09:00 CET, 25 hours elapsed', () => {
    expect(due('2026-10-24T09:00:00+02:00', 24, 'Europe/Berlin')).toBe('2026-10-25T08:00:00.000Z');
  });

  it('EU spring forward (29 Mar 2026): 30 hours = one local day to 20:00 CEST, then 6 elapsed hours', () => {
    expect(due('2026-03-28T20:00:00+01:00', 30, 'Europe/Berlin')).toBe('2026-03-30T00:00:00.000Z'); // 02:00+02:00
  });

  it('without a change it is plain elapsed time; in UTC always', () => {
    expect(due('2026-11-20T07:14:30Z', 72, 'America/New_York')).toBe('2026-11-23T07:14:30.000Z');
    expect(due('2026-03-07T12:00:00Z', 24, 'UTC')).toBe('2026-03-08T12:00:00.000Z');
  });

  it('property: the due date is within an hour of the elapsed SLA, exact in UTC, never before the start', () => {
    const starts = fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2030-12-31T00:00:00Z') });
    const hours = fc.integer({ min: 1, max: 24 * 30 });
    fc.assert(
      fc.property(starts, hours, fc.constantFrom('America/New_York', 'Europe/Berlin', 'Australia/Sydney', 'America/Phoenix'), (s, h, tz) => {
        const d = dueAt(new Date(s), h, tz).getTime();
        expect(Math.abs(d - s - h * HOUR)).toBeLessThanOrEqual(HOUR);
        expect(d).toBeGreaterThan(s);
        expect(dueAt(new Date(s), h, 'UTC').getTime()).toBe(s + h * HOUR);
      }),
      { numRuns: 300 },
    );
  });
});

describe('investigators in turn', () => {
  it('goes round the site investigators sorted by id, whatever order they are configured in', () => {
    const c = ['inv-b', 'inv-a', 'inv-c'];
    expect([0, 1, 2, 3, 4, 5].map((t) => investigatorInTurn(c, t))).toEqual(['inv-a', 'inv-b', 'inv-c', 'inv-a', 'inv-b', 'inv-c']);
    expect(investigatorInTurn(['inv-x'], 7)).toBe('inv-x');
    expect(investigatorInTurn([], 0)).toBeUndefined();
  });
});

describe('policy', () => {
  const p = defaultPolicy().investigation;
  it('wants a task from medium up, and for theft and fraud at any band', () => {
    expect(wantsInvestigation(p, { band: 'medium', type: 'suspicious_activity' }).want).toBe(true);
    expect(wantsInvestigation(p, { band: 'critical', type: 'unauthorized_entry' }).want).toBe(true);
    expect(wantsInvestigation(p, { band: 'low', type: 'fraud' })).toEqual({ want: true, reason: 'every fraud incident is investigated' });
    const no = wantsInvestigation(p, { band: 'low', type: 'vandalism' });
    expect(no.want).toBe(false);
    expect(no.reason).toContain('below the investigation threshold (medium)');
  });
});

describe('POS transactions', () => {
  it('groups lines by workstation and transaction and sums exactly', () => {
    const ev = (id: string, tx: string, ws: string, amount: string | null, type = 'void', at = '2026-11-20T02:00:00.000Z') => ({
      eventId: id, at, type, device: ws, sourceEventId: null, amount, currency: amount ? 'USD' : null, details: { transaction: tx, workstation: ws, operator: 'emp-1' },
    });
    const item = posTransactionsItem([
      ev('evt-1', 'T1', 'pos-1', '0.10'),
      ev('evt-2', 'T1', 'pos-1', '0.20', 'refund'),
      ev('evt-3', 'T1', 'pos-2', '5.00', 'void', '2026-11-20T01:59:00.000Z'),
      ev('evt-4', 'T9', 'pos-1', null, 'no_sale', '2026-11-20T02:05:00.000Z'),
    ])!;
    expect(item.transactions).toEqual([
      { transaction: 'T1', workstation: 'pos-2', operator: 'emp-1', types: ['void'], eventIds: ['evt-3'], at: '2026-11-20T01:59:00.000Z', amount: '5.00', currency: 'USD' },
      { transaction: 'T1', workstation: 'pos-1', operator: 'emp-1', types: ['void', 'refund'], eventIds: ['evt-1', 'evt-2'], at: '2026-11-20T02:00:00.000Z', amount: '0.30', currency: 'USD' },
      { transaction: 'T9', workstation: 'pos-1', operator: 'emp-1', types: ['no_sale'], eventIds: ['evt-4'], at: '2026-11-20T02:05:00.000Z', amount: null, currency: null },
    ]);
    expect(item.totals).toEqual([{ currency: 'USD', amount: '5.30' }]);
    expect(posTransactionsItem([])).toBeUndefined();
  });
});

describe('merging a refreshed checklist', () => {
  it('keeps the done flags and the items the refresh no longer has', () => {
    const clip = (cam: string, done: boolean): ChecklistItem => ({ id: `clip:${cam}`, kind: 'clip', camera: cam, from: 'a', to: 'b', zones: [], assets: [], basis: 'geometry', done });
    const stored = [clip('c1', true), { id: 'item-1', kind: 'item' as const, text: 'call the bank', done: false }];
    const fresh = [{ ...clip('c1', false), to: 'c' } as ChecklistItem, clip('c2', false)];
    expect(mergeChecklist(stored, fresh)).toEqual([{ ...clip('c1', true), to: 'c' }, clip('c2', false), stored[1]]);
  });
});

describe('comparing checklists', () => {
  it('ignores key order, not values', () => {
    const a: ChecklistItem[] = [{ id: 'item-1', kind: 'item', text: 'x', done: false }];
    const b = [{ done: false, text: 'x', kind: 'item', id: 'item-1' }] as ChecklistItem[];
    expect(sameChecklist(a, b)).toBe(true);
    expect(sameChecklist(a, [{ ...a[0]!, done: true } as ChecklistItem])).toBe(false);
  });
});
