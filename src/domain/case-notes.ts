/**
 * Case notes and outcomes: the rules the API's lifecycle actions and the notes route share.
 *
 * - Every incident has a timeline of notes (who, when, kind, text), appended and never edited.
 *   `POST /api/v1/incidents/{id}/notes` appends a `note`; acknowledge, resolve and reopen append one
 *   of their own kind, with the caller's `note` or, when they gave none, a line saying what
 *   happened (so the timeline shows every lifecycle step).
 * - Resolving records an outcome (OUTCOMES). It is required unless the policy names a default
 *   (`policy.caseNotes.defaultOutcome`) for clients that do not send one yet.
 * - `resolution` is the deprecated name of resolve's `note`: still accepted, never together with
 *   `note`.
 */
import { InvalidError, type Problem } from './errors.js';

/** How an incident ended (incidents.outcome), as the reports and weekly figures count it. */
export const OUTCOMES = ['confirmed_loss', 'recovered', 'false_alarm', 'no_loss', 'referred_to_police'] as const;
/** An incident outcome. */
export type Outcome = (typeof OUTCOMES)[number];

/** What wrote a note: a person's plain note, a lifecycle action, or the workflow. */
export const NOTE_KINDS = ['note', 'acknowledge', 'resolve', 'reopen', 'system'] as const;
/** A note kind. */
export type NoteKind = (typeof NOTE_KINDS)[number];

/** Longest note text accepted (characters). */
export const MAX_NOTE_LENGTH = 2000;

/** True when `v` is an outcome. */
export function isOutcome(v: unknown): v is Outcome {
  return typeof v === 'string' && (OUTCOMES as readonly string[]).includes(v);
}

/** A lifecycle action's body as the route received it. */
export interface ActionNoteInput {
  note?: string;
  /** Deprecated alias of `note` (resolve only). */
  resolution?: string;
  outcome?: string;
}

/** What a lifecycle action records: the note text (or null) and, for resolve, the outcome. */
export interface ActionNote {
  note: string | null;
  outcome: Outcome | null;
  /** True when the outcome came from the policy default rather than the caller. */
  outcomeDefaulted: boolean;
}

/**
 * Settles a lifecycle action's note and outcome, every problem listed at once: `note` and its alias
 * `resolution` are one field (both given is a mistake even when equal, so a client learns the new
 * name); an outcome is for resolve only, and resolve needs one unless the policy has a default.
 */
export function settleActionNote(action: 'acknowledge' | 'resolve' | 'reopen', body: ActionNoteInput, defaultOutcome: Outcome | null): ActionNote {
  const problems: Problem[] = [];
  if (body.resolution !== undefined && action !== 'resolve') problems.push({ path: 'resolution', message: `unknown field; ${action} takes "note"` });
  if (body.resolution !== undefined && body.note !== undefined) problems.push({ path: 'resolution', message: 'give "note" (or its deprecated alias "resolution"), not both' });
  let outcome: Outcome | null = null;
  let outcomeDefaulted = false;
  if (action !== 'resolve') {
    if (body.outcome !== undefined) problems.push({ path: 'outcome', message: `an outcome is recorded by resolve only, not by ${action}` });
  } else if (body.outcome === undefined) {
    if (defaultOutcome === null) problems.push({ path: 'outcome', message: `required when resolving; expected one of ${OUTCOMES.join(', ')}` });
    else {
      outcome = defaultOutcome;
      outcomeDefaulted = true;
    }
  } else if (isOutcome(body.outcome)) outcome = body.outcome;
  else problems.push({ path: 'outcome', message: `expected one of ${OUTCOMES.join(', ')}` });
  if (problems.length > 0) throw new InvalidError(problems);
  const text = body.note ?? body.resolution;
  return { note: text !== undefined && text.trim() !== '' ? text : null, outcome, outcomeDefaulted };
}

/** The timeline text of a lifecycle action: the caller's note, or what happened. */
export function actionNoteText(action: 'acknowledge' | 'resolve' | 'reopen', n: ActionNote, via?: string): string {
  if (action === 'resolve') {
    const o = n.outcome ? `outcome ${n.outcome}${n.outcomeDefaulted ? ' (policy default)' : ''}` : 'no outcome';
    return n.note ? `${n.note} [${o}]` : `Resolved: ${o}`;
  }
  if (n.note) return n.note;
  return action === 'acknowledge' ? `Acknowledged${via ? ` ${via}` : ''}` : 'Reopened';
}
