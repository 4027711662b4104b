import { describe, expect, it } from 'vitest';
import { actionNoteText, OUTCOMES, settleActionNote } from './case-notes.js';
import { InvalidError } from './errors.js';

function problems(f: () => unknown): { path: string; message: string }[] {
  try {
    f();
  } catch (e) {
    if (e instanceof InvalidError) return e.problems;
    throw e;
  }
  throw new Error('expected an InvalidError');
}

describe('case notes and outcomes', () => {
  it('takes the note on every action and the outcome on resolve', () => {
    expect(settleActionNote('acknowledge', { note: 'on my way' }, null)).toEqual({ note: 'on my way', outcome: null, outcomeDefaulted: false });
    expect(settleActionNote('reopen', {}, null)).toEqual({ note: null, outcome: null, outcomeDefaulted: false });
    for (const o of OUTCOMES) expect(settleActionNote('resolve', { note: 'done', outcome: o }, null)).toEqual({ note: 'done', outcome: o, outcomeDefaulted: false });
  });

  it('accepts resolution as the deprecated name of the resolve note, never with note', () => {
    expect(settleActionNote('resolve', { resolution: 'door repaired', outcome: 'no_loss' }, null).note).toBe('door repaired');
    expect(problems(() => settleActionNote('resolve', { resolution: 'a', note: 'a', outcome: 'no_loss' }, null)).map((p) => p.path)).toEqual(['resolution']);
    expect(problems(() => settleActionNote('acknowledge', { resolution: 'a' }, null)).map((p) => p.path)).toEqual(['resolution']);
  });

  it('requires an outcome on resolve unless the policy has a default, and lists every problem at once', () => {
    expect(problems(() => settleActionNote('resolve', {}, null))).toEqual([{ path: 'outcome', message: expect.stringContaining('required when resolving') }]);
    expect(settleActionNote('resolve', {}, 'no_loss')).toEqual({ note: null, outcome: 'no_loss', outcomeDefaulted: true });
    expect(problems(() => settleActionNote('resolve', { outcome: 'lost', note: 'x', resolution: 'y' }, null)).map((p) => p.path).sort()).toEqual(['outcome', 'resolution']);
    expect(problems(() => settleActionNote('acknowledge', { outcome: 'no_loss' }, null)).map((p) => p.path)).toEqual(['outcome']);
  });

  it('writes a timeline line for every action, the note when there is one', () => {
    expect(actionNoteText('acknowledge', { note: null, outcome: null, outcomeDefaulted: false }, 'by SMS reply')).toBe('Acknowledged by SMS reply');
    expect(actionNoteText('reopen', { note: null, outcome: null, outcomeDefaulted: false })).toBe('Reopened');
    expect(actionNoteText('resolve', { note: null, outcome: 'false_alarm', outcomeDefaulted: false })).toBe('Resolved: outcome false_alarm');
    expect(actionNoteText('resolve', { note: 'cat in the stockroom', outcome: 'no_loss', outcomeDefaulted: true })).toBe('cat in the stockroom [outcome no_loss (policy default)]');
  });
});
