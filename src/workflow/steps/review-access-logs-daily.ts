/**
 * Scheduled job review-access-logs-daily: the access rules of step 12 over every site's badge
 * events of the previous local day (organisation time zone; after-hours and shifts are still judged
 * in each site's own zone). Findings an incident's review already recorded (same rule and first
 * evidence event) are not recorded again; the others are stored without an incident, with ids from
 * the day, the rule and the first evidence event, so a window runs once and a re-run adds nothing.
 *
 * The day's badge events are read and judged before the run's transaction (`prepare`): on the
 * embedded store a chain's day of badge events judged inside the transaction would hold every
 * event and alert behind it. The transaction only drops what incidents already hold and writes.
 */
import { reviewAccess, type AccessFinding, type AccessRule } from '../../domain/access-review.js';
import { wallClockToInstant } from '../../domain/local-time.js';
import type { OrgModel } from '../../domain/site-model.js';
import { badgeEventsOfPeriod, incidentAccessFindingKeys, upsertAccessFindings } from '../../store/findings.js';
import type { ScheduledJob } from '../scheduler.js';

/** The local day before the window's day, as instants [from, to) in the time zone. */
export function previousLocalDay(windowDay: string, timezone: string): { day: string; from: Date; to: Date } {
  const [y, m, d] = windowDay.split('-').map(Number) as [number, number, number];
  const prev = new Date(Date.UTC(y, m - 1, d - 1));
  const day = prev.toISOString().slice(0, 10);
  const from = wallClockToInstant({ year: prev.getUTCFullYear(), month: prev.getUTCMonth() + 1, day: prev.getUTCDate(), hour: 0, minute: 0 }, timezone)!;
  const to = wallClockToInstant({ year: y, month: m, day: d, hour: 0, minute: 0 }, timezone)!;
  return { day, from, to };
}

/** What the preparation judged: the day, its badge events counted, and every finding of the rules. */
interface DailyReview {
  day: string;
  from: Date;
  to: Date;
  badgeEvents: number;
  findings: AccessFinding[];
}

/** The job's definition. */
export function reviewAccessLogsDaily(org: OrgModel): ScheduledJob<'review-access-logs-daily', DailyReview> {
  return {
    id: 'review-access-logs-daily',
    window: 'day',
    async prepare({ db, window }) {
      const { day, from, to } = previousLocalDay(window, org.config.organization.timezone);
      const events = (await badgeEventsOfPeriod(db, from, to)).filter((e) => org.sites.has(e.site));
      return { day, from, to, badgeEvents: events.length, findings: reviewAccess(events, org, org.config.policy.accessReview, `daily:${day}`) };
    },
    async run({ tx, now, prepared: { day, from, to, badgeEvents, findings: all } }) {
      const already = await incidentAccessFindingKeys(tx, from, to);
      const fresh = all.filter((f) => !already.has(`${f.rule}:${f.details.anchor as number}`));
      const added = await upsertAccessFindings(tx, null, fresh, now);
      const bySite: Record<string, Partial<Record<AccessRule, number>>> = {};
      for (const f of fresh) {
        const s = (bySite[f.site] ??= {});
        s[f.rule] = (s[f.rule] ?? 0) + 1;
      }
      return { day, from: from.toISOString(), to: to.toISOString(), badgeEvents, findings: fresh.length, alreadyOnIncidents: all.length - fresh.length, added: added.length, bySite };
    },
  };
}
