import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictError } from './errors.js';
import {
  allowedPatrolActions,
  PATROL_API_ACTIONS,
  PATROL_INITIAL_STATUSES,
  PATROL_STATUSES,
  PATROL_TRANSITIONS,
  transition,
  type PatrolAction,
} from './patrol-lifecycle.js';
import { reachableFrom } from './transition-table.js';

const ACTIONS = Object.keys(PATROL_TRANSITIONS) as PatrolAction[];
/** The forward order of a patrol's stages. */
const STAGES = ['assigned', 'acknowledged', 'en_route', 'on_site', 'completed'];

function refusal(f: () => unknown): ConflictError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConflictError) return e;
    throw e;
  }
  throw new Error('expected a ConflictError');
}

describe('patrol lifecycle', () => {
  it('moves a patrol forward, a stage at a time or straight to a later one', () => {
    expect(transition('assigned', 'acknowledge')).toBe('acknowledged');
    expect(transition('acknowledged', 'en-route')).toBe('en_route');
    expect(transition('en_route', 'on-site')).toBe('on_site');
    expect(transition('on_site', 'complete')).toBe('completed');
    expect(transition('assigned', 'on-site')).toBe('on_site');
    expect(transition('assigned', 'complete')).toBe('completed');
    expect(transition('assigned', 'time-out')).toBe('unacknowledged');
  });

  it('offers acknowledge, en-route, on-site and complete as API actions, in route order', () => {
    expect(PATROL_API_ACTIONS).toEqual(['acknowledge', 'en-route', 'on-site', 'complete']);
  });

  it('never moves a patrol backwards (the forward order of the stages)', () => {
    for (const a of PATROL_API_ACTIONS) {
      const to = STAGES.indexOf(PATROL_TRANSITIONS[a].to);
      for (const s of PATROL_STATUSES) {
        const from = STAGES.indexOf(s);
        expect(allowedPatrolActions(s).includes(a), `${a} from ${s}`).toBe(from >= 0 && to > from);
      }
    }
  });

  it('refuses an illegal action with a ConflictError that names the status and lists what is allowed', () => {
    const back = refusal(() => transition('on_site', 'acknowledge', 'patrol pat-1'));
    expect(back.message).toBe('patrol pat-1 is on_site; acknowledge needs a patrol before acknowledged; allowed from on_site: complete');
    expect(back.allowed).toEqual(['complete']);
    expect(refusal(() => transition('completed', 'complete')).message).toMatch(/allowed from completed: none$/);
    expect(refusal(() => transition('scheduled', 'acknowledge')).allowed).toEqual([]);
    expect(refusal(() => transition('on_site', 'time-out')).message).toBe('patrol is on_site; time-out applies to assigned patrols only; allowed from on_site: cancel');
  });

  it('reaches every status from the statuses patrols are created in, and only through the table', () => {
    expect([...reachableFrom(PATROL_TRANSITIONS, PATROL_INITIAL_STATUSES)].sort()).toEqual([...PATROL_STATUSES].sort());
    fc.assert(
      fc.property(fc.constantFrom(...PATROL_INITIAL_STATUSES), fc.array(fc.constantFrom(...ACTIONS), { maxLength: 30 }), (start, actions) => {
        let status: string = start;
        for (const a of actions) {
          const t = PATROL_TRANSITIONS[a];
          if ((t.from as readonly string[]).includes(status)) {
            status = transition(status, a);
            expect(status).toBe(t.to);
          } else {
            expect(() => transition(status, a)).toThrow(ConflictError);
          }
          expect(PATROL_STATUSES).toContain(status);
        }
      }),
    );
  });

  it('never leaves the status set: every (status, action) is the table row or a refusal', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATROL_STATUSES), fc.constantFrom(...ACTIONS), (status, action) => {
        if (allowedPatrolActions(status).includes(action)) expect(PATROL_STATUSES).toContain(transition(status, action));
        else expect(refusal(() => transition(status, action)).allowed).toEqual(allowedPatrolActions(status, PATROL_TRANSITIONS[action].by));
      }),
    );
  });
});
