import { describe, expect, it } from 'vitest';
import { incidentSla, type SlaPolicy } from './sla.js';

const policy: SlaPolicy = {
  acknowledgeMinutes: { low: 240, medium: 60, high: 15, critical: 5 },
  resolveHours: { low: 168, medium: 72, high: 24, critical: 8 },
};
const opened = '2026-11-20T07:00:00.000Z';
const base = { openedAt: opened, acknowledgedAt: null, resolvedAt: null };

describe('incidentSla', () => {
  it('counts both deadlines from the opening, by band', () => {
    const s = incidentSla(policy, { ...base, band: 'critical' }, new Date('2026-11-20T07:01:00Z'));
    expect(s.ackDueAt).toBe('2026-11-20T07:05:00.000Z');
    expect(s.resolveDueAt).toBe('2026-11-20T15:00:00.000Z');
    expect(s).toMatchObject({ ackSla: 'running', resolveSla: 'running' });
    expect(incidentSla(policy, { ...base, band: 'low' }, new Date(opened)).ackDueAt).toBe('2026-11-20T11:00:00.000Z');
  });
  it('is overdue past the deadline while not done, met or missed once done', () => {
    const late = new Date('2026-11-20T07:06:00Z');
    expect(incidentSla(policy, { ...base, band: 'critical' }, late).ackSla).toBe('overdue');
    expect(incidentSla(policy, { ...base, band: 'critical', acknowledgedAt: '2026-11-20T07:04:00Z' }, late).ackSla).toBe('met');
    expect(incidentSla(policy, { ...base, band: 'critical', acknowledgedAt: '2026-11-20T07:05:30Z' }, late).ackSla).toBe('missed');
  });
  it('takes a resolution without acknowledgement as the acknowledgement', () => {
    const s = incidentSla(policy, { ...base, band: 'high', resolvedAt: '2026-11-20T07:10:00Z' }, new Date('2026-11-21T00:00:00Z'));
    expect(s).toMatchObject({ ackSla: 'met', resolveSla: 'met' });
  });
  it('a higher band never has a later deadline', () => {
    const order = ['low', 'medium', 'high', 'critical'];
    const due = order.map((band) => Date.parse(incidentSla(policy, { ...base, band }, new Date(opened)).ackDueAt));
    for (let i = 1; i < due.length; i++) expect(due[i]).toBeLessThanOrEqual(due[i - 1]);
  });
});
