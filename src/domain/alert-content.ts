/**
 * What alerts say: SMS bodies (short, under 320 characters: two SMS segments at most), email
 * subject/text/HTML, the digest that replaces rate-limited SMS, the patrol order to a guard.
 * Pure functions of an incident summary.
 */
import { formatMoney } from './money.js';
import type { Band } from './types.js';

/** What every alert needs to know about an incident. */
export interface AlertIncident {
  id: string;
  type: string;
  band: Band;
  score: number;
  siteName: string;
  zoneName?: string;
  /** Local time of the first event, "02:14", and the date "2026-11-20", in the site's zone. */
  localTime: string;
  localDate: string;
  timezone: string;
  topAsset?: { name: string; value: string };
  ackCode?: string;
  netLoss?: string;
  currency: string;
  url: string;
  factors?: { name: string; contribution: number; detail: string }[];
}

/** Maximum SMS body length we send (two concatenated segments). */
export const SMS_MAX = 320;

const human = (t: string) => t.replace(/_/g, ' ');
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function clip(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

/** The emergency SMS to security leads and rapid response. */
export function emergencySms(i: AlertIncident, escalationLevel = 0): string {
  const head = `${escalationLevel > 0 ? `ESCALATION ${escalationLevel} ` : ''}VIGIL ${i.band.toUpperCase()}: ${human(i.type)}`;
  const where = `${i.siteName}${i.zoneName ? `, ${i.zoneName}` : ''}`;
  const asset = i.topAsset ? ` Asset: ${i.topAsset.name} (${formatMoney(i.topAsset.value, i.currency)}).` : '';
  const ack = i.ackCode ? ` Reply ACK ${i.ackCode}` : '';
  const tail = ` ${i.localTime} local.${asset} Score ${Math.round(i.score)}.${ack} ${i.url}`;
  return clip(`${head} at ${clip(where, 90)}.${tail}`, SMS_MAX);
}

/** The patrol order sent to a guard. */
export function patrolSms(p: { guardName: string; siteName: string; zoneName?: string; target?: [number, number]; assets: string[]; reason: string; etaSeconds?: number; patrolId: string }): string {
  const where = `${p.siteName}${p.zoneName ? `, ${p.zoneName}` : ''}${p.target ? ` @(${p.target[0].toFixed(1)},${p.target[1].toFixed(1)})` : ''}`;
  const check = p.assets.length > 0 ? ` Check: ${p.assets.slice(0, 3).join(', ')}.` : '';
  const eta = p.etaSeconds !== undefined ? ` ETA ${Math.max(1, Math.round(p.etaSeconds / 60))} min.` : '';
  return clip(`VIGIL PATROL for ${p.guardName}: go to ${where}. ${clip(p.reason, 80)}.${check}${eta} Reply ACK ${p.patrolId.slice(-6)}`, SMS_MAX);
}

/** The SMS telling the security lead that no guard could be sent. */
export function noGuardSms(i: AlertIncident, reason: string): string {
  return clip(`VIGIL: no guard available for ${human(i.type)} at ${i.siteName}${i.zoneName ? `, ${i.zoneName}` : ''} (${reason}). Send someone. ${i.url}`, SMS_MAX);
}

/** One SMS that stands for several rate-limited alerts. */
export function digestSms(items: { band: Band; type: string; siteName: string; ackCode?: string }[], windowMinutes: number): string {
  const lines = items.map((x) => `${x.band.toUpperCase()} ${human(x.type)} @${x.siteName}${x.ackCode ? ` (ACK ${x.ackCode})` : ''}`);
  let body = `VIGIL DIGEST: ${items.length} more alert(s) in ${windowMinutes} min: `;
  for (const [k, l] of lines.entries()) {
    const rest = ` +${lines.length - k} more`;
    if (body.length + l.length + 2 + rest.length > SMS_MAX) return clip(body + rest.trim(), SMS_MAX);
    body += (k > 0 ? '; ' : '') + l;
  }
  return clip(body, SMS_MAX);
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The management email: subject, plain text and HTML. */
export function managementEmail(i: AlertIncident, audience: 'manager' | 'executive'): { subject: string; text: string; html: string } {
  const subject = `[Vigil ${i.band.toUpperCase()}] ${cap(human(i.type))} at ${i.siteName}${i.zoneName ? ` – ${i.zoneName}` : ''}`;
  const loss = i.netLoss !== undefined ? formatMoney(i.netLoss, i.currency) : 'not yet estimated';
  const factors = (i.factors ?? []).filter((f) => f.contribution > 0).sort((a, b) => b.contribution - a.contribution);
  const text = [
    `${cap(human(i.type))} at ${i.siteName}${i.zoneName ? `, ${i.zoneName}` : ''}, ${i.localDate} ${i.localTime} (${i.timezone}).`,
    `Severity ${i.score} (${i.band}). Estimated net loss ${loss}.`,
    i.topAsset ? `Most valuable asset at risk: ${i.topAsset.name} (${formatMoney(i.topAsset.value, i.currency)}).` : '',
    audience === 'executive' ? 'You receive this because the incident is critical or its loss passed the executive threshold.' : '',
    '',
    'Why this score:',
    ...factors.map((f) => `  ${f.name} +${f.contribution}: ${f.detail}`),
    '',
    `Incident ${i.id}: ${i.url}`,
  ]
    .filter((l, k, all) => l !== '' || all[k - 1] !== '')
    .join('\n');
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif">
<h2 style="margin:0 0 8px">${esc(cap(human(i.type)))} at ${esc(i.siteName)}${i.zoneName ? ` – ${esc(i.zoneName)}` : ''}</h2>
<p><strong>${esc(i.band.toUpperCase())}</strong> · severity ${i.score} · ${esc(i.localDate)} ${esc(i.localTime)} (${esc(i.timezone)}) · estimated net loss ${esc(loss)}</p>
${i.topAsset ? `<p>Most valuable asset at risk: ${esc(i.topAsset.name)} (${esc(formatMoney(i.topAsset.value, i.currency))})</p>` : ''}
<table style="border-collapse:collapse">${factors.map((f) => `<tr><td style="padding:2px 8px">${esc(f.name)}</td><td style="padding:2px 8px;text-align:right">+${f.contribution}</td><td style="padding:2px 8px;color:#555">${esc(f.detail)}</td></tr>`).join('')}</table>
<p><a href="${esc(i.url)}">Open incident ${esc(i.id)}</a></p>
</body></html>`;
  return { subject, text, html };
}
