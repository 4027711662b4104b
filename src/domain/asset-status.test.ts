import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../config/loader.js';
import { assessIncident, foldEvent, newAggregate } from './assessment.js';
import {
  allowedAssetStatuses,
  ASSET_STATUSES,
  ASSET_TRANSITIONS,
  assetRecovery,
  assetTransition,
  canMove,
  planAssetStatus,
  type AssetStatus,
  type AssetStatusPlanInput,
  type AssetStatusRule,
} from './asset-status.js';
import { ConflictError } from './errors.js';
import { toMinor } from './money.js';
import { buildOrgModel } from './site-model.js';
import { reachableFrom } from './transition-table.js';

/** Every legal move, written out by hand (the table must say exactly this). */
const LEGAL: Record<AssetStatus, AssetStatus[]> = {
  active: ['under_investigation', 'restricted_access', 'decommissioned'],
  under_investigation: ['active', 'restricted_access', 'decommissioned', 'recovered'],
  restricted_access: ['active', 'under_investigation', 'decommissioned'],
  decommissioned: [],
  recovered: ['active', 'under_investigation', 'restricted_access', 'decommissioned'],
};

function refusal(f: () => unknown): ConflictError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConflictError) return e;
    throw e;
  }
  throw new Error('expected a ConflictError');
}

describe('asset status lifecycle', () => {
  const pairs = ASSET_STATUSES.flatMap((from) => ASSET_STATUSES.map((to) => [from, to] as const));

  it('has 25 (from, to) pairs, 14 legal', () => {
    expect(pairs).toHaveLength(25);
    expect(pairs.filter(([f, t]) => canMove(f, t))).toHaveLength(14);
  });

  it.each(pairs)('%s -> %s is legal exactly when the hand-written list says so', (from, to) => {
    const legal = LEGAL[from].includes(to);
    expect(canMove(from, to)).toBe(legal);
    if (legal) {
      const action = assetTransition(from, to, 'asset a-1');
      expect(ASSET_TRANSITIONS[action].to).toBe(to);
      expect(ASSET_TRANSITIONS[action].from).toContain(from);
    } else {
      const e = refusal(() => assetTransition(from, to, 'asset a-1'));
      // The refusal lists what is allowed from the current status, in the message and in `allowed`.
      expect(e.allowed).toEqual(LEGAL[from]);
      expect(e.message).toContain(`allowed from ${from}: ${LEGAL[from].length > 0 ? LEGAL[from].join(', ') : 'none'}`);
      expect(e.message).toContain('asset a-1');
      if (from === to) expect(e.message).toContain(`already ${from}`);
    }
  });

  it('lists the allowed statuses in status order', () => {
    for (const s of ASSET_STATUSES) expect(allowedAssetStatuses(s)).toEqual(ASSET_STATUSES.filter((t) => LEGAL[s].includes(t)));
    expect(allowedAssetStatuses('nonsense')).toEqual([]);
  });

  it('reaches every status from active; decommissioned is final', () => {
    expect(reachableFrom(ASSET_TRANSITIONS, ['active']).sort()).toEqual([...ASSET_STATUSES].sort());
    expect(reachableFrom(ASSET_TRANSITIONS, ['decommissioned'])).toEqual(['decommissioned']);
  });

  it('describes a recovery with the asset and the change, in minor units', () => {
    expect(assetRecovery({ id: 'safe-1', name: 'Cash safe' }, 7, { minor: 45050n, currency: 'USD' })).toEqual({
      description: 'Cash safe (safe-1) recovered, asset status change #7',
      currency: 'USD',
      minor: '45050',
    });
  });
});

describe('asset status policy rule', () => {
  const rules = loadDemoConfig().policy.assetStatus.rules as AssetStatusRule[];
  const base = (over: Partial<AssetStatusPlanInput>): AssetStatusPlanInput => ({
    incidentId: 'inc-1',
    type: 'theft',
    zones: ['sales-floor'],
    restrictedZones: new Set(['cash-office', 'stockroom']),
    assets: [],
    ...over,
  });

  it('puts a stolen asset under investigation, not the ones merely standing near it', () => {
    const plan = planAssetStatus(
      base({
        assets: [
          { id: 'tv-1', zone: 'sales-floor', relation: 'named', status: 'active' },
          { id: 'tv-2', zone: 'sales-floor', relation: 'zone', status: 'active' },
        ],
      }),
      rules,
    );
    expect(plan.changes).toEqual([{ assetId: 'tv-1', from: 'active', to: 'under_investigation', rule: 'theft', reason: expect.stringContaining('theft incident inc-1, asset named in its events') }]);
    expect(plan.unchanged).toEqual([]);
  });

  it('restricts the assets of a breached restricted zone, not those of an unrestricted zone or one the incident did not enter', () => {
    const plan = planAssetStatus(
      base({
        type: 'unauthorized_entry',
        zones: ['cash-office', 'sales-floor'],
        assets: [
          { id: 'safe-1', zone: 'cash-office', relation: 'zone', status: 'active' },
          { id: 'tv-1', zone: 'sales-floor', relation: 'zone', status: 'active' },
          { id: 'server-1', zone: 'stockroom', relation: 'reach', status: 'active' },
        ],
      }),
      rules,
    );
    expect(plan.changes.map((c) => [c.assetId, c.to, c.rule])).toEqual([['safe-1', 'restricted_access', 'restricted-breach']]);
    expect(plan.changes[0].reason).toContain('restricted zone cash-office breached');
  });

  it('a theft in a restricted zone: the stolen asset under investigation (first rule), the rest restricted', () => {
    const plan = planAssetStatus(
      base({
        zones: ['cash-office'],
        assets: [
          { id: 'safe-1', zone: 'cash-office', relation: 'named', status: 'active' },
          { id: 'drawer-1', zone: 'cash-office', relation: 'zone', status: 'active' },
        ],
      }),
      rules,
    );
    expect(plan.changes.map((c) => [c.assetId, c.to])).toEqual([
      ['safe-1', 'under_investigation'],
      ['drawer-1', 'restricted_access'],
    ]);
  });

  it('leaves assets already in the status, and ones the lifecycle cannot move, with the reason', () => {
    const plan = planAssetStatus(
      base({
        assets: [
          { id: 'tv-1', zone: 'sales-floor', relation: 'named', status: 'under_investigation' },
          { id: 'tv-2', zone: 'sales-floor', relation: 'named', status: 'decommissioned' },
          { id: 'tv-3', zone: 'sales-floor', relation: 'named', status: 'recovered' },
        ],
      }),
      rules,
    );
    expect(plan.changes.map((c) => [c.assetId, c.from, c.to])).toEqual([['tv-3', 'recovered', 'under_investigation']]);
    expect(plan.unchanged).toEqual([
      { assetId: 'tv-1', rule: 'theft', reason: 'already under_investigation' },
      { assetId: 'tv-2', rule: 'theft', reason: 'decommissioned -> under_investigation is not allowed (allowed: none)' },
    ]);
  });

  it('changes nothing for incident types no rule names (fraud, suspicious activity)', () => {
    for (const type of ['fraud', 'suspicious_activity'] as const) {
      const plan = planAssetStatus(base({ type, zones: ['cash-office'], assets: [{ id: 'safe-1', zone: 'cash-office', relation: 'named', status: 'active' }] }), rules);
      expect(plan).toEqual({ changes: [], unchanged: [] });
    }
  });
});

describe('a recovery as an input of the loss', () => {
  it('lowers the net loss by exactly the recovered amounts, capped at the gross, whatever the amounts', () => {
    const config = loadDemoConfig();
    const org = buildOrgModel(config);
    const event = { source: 'alarm' as const, type: 'eas_gate', occurredAt: '2026-11-20T20:00:00.000Z', site: 'store-101', zone: 'entrance', assets: ['display-101-electronics'], details: {} };
    const ctx = { devicesDown: new Set<string>(), priorIncidentsInZone: 0, assetRecentIncidents: new Map<string, number>() };
    const base = newAggregate(event, 'theft');
    foldEvent(base, event, org, config.policy, 'theft');
    const before = assessIncident(base, org, config.policy, ctx).loss;
    const gross = toMinor(before.gross, 'USD');
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 5_000_000n }), { maxLength: 6 }), (amounts) => {
        const agg = structuredClone(base);
        amounts.forEach((m, i) => agg.recoveries.push(assetRecovery({ id: 'display-101-electronics', name: 'Electronics display' }, i + 1, { minor: m, currency: 'USD' })));
        const loss = assessIncident(agg, org, config.policy, ctx).loss;
        const sum = amounts.reduce((a, b) => a + b, 0n);
        const recovered = sum > gross ? gross : sum;
        expect(loss.gross).toBe(before.gross);
        expect(toMinor(loss.recovered, 'USD')).toBe(recovered);
        expect(toMinor(loss.net, 'USD')).toBe(gross - recovered);
        const items = loss.items.filter((x) => x.kind === 'recovered').reduce((a, x) => a + toMinor(x.amount, 'USD'), 0n);
        expect(items).toBe(recovered);
      }),
      { numRuns: 200 },
    );
  });
});
