import { describe, expect, it } from 'vitest';
import { ConflictError } from './errors.js';
import { reachableFrom } from './transition-table.js';
import { allowedTaskStatuses, TASK_STATUSES, TASK_TRANSITIONS, taskTransition } from './task-lifecycle.js';

describe('task lifecycle', () => {
  it('open -> in_progress -> blocked -> in_progress -> done -> open', () => {
    expect(taskTransition('open', 'in_progress')).toBe('start');
    expect(taskTransition('in_progress', 'blocked')).toBe('block');
    expect(taskTransition('blocked', 'in_progress')).toBe('start');
    expect(taskTransition('in_progress', 'done')).toBe('complete');
    expect(taskTransition('done', 'open')).toBe('reopen');
    expect(taskTransition('open', 'done')).toBe('complete');
  });

  it('the same status is nothing to do', () => {
    expect(taskTransition('blocked', 'blocked')).toBeUndefined();
  });

  it('an illegal move is a conflict listing the statuses allowed', () => {
    let err: unknown;
    try {
      taskTransition('blocked', 'done', 'task t-1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).message).toBe('task t-1 is blocked; it cannot move to done; allowed from blocked: in_progress');
    expect((err as ConflictError).allowed).toEqual(['in_progress']);
    expect(() => taskTransition('done', 'in_progress')).toThrow(/allowed from done: open/);
    expect(allowedTaskStatuses('open')).toEqual(['in_progress', 'blocked', 'done']);
  });

  it('every status is reachable from open and each status is the target of exactly one action', () => {
    expect(reachableFrom(TASK_TRANSITIONS, ['open']).sort()).toEqual([...TASK_STATUSES].sort());
    const targets = Object.values(TASK_TRANSITIONS).map((t) => t.to);
    expect(new Set(targets).size).toBe(targets.length);
  });
});
