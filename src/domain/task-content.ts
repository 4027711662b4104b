/**
 * What the task emails say: "task assigned, due ..." to the assignee, and the overdue notice to
 * the assignee and the site's managers. Plain text; times in the site's time zone with offset. Pure.
 */
import type { ChecklistItem } from './investigation.js';
import { formatWithOffset } from './local-time.js';

/** What a task email needs to know. */
export interface TaskMailInput {
  id: string;
  title: string;
  kind: string;
  incidentId: string | null;
  siteName: string;
  timeZone: string;
  dueAt: Date | null;
  assigneeName: string | null;
  checklist: readonly ChecklistItem[];
  /** Link base (config.publicUrl). */
  publicUrl: string;
}

function checklistLines(items: readonly ChecklistItem[]): string[] {
  return items.map((i) => {
    const box = i.done ? '[x]' : '[ ]';
    switch (i.kind) {
      case 'clip':
        return [
          `${box} clip from ${i.camera}, ${i.from} to ${i.to}${i.assets.length > 0 ? ` (sees ${i.assets.join(', ')})` : ''}`,
          ...(i.footage ?? []).map((f) => `    footage of ${f.nvrEventId}: ${[f.clip ? `clip ${f.clip}` : '', f.snapshot ? `snapshot ${f.snapshot}` : ''].filter(Boolean).join(', ')}`),
        ].join('\n');
      case 'badge_events':
        return `${box} ${i.count} badge event(s) in ${i.zones.join(', ')}, ${i.from} to ${i.to}`;
      case 'pos_transactions':
        return `${box} ${i.transactions.length} POS transaction(s)${i.totals.length > 0 ? `, ${i.totals.map((t) => `${t.amount} ${t.currency}`).join(' + ')}` : ''}`;
      default:
        return `${box} ${i.text}`;
    }
  });
}

function links(t: TaskMailInput): string[] {
  const base = t.publicUrl.replace(/\/+$/, '');
  return [`Task ${t.id}: ${base}/#task=${encodeURIComponent(t.id)}`, ...(t.incidentId ? [`Incident ${t.incidentId}: ${base}/#incident=${encodeURIComponent(t.incidentId)}`] : [])];
}

const due = (t: TaskMailInput) => (t.dueAt ? `${formatWithOffset(t.dueAt, t.timeZone)} (${t.timeZone})` : 'no due date');

/** The assignment email. */
export function taskAssignedEmail(t: TaskMailInput): { subject: string; text: string } {
  return {
    subject: `[Vigil] Task assigned: ${t.title}, due ${t.dueAt ? formatWithOffset(t.dueAt, t.timeZone) : 'no date'}`,
    text: [`${t.assigneeName ? `${t.assigneeName}: a` : 'A'}${/^[aeiou]/.test(t.kind) ? 'n' : ''} ${t.kind} task at ${t.siteName} is assigned to you.`, t.title, `Due: ${due(t)}.`, '', 'Evidence checklist:', ...checklistLines(t.checklist), '', ...links(t)].join('\n'),
  };
}

/** The overdue notice. */
export function taskOverdueEmail(t: TaskMailInput & { status: string }): { subject: string; text: string } {
  return {
    subject: `[Vigil] OVERDUE task: ${t.title}`,
    text: [
      `The ${t.kind} task "${t.title}" at ${t.siteName} was due ${due(t)} and is still ${t.status.replace('_', ' ')}.`,
      `Assigned to: ${t.assigneeName ?? 'nobody'}.`,
      '',
      'Checklist:',
      ...checklistLines(t.checklist),
      '',
      ...links(t),
    ].join('\n'),
  };
}
