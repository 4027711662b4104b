import { describe, expect, it } from 'vitest';
import { referenceProblems } from '../../test/helpers/sim-checks.js';
import { loadDemoConfig } from '../config/loader.js';
import { validateEvent } from '../sources/event-input.js';
import { demoScenarioBurst } from './scenarios.js';

const demo = loadDemoConfig();

describe('demoScenarioBurst', () => {
  const at = new Date('2026-11-20T14:03:27.250Z');
  const burst = demoScenarioBurst(demo, at, 42);

  it('forces the store-101 cash office door naming safe-1, with an intrusion alarm and a POS void spree, right after `at`', () => {
    const door = burst.find((e) => e.type === 'door_forced');
    expect(door).toMatchObject({ site: 'store-101', zone: 'cash-office', device: 'cr-101-co' });
    expect(door!.assets).toContain('safe-1');
    expect(burst.some((e) => e.type === 'intrusion' && e.site === 'store-101' && e.zone === 'cash-office')).toBe(true);
    const pos = burst.filter((e) => e.source === 'pos');
    expect(pos.length).toBeGreaterThanOrEqual(4);
    expect(new Set(pos.map((e) => e.device)).size).toBe(1);
    expect(pos.every((e) => e.amount && (e.type === 'void' || e.type === 'refund'))).toBe(true);
    for (const ev of burst) {
      const t = Date.parse(ev.occurredAt);
      expect(t).toBeGreaterThanOrEqual(at.getTime());
      expect(t).toBeLessThan(at.getTime() + 5 * 60_000);
      expect(validateEvent(ev, '').problems).toEqual([]);
      expect(referenceProblems(demo, ev)).toEqual([]);
    }
    expect(new Set(burst.map((e) => e.sourceEventId)).size).toBe(burst.length);
    expect(burst.map((e) => e.occurredAt)).toEqual([...burst.map((e) => e.occurredAt)].sort());
    expect(demoScenarioBurst(demo, at, 42)).toEqual(burst);
    // Another start gives other ids, so a restarted demo is not deduplicated away.
    const later = demoScenarioBurst(demo, new Date(at.getTime() + 60_000), 42);
    expect(later.some((e) => burst.some((b) => b.sourceEventId === e.sourceEventId))).toBe(false);
  });
});
