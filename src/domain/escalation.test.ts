import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, parseConfig } from '../config/loader.js';
import type { ContactRole } from '../config/schema.js';
import { escalationRoles } from './escalation.js';

describe('escalationRoles', () => {
  const tiers: ContactRole[][] = [['manager'], ['executive'], ['security_lead', 'rapid_response', 'manager', 'executive']];

  it('uses tiers[level - 1], the first tier up to level 1 and the last tier past the end', () => {
    expect(escalationRoles({ tiers }, 0)).toEqual(['manager']);
    expect(escalationRoles({ tiers }, 1)).toEqual(['manager']);
    expect(escalationRoles({ tiers }, 2)).toEqual(['executive']);
    expect(escalationRoles({ tiers }, 3)).toEqual(['security_lead', 'rapid_response', 'manager', 'executive']);
    expect(escalationRoles({ tiers }, 9)).toEqual(['security_lead', 'rapid_response', 'manager', 'executive']);
  });

  it('ships today\'s tiers in the default policy: managers, then executives, then everyone', () => {
    const esc = defaultPolicy().notify.escalation;
    expect(escalationRoles(esc, 1)).toEqual(['manager']);
    expect(escalationRoles(esc, 2)).toEqual(['executive']);
    for (const level of [3, 4, 10]) expect(escalationRoles(esc, level)).toEqual(['security_lead', 'rapid_response', 'manager', 'executive']);
  });

  it('always answers a tier of the policy, and a copy the caller may change', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 50 }), (level) => {
        const roles = escalationRoles({ tiers }, level);
        expect(tiers.some((t) => JSON.stringify(t) === JSON.stringify(roles))).toBe(true);
        roles.push('investigator');
        expect(escalationRoles({ tiers }, level)).not.toContain('investigator');
      }),
    );
  });

  it('refuses non-integer levels and empty tier lists', () => {
    expect(() => escalationRoles({ tiers }, 1.5)).toThrow(RangeError);
    expect(() => escalationRoles({ tiers }, Number.NaN)).toThrow(RangeError);
    expect(() => escalationRoles({ tiers: [] }, 1)).toThrow(RangeError);
  });
});

describe('policy.notify.escalation.tiers', () => {
  const base = {
    organization: { name: 'T', currency: 'USD', timezone: 'UTC' },
    sites: [{ id: 's1', name: 'S1', timezone: 'UTC', businessHours: { open: '08:00', close: '20:00' }, zones: [{ id: 'z1', name: 'Z1' }] }],
  };

  it('can be overridden by a configuration', () => {
    const config = parseConfig({ ...base, policy: { notify: { escalation: { tiers: [['security_lead'], ['executive', 'investigator']] } } } });
    expect(config.policy.notify.escalation.afterMinutes).toBe(5);
    expect(escalationRoles(config.policy.notify.escalation, 1)).toEqual(['security_lead']);
    expect(escalationRoles(config.policy.notify.escalation, 3)).toEqual(['executive', 'investigator']);
  });

  it('accepts only contact roles, and at least one tier of at least one role', () => {
    const problems = (tiers: unknown) => {
      try {
        parseConfig({ ...base, policy: { notify: { escalation: { tiers } } } });
        return [];
      } catch (e) {
        return ((e as { problems?: { path: string }[] }).problems ?? []).map((p) => p.path);
      }
    };
    expect(problems([['manager', 'janitor']])).toEqual(['policy.notify.escalation.tiers[0][1]']);
    expect(problems([])).toEqual(['policy.notify.escalation.tiers']);
    expect(problems([['manager'], []])).toEqual(['policy.notify.escalation.tiers[1]']);
  });
});
