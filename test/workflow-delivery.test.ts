/**
 * The dashboard's "decided" vs "delivered" (web/src/views/workflow-delivery.ts): a notifying step
 * is delivered only when every message it queued reached its provider; pending and failed ones
 * are listed with their last error.
 */
import { describe, expect, it } from 'vitest';
import { deliveryOf, lastError, stepDelivery } from '../web/src/views/workflow-delivery.js';

type N = Parameters<typeof lastError>[0];
const n = (id: string, kind: string, status: string, extra: Partial<N> = {}): N =>
  ({ id, incidentId: 'inc-1', site: 'store-101', channel: 'sms', kind, level: 0, recipient: id, address: '+1555', subject: null, body: '', status, attempts: 1, error: null, providerId: null, digestId: null, createdAt: '', sentAt: null, acknowledgedAt: null, history: [], ...extra }) as N;

describe('workflow delivery', () => {
  it('maps every notification status to a delivery state', () => {
    expect(['sent', 'acknowledged', 'folded_sent'].map(deliveryOf)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(['queued', 'sending', 'folded'].map(deliveryOf)).toEqual(['pending', 'pending', 'pending']);
    expect(deliveryOf('failed')).toBe('failed');
    expect(deliveryOf('cancelled')).toBe('cancelled');
  });

  it('counts a step as delivered only when all its messages were delivered', () => {
    const all = [n('a', 'emergency:high', 'sent'), n('b', 'emergency:high', 'acknowledged'), n('m', 'management:high', 'queued')];
    expect(stepDelivery('send-emergency-sms', all)).toMatchObject({ total: 2, delivered: 2, allDelivered: true, pending: [], failed: [] });
    const mgmt = stepDelivery('notify-management', all)!;
    expect(mgmt).toMatchObject({ total: 1, delivered: 0, allDelivered: false });
    expect(mgmt.pending.map((x) => x.id)).toEqual(['m']);
    const failing = stepDelivery('send-emergency-sms', [n('a', 'emergency:high', 'sent'), n('b', 'emergency:critical', 'failed', { error: 'SMS provider refused the message (400)' })])!;
    expect(failing.allDelivered).toBe(false);
    expect(failing.failed.map(lastError)).toEqual(['SMS provider refused the message (400)']);
    // Steps that send nothing, and steps that have sent nothing yet.
    expect(stepDelivery('calculate-severity', all)).toBeNull();
    expect(stepDelivery('assign-guard-patrol', all)).toMatchObject({ total: 0, allDelivered: false });
  });

  it('takes the last error from the attempt history when the notification has none', () => {
    const retrying = n('a', 'emergency:high', 'queued', {
      history: [
        { attempt: 1, startedAt: '', finishedAt: '', outcome: 'retry', detail: 'SMS provider unreachable: ECONNREFUSED' },
        { attempt: 2, startedAt: '', finishedAt: '', outcome: 'retry', detail: 'SMS provider answered 503' },
      ],
    });
    expect(lastError(retrying)).toBe('SMS provider answered 503');
    expect(lastError(n('b', 'emergency:high', 'sent'))).toBeNull();
  });
});
