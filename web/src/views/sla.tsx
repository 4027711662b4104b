/**
 * SLA countdowns: time left to acknowledge and to resolve (from the policy, computed by the server
 * in domain/sla.ts as ackDueAt and resolveDueAt), counted down every second on the page.
 */
import { useEffect, useState } from 'preact/hooks';

/** The current time, updated every `ms` while the component is shown. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** "4m 05s", "2h 10m", "3d 4h". */
export function fmtLeft(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(sec).padStart(2, '0')}s`;
}

/** One deadline: counting down, overdue, or met/missed once done. */
export function SlaBadge({ label, due, doneAt, now }: { label: string; due: string | undefined; doneAt: string | null; now: number }) {
  if (!due) return null;
  const dueMs = Date.parse(due);
  if (Number.isNaN(dueMs)) return null;
  let cls: string;
  let text: string;
  if (doneAt) {
    const met = Date.parse(doneAt) <= dueMs;
    cls = met ? 'met' : 'missed';
    text = `${label} ${met ? 'met' : 'missed'}`;
  } else if (now > dueMs) {
    cls = 'overdue';
    text = `${label} overdue ${fmtLeft(now - dueMs)}`;
  } else {
    cls = dueMs - now < 5 * 60_000 ? 'soon' : 'running';
    text = `${label} in ${fmtLeft(dueMs - now)}`;
  }
  return (
    <span class={`sla ${cls}`} data-sla={label} data-sla-state={cls} title={`${label} due ${new Date(dueMs).toISOString()}`}>
      {text}
    </span>
  );
}
