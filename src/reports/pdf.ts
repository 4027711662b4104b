/**
 * The incident report as a PDF, drawn with pdfkit (not a picture of the HTML): the same sections,
 * the site plan and the charts drawn as vector graphics from the same descriptions as the HTML's
 * SVG (site-plan.ts, charts.ts). Only pdfkit's built-in fonts (Helvetica), so no font file is
 * needed; those fonts are WinAnsi-encoded, so every string passes through `winAnsi` first.
 * The document's dates are the version's generation time, so a version renders the same bytes.
 */
import PDFDocument from 'pdfkit';
import { formatMoney } from '../domain/money.js';
import { drawBarChart, type PdfDoc } from './charts.js';
import { signoffText } from './html.js';
import { lossChart, severityChart } from './incident-charts.js';
import type { ServedReport } from './report-versions.js';
import { drawSitePlan, planHeight } from './site-plan.js';

/** Code points outside Latin-1 that WinAnsi (Windows-1252) still has. */
const WIN_ANSI_EXTRA = new Set([0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e, 0x0178]);
const REPLACEMENTS: Record<string, string> = { '→': '->', '←': '<-', '≥': '>=', '≤': '<=', '−': '-', '✓': 'v', 'Ł': 'L', 'ł': 'l', 'Đ': 'D', 'đ': 'd', 'ı': 'i' };

/** A string as the standard PDF fonts can show it: WinAnsi characters kept, accents stripped where needed, anything else '?'. */
export function winAnsi(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(cp)) out += ch;
    else if (cp === 0x09 || cp === 0x0a) out += ' ';
    else if (REPLACEMENTS[ch] !== undefined) out += REPLACEMENTS[ch];
    else {
      const base = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      out += base !== '' && [...base].every((c) => c.codePointAt(0)! >= 0x20 && c.codePointAt(0)! <= 0x7e) ? base : '?';
    }
  }
  return out;
}

const MARGIN = 48;
const human = (t: string) => t.replace(/_/g, ' ');

/** Renders a served report version as a PDF document. */
export function renderReportPdf(r: ServedReport): Promise<Buffer> {
  const c = r.content;
  const i = c.incident;
  const at = new Date(r.generatedAt);
  const doc: PdfDoc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: { Title: winAnsi(`Incident report ${i.id} v${r.version}`), Author: winAnsi(c.organization.name), Subject: winAnsi(c.summary.headline), Creator: 'Vigil', Producer: 'Vigil (pdfkit)', CreationDate: at, ModDate: at },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - MARGIN - 20;
  const ensure = (h: number) => {
    if (doc.y + h > bottom()) doc.addPage();
  };
  /** A section heading, kept with the first `keep` points of what follows. */
  const heading = (t: string, keep = 60) => {
    ensure(30 + keep);
    doc.moveDown(0.6).font('Helvetica-Bold').fontSize(12.5).fillColor('#1b2a3a').text(winAnsi(t), MARGIN, doc.y, { width });
    doc.moveTo(MARGIN, doc.y + 1).lineTo(MARGIN + width, doc.y + 1).lineWidth(0.5).stroke('#bbbbbb');
    doc.moveDown(0.3).font('Helvetica').fontSize(9).fillColor('#222');
  };
  const para = (t: string, opts: { colour?: string; size?: number; bold?: boolean } = {}) => {
    doc.font(opts.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(opts.size ?? 9).fillColor(opts.colour ?? '#222').text(winAnsi(t), MARGIN, doc.y, { width });
  };
  const none = (t: string) => para(t, { colour: '#666666' });
  /** A simple table: fixed column shares, wrapped cells, a page break before a row that does not fit. */
  const table = (headers: string[], shares: number[], rows: (string | number | null | undefined)[][], empty: string) => {
    if (rows.length === 0) return none(empty);
    const total = shares.reduce((a, b) => a + b, 0);
    const ws = shares.map((s) => (s / total) * width);
    const row = (cells: string[], bold: boolean) => {
      doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(7.5);
      const h = Math.max(...cells.map((t, k) => doc.heightOfString(t, { width: ws[k] - 4 }))) + 4;
      if (doc.y + h > bottom()) {
        doc.addPage();
        if (!bold) row(headers.map(winAnsi), true);
      }
      const y = doc.y;
      if (bold) doc.rect(MARGIN, y, width, h).fill('#eef1f4');
      let x = MARGIN;
      cells.forEach((t, k) => {
        doc.fillColor('#222').text(t, x + 2, y + 2, { width: ws[k] - 4 });
        x += ws[k];
      });
      doc.moveTo(MARGIN, y + h).lineTo(MARGIN + width, y + h).lineWidth(0.3).stroke('#dddddd');
      doc.x = MARGIN;
      doc.y = y + h;
    };
    row(headers.map(winAnsi), true);
    for (const r0 of rows) row(r0.map((v) => winAnsi(v === null || v === undefined || v === '' ? '-' : String(v))), false);
    doc.moveDown(0.4);
  };
  const money = (v: string | null) => (v === null ? '-' : formatMoney(v, c.summary.currency));

  // Title block.
  doc.font('Helvetica').fontSize(8.5).fillColor('#666666').text(winAnsi(c.organization.name.toUpperCase()), MARGIN, MARGIN, { width });
  doc.font('Helvetica-Bold').fontSize(16).fillColor('#1b2a3a').text(winAnsi(`Incident report: ${c.summary.headline}`), { width });
  doc.moveDown(0.2);
  para(`Incident ${i.id}`, { bold: true, size: 10 });
  para(`Report version ${r.version} of ${r.latestVersion}, generated ${r.generatedAt}`, { colour: '#555555' });
  para(`SHA-256 of the content: ${r.digest}`, { colour: '#555555', size: 7.5 });
  doc.moveDown(0.3);
  const sign = winAnsi(signoffText(r));
  doc.font('Helvetica-Bold').fontSize(9.5);
  const sh = doc.heightOfString(sign, { width: width - 16 }) + 10;
  const sy = doc.y;
  doc.rect(MARGIN, sy, width, sh).lineWidth(1).fillAndStroke(r.signoff ? '#e6f4ea' : '#fff6e0', r.signoff ? '#2e8b57' : '#d4a017');
  doc.fillColor('#222').text(sign, MARGIN + 8, sy + 5, { width: width - 16 });
  doc.x = MARGIN;
  doc.y = sy + sh + 4;

  heading('Summary');
  para(c.summary.text);
  doc.moveDown(0.3);
  const facts: [string, string][] = [
    ['Site', `${i.siteName} (${i.site})`],
    ['Zone', i.zone ? `${i.zoneName} (${i.zone})` : '-'],
    ['Type', human(i.type)],
    ['Status', `${i.status}${i.outcome ? `, outcome ${human(i.outcome)}` : ''}`],
    ['Band', c.severity.band],
    ['Severity score', String(c.severity.score)],
    ['Net loss', money(c.summary.netLoss)],
    ['Gross loss', money(c.summary.grossLoss)],
    ['First event', `${i.firstEventAt} (${i.localStart} local, ${i.timezone})`],
    ['Last event', i.lastEventAt],
    ['Acknowledged', i.acknowledgedAt ? `${i.acknowledgedAt} by ${i.acknowledgedBy}` : '-'],
    ['Resolved', i.resolvedAt ? `${i.resolvedAt} by ${i.resolvedBy}${i.resolution ? `: ${i.resolution}` : ''}` : '-'],
  ];
  for (const [k, v] of facts) {
    ensure(14);
    const y = doc.y;
    doc.font('Helvetica').fontSize(9).fillColor('#555555').text(winAnsi(k), MARGIN, y, { width: 110 });
    doc.fillColor('#222').text(winAnsi(v), MARGIN + 115, y, { width: width - 115 });
    doc.x = MARGIN;
  }

  heading('Site plan', c.sitePlan ? planHeight(c.sitePlan, width, 300) : 20);
  if (c.sitePlan) {
    ensure(planHeight(c.sitePlan, width, 300) + 20);
    const y = doc.y;
    const used = drawSitePlan(doc, c.sitePlan, { x: MARGIN, y, width }, winAnsi);
    doc.x = MARGIN;
    doc.y = y + used + 6;
  } else none('The site has no plan.');

  heading('Severity', 40 + severityChart(c).bars.length * 18);
  const sev = severityChart(c);
  ensure(30 + sev.bars.length * 18);
  doc.y += drawBarChart(doc, sev, { x: MARGIN, y: doc.y, width }, winAnsi) + 4;
  doc.x = MARGIN;
  table(['factor', 'value', 'weight', 'points', 'why'], [2, 1, 1, 1, 5], c.severity.factors.map((f) => [f.name, f.value, f.weight, f.contribution, f.detail]), 'No severity computed.');
  none(`Policy version ${c.severity.policyVersion ?? '-'}; ${c.severity.history.length} score(s) computed as events arrived.`);

  heading('Loss', 40 + lossChart(c).bars.length * 18);
  if (c.loss) {
    const lc = lossChart(c);
    ensure(30 + lc.bars.length * 18);
    doc.y += drawBarChart(doc, lc, { x: MARGIN, y: doc.y, width }, winAnsi) + 4;
    doc.x = MARGIN;
    table(['kind', 'description', 'amount', 'asset'], [2, 6, 2, 2], c.loss.items.map((x) => [x.kind, x.description, formatMoney(x.amount, c.loss!.currency), x.assetId]), 'No itemised loss.');
    para(`Gross ${money(c.loss.gross)}, recovered ${money(c.loss.recovered)}, net loss ${money(c.loss.net)}.`, { bold: true });
  } else none('No loss computed.');

  heading('Timeline');
  table(['time (UTC)', 'what', 'ref'], [3, 7, 3], c.timeline.map((t) => [t.at, t.text, t.ref]), 'Nothing recorded.');
  heading(`Events (${c.eventsListed} of ${i.eventCount})`);
  table(['id', 'time (UTC)', 'source', 'type', 'zone', 'device', 'amount'], [2, 3, 2, 2.5, 2, 2, 1.5], c.events.map((e) => [e.id, e.occurredAt, e.source, human(e.type), e.zone, e.device, e.amount]), 'No events.');
  heading('Assets');
  table(
    ['id', 'name', 'zone', 'value', 'relation', 'high risk', 'status'],
    [2, 3, 2, 1.6, 1.2, 3, 2],
    c.assets.map((a) => [a.id, a.name, a.zone, a.value === null ? null : formatMoney(a.value, c.summary.currency), a.relation, a.highRisk ? a.highRiskReasons.join('; ') || 'yes' : 'no', a.status ? human(a.status) : null]),
    'No asset touched.',
  );
  if (c.adjacentHighRisk.length > 0) table(['adjacent high-risk asset', 'zone', 'why'], [3, 2, 5], c.adjacentHighRisk.map((a) => [a.name, a.zone, a.highRiskReasons.join('; ')]), '');
  heading('Notifications');
  table(
    ['channel', 'kind', 'recipient', 'status', 'tries', 'last error', 'queued', 'sent'],
    [1.2, 2, 2, 1.3, 0.8, 2.5, 2.6, 2.6],
    c.notifications.map((n) => [n.channel, n.kind, n.recipient, n.status, n.attempts, n.lastError, n.createdAt, n.sentAt]),
    'No notification sent.',
  );
  heading('Patrols');
  table(
    ['id', 'kind', 'guard', 'status', 'distance', 'assigned', 'on site', 'completed'],
    [2.4, 1.3, 2, 1.4, 1.2, 2.6, 2.6, 2.6],
    c.patrols.map((p) => [p.id, p.kind, p.guardName ?? p.guardId, p.status, p.metres === null ? null : `${p.metres} m`, p.assignedAt, p.onSiteAt, p.completedAt]),
    'No patrol.',
  );
  heading('Response steps');
  table(['step', 'status', 'finished', 'reason'], [3, 1.5, 3, 5], c.workflow.map((w) => [w.title, w.status, w.finishedAt, w.reason]), 'No step journaled.');
  heading('Case notes');
  table(['time (UTC)', 'author', 'kind', 'note'], [3, 2, 1.5, 7], c.caseNotes.map((n) => [n.at, n.author, n.kind, n.text]), 'No case notes.');
  heading('Tasks');
  table(['id', 'kind', 'title', 'status', 'assignee', 'due'], [2.5, 1.5, 4, 1.5, 2, 3], c.tasks.map((t) => [t.id, t.kind, t.title, t.status, t.assignee, t.dueAt]), 'No task.');
  heading('Evidence');
  table(['camera', 'zone', 'from (UTC)', 'to (UTC)'], [2, 2, 3, 3], c.evidence.cameraClips.map((x) => [x.device, x.zone, x.from, x.to]), 'No camera sees the zone.');
  none(`Events: ${c.evidence.events.length > 0 ? c.evidence.events.join(', ') : 'none'}.`);
  if (c.evidence.checklist.length > 0) table(['task', 'item'], [2, 8], c.evidence.checklist.map((x) => [x.task, JSON.stringify(x.item)]), '');
  heading('Access-log findings');
  table(['time (UTC)', 'rule', 'severity', 'badge', 'finding'], [3, 2, 1.3, 1.5, 6], c.accessFindings.map((a) => [a.at, human(a.rule), a.severity, a.badge, a.summary]), 'No access-log findings (yet).');
  heading('Equipment findings');
  table(['device', 'finding', 'summary', 'found'], [2, 2, 6, 3], c.equipmentFindings.map((e) => [e.deviceId, human(e.finding), e.summary, e.foundAt]), 'No equipment findings (yet).');
  heading('Risk after this incident (likelihood x impact)');
  table(['scope', 'id', 'L x I', 'score', 'band', 'recurring'], [1.5, 4, 1.5, 1.2, 1.5, 1.5], c.risk.map((r) => [human(r.scope), r.id, `${r.likelihood} x ${r.impact}`, String(r.score), r.band, r.recurring ? 'yes' : 'no']), 'Risk not recalculated for this incident yet.');
  heading('Asset status changes');
  table(['time (UTC)', 'asset', 'from', 'to', 'by', 'why'], [3, 2, 1.8, 1.8, 1.8, 4], c.assetStatusChanges.map((s) => [s.at, s.assetId, human(s.from), human(s.to), s.actor, s.reason]), 'No asset status changed.');
  heading('Chain of custody');
  table(['#', 'time (UTC)', 'who', 'action', 'details'], [0.7, 3, 2, 2.3, 6], c.chainOfCustody.map((a) => [a.seq, a.at, a.actor, a.action, Object.keys(a.details).length ? JSON.stringify(a.details) : null]), 'No action recorded.');
  table(['report version', 'generated', 'SHA-256', 'signed by', 'signed at'], [1.2, 2.8, 5, 2, 2.8], r.versions.map((v) => [v.version, v.generatedAt, v.digest, v.signedBy, v.signedAt]), '');
  ensure(30);
  para(signoffText(r), { bold: true });

  // Footer on every page.
  const range = doc.bufferedPageRange();
  for (let p = range.start; p < range.start + range.count; p++) {
    doc.switchToPage(p);
    // Writing below the bottom margin would start a new page: lift the margin for the footer.
    doc.page.margins.bottom = 0;
    const y = doc.page.height - MARGIN + 14;
    doc.font('Helvetica').fontSize(7).fillColor('#888888');
    doc.text(winAnsi(`${i.id} · report v${r.version}${r.signoff ? ` · signed by ${r.signoff.signedBy}` : ' · draft'} · page ${p - range.start + 1} of ${range.count}`), MARGIN, y, { width, lineBreak: false, height: 10 });
  }
  doc.end();
  return done;
}
