/**
 * "Decided" and "delivered" in the workflow view. A notifying step is done once it has decided
 * who to tell and queued the messages (decided); the messages are delivered later by the outbox,
 * with retries. So a step is delivered only when every notification it queued was delivered, and
 * its pending deliveries (amber) and failures (red, with the last error) are shown with it.
 */
import type { Incident } from '../model.js';

type Notification = Incident['notifications'][number];

/** The notification kinds (before the ':band' suffix) each step queues. */
export const STEP_KINDS: Readonly<Record<string, readonly string[]>> = {
  // Escalations (response monitor) are later alerts of their own, shown in the notifications list.
  'send-emergency-sms': ['emergency'],
  'notify-management': ['management', 'executive', 'webhook'],
  'assign-guard-patrol': ['patrol'],
  'create-investigation-task': ['task-assigned'],
};

/** How far a notification got: delivered, still on its way, failed, or no longer needed. */
export type DeliveryState = 'delivered' | 'pending' | 'failed' | 'cancelled';

/** The delivery state of a notification status (store/notifications.ts statuses). */
export function deliveryOf(status: string): DeliveryState {
  if (status === 'sent' || status === 'acknowledged' || status === 'folded_sent') return 'delivered';
  if (status === 'failed') return 'failed';
  if (status === 'cancelled') return 'cancelled';
  return 'pending'; // queued, sending, folded (waiting in a digest)
}

/** The deliveries of one step. */
export interface StepDelivery {
  total: number;
  delivered: number;
  pending: Notification[];
  failed: Notification[];
  /** True when the step queued messages and every one that is still needed was delivered. */
  allDelivered: boolean;
}

/** The notifications of `step`, counted by delivery state; null for a step that sends nothing. */
export function stepDelivery(step: string, notifications: readonly Notification[]): StepDelivery | null {
  const kinds = STEP_KINDS[step];
  if (!kinds) return null;
  const mine = notifications.filter((n) => kinds.includes(String(n.kind).split(':')[0]));
  const pending = mine.filter((n) => deliveryOf(n.status) === 'pending');
  const failed = mine.filter((n) => deliveryOf(n.status) === 'failed');
  const delivered = mine.filter((n) => deliveryOf(n.status) === 'delivered').length;
  return { total: mine.length, delivered, pending, failed, allDelivered: mine.length > 0 && pending.length === 0 && failed.length === 0 && delivered > 0 };
}

/** The last error of a notification: its error, else the detail of its last failed attempt. */
export function lastError(n: Notification): string | null {
  if (n.error) return n.error;
  const h = [...(n.history ?? [])].reverse().find((a) => a.outcome !== 'sent' && a.detail);
  return h?.detail ?? null;
}
