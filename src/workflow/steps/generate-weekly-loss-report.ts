/**
 * Scheduled job generate-weekly-loss-report (step 14): every Monday 06:00 organisation time
 * (policy.schedule.jobs), the report of the ISO week that just ended. The run's window is the
 * week the fire time falls in; the report covers the week before it.
 *
 * Each recipient (contacts of policy.weeklyReport.recipientRoles with an email address) gets the
 * report of what they cover: the organisation's when they cover every site, else their sites'.
 * Each report is read and drawn before the run's transaction (`prepare`), then stored in
 * `weekly_reports` and emailed with its PDF attached through the outbox, in the run's
 * transaction: the scheduler commits it with the run's `done` row, so a week is reported once
 * across restarts, and the outbox's key (week, recipient, scope) makes a repeated run queue nothing
 * twice.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Config, ContactConfig } from '../../config/schema.js';
import { formatMoney } from '../../domain/money.js';
import type { OrgModel } from '../../domain/site-model.js';
import { shiftWeek, type WeeklyReport } from '../../domain/weekly-report.js';
import { enqueueReportEmails, type ReportEmail } from '../../store/notifications.js';
import { saveWeeklyReport, scopeKey } from '../../store/weekly-reports.js';
import { generateWeeklyReport, renderWeeklyReport, weeklyDigest } from '../../reports/weekly-report.js';
import type { ScheduledJob } from '../scheduler.js';

/** Who gets which report: the sites each recipient covers (null: the whole organisation). */
export function weeklyRecipients(config: Config): { contact: ContactConfig & { email: string }; sites: string[] | null }[] {
  const all = config.sites.map((s) => s.id);
  const roles = config.policy.weeklyReport.recipientRoles;
  return config.contacts
    .filter((c): c is ContactConfig & { email: string } => roles.includes(c.role) && typeof c.email === 'string' && c.email !== '')
    .map((c) => {
      const covered = c.sites.length === 0 ? all : all.filter((s) => c.sites.includes(s));
      return { contact: c, sites: covered.length === all.length ? null : covered };
    })
    .filter((r) => r.sites === null || r.sites.length > 0);
}

/** The email's plain-text part: the headline figures and the sites with the highest net loss. */
export function weeklyEmailText(r: WeeklyReport, link: string): string {
  const m = (v: string) => formatMoney(v, r.currency);
  const c = r.comparison;
  const pct = (p: string | null) => (p === null ? 'n/a' : `${p.startsWith('-') ? '' : '+'}${p} %`);
  return [
    `Weekly loss report ${r.week}: ${r.organization}${r.sites ? ` (sites ${r.sites.join(', ')})` : ''}`,
    '',
    `Incidents: ${r.totals.incidents} (previous week ${c.previousWeek.incidents}, 4-week average ${c.fourWeekAverage.incidents})`,
    `Gross loss: ${m(r.totals.gross)}`,
    `Recoveries: ${m(r.totals.recovered)}`,
    `Net loss: ${m(r.totals.net)} (${pct(c.vsPreviousWeek.netPct)} vs previous week, ${pct(c.vsFourWeekAverage.netPct)} vs 4-week average)`,
    '',
    'Highest net loss:',
    ...r.bySite.slice(0, 5).map((s) => `  ${s.label}: ${m(s.net)} (${s.incidents} incidents)`),
    '',
    `The full report is attached (PDF) and at ${link}`,
  ].join('\n');
}

/** One scope's report, prepared before the run's transaction. */
interface PreparedReport {
  key: string;
  sites: string[] | null;
  report: WeeklyReport;
  emails: ReportEmail[];
}

/** The job's definition. */
export function generateWeeklyLossReport(org: OrgModel): ScheduledJob<'generate-weekly-loss-report', PreparedReport[]> {
  return {
    id: 'generate-weekly-loss-report',
    window: 'iso-week',
    // The reports are read and drawn (PDF and HTML) before the transaction, a scope at a time with
    // the event loop served in between; the run stores them and queues the emails.
    async prepare({ db, window, now }) {
      const config = org.config;
      const week = shiftWeek(window, -1);
      const recipients = weeklyRecipients(config);
      // One report per scope: the organisation's always, and one per distinct set of sites a recipient covers.
      const scopes = new Map<string, string[] | null>([['', null]]);
      for (const r of recipients) scopes.set(scopeKey(r.sites), r.sites);
      const out: PreparedReport[] = [];
      for (const [key, sites] of scopes) {
        const report = await generateWeeklyReport(db, config, { week, sites, now });
        const emails: ReportEmail[] = [];
        const to = recipients.filter((r) => scopeKey(r.sites) === key);
        if (to.length > 0) {
          const pdf = await renderWeeklyReport(report, 'pdf');
          const html = (await renderWeeklyReport(report, 'html')).body.toString('utf8');
          const link = `${config.publicUrl}/api/v1/reports/weekly?week=${week}${sites && sites.length === 1 ? `&site=${sites[0]}` : ''}&format=html`;
          const subject = `Weekly loss report ${week}: net ${formatMoney(report.totals.net, report.currency)}, ${report.totals.incidents} incidents${sites ? ` (${sites.join(', ')})` : ''}`;
          for (const r of to) {
            emails.push({
              ref: `weekly:${week}`,
              kind: `weekly-report:${key || 'all'}`,
              recipient: r.contact.id,
              address: r.contact.email,
              subject,
              body: weeklyEmailText(report, link),
              html,
              attachments: [{ filename: pdf.filename, contentType: 'application/pdf', content: pdf.body }],
            });
          }
        }
        out.push({ key, sites, report, emails });
        await yieldToEventLoop();
      }
      return out;
    },
    async run({ tx, window, now, prepared }) {
      const config = org.config;
      const week = shiftWeek(window, -1);
      const reports: { sites: string; net: string; incidents: number }[] = [];
      for (const { key, sites, report } of prepared) {
        await saveWeeklyReport(tx, { week, sites, generatedAt: now, digest: weeklyDigest(report), content: report });
        reports.push({ sites: key || '(all)', net: report.totals.net, incidents: report.totals.incidents });
      }
      const emails = prepared.flatMap((p) => p.emails);
      const queued = await enqueueReportEmails(tx, emails, now);
      const recipients = weeklyRecipients(config);
      return { week, reports, emails: emails.length, queued: queued.length, ...(recipients.length === 0 ? { note: `no contact of role ${config.policy.weeklyReport.recipientRoles.join(' or ')} has an email address` } : {}) };
    },
  };
}
