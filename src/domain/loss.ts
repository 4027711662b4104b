/**
 * Step 4: the loss value impact of an incident, itemised in exact money.
 *
 *   replacement = sum(asset value x replacementShare[type]) over assets named in events
 *               + money amounts carried by events (POS voids/refunds, EAS merchandise, shrink)
 *   downtime    = downtimeHours[type] x the site's hourlyOperatingCost
 *   fines       = sensitive-data fine (once) + regulated-category fines (once per category),
 *                 only for incident types in policy.loss.fines.appliesTo
 *   remediation = remediation[type]
 *   gross       = replacement + downtime + fines + remediation
 *   recovered   = recoveries reported by events, capped at gross
 *   net         = gross - recovered  (exactly)
 *
 * Only assets named in an event count for replacement: an asset merely standing in the zone was
 * exposed, not lost. Amounts in another currency than the organisation's are listed at 0 with a
 * note rather than converted at an invented rate.
 */
import type { Policy } from '../config/schema.js';
import { fromMinor, mulMinor, toMinor } from './money.js';
import type { IncidentType, Loss, LossItem, Money } from './types.js';

export interface LossInput {
  incidentType: IncidentType;
  currency: string;
  hourlyOperatingCost: string;
  /** Assets the incident touches; `named` when an event names the asset explicitly. */
  assets: { id: string; name: string; value: string; category: string; sensitiveData: boolean; named: boolean }[];
  /** Money carried by events, summed per event type (e.g. void: 3 events, "187.20"). */
  eventAmounts: { type: string; count: number; amount: Money }[];
  /** Recoveries reported by events (merchandise recovered at the gate, restitution). */
  recoveries: { description: string; amount: Money }[];
}

/** Computes the itemised loss. Pure and deterministic. */
export function computeLoss(input: LossInput, policy: Policy): Loss {
  const cur = input.currency;
  const L = policy.loss;
  const items: LossItem[] = [];
  const add = (kind: LossItem['kind'], minor: bigint, description: string, assetId?: string) => {
    items.push({ kind, amount: fromMinor(minor, cur), description, ...(assetId ? { assetId } : {}) });
    return minor;
  };

  let replacement = 0n;
  const share = L.replacementShare[input.incidentType];
  for (const a of input.assets) {
    if (!a.named) continue;
    const m = mulMinor(toMinor(a.value, cur), share);
    if (m > 0n) replacement += add('replacement', m, `${a.name} (${share} x ${a.value})`, a.id);
  }
  for (const e of input.eventAmounts) {
    if (e.amount.currency !== cur) {
      add('replacement', 0n, `${e.count} ${e.type} event(s) worth ${e.amount.currency} ${e.amount.value}: not converted to ${cur}`);
      continue;
    }
    const m = toMinor(e.amount.value, cur);
    const abs = m < 0n ? -m : m;
    if (abs > 0n) replacement += add('replacement', abs, `${e.count} ${e.type} event(s)`);
  }

  const hours = L.downtimeHours[input.incidentType];
  const downtime = mulMinor(toMinor(input.hourlyOperatingCost, cur), hours);
  if (downtime > 0n) add('downtime', downtime, `${hours} h x ${input.hourlyOperatingCost} per hour`);

  let fines = 0n;
  if (L.fines.appliesTo.includes(input.incidentType)) {
    const sensitive = input.assets.find((a) => a.sensitiveData);
    if (sensitive) fines += add('fines', toMinor(L.fines.sensitiveDataBreach, cur), `sensitive data exposed (${sensitive.name})`, sensitive.id);
    const seen = new Set<string>();
    for (const a of input.assets) {
      const fine = L.fines.regulatedCategories[a.category];
      if (fine === undefined || seen.has(a.category)) continue;
      seen.add(a.category);
      fines += add('fines', toMinor(fine, cur), `regulated goods: ${a.category}`, a.id);
    }
  }

  const remediation = toMinor(L.remediation[input.incidentType], cur);
  if (remediation > 0n) add('remediation', remediation, `standard remediation for ${input.incidentType}`);

  const gross = replacement + downtime + fines + remediation;
  // Recoveries are capped at gross, and so are their items: the itemised list always adds up.
  let recovered = 0n;
  for (const r of input.recoveries) {
    if (r.amount.currency !== cur) continue;
    const m = toMinor(r.amount.value, cur);
    const room = gross - recovered;
    const take = m > room ? room : m;
    if (take > 0n) {
      recovered += take;
      items.push({ kind: 'recovered', amount: fromMinor(take, cur), description: take < m ? `${r.description} (capped at the gross loss)` : r.description });
    }
  }
  const net = gross - recovered;
  return {
    currency: cur,
    replacement: fromMinor(replacement, cur),
    downtime: fromMinor(downtime, cur),
    fines: fromMinor(fines, cur),
    remediation: fromMinor(remediation, cur),
    recovered: fromMinor(recovered, cur),
    gross: fromMinor(gross, cur),
    net: fromMinor(net, cur),
    items,
    executiveEscalation: net > toMinor(L.executiveThreshold, cur),
  };
}
