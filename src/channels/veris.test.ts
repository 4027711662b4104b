import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../config/loader.js';
import { buildOrgModel } from '../domain/site-model.js';
import type { IncidentDetail } from '../store/read/incidents.js';
import { masterId, toVeris } from './veris.js';

const org = buildOrgModel(loadDemoConfig());

/** A minimal incident read model (what GET /api/v1/incidents/{id} answers). */
function incident(over: Partial<IncidentDetail> = {}): IncidentDetail {
  return {
    id: 'inc-abc-1',
    site: 'store-101',
    zone: 'stockroom',
    zones: ['stockroom'],
    type: 'theft',
    status: 'open',
    openedAt: '2026-11-20T05:00:00.000Z',
    firstEventAt: '2026-11-20T05:00:00.000Z',
    lastEventAt: '2026-11-20T05:00:00.000Z',
    updatedAt: '2026-11-20T05:00:00.000Z',
    eventCount: 1,
    sources: ['alarm'],
    acknowledgedAt: null,
    acknowledgedBy: null,
    assignee: null,
    assignedAt: null,
    resolvedAt: null,
    resolvedBy: null,
    severity: { score: 70, band: 'high', policyVersion: 'p', factors: [] },
    severityHistory: [],
    loss: { currency: 'USD', replacement: '100.10', downtime: '0.00', fines: '0.00', remediation: '250.00', recovered: '50.00', gross: '350.10', net: '300.10', items: [] },
    events: [],
    assets: [{ id: 'stock-101-high-value', status: 'under_investigation', name: 'High-value stock shelving', category: 'merchandise', relation: 'named' }],
    adjacentHighRisk: [],
    workflow: [],
    notifications: [],
    patrols: [],
    tasks: [],
    accessFindings: [],
    equipmentFindings: [],
    resolution: null,
    outcome: null,
    notes: [{ seq: 1, at: '2026-11-20T05:10:00.000Z', author: 'lead', kind: 'note', text: 'Alex saw it' }],
    version: 1,
    ...over,
  };
}

describe('VERIS export', () => {
  it('writes the local date and a 12-hour time in the site zone (midnight and noon included)', () => {
    // 05:00Z is 00:00 in New York (EST): the local date is the 20th, 12 AM.
    expect(toVeris(incident(), org).timeline.incident).toEqual({ year: 2026, month: 11, day: 20, time: '12:00:00 AM' });
    expect(toVeris(incident({ firstEventAt: '2026-11-20T17:30:09.000Z' }), org).timeline.incident.time).toBe('12:30:09 PM');
    // 03:59Z on the 1st is still the previous day locally.
    expect(toVeris(incident({ firstEventAt: '2026-12-01T03:59:00.000Z' }), org).timeline.incident).toEqual({ year: 2026, month: 11, day: 30, time: '10:59:00 PM' });
  });

  it('writes amounts from the exact decimals, one loss item per non-zero part', () => {
    const v = toVeris(incident(), org);
    expect(v.impact).toEqual({
      overall_rating: 'Painful',
      iso_currency_code: 'USD',
      overall_amount: 300.1,
      loss: [
        { variety: 'Asset and fraud', amount: 100.1 },
        { variety: 'Response and recovery', amount: 250 },
      ],
      notes: 'gross 350.10, recovered 50.00, net 300.10 USD',
    });
  });

  it('maps a theft in a work area, its actor and attribute, and leaves case notes out', () => {
    const v = toVeris(incident(), org);
    expect(v.action).toEqual({ physical: { variety: ['Theft'], vector: ['Victim work area'] } });
    expect(v.actor).toEqual({ external: { variety: ['Unknown'], motive: ['Financial'] } });
    expect(v.attribute).toEqual({ availability: { variety: ['Loss'] } });
    expect(v.asset.assets).toEqual([{ variety: 'Other', amount: 1 }]);
    expect(JSON.stringify(v)).not.toContain('Alex saw it');
    expect(v.security_incident).toBe('Suspected');
  });

  it('takes the outcome into security_incident, confidence and rating', () => {
    expect(toVeris(incident({ outcome: 'false_alarm' }), org)).toMatchObject({ security_incident: 'False positive', confidence: 'High', impact: { overall_rating: 'Insignificant' } });
    expect(toVeris(incident({ outcome: 'no_loss' }), org).security_incident).toBe('Near miss');
    expect(toVeris(incident({ outcome: 'recovered' }), org).security_incident).toBe('Confirmed');
    expect(toVeris(incident({ sources: ['alarm', 'cctv'] }), org).confidence).toBe('Medium');
  });

  it('derives a stable version-4 UUID from the incident id', () => {
    expect(masterId('inc-abc-1')).toBe(masterId('inc-abc-1'));
    expect(masterId('inc-abc-1')).not.toBe(masterId('inc-abc-2'));
    expect(masterId('inc-abc-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
