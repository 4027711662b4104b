/**
 * The response workflow: the incident's steps in CONTRACT order (ids and titles from the declared
 * workflow), each with its journal status, times, attempts and the reason it was skipped or failed.
 * A journal row under an id the page does not know is listed after them. A step that sends
 * messages shows "decided" (the step is done: who to tell was decided and the messages queued)
 * apart from "delivered" (every message reached its provider), with its pending deliveries in
 * amber and its failures in red with the last error (workflow-delivery.ts).
 */
import { fmtTime, humanize } from '../format.js';
import { BUILT_INCIDENT_STEPS, INCIDENT_STEPS, STEP_ICON, STEP_TITLES, type Incident, type StepStatus } from '../model.js';
import { lastError, stepDelivery, type StepDelivery } from './workflow-delivery.js';

const BUILT: readonly string[] = BUILT_INCIDENT_STEPS;
const stepStatus = (v: string): StepStatus | null => (v in STEP_ICON && v !== 'none' ? (v as StepStatus) : null);
const titleOf = (id: string): string => (id in STEP_TITLES ? STEP_TITLES[id as keyof typeof STEP_TITLES] : humanize(id));

export function Workflow({ d, tz }: { d: Incident; tz: string | undefined }) {
  const journal = d.workflow ?? [];
  const byStep = new Map(journal.map((w) => [w.step, w]));
  const known: readonly string[] = INCIDENT_STEPS;
  const extra = journal.filter((w) => !known.includes(w.step)).map((w) => w.step);
  const done = journal.filter((w) => w.status === 'done').length;
  return (
    <ol class="steps" aria-label={`Workflow: ${done} of ${INCIDENT_STEPS.length} steps done`}>
      {[...INCIDENT_STEPS, ...extra].map((id, i) => {
        const w = byStep.get(id);
        const st = w ? (stepStatus(w.status) ?? 'none') : 'none';
        const statusText = w ? w.status : 'not started';
        const meta: string[] = [];
        if (w?.finishedAt) meta.push(`${st === 'failed' ? 'failed' : 'finished'} ${fmtTime(w.finishedAt, tz, 'seconds')}`);
        else if (w?.startedAt) meta.push(`started ${fmtTime(w.startedAt, tz, 'seconds')}`);
        if (w?.nextRunAt && st !== 'done') meta.push(`next try ${fmtTime(w.nextRunAt, tz, 'seconds')}`);
        if (w && w.attempts > 1) meta.push(`${w.attempts} attempts`);
        const why = w?.error || w?.reason;
        const built = BUILT.includes(id) || !!w;
        const delivery = stepDelivery(id, d.notifications ?? []);
        const dstate = delivery && delivery.total > 0 ? (delivery.failed.length > 0 ? 'failed' : delivery.pending.length > 0 ? 'pending' : delivery.allDelivered ? 'delivered' : 'none') : undefined;
        return (
          <li
            key={id}
            class={`step st-${st}${dstate ? ` dl-${dstate}` : ''}`}
            data-step={id}
            data-step-status={statusText}
            data-delivery={dstate}
            title={built ? id : `${id}: not part of this release yet`}
          >
            <span class="ico" aria-hidden="true">
              {st === 'none' ? String(i + 1) : STEP_ICON[st]}
            </span>
            <div>
              <div class="name">
                {`${i + 1}. ${titleOf(id)}`}
                <span class="sr-only">{`: ${statusText}`}</span>
              </div>
              <div class="meta">{[statusText, ...meta].join(' · ')}</div>
              {why ? <div class="why">{String(why)}</div> : null}
              {delivery && delivery.total > 0 ? <Delivery st={st} delivery={delivery} /> : null}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

/** A notifying step's deliveries: decided vs delivered, then what is still on its way and what failed. */
function Delivery({ st, delivery: dl }: { st: string; delivery: StepDelivery }) {
  return (
    <div class="delivery small">
      <span class={`dl-tag ${st === 'done' ? 'ok' : ''}`}>{st === 'done' ? 'decided ✓' : 'not decided yet'}</span>{' '}
      <span class={`dl-tag ${dl.allDelivered ? 'ok' : dl.failed.length > 0 ? 'bad' : 'warn'}`} data-delivered={dl.allDelivered ? 'yes' : 'no'}>
        {dl.allDelivered ? `delivered ✓ (${dl.delivered}/${dl.total})` : `delivered ${dl.delivered}/${dl.total}`}
      </span>
      {dl.pending.length > 0 ? (
        <ul class="dl-list warn" aria-label="Pending deliveries">
          {dl.pending.map((n) => (
            <li key={n.id} data-notification={n.id}>
              {`${n.channel} to ${n.recipient}: ${n.status}, ${n.attempts} attempt${n.attempts === 1 ? '' : 's'}`}
              {lastError(n) ? ` · last error: ${lastError(n)}` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      {dl.failed.length > 0 ? (
        <ul class="dl-list bad" aria-label="Failed deliveries">
          {dl.failed.map((n) => (
            <li key={n.id} data-notification={n.id}>
              {`${n.channel} to ${n.recipient}: failed after ${n.attempts} attempt${n.attempts === 1 ? '' : 's'}`}
              {lastError(n) ? ` · ${lastError(n)}` : ''}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
