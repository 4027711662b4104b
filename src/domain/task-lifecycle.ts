/**
 * The task lifecycle (investigation and maintenance tasks) as a transition table:
 *
 *   open ──start──> in_progress ──complete──> done ──reopen──> open
 *     │                 ▲  │
 *     └──block──> blocked ─┘ (start resumes; block from open or in_progress)
 *
 * A task can be completed from open or in progress, never straight from blocked (unblock it
 * first: the blocker is worth a comment). The API takes the target status (PATCH status); each
 * status is reached by exactly one action, so the target names the action. Anything else is a
 * ConflictError (409) that lists the statuses allowed from the current one.
 */
import { ConflictError } from './errors.js';
import { allowedFrom, type TransitionTable } from './transition-table.js';

/** Every status a task can have. */
export const TASK_STATUSES = ['open', 'in_progress', 'blocked', 'done'] as const;
/** A task status. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** The kinds of task. */
export const TASK_KINDS = ['investigation', 'maintenance'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Every action of the task lifecycle. */
export type TaskAction = 'start' | 'block' | 'complete' | 'reopen';

/** The transition table. Key order is the order of allowed lists. */
export const TASK_TRANSITIONS: TransitionTable<TaskStatus, TaskAction> = {
  start: { from: ['open', 'blocked'], to: 'in_progress', by: 'api' },
  block: { from: ['open', 'in_progress'], to: 'blocked', by: 'api' },
  complete: { from: ['open', 'in_progress'], to: 'done', by: 'api' },
  reopen: { from: ['done'], to: 'open', by: 'api' },
};

/** The statuses a task may move to from `status`, in table order. */
export function allowedTaskStatuses(status: string): TaskStatus[] {
  return allowedFrom(TASK_TRANSITIONS, status).map((a) => TASK_TRANSITIONS[a].to);
}

/**
 * The action that moves a task from `current` to `target`, or a ConflictError naming `subject`
 * and listing the statuses allowed from `current`. Undefined when the task already has that status
 * (nothing to do: a repeated PATCH is not an error).
 */
export function taskTransition(current: string, target: TaskStatus, subject = 'task'): TaskAction | undefined {
  if (current === target) return undefined;
  const action = (Object.keys(TASK_TRANSITIONS) as TaskAction[]).find((a) => TASK_TRANSITIONS[a].to === target)!;
  if ((TASK_TRANSITIONS[action].from as readonly string[]).includes(current)) return action;
  const allowed = allowedTaskStatuses(current);
  throw new ConflictError(`${subject} is ${current}; it cannot move to ${target}; allowed from ${current}: ${allowed.length > 0 ? allowed.join(', ') : 'none'}`, allowed);
}
