/**
 * Charts of the weekly report: horizontal bar charts and a line chart as inline SVG strings (HTML)
 * and the same bar chart drawn with pdfkit (PDF). A narrow interface: a chart is a title and
 * labelled values; `value` is only the bar's length (a float is fine for geometry), `text` is what
 * is written beside it (exact money from the report).
 */

/** One bar or point: a label, the number that sets its length or height, and the text written with it. */
export interface ChartDatum {
  label: string;
  value: number;
  text: string;
}

/** Escapes text for XML and HTML. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const BAR_COLOUR = '#2f6db5';
const TEXT_COLOUR = '#222';

/** A horizontal bar chart: one row per datum, the label left, the bar, its text right. */
export function barChartSvg(title: string, data: readonly ChartDatum[], width = 640): string {
  const row = 22;
  const labelW = Math.round(width * 0.34);
  const textW = 130;
  const barMax = width - labelW - textW - 10;
  const max = Math.max(0, ...data.map((d) => d.value));
  const height = 28 + Math.max(1, data.length) * row;
  const rows = data.map((d, i) => {
    const y = 28 + i * row;
    const w = max > 0 ? Math.max(d.value > 0 ? 1 : 0, Math.round((d.value / max) * barMax)) : 0;
    return (
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end" font-size="12" fill="${TEXT_COLOUR}">${escapeXml(truncate(d.label, 40))}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${row - 8}" fill="${BAR_COLOUR}"><title>${escapeXml(`${d.label}: ${d.text}`)}</title></rect>` +
      `<text x="${labelW + w + 6}" y="${y + 15}" font-size="12" fill="${TEXT_COLOUR}">${escapeXml(d.text)}</text>`
    );
  });
  const empty = data.length === 0 ? `<text x="${labelW}" y="45" font-size="12" fill="#777">no data</text>` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeXml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<text x="0" y="16" font-size="14" font-weight="bold" fill="${TEXT_COLOUR}">${escapeXml(title)}</text>${rows.join('')}${empty}</svg>`
  );
}

/** A line chart over labelled points (weeks), with each point's text above it. */
export function lineChartSvg(title: string, data: readonly ChartDatum[], width = 640, height = 200): string {
  const left = 20;
  const right = 20;
  const top = 40;
  const bottom = 30;
  const max = Math.max(0, ...data.map((d) => d.value));
  const step = data.length > 1 ? (width - left - right) / (data.length - 1) : 0;
  const pts = data.map((d, i) => ({ x: left + i * step, y: top + (max > 0 ? (1 - d.value / max) : 1) * (height - top - bottom), d }));
  const path = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  const marks = pts.map(
    (p) =>
      `<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="3" fill="${BAR_COLOUR}"><title>${escapeXml(`${p.d.label}: ${p.d.text}`)}</title></circle>` +
      `<text x="${p.x.toFixed(1)}" y="${(p.y - 8).toFixed(1)}" text-anchor="middle" font-size="10" fill="${TEXT_COLOUR}">${escapeXml(p.d.text)}</text>` +
      `<text x="${p.x.toFixed(1)}" y="${height - 10}" text-anchor="middle" font-size="11" fill="${TEXT_COLOUR}">${escapeXml(p.d.label)}</text>`,
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeXml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<text x="0" y="16" font-size="14" font-weight="bold" fill="${TEXT_COLOUR}">${escapeXml(title)}</text>` +
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#bbb"/>` +
    (pts.length > 0 ? `<path d="${path}" fill="none" stroke="${BAR_COLOUR}" stroke-width="2"/>` : '') +
    `${marks.join('')}</svg>`
  );
}

/** The pdfkit calls the bar chart needs (a structural subset of PDFKit.PDFDocument). */
export interface PdfCanvas {
  fontSize(size: number): this;
  font(name: string): this;
  fillColor(colour: string): this;
  rect(x: number, y: number, w: number, h: number): this;
  fill(colour?: string): this;
  text(text: string, x?: number, y?: number, options?: Record<string, unknown>): this;
}

/** Draws a horizontal bar chart at (x, y) `width` wide; returns the y below it. */
export function drawBarChartPdf(doc: PdfCanvas, title: string, data: readonly ChartDatum[], x: number, y: number, width: number): number {
  const row = 15;
  const labelW = width * 0.34;
  const textW = 110;
  const barMax = width - labelW - textW - 8;
  const max = Math.max(0, ...data.map((d) => d.value));
  doc.font('Helvetica-Bold').fontSize(11).fillColor(TEXT_COLOUR).text(title, x, y, { lineBreak: false });
  let cy = y + 17;
  doc.font('Helvetica').fontSize(8.5);
  if (data.length === 0) {
    doc.fillColor('#777').text('no data', x + labelW, cy, { lineBreak: false });
    return cy + row + 6;
  }
  for (const d of data) {
    const w = max > 0 ? Math.max(d.value > 0 ? 1 : 0, (d.value / max) * barMax) : 0;
    doc.fillColor(TEXT_COLOUR).text(truncate(d.label, 38), x, cy + 2, { width: labelW - 6, align: 'right', lineBreak: false });
    if (w > 0) doc.rect(x + labelW, cy + 1, w, row - 5).fill(BAR_COLOUR);
    doc.fillColor(TEXT_COLOUR).text(d.text, x + labelW + w + 4, cy + 2, { lineBreak: false });
    cy += row;
  }
  return cy + 6;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
