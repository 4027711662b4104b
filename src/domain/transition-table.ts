/**
 * Lifecycles as data: a table of actions, each naming the statuses it starts from, the status it
 * leads to and who takes it. The incident and patrol lifecycles (incident-lifecycle.ts,
 * patrol-lifecycle.ts) are such tables; this module holds what they share: the pure step through
 * a table and the list of what is allowed from a status.
 */
import { ConflictError } from './errors.js';

/** Who takes an action: a person through the API (one route per action) or a workflow step. */
export type ActionBy = 'api' | 'workflow';

/** One row of a lifecycle table: the statuses an action starts from and where it leads. */
export interface Transition<S extends string> {
  from: readonly S[];
  to: S;
  by: ActionBy;
}

/** A lifecycle table: action -> transition. Object key order is the order actions are listed in. */
export type TransitionTable<S extends string, A extends string> = Readonly<Record<A, Transition<S>>>;

/** The actions of a table, in table order, optionally only those taken by `by`. */
export function actionsOf<S extends string, A extends string>(table: TransitionTable<S, A>, by?: ActionBy): A[] {
  return (Object.keys(table) as A[]).filter((a) => by === undefined || table[a].by === by);
}

/** The actions allowed from `status` (by `by` only, when given), in table order. */
export function allowedFrom<S extends string, A extends string>(table: TransitionTable<S, A>, status: string, by?: ActionBy): A[] {
  return actionsOf(table, by).filter((a) => (table[a].from as readonly string[]).includes(status));
}

/**
 * The status `action` leads to from `current`, or a ConflictError. The error lists the actions
 * allowed from `current` that the same kind of caller could take instead (a person is not told
 * about workflow-only actions), in its message (`refusal` + "; allowed from <status>: ...") and in
 * `allowed`.
 */
export function step<S extends string, A extends string>(
  table: TransitionTable<S, A>,
  current: string,
  action: A,
  refusal: (t: Transition<S>) => string,
): S {
  const t = table[action];
  if ((t.from as readonly string[]).includes(current)) return t.to;
  const allowed = allowedFrom(table, current, t.by);
  throw new ConflictError(`${refusal(t)}; allowed from ${current}: ${allowed.length > 0 ? allowed.join(', ') : 'none'}`, allowed);
}

/** Every status reachable from `start` through the table (start included), in discovery order. */
export function reachableFrom<S extends string, A extends string>(table: TransitionTable<S, A>, start: readonly S[]): S[] {
  const seen: S[] = [...new Set(start)];
  for (let i = 0; i < seen.length; i++) {
    for (const a of allowedFrom(table, seen[i])) if (!seen.includes(table[a].to)) seen.push(table[a].to);
  }
  return seen;
}
