/**
 * Small horizontal bar charts for reports, drawn twice from one description: as inline SVG (HTML
 * reports) and on a pdfkit page (PDF reports). The incident report draws the severity factors'
 * contributions and the loss breakdown with them; the weekly report reuses the same interface.
 *
 * A chart is a title and bars; each bar has a label, a length value (any unit, 0 or more; for
 * money pass an approximation such as approxMajorUnits, the exact figure goes in `display`), and
 * the text shown at its end. Negative lengths draw as empty bars.
 */
import type PDFDocument from 'pdfkit';

/** One bar. */
export interface Bar {
  label: string;
  /** Length in the chart's unit (0 or more); only proportions matter. */
  value: number;
  /** Text at the bar's end (default: the value). */
  display?: string;
  /** Colour role: default, emphasis (the bar that matters most) or credit (money coming back). */
  tone?: 'default' | 'emphasis' | 'credit';
}

/** A bar chart. */
export interface BarChart {
  title: string;
  bars: Bar[];
  /** Shown when there are no bars. */
  empty?: string;
}

/** A pdfkit document (what the PDF drawings draw on). */
export type PdfDoc = InstanceType<typeof PDFDocument>;

const TONES: Record<NonNullable<Bar['tone']>, string> = { default: '#4a6fa5', emphasis: '#c0392b', credit: '#2e8b57' };
const ROW = 18;
const TITLE = 20;
const LABEL_SHARE = 0.38;
const VALUE_SPACE = 90;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The chart's height for a width, in the drawing's units (px in SVG, pt in PDF). */
export function barChartHeight(chart: BarChart): number {
  return TITLE + Math.max(1, chart.bars.length) * ROW + 6;
}

function layout(chart: BarChart, width: number) {
  const labelW = Math.round(width * LABEL_SHARE);
  const barMax = Math.max(10, width - labelW - VALUE_SPACE);
  const max = Math.max(0, ...chart.bars.map((b) => b.value));
  return chart.bars.map((b, i) => ({
    bar: b,
    y: TITLE + i * ROW,
    x: labelW,
    w: max > 0 && b.value > 0 ? Math.max(1, (b.value / max) * barMax) : 0,
    text: b.display ?? String(b.value),
    colour: TONES[b.tone ?? 'default'],
  }));
}

/** The chart as an inline SVG element of the given width (px). */
export function barChartSvg(chart: BarChart, width = 520): string {
  const h = barChartHeight(chart);
  const rows = layout(chart, width);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" role="img" aria-label="${esc(chart.title)}">`,
    `<text x="0" y="13" font-size="13" font-weight="bold" fill="#222">${esc(chart.title)}</text>`,
  ];
  if (rows.length === 0) parts.push(`<text x="0" y="${TITLE + 12}" font-size="11" fill="#666">${esc(chart.empty ?? 'nothing to show')}</text>`);
  for (const r of rows) {
    parts.push(
      `<text x="${r.x - 6}" y="${r.y + 12}" font-size="11" text-anchor="end" fill="#333">${esc(r.bar.label)}</text>`,
      `<rect x="${r.x}" y="${r.y + 2}" width="${r.w.toFixed(1)}" height="${ROW - 6}" fill="${r.colour}"/>`,
      `<text x="${(r.x + r.w + 4).toFixed(1)}" y="${r.y + 12}" font-size="11" fill="#333">${esc(r.text)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Draws the chart on a pdfkit page with its top-left corner at (x, y); returns the height used.
 * `text` turns strings into what the page's font can show (the standard fonts are WinAnsi).
 */
export function drawBarChart(doc: PdfDoc, chart: BarChart, box: { x: number; y: number; width: number }, text: (s: string) => string = (s) => s): number {
  const rows = layout(chart, box.width);
  doc.save();
  doc.font('Helvetica-Bold').fontSize(10).fillColor('#222').text(text(chart.title), box.x, box.y, { width: box.width, lineBreak: false });
  doc.font('Helvetica').fontSize(8.5);
  if (rows.length === 0) doc.fillColor('#666').text(text(chart.empty ?? 'nothing to show'), box.x, box.y + TITLE, { width: box.width, lineBreak: false });
  for (const r of rows) {
    doc.fillColor('#333').text(text(r.bar.label), box.x, box.y + r.y + 3, { width: r.x - 6, align: 'right', lineBreak: false, ellipsis: true });
    if (r.w > 0) doc.rect(box.x + r.x, box.y + r.y + 2, r.w, ROW - 6).fill(r.colour);
    doc.fillColor('#333').text(text(r.text), box.x + r.x + r.w + 4, box.y + r.y + 3, { width: VALUE_SPACE - 4, lineBreak: false });
  }
  doc.restore();
  return barChartHeight(chart);
}
