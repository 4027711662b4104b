/** The VERIS checker itself: it refuses what the published 1.4.0 schema refuses (so passing means something). */
import { describe, expect, it } from 'vitest';
import { checkVeris } from './helpers/veris-schema.js';

const valid = () => ({
  schema_version: '1.4.0',
  incident_id: 'inc-1',
  security_incident: 'Confirmed',
  summary: 'x',
  timeline: { incident: { year: 2026, month: 11, day: 20, time: '02:14:00 AM' } },
  victim: { victim_id: 'v', industry: '44', country: ['US'], employee_count: 'Unknown', government: ['NA'] },
  action: { physical: { variety: ['Theft'], vector: ['Victim work area'] } },
  actor: { external: { variety: ['Unknown'], motive: ['Financial'] } },
  asset: { assets: [{ variety: 'Other', amount: 1 }], cloud: ['On-Premise Asset(s)'] },
  discovery_method: { internal: { variety: ['Security alarm'] } },
  impact: { overall_rating: 'Painful', iso_currency_code: 'USD', overall_amount: 850.5, loss: [{ variety: 'Asset and fraud', amount: 850.5 }] },
  plus: { master_id: 'm' },
});

describe('VERIS 1.4.0 checker', () => {
  it('accepts a valid record', () => {
    expect(checkVeris(valid())).toEqual([]);
  });

  it('finds missing required fields, unknown enumerations, bad bounds and stray keys, all at once', () => {
    const v: Record<string, unknown> & ReturnType<typeof valid> = valid();
    delete (v as Partial<typeof v>).summary;
    v.action.physical.variety = ['Stealing'];
    v.timeline.incident.month = 13;
    v.timeline.incident.time = '2:14 AM';
    v.victim.industry = '99';
    (v.asset as Record<string, unknown>).cloud = [];
    v.impact.iso_currency_code = 'XXX';
    (v.actor.external as Record<string, unknown>).motive = undefined;
    v.extra_field = 1;
    (v.action as Record<string, unknown>).physical = { ...v.action.physical, colour: 'red' };
    const problems = checkVeris(v);
    for (const p of ['summary: required', 'action.physical.variety', 'timeline.incident.month', 'timeline.incident.time', 'victim.industry', 'asset.cloud: expected at least one item', 'impact.iso_currency_code', 'actor.external.motive: required', 'extra_field', 'action.physical.colour']) {
      expect(problems.some((x) => x.startsWith(p)), `${p} in ${JSON.stringify(problems)}`).toBe(true);
    }
  });

  it('needs at least one action and one actor, and unique enumeration items', () => {
    const v = valid() as Record<string, unknown>;
    v.action = {};
    v.actor = { external: { variety: ['Unknown', 'Unknown'], motive: ['Financial'] } };
    const problems = checkVeris(v);
    expect(problems).toContain('action: expected an object with at least one property');
    expect(problems).toContain('actor.external.variety: expected unique items');
  });
});
