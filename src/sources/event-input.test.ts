import { describe, expect, it } from 'vitest';
import { maxAmount, validateEvent } from './event-input.js';

const good = { source: 'alarm', type: 'intrusion', occurredAt: '2026-11-20T02:00:00-05:00', site: 'store-101' };
const refs = { zonesBySite: new Map([['store-101', new Set(['stockroom'])]]) };
const problemsOf = (raw: unknown) => validateEvent(raw, '', undefined, refs).problems;

describe('validateEvent limits', () => {
  it('bounds amounts by the store column, in each currency\'s digits, after rounding', () => {
    expect([maxAmount('USD'), maxAmount('JPY'), maxAmount('BHD')]).toEqual(['9999999999999999.99', '9999999999999999', '9999999999999999.999']);
    expect(problemsOf({ ...good, amount: { value: '9999999999999999.994', currency: 'USD' } })).toEqual([]);
    // Rounds half away from zero to 10^16: one past the column.
    expect(problemsOf({ ...good, amount: { value: '-9999999999999999.995', currency: 'USD' } })).toEqual([
      { path: 'amount.value', message: expect.stringMatching(/at most 9999999999999999\.99 \(16 digits before the point\)/) },
    ]);
  });

  it('knows the calendar: leap days, month lengths, hours and offsets', () => {
    expect(problemsOf({ ...good, occurredAt: '2024-02-29T00:00:00Z' })).toEqual([]);
    expect(problemsOf({ ...good, occurredAt: '2000-02-29T00:00:00Z' })).toEqual([]);
    for (const t of ['2023-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-00-10T00:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T00:00:00+24:00']) {
      expect(problemsOf({ ...good, occurredAt: t }), t).toEqual([{ path: 'occurredAt', message: expect.stringMatching(/^not a real date and time/) }]);
    }
  });

  it('checks every field on its own, references included, and names odd keys readably', () => {
    const p = problemsOf({ ...good, source: 'nope', occurredAt: '0999-01-01T00:00:00Z', site: 'store-9', zone: 'x', details: { 'a b': '\u0000', ok: ['\udfff'] } });
    expect(p.map((x) => x.path)).toEqual(['source', 'occurredAt', 'details["a b"]', 'details.ok[0]', 'site']);
    // A zone is checked only against a known site.
    expect(problemsOf({ ...good, zone: 'nowhere' })).toEqual([{ path: 'zone', message: 'unknown zone "nowhere" in site store-101' }]);
  });
});
