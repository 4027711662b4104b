import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig, parseConfig } from '../config/loader.js';
import { buildOrgModel, type SiteModel } from './site-model.js';
import {
  assignGuards,
  checkpointRoute,
  chooseGuard,
  hungarian,
  isOnShift,
  walkingDistance,
  zoneOfPoint,
  type GuardState,
} from './guard-dispatch.js';

const org = buildOrgModel(loadDemoConfig());
const site = (id: string): SiteModel => org.sites.get(id)!;
const store = site('store-101');
const dc = site('dc-201');
const hq = site('hq-301');

const hyp = (a: [number, number], b: [number, number]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
// A Friday noon in New York (EST, UTC-5).
const FRI_NOON = new Date('2026-11-20T17:00:00Z');

function guardsOf(model: SiteModel): GuardState[] {
  return model.site.guards.map((g) => ({ ...g, status: g.onShift ? 'available' : 'off_duty' }));
}

/**
 * U-shaped plan: left arm A and right arm C are joined only through the bottom B; there is a wall
 * (no adjacency, and empty space) between the arms.
 *
 *   A(0..10, 10..30)      C(20..30, 10..30)
 *   B(0..30, 0..10)
 */
function uShape(): SiteModel {
  const cfg = parseConfig({
    organization: { name: 'U', currency: 'USD', timezone: 'UTC' },
    sites: [
      {
        id: 'u-site',
        name: 'U site',
        timezone: 'UTC',
        businessHours: { open: '08:00', close: '20:00' },
        zones: [
          { id: 'left', name: 'Left arm', polygon: [[0, 10], [10, 10], [10, 30], [0, 30]], adjacent: ['bottom'] },
          { id: 'bottom', name: 'Bottom', polygon: [[0, 0], [30, 0], [30, 10], [0, 10]], adjacent: ['left', 'right'] },
          { id: 'right', name: 'Right arm', polygon: [[20, 10], [30, 10], [30, 30], [20, 30]], adjacent: ['bottom'] },
        ],
      },
    ],
  });
  return buildOrgModel(cfg).sites.get('u-site')!;
}

function guard(id: string, position: [number, number], extra: Partial<GuardState> = {}): GuardState {
  return { id, name: id, position, onShift: true, status: 'available', ...extra };
}

describe('zoneOfPoint', () => {
  it('finds the zone of assets on the demo plans', () => {
    for (const model of [store, dc, hq]) {
      for (const a of model.site.assets) if (a.position) expect(zoneOfPoint(model, a.position)).toBe(a.zone);
    }
  });
  it('is undefined outside every polygon', () => {
    expect(zoneOfPoint(store, [-5, -5])).toBeUndefined();
  });
});

describe('walkingDistance on the demo plans', () => {
  it('walks from the sales floor to the safe through the back hall doorways', () => {
    const w = walkingDistance(store, [15, 15], [37, 4]);
    expect(w.method).toBe('plan');
    expect(w.via).toEqual(['sales-floor', 'back-hall', 'cash-office']);
    // (15,15) → door (30,15) → door (34,4) → (37,4)
    expect(w.metres).toBeCloseTo(15 + Math.hypot(4, 11) + 3, 6);
    expect(w.metres).toBeGreaterThan(hyp([15, 15], [37, 4]));
    // The points walked (the incident report draws them), as long as the distance.
    expect(w.path).toEqual([[15, 15], [30, 15], [34, 4], [37, 4]]);
    expect(w.path.slice(1).reduce((s, p, i) => s + hyp(w.path[i], p), 0)).toBeCloseTo(w.metres, 9);
  });

  it('is the straight line inside one zone', () => {
    const w = walkingDistance(dc, [5, 35], [55, 75]);
    expect(w).toEqual({ metres: hyp([5, 35], [55, 75]), via: ['racking'], method: 'plan', path: [[5, 35], [55, 75]] });
  });

  it('falls back to a straight line outside the plan', () => {
    const w = walkingDistance(store, [-10, -10], [15, 15]);
    expect(w.method).toBe('straight');
    expect(w.metres).toBeCloseTo(hyp([-10, -10], [15, 15]), 9);
  });

  it('is symmetric', () => {
    expect(walkingDistance(hq, [5, 5], [45, 25]).metres).toBeCloseTo(walkingDistance(hq, [45, 25], [5, 5]).metres, 9);
  });

  for (const model of [store, dc, hq]) {
    const zones = [...model.zones.values()].filter((z) => z.polygon);
    const xs = zones.flatMap((z) => z.polygon!.map((p) => p[0]));
    const ys = zones.flatMap((z) => z.polygon!.map((p) => p[1]));
    const pt = fc.tuple(
      fc.double({ min: Math.min(...xs), max: Math.max(...xs), noNaN: true }),
      fc.double({ min: Math.min(...ys), max: Math.max(...ys), noNaN: true }),
    ) as fc.Arbitrary<[number, number]>;

    it(`${model.site.id}: never shorter than the straight line, equal within one zone`, () => {
      fc.assert(
        fc.property(pt, pt, (a, b) => {
          const w = walkingDistance(model, a, b);
          const straight = hyp(a, b);
          expect(w.metres).toBeGreaterThanOrEqual(straight - 1e-9);
          const za = zoneOfPoint(model, a);
          if (za !== undefined && za === zoneOfPoint(model, b)) expect(w.metres).toBeCloseTo(straight, 9);
          if (w.method === 'plan') {
            expect(w.via[0]).toBe(za);
            expect(w.via[w.via.length - 1]).toBe(zoneOfPoint(model, b));
            // consecutive zones on the route are adjacent on the plan
            for (let i = 1; i < w.via.length; i++) expect(model.adjacency.get(w.via[i - 1])!.has(w.via[i])).toBe(true);
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('chooseGuard', () => {
  it('a guard in the adjacent zone beats a crow-flies-closer guard behind a wall (U-shaped plan)', () => {
    const u = uShape();
    const target: [number, number] = [22, 25]; // in the right arm
    const behindWall = guard('g-a', [8, 25]); // left arm: 14 m as the crow flies
    const around = guard('g-b', [25, 2]); // bottom: ~23 m as the crow flies
    expect(hyp(behindWall.position!, target)).toBeLessThan(hyp(around.position!, target));

    const wa = walkingDistance(u, behindWall.position!, target);
    expect(wa.via).toEqual(['left', 'bottom', 'right']);
    // (8,25) → door (5,10) → door (25,10) → (22,25)
    expect(wa.metres).toBeCloseTo(Math.hypot(3, 15) + 20 + Math.hypot(3, 15), 6);

    const pick = chooseGuard(u, [behindWall, around], target, FRI_NOON);
    expect(pick.guard?.id).toBe('g-b');
    if (pick.guard) {
      expect(pick.via).toEqual(['bottom', 'right']);
      expect(pick.metres).toBeCloseTo(8 + Math.hypot(3, 15), 6);
      expect(pick.etaSeconds).toBeCloseTo(pick.metres / 1.4, 9);
    }
  });

  it('on the demo store sends the on-shift guard nearest by walking to the safe', () => {
    const pick = chooseGuard(store, guardsOf(store), [37, 4], FRI_NOON);
    // guard-101-3 is closest but off shift; guard-101-1 (sales floor centre) beats guard-101-2 (entrance).
    expect(pick.guard?.id).toBe('guard-101-1');
  });

  it('skips off-shift, assigned and unavailable guards and says why nobody qualified', () => {
    const gs = [
      guard('g1', [1, 1], { onShift: false }),
      guard('g2', [2, 2], { status: 'off_duty' }),
      guard('g3', [3, 3], { status: 'assigned' }),
      guard('g4', [4, 4], { status: 'unavailable' }),
      guard('g5', [4, 4], { shift: { days: ['sat'], start: '08:00', end: '16:00' } }),
    ];
    const pick = chooseGuard(store, gs, [15, 15], FRI_NOON);
    expect(pick.guard).toBeUndefined();
    if (!pick.guard) expect(pick.reason).toBe('no guard available: 3 guards off shift, 1 already assigned, 1 unavailable');
    const withOne = chooseGuard(store, [...gs, guard('g6', [50, 20])], [15, 15], FRI_NOON);
    expect(withOne.guard?.id).toBe('g6');
  });

  it('breaks ties by id and reports an empty roster', () => {
    const pick = chooseGuard(store, [guard('g-b', [10, 15]), guard('g-a', [20, 15])], [15, 15], FRI_NOON);
    expect(pick.guard?.id).toBe('g-a');
    const none = chooseGuard(store, [], [15, 15], FRI_NOON);
    expect(none.guard).toBeUndefined();
    if (!none.guard) expect(none.reason).toContain('no guards configured');
  });
});

describe('isOnShift', () => {
  const night = guard('n', [0, 0], { shift: { days: ['fri'], start: '22:00', end: '06:00' } });
  const tz = 'America/New_York';
  it('covers an overnight shift on its start day and past midnight', () => {
    expect(isOnShift(night, new Date('2026-11-21T04:00:00Z'), tz)).toBe(true); // Fri 23:00
    expect(isOnShift(night, new Date('2026-11-21T07:00:00Z'), tz)).toBe(true); // Sat 02:00
    expect(isOnShift(night, new Date('2026-11-21T11:30:00Z'), tz)).toBe(false); // Sat 06:30
    expect(isOnShift(night, new Date('2026-11-20T07:00:00Z'), tz)).toBe(false); // Fri 02:00 (Thu not a shift day)
    expect(isOnShift(night, new Date('2026-11-22T04:00:00Z'), tz)).toBe(false); // Sat 23:00
    expect(isOnShift(night, FRI_NOON, tz)).toBe(false);
  });
  it('honours the onShift flag and a day shift', () => {
    const day = guard('d', [0, 0], { shift: { days: ['fri'], start: '09:00', end: '17:00' } });
    expect(isOnShift(day, FRI_NOON, tz)).toBe(true);
    expect(isOnShift({ ...day, onShift: false }, FRI_NOON, tz)).toBe(false);
    expect(isOnShift(guard('x', [0, 0]), FRI_NOON, tz)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

function total(cost: number[][], cols: number[]): number {
  return cols.reduce((s, c, i) => (c >= 0 ? s + cost[i][c] : s), 0);
}

function expectValid(cost: number[][], cols: number[]) {
  const m = cost[0]?.length ?? 0;
  expect(cols).toHaveLength(cost.length);
  const used = cols.filter((c) => c >= 0);
  expect(new Set(used).size).toBe(used.length);
  for (const [i, c] of cols.entries()) {
    expect(c).toBeGreaterThanOrEqual(-1);
    expect(c).toBeLessThan(m);
    if (c >= 0) expect(cost[i][c]).not.toBe(Infinity);
  }
}

/** Exhaustive optimum: most finite pairs first, then least cost. */
function bruteForce(cost: number[][]): { pairs: number; cost: number } {
  const n = cost.length;
  const m = cost[0].length;
  let best = { pairs: -1, cost: Infinity };
  const used = new Array<boolean>(m).fill(false);
  const rec = (i: number, pairs: number, sum: number) => {
    if (i === n) {
      if (pairs > best.pairs || (pairs === best.pairs && sum < best.cost)) best = { pairs, cost: sum };
      return;
    }
    rec(i + 1, pairs, sum); // leave row i unassigned
    for (let j = 0; j < m; j++) {
      if (used[j] || cost[i][j] === Infinity) continue;
      used[j] = true;
      rec(i + 1, pairs + 1, sum + cost[i][j]);
      used[j] = false;
    }
  };
  rec(0, 0, 0);
  return best;
}

function greedy(cost: number[][]): number[] {
  const used = new Set<number>();
  return cost.map((row) => {
    let pick = -1;
    row.forEach((c, j) => {
      if (!used.has(j) && c !== Infinity && (pick < 0 || c < row[pick])) pick = j;
    });
    if (pick >= 0) used.add(pick);
    return pick;
  });
}

const matrix = (maxN: number, withInf: boolean) =>
  fc
    .tuple(fc.integer({ min: 1, max: maxN }), fc.integer({ min: 1, max: maxN }))
    .chain(([n, m]) =>
      fc.array(
        fc.array(withInf ? fc.oneof({ arbitrary: fc.integer({ min: 0, max: 100 }), weight: 4 }, { arbitrary: fc.constant(Infinity), weight: 1 }) : fc.integer({ min: -20, max: 100 }), {
          minLength: m,
          maxLength: m,
        }),
        { minLength: n, maxLength: n },
      ),
    );

describe('hungarian', () => {
  it('solves known matrices', () => {
    const a = [
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ];
    expect(total(a, hungarian(a))).toBe(5);
    const b = [
      [9, 2, 7, 8],
      [6, 4, 3, 7],
      [5, 8, 1, 8],
      [7, 6, 9, 4],
    ];
    expect(hungarian(b)).toEqual([1, 0, 2, 3]);
    expect(total(b, hungarian(b))).toBe(13);
  });

  it('handles rectangular matrices both ways', () => {
    const wide = [
      [10, 3, 7],
      [4, 9, 2],
    ];
    expect(hungarian(wide)).toEqual([1, 2]);
    const tall = [
      [10, 4],
      [3, 9],
      [7, 2],
    ];
    const cols = hungarian(tall);
    expect(cols).toEqual([-1, 0, 1]);
    expect(hungarian([])).toEqual([]);
    expect(hungarian([[], []])).toEqual([-1, -1]);
  });

  it('never assigns a forbidden pair', () => {
    const c = [
      [Infinity, 1],
      [Infinity, 2],
    ];
    const cols = hungarian(c);
    expectValid(c, cols);
    expect(cols).toEqual([1, -1]);
    // a cheap forbidden-free swap is preferred over leaving a row out
    const d = [
      [1, 5],
      [Infinity, 1],
    ];
    expect(hungarian(d)).toEqual([0, 1]);
    expect(hungarian([[Infinity]])).toEqual([-1]);
    expect(() => hungarian([[1, 2], [3]])).toThrow(RangeError);
    expect(() => hungarian([[NaN]])).toThrow(RangeError);
  });

  it('is a valid assignment no worse than greedy or random permutations, and optimal (brute force) for n ≤ 6', () => {
    fc.assert(
      fc.property(matrix(6, false), fc.array(fc.integer({ min: 0, max: 1e9 }), { maxLength: 5 }), (cost, seeds) => {
        const cols = hungarian(cost);
        expectValid(cost, cols);
        const n = cost.length;
        const m = cost[0].length;
        expect(cols.filter((c) => c >= 0)).toHaveLength(Math.min(n, m));
        const t = total(cost, cols);
        if (n <= m) expect(t).toBeLessThanOrEqual(total(cost, greedy(cost)));
        for (const seed of seeds) {
          // a pseudo-random injective assignment (Fisher–Yates on the columns, rows take them in order)
          const perm = Array.from({ length: m }, (_, j) => j);
          let s = seed;
          for (let j = m - 1; j > 0; j--) {
            s = (s * 1103515245 + 12345) % 2147483648;
            const r = s % (j + 1);
            [perm[j], perm[r]] = [perm[r], perm[j]];
          }
          const randomCols = cost.map((_, i) => (i < m ? perm[i] : -1));
          if (n <= m) expect(t).toBeLessThanOrEqual(total(cost, randomCols));
        }
        expect(t).toBe(bruteForce(cost).cost);
      }),
      { numRuns: 300 },
    );
  });

  it('with forbidden pairs: as many assignments as possible, then least cost (brute force)', () => {
    fc.assert(
      fc.property(matrix(6, true), (cost) => {
        const cols = hungarian(cost);
        expectValid(cost, cols);
        const best = bruteForce(cost);
        expect(cols.filter((c) => c >= 0)).toHaveLength(best.pairs);
        expect(total(cost, cols)).toBe(best.cost);
      }),
      { numRuns: 300 },
    );
  });

  it('is optimal on fractional costs too', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) =>
          fc.array(fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
        ),
        (cost) => {
          const cols = hungarian(cost);
          expectValid(cost, cols);
          expect(total(cost, cols)).toBeCloseTo(bruteForce(cost).cost, 6);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('assignGuards', () => {
  it('gives the most severe incident the nearest guard when two compete for one close guard', () => {
    // Both incidents on the sales floor; g-near is close to both, g-far is at the loading dock.
    const gs = [guard('g-near', [15, 15]), guard('g-far', [52, 20])];
    const incidents = [
      { id: 'minor', target: [14, 16] as [number, number], severity: 20 },
      { id: 'major', target: [16, 14] as [number, number], severity: 90 },
    ];
    const out = assignGuards(store, incidents, gs, FRI_NOON);
    expect(out.map((o) => [o.incidentId, o.guardId])).toEqual([
      ['minor', 'g-far'],
      ['major', 'g-near'],
    ]);
    const major = out[1];
    expect(major.metres).toBeCloseTo(Math.SQRT2, 9);
    expect(major.etaSeconds).toBeCloseTo(Math.SQRT2 / 1.4, 9);
    // Swapping severities swaps the guards.
    const swapped = assignGuards(store, incidents.map((i) => ({ ...i, severity: 110 - i.severity })), gs, FRI_NOON);
    expect(swapped.map((o) => o.guardId)).toEqual(['g-near', 'g-far']);
  });

  it('with more incidents than guards serves the most severe and explains the rest', () => {
    const gs = [guard('g1', [15, 15]), guard('g2', [40, 15])];
    const incidents = [
      { id: 'low', target: [15, 16] as [number, number], severity: 10 }, // right next to g1
      { id: 'high', target: [50, 20] as [number, number], severity: 80 },
      { id: 'crit', target: [5, 20] as [number, number], severity: 95 },
    ];
    const out = assignGuards(store, incidents, gs, FRI_NOON);
    const byId = Object.fromEntries(out.map((o) => [o.incidentId, o]));
    expect(byId.low.guardId).toBeUndefined();
    expect(byId.low.reason).toMatch(/assigned to more severe/);
    expect(byId.crit.guardId).toBe('g1');
    expect(byId.high.guardId).toBe('g2');
  });

  it('property: the least severe incidents are the ones left unserved, guards used once', () => {
    const pt = fc.tuple(fc.integer({ min: 0, max: 54 }), fc.integer({ min: 0, max: 25 })) as fc.Arbitrary<[number, number]>;
    fc.assert(
      fc.property(
        fc.array(pt, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(pt, fc.integer({ min: 0, max: 100 })), { minLength: 1, maxLength: 7 }),
        (gpos, incs) => {
          const gs = gpos.map((p, i) => guard(`g${i}`, p));
          const incidents = incs.map(([target, severity], i) => ({ id: `i${i}`, target, severity }));
          const out = assignGuards(store, incidents, gs, FRI_NOON);
          const served = out.filter((o) => o.guardId);
          expect(served).toHaveLength(Math.min(gs.length, incidents.length));
          expect(new Set(served.map((o) => o.guardId)).size).toBe(served.length);
          const sev = new Map(incidents.map((i) => [i.id, i.severity]));
          const minServed = Math.min(...served.map((o) => sev.get(o.incidentId)!));
          for (const o of out) if (!o.guardId) expect(sev.get(o.incidentId)!).toBeLessThanOrEqual(minServed);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reports why when no guard qualifies', () => {
    const out = assignGuards(store, [{ id: 'x', target: [1, 1], severity: 50 }], [guard('g', [1, 1], { status: 'assigned' })], FRI_NOON);
    expect(out).toEqual([{ incidentId: 'x', reason: 'no guard available: 1 guard already assigned' }]);
  });
});

describe('checkpointRoute', () => {
  it('visits every zone once, starting from the nearest', () => {
    const zones = ['loading-dock', 'entrance', 'cash-office', 'stockroom', 'sales-floor', 'back-hall'];
    const route = checkpointRoute(store, [...zones, 'entrance', 'no-such-zone'], [3, 3]);
    expect(route.map((r) => r.zone).sort()).toEqual([...zones].sort());
    expect(route[0].zone).toBe('entrance');
    for (const r of route) expect(zoneOfPoint(store, r.point)).toBe(r.zone);
  });

  it('property: every requested zone exactly once, never longer than its own reverse', () => {
    const ids = [...dc.zones.keys()];
    fc.assert(
      fc.property(fc.subarray(ids, { minLength: 1 }), fc.constantFrom<[number, number]>([40, 10], [70, 60], [5, 75]), (zs, start) => {
        const route = checkpointRoute(dc, zs, start);
        expect(route.map((r) => r.zone).sort()).toEqual([...zs].sort());
        const len = (pts: [number, number][]) => pts.slice(1).reduce((s, p, i) => s + walkingDistance(dc, pts[i], p).metres, 0);
        const routeLen = len([start, ...route.map((r) => r.point)]);
        // reversing the whole route is one 2-opt move, so a 2-opt local optimum is never longer than its reverse
        expect(routeLen).toBeLessThanOrEqual(len([start, ...route.map((r) => r.point).reverse()]) + 1e-6);
      }),
      { numRuns: 50 },
    );
  });

  it('returns an empty route for no zones', () => {
    expect(checkpointRoute(hq, [], [0, 0])).toEqual([]);
  });
});
