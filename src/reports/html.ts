/**
 * The incident report as one printable HTML page (no script, no outside resource): the version's
 * identity and sign-off, then every section of the content, with the site plan and the charts as
 * inline SVG. Drawn only from the served version, so a signed version always looks the same.
 */
import { formatMoney } from '../domain/money.js';
import { barChartSvg } from './charts.js';
import { lossChart, severityChart } from './incident-charts.js';
import type { ServedReport } from './report-versions.js';
import { PLAN_LEGEND, sitePlanSvg } from './site-plan.js';

const esc = (v: unknown): string =>
  String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
const human = (t: string) => t.replace(/_/g, ' ');
const dash = (v: unknown) => (v === null || v === undefined || v === '' ? '–' : esc(v));

function table(headers: string[], rows: unknown[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${esc(empty)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${dash(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const section = (id: string, title: string, body: string) => `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;

/** The signer's block: who signed this version and when, or that it is a draft. */
export function signoffText(r: Pick<ServedReport, 'signoff' | 'version' | 'latestVersion'>): string {
  if (r.signoff) return `Signed off by ${r.signoff.signedBy} at ${r.signoff.signedAt}${r.signoff.note ? ` (${r.signoff.note})` : ''}. This version is frozen.`;
  return r.version === r.latestVersion ? 'Draft: not signed off yet.' : `Draft, superseded by version ${r.latestVersion}: never signed off.`;
}

/** The report as a printable HTML document. */
export function renderReportHtml(r: ServedReport): string {
  const c = r.content;
  const i = c.incident;
  const money = (v: string | null) => (v === null ? '–' : esc(formatMoney(v, c.summary.currency)));
  const facts: [string, string][] = [
    ['Incident', esc(i.id)],
    ['Site', `${esc(i.siteName)} (${esc(i.site)})`],
    ['Zone', i.zone ? `${esc(i.zoneName)} (${esc(i.zone)})` : '–'],
    ['Type', esc(human(i.type))],
    ['Status', `${esc(i.status)}${i.outcome ? `, outcome ${esc(human(i.outcome))}` : ''}`],
    ['Severity', `${esc(c.severity.score)} (band ${esc(c.severity.band)})`],
    ['Net loss', money(c.summary.netLoss)],
    ['Gross loss', money(c.summary.grossLoss)],
    ['First event', `${esc(i.firstEventAt)} (${esc(i.localStart)} local, ${esc(i.timezone)})`],
    ['Last event', esc(i.lastEventAt)],
    ['Acknowledged', i.acknowledgedAt ? `${esc(i.acknowledgedAt)} by ${esc(i.acknowledgedBy)}` : '–'],
    ['Resolved', i.resolvedAt ? `${esc(i.resolvedAt)} by ${esc(i.resolvedBy)}${i.resolution ? `: ${esc(i.resolution)}` : ''}` : '–'],
  ];
  const plan = c.sitePlan
    ? `${sitePlanSvg(c.sitePlan)}<ul class="legend">${PLAN_LEGEND.map((l) => `<li><span style="background:${l.colour}"></span>${esc(l.label)}</li>`).join('')}</ul>`
    : '<p class="empty">The site has no plan.</p>';
  const body = [
    `<header><div class="org">${esc(c.organization.name)}</div><h1>Incident report: ${esc(c.summary.headline)}</h1>`,
    `<p class="meta">Incident <b>${esc(i.id)}</b> · report version ${esc(r.version)} of ${esc(r.latestVersion)} · generated ${esc(r.generatedAt)}<br>SHA-256 of the content: <code>${esc(r.digest)}</code></p>`,
    `<p class="signoff ${r.signoff ? 'signed' : 'draft'}">${esc(signoffText(r))}</p></header>`,
    section('summary', 'Summary', `<p>${esc(c.summary.text)}</p><dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`),
    section('site-plan', 'Site plan', plan),
    section(
      'severity',
      'Severity',
      `${barChartSvg(severityChart(c))}${table(
        ['factor', 'value', 'weight', 'contribution', 'why'],
        c.severity.factors.map((f) => [f.name, f.value, f.weight, f.contribution, f.detail]),
        'No severity computed.',
      )}<p class="note">Policy version ${dash(c.severity.policyVersion)}; ${c.severity.history.length} score${c.severity.history.length === 1 ? '' : 's'} computed as events arrived.</p>`,
    ),
    section(
      'loss',
      'Loss',
      c.loss
        ? `${barChartSvg(lossChart(c))}${table(
            ['kind', 'description', 'amount', 'asset'],
            c.loss.items.map((x) => [x.kind, x.description, formatMoney(x.amount, c.loss!.currency), x.assetId]),
            'No itemised loss.',
          )}<p class="note">Gross ${money(c.loss.gross)}, recovered ${money(c.loss.recovered)}, net ${money(c.loss.net)}.</p>`
        : '<p class="empty">No loss computed.</p>',
    ),
    section('timeline', 'Timeline', table(['time (UTC)', 'what', 'ref'], c.timeline.map((t) => [t.at, t.text, t.ref]), 'Nothing recorded.')),
    section(
      'events',
      `Events (${c.eventsListed} of ${i.eventCount})`,
      table(['id', 'time (UTC)', 'source', 'type', 'zone', 'device', 'badge', 'assets', 'amount'], c.events.map((e) => [e.id, e.occurredAt, e.source, human(e.type), e.zone, e.device, e.badge, e.assets.join(', '), e.amount]), 'No events.'),
    ),
    section(
      'assets',
      'Assets',
      table(
        ['id', 'name', 'zone', 'value', 'relation', 'high risk', 'status'],
        c.assets.map((a) => [a.id, a.name, a.zone, a.value === null ? null : formatMoney(a.value, c.summary.currency), a.relation, a.highRisk ? a.highRiskReasons.join('; ') || 'yes' : 'no', a.status]),
        'No asset touched.',
      ) +
        (c.adjacentHighRisk.length > 0
          ? `<h3>High-risk assets in adjacent zones</h3>${table(['id', 'name', 'zone', 'why'], c.adjacentHighRisk.map((a) => [a.id, a.name, a.zone, a.highRiskReasons.join('; ')]), '')}`
          : ''),
    ),
    section(
      'notifications',
      'Notifications',
      table(
        ['id', 'channel', 'kind', 'recipient', 'status', 'attempts', 'last error', 'queued', 'sent', 'acknowledged'],
        c.notifications.map((n) => [n.id, n.channel, n.kind, n.recipient, n.status, n.attempts, n.lastError, n.createdAt, n.sentAt, n.acknowledgedAt]),
        'No notification sent.',
      ),
    ),
    section(
      'patrols',
      'Patrols',
      table(
        ['id', 'kind', 'guard', 'zone', 'status', 'distance', 'assigned', 'acknowledged', 'on site', 'completed'],
        c.patrols.map((p) => [p.id, p.kind, p.guardName ?? p.guardId, p.zone, p.status, p.metres === null ? null : `${p.metres} m`, p.assignedAt, p.acknowledgedAt, p.onSiteAt, p.completedAt]),
        'No patrol.',
      ),
    ),
    section('workflow', 'Response steps', table(['step', 'status', 'finished', 'reason'], c.workflow.map((w) => [w.title, w.status, w.finishedAt, w.reason]), 'No step journaled.')),
    section('notes', 'Case notes', table(['time (UTC)', 'author', 'kind', 'note'], c.caseNotes.map((n) => [n.at, n.author, n.kind, n.text]), 'No case notes.')),
    section('tasks', 'Tasks', table(['id', 'kind', 'title', 'status', 'assignee', 'due', 'completed'], c.tasks.map((t) => [t.id, t.kind, t.title, t.status, t.assignee, t.dueAt, t.completedAt]), 'No task.')),
    section(
      'evidence',
      'Evidence',
      `${table(['camera', 'zone', 'from (UTC)', 'to (UTC)'], c.evidence.cameraClips.map((x) => [x.device, x.zone, x.from, x.to]), 'No camera sees the zone.')}` +
        `<p class="note">Events: ${c.evidence.events.length > 0 ? esc(c.evidence.events.join(', ')) : 'none'}.</p>` +
        (c.evidence.checklist.length > 0 ? table(['task', 'item'], c.evidence.checklist.map((x) => [x.task, JSON.stringify(x.item)]), '') : ''),
    ),
    section('access', 'Access-log findings', table(['time (UTC)', 'rule', 'severity', 'badge', 'person', 'zone', 'finding'], c.accessFindings.map((a) => [a.at, human(a.rule), a.severity, a.badge, a.person, a.zone, a.summary]), 'No access-log findings (yet).')),
    section('equipment', 'Equipment findings', table(['device', 'finding', 'summary', 'found'], c.equipmentFindings.map((e) => [e.deviceId, human(e.finding), e.summary, e.foundAt]), 'No equipment findings (yet).')),
    section('risk', 'Risk after this incident (likelihood x impact)', table(['scope', 'id', 'L x I', 'score', 'band', 'recurring'], c.risk.map((r) => [human(r.scope), r.id, `${r.likelihood} x ${r.impact}`, String(r.score), r.band, r.recurring ? 'yes' : 'no']), 'Risk not recalculated for this incident yet.')),
    section('asset-status', 'Asset status changes', table(['time (UTC)', 'asset', 'from', 'to', 'by', 'why'], c.assetStatusChanges.map((s) => [s.at, s.assetId, human(s.from), human(s.to), s.actor, s.reason]), 'No asset status changed.')),
    section(
      'custody',
      'Chain of custody',
      table(['#', 'time (UTC)', 'who', 'action', 'details'], c.chainOfCustody.map((a) => [a.seq, a.at, a.actor, a.action, Object.keys(a.details).length ? JSON.stringify(a.details) : null]), 'No action recorded.') +
        `<h3>Report versions</h3>${table(
          ['version', 'generated', 'SHA-256', 'signed by', 'signed at'],
          r.versions.map((v) => [v.version, v.generatedAt, v.digest, v.signedBy, v.signedAt]),
          '',
        )}`,
    ),
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Incident report ${esc(i.id)} v${esc(r.version)}</title>
<style>
body{font:13px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;margin:24px auto;max-width:960px;padding:0 16px}
h1{font-size:20px;margin:4px 0}h2{font-size:16px;border-bottom:1px solid #ccc;padding-bottom:2px;margin-top:22px}h3{font-size:14px}
.org{color:#666;text-transform:uppercase;letter-spacing:.05em;font-size:11px}.meta{color:#555}code{font-size:11px;word-break:break-all}
.signoff{padding:6px 10px;border-radius:4px}.signoff.signed{background:#e6f4ea;border:1px solid #2e8b57}.signoff.draft{background:#fff6e0;border:1px solid #d4a017}
table{border-collapse:collapse;width:100%;margin:6px 0;font-size:12px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f4f6f8}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}dt{color:#555}dd{margin:0}
.empty,.note{color:#666}ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:14px;font-size:11px}ul.legend span{display:inline-block;width:10px;height:10px;margin-right:4px}
svg{max-width:100%;height:auto}
@media print{body{margin:0;max-width:none}section{break-inside:auto}h2{break-after:avoid}table{page-break-inside:auto}tr{break-inside:avoid}}
</style></head><body>
${body}
</body></html>
`;
}
