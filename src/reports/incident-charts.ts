/**
 * The incident report's two charts, as chart descriptions (charts.ts draws them in SVG and PDF):
 * each severity factor's contribution in score points, and the loss breakdown (replacement,
 * downtime, fines, remediation, and the recoveries that come off the gross).
 */
import { approxMajorUnits, formatMoney, signOfDecimal } from '../domain/money.js';
import type { BarChart } from './charts.js';
import type { IncidentReportContent } from './incident-report.js';

/** Severity factor contributions, largest first; the largest is emphasised. */
export function severityChart(c: IncidentReportContent): BarChart {
  const factors = [...c.severity.factors].sort((a, b) => b.contribution - a.contribution || a.name.localeCompare(b.name));
  return {
    title: `Severity ${c.severity.score} (${c.severity.band}): points per factor`,
    bars: factors.map((f, i) => ({ label: f.name, value: Math.max(0, f.contribution), display: `+${f.contribution}`, tone: i === 0 && f.contribution > 0 ? 'emphasis' : 'default' })),
    empty: 'no severity computed',
  };
}

/** The loss breakdown by kind (bar lengths approximate, the figures exact). */
export function lossChart(c: IncidentReportContent): BarChart {
  const l = c.loss;
  if (!l) return { title: 'Loss', bars: [], empty: 'no loss computed' };
  const kinds: [string, string, 'default' | 'credit'][] = [
    ['replacement', l.replacement, 'default'],
    ['downtime', l.downtime, 'default'],
    ['fines', l.fines, 'default'],
    ['remediation', l.remediation, 'default'],
    ['recovered', l.recovered, 'credit'],
  ];
  return {
    title: `Loss: net ${formatMoney(l.net, l.currency)} (gross ${formatMoney(l.gross, l.currency)})`,
    bars: kinds.map(([label, amount, tone]) => ({ label, value: Math.abs(approxMajorUnits(amount, l.currency)), display: `${tone === 'credit' && signOfDecimal(amount) !== 0 ? '-' : ''}${formatMoney(amount, l.currency)}`, tone })),
  };
}
