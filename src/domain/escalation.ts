/**
 * Escalation of an unacknowledged incident: who is alerted at each level. The tiers are policy
 * (policy.notify.escalation.tiers), so this is only the lookup; level 0 is the emergency SMS itself.
 */
import type { ContactRole, Policy } from '../config/schema.js';

/**
 * The contact roles alerted at escalation `level` (1, 2, ...): tiers[level - 1], the first tier for
 * level 0 and below, the last tier for every level past the end. Throws RangeError for a
 * non-integer level or a policy without tiers.
 */
export function escalationRoles(escalation: Pick<Policy['notify']['escalation'], 'tiers'>, level: number): ContactRole[] {
  if (!Number.isInteger(level)) throw new RangeError(`escalation level must be a whole number, got ${level}`);
  const { tiers } = escalation;
  if (tiers.length === 0) throw new RangeError('escalation policy has no tiers');
  const index = Math.min(Math.max(level, 1), tiers.length) - 1;
  return [...tiers[index]];
}
