import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictError } from './errors.js';
import {
  allowedIncidentActions,
  INCIDENT_API_ACTIONS,
  INCIDENT_INITIAL_STATUS,
  INCIDENT_STATUSES,
  INCIDENT_TRANSITIONS,
  transition,
  type IncidentAction,
} from './incident-lifecycle.js';
import { reachableFrom } from './transition-table.js';

const ACTIONS = Object.keys(INCIDENT_TRANSITIONS) as IncidentAction[];

function refusal(f: () => unknown): ConflictError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConflictError) return e;
    throw e;
  }
  throw new Error('expected a ConflictError');
}

describe('incident lifecycle', () => {
  it('moves open -> acknowledged -> resolved -> open through the API actions', () => {
    expect(transition('open', 'acknowledge')).toBe('acknowledged');
    expect(transition('acknowledged', 'resolve')).toBe('resolved');
    expect(transition('investigating', 'resolve')).toBe('resolved');
    expect(transition('open', 'resolve')).toBe('resolved');
    expect(transition('resolved', 'reopen')).toBe('open');
    expect(transition('resolved', 'archive')).toBe('archived');
  });

  it('offers acknowledge, resolve and reopen as API actions, in route order', () => {
    expect(INCIDENT_API_ACTIONS).toEqual(['acknowledge', 'resolve', 'reopen']);
  });

  it('refuses an illegal action with a ConflictError that names the status and lists what is allowed', () => {
    const again = refusal(() => transition('acknowledged', 'acknowledge', 'incident inc-1'));
    expect(again.message).toBe('incident inc-1 is acknowledged; acknowledge applies to open incidents only; allowed from acknowledged: resolve');
    expect(again.allowed).toEqual(['resolve']);
    const archived = refusal(() => transition('archived', 'resolve', 'incident inc-2'));
    expect(archived.message).toBe('incident inc-2 is archived; resolve applies to open or acknowledged or investigating incidents only; allowed from archived: none');
    expect(archived.allowed).toEqual([]);
    // A person is told about the API's actions only, not the workflow's.
    expect(refusal(() => transition('open', 'reopen')).allowed).toEqual(['acknowledge', 'resolve']);
    expect(refusal(() => transition('open', 'archive')).allowed).toEqual(['investigate']);
  });

  it('refuses every action on a status it does not know', () => {
    for (const a of ACTIONS) expect(refusal(() => transition('lost', a)).allowed).toEqual([]);
  });

  it('lists the allowed actions of each status from the table', () => {
    expect(allowedIncidentActions('open')).toEqual(['acknowledge', 'investigate', 'resolve']);
    expect(allowedIncidentActions('open', 'api')).toEqual(['acknowledge', 'resolve']);
    expect(allowedIncidentActions('archived')).toEqual([]);
  });

  it('reaches every status from open, and only through the table', () => {
    expect([...reachableFrom(INCIDENT_TRANSITIONS, [INCIDENT_INITIAL_STATUS])].sort()).toEqual([...INCIDENT_STATUSES].sort());
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ACTIONS), { maxLength: 40 }), (actions) => {
        let status: string = INCIDENT_INITIAL_STATUS;
        for (const a of actions) {
          const t = INCIDENT_TRANSITIONS[a];
          if ((t.from as readonly string[]).includes(status)) {
            status = transition(status, a);
            expect(status).toBe(t.to);
          } else {
            expect(() => transition(status, a)).toThrow(ConflictError);
          }
          expect(INCIDENT_STATUSES).toContain(status);
        }
      }),
    );
  });

  it('never leaves the status set: every (status, action) is the table row or a refusal', () => {
    fc.assert(
      fc.property(fc.constantFrom(...INCIDENT_STATUSES), fc.constantFrom(...ACTIONS), (status, action) => {
        const allowed = allowedIncidentActions(status).includes(action);
        if (allowed) expect(INCIDENT_STATUSES).toContain(transition(status, action));
        else {
          const e = refusal(() => transition(status, action));
          expect(e.allowed).toEqual(allowedIncidentActions(status, INCIDENT_TRANSITIONS[action].by));
          expect(e.message).toContain(`allowed from ${status}: `);
        }
      }),
    );
  });
});
