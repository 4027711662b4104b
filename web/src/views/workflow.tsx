/**
 * The response workflow: the incident's steps in CONTRACT order (ids and titles from the declared
 * workflow), each with its journal status, times, attempts and the reason it was skipped or failed.
 * A journal row under an id the page does not know is listed after them.
 */
import { fmtTime, humanize } from '../format.js';
import { BUILT_INCIDENT_STEPS, INCIDENT_STEPS, STEP_ICON, STEP_TITLES, type Incident, type StepStatus } from '../model.js';

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
        return (
          <li key={id} class={`step st-${st}`} data-step={id} data-step-status={statusText} title={built ? id : `${id}: not part of this release yet`}>
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
            </div>
          </li>
        );
      })}
    </ol>
  );
}
