import { describe, expect, it } from 'vitest';
import { referenceProblems } from '../../test/helpers/sim-checks.js';
import { parseConfig } from '../config/loader.js';
import { validateEvent } from '../sources/event-input.js';
import { inventChain } from './invent-chain.js';
import { simulateEvents } from './stream.js';

const MONDAY = new Date('2026-11-16T00:00:00Z');
const DAY = 86_400_000;

describe('inventChain', () => {
  it('invents a valid 50-site chain across time zones, deterministically', () => {
    const doc = inventChain(50, 7);
    expect(inventChain(50, 7)).toEqual(doc);
    expect(inventChain(50, 8)).not.toEqual(doc);
    const cfg = parseConfig(JSON.parse(JSON.stringify(doc)));
    expect(cfg.sites).toHaveLength(50);
    expect(new Set(cfg.sites.map((s) => s.timezone)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(cfg.sites.map((s) => s.kind))).toEqual(new Set(['store', 'warehouse', 'office']));
    for (const s of cfg.sites) {
      expect(cfg.contacts.some((c) => c.role === 'security_lead' && c.sites.includes(s.id))).toBe(true);
    }
    const evs = simulateEvents(cfg, { seed: 7, start: MONDAY, end: new Date(MONDAY.getTime() + DAY), ratePerSiteMinute: 0.5 });
    expect(new Set(evs.map((e) => e.site)).size).toBe(50);
    for (const ev of evs) {
      expect(validateEvent(ev, '').problems).toEqual([]);
      expect(referenceProblems(cfg, ev)).toEqual([]);
    }
  });

  it('refuses a non-positive size', () => {
    expect(() => inventChain(0, 1)).toThrow(RangeError);
  });
});
