/**
 * The queue's announcements and list query (web/src/triage.ts), outside a browser: the first list
 * is the baseline, each new open high or critical incident is announced once and counted for the
 * title until the page is looked at; the filters become the list's query parameters.
 */
import { describe, expect, it } from 'vitest';
import { applyFilters, markSeen, noticeIncidents, patchFilters, resetAnnouncements, unseenCount } from '../web/src/triage.js';

const inc = (id: string, band: string, status = 'open') => ({ id, type: 'theft', site: 'store-101', status, severity: { band } });
const describeIt = (i: { id: string }) => i.id;

describe('announcements', () => {
  it('announces each new open high or critical incident once, after the baseline', () => {
    resetAnnouncements();
    expect(noticeIncidents([inc('a', 'critical'), inc('b', 'low')], describeIt)).toEqual([]);
    expect(unseenCount()).toBe(0);
    const fresh = noticeIncidents([inc('c', 'high'), inc('d', 'medium'), inc('e', 'critical', 'resolved'), inc('a', 'critical')], describeIt);
    expect(fresh.map((f) => f.id)).toEqual(['c']);
    expect(unseenCount()).toBe(1);
    expect(noticeIncidents([inc('c', 'high'), inc('f', 'critical')], describeIt).map((f) => f.id)).toEqual(['f']);
    expect(unseenCount()).toBe(2);
    markSeen();
    expect(unseenCount()).toBe(0);
    // Signing in again starts a new baseline.
    resetAnnouncements();
    expect(noticeIncidents([inc('g', 'critical')], describeIt)).toEqual([]);
  });
});

describe('list query', () => {
  it('sends the order, filters and search the user chose', () => {
    patchFilters({ sort: 'priority', site: 'dc-201', type: 'theft', assignee: 'none', q: '  cash-office ' });
    const q = new URLSearchParams();
    applyFilters(q);
    expect(Object.fromEntries(q)).toEqual({ sort: 'priority', site: 'dc-201', type: 'theft', assignee: 'none', q: 'cash-office' });
    patchFilters({ sort: 'opened', site: '', type: '', assignee: '', q: '' });
    const none = new URLSearchParams();
    applyFilters(none);
    expect(none.toString()).toBe('');
  });
});
