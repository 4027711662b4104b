import { describe, expect, it } from 'vitest';
import { createMetrics, shedByReason, shedSince } from './metrics.js';

describe('shed counts by budget', () => {
  it('reads the refusals by budget and takes the difference, leaving out budgets that refused nothing new', async () => {
    const m = createMetrics(false);
    m.ingestShed.inc({ reason: 'busy' });
    const before = await shedByReason(m);
    expect(before).toEqual({ busy: 1 });
    m.ingestShed.inc({ reason: 'busy' }, 2);
    m.ingestShed.inc({ reason: 'delay' });
    const after = await shedByReason(m);
    expect(after).toEqual({ busy: 3, delay: 1 });
    expect(shedSince(before, after)).toEqual({ busy: 2, delay: 1 });
    expect(shedSince(after, after)).toEqual({});
  });
});
