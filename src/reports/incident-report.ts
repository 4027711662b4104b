/**
 * The incident report (step 8) as data: a pure function from what the store holds about an
 * incident (store/read/report-data.ts) and the site model to the report's JSON content, and the
 * content's digest.
 *
 * The content holds everything a reader needs, the site plan's geometry included, so a version
 * renders the same years later whatever the configuration has become (html.ts and pdf.ts draw
 * only from it). It holds nothing volatile: no generation time, no "as of now", no sign-off; those
 * are columns of the version (store/reports.ts), shown beside the content. So an incident that did
 * not change yields the same content and the same digest, and signing a version does not change
 * what it says.
 *
 * The digest is the SHA-256 (hex) of the content's canonical JSON: keys sorted at every level, no
 * whitespace, strings and numbers as JSON.stringify writes them. Anyone holding a version's content
 * can recompute it (the archive and auditors do).
 */
import { createHash } from 'node:crypto';
import type { Policy } from '../config/schema.js';
import { highRiskReasons } from '../domain/assessment.js';
import { sectorOf, sectorTouchesPolygon } from '../domain/coverage.js';
import { walkingDistance } from '../domain/guard-dispatch.js';
import { localTime } from '../domain/local-time.js';
import { formatMoney } from '../domain/money.js';
import type { SiteModel } from '../domain/site-model.js';
import type { ReportData } from '../store/read/report-data.js';
import { STEP_TITLES, type WorkflowId } from '../workflow/incident-response.js';

/** What the content says it is (bump on a change of shape that readers must know about). */
export const INCIDENT_REPORT_SCHEMA = 'vigil.incident-report/1';

type Pt = [number, number];

/** One line of the timeline, oldest first. */
export interface TimelineEntry {
  at: string;
  /** event | opened | notification | patrol | action | note | asset | finding | task | step */
  kind: string;
  text: string;
  ref?: string;
}

/** The site plan as drawn: metres, x east, y north. */
export interface SitePlan {
  /** [minX, minY, maxX, maxY] of everything drawn. */
  bounds: [number, number, number, number];
  zones: { id: string; name: string; polygon: Pt[]; restricted: boolean; incident: boolean }[];
  assets: { id: string; name: string; position: Pt; highRisk: boolean; touched: boolean }[];
  cameras: { id: string; zone: string; position: Pt; fov: { direction: number; angle: number; range: number } | null; coversIncident: boolean }[];
  /** Each patrol's path: from the guard's post through the doorways to the target, or the checkpoint route. */
  guardPaths: { patrolId: string; guardId: string | null; kind: string; points: Pt[] }[];
}

/** The report content (what the digest covers). Keys are the report's sections. */
export interface IncidentReportContent {
  schema: typeof INCIDENT_REPORT_SCHEMA;
  organization: { name: string; currency: string };
  incident: {
    id: string;
    site: string;
    siteName: string;
    zone: string | null;
    zoneName: string | null;
    zones: string[];
    type: string;
    status: string;
    outcome: string | null;
    resolution: string | null;
    timezone: string;
    openedAt: string;
    firstEventAt: string;
    lastEventAt: string;
    localStart: string;
    acknowledgedAt: string | null;
    acknowledgedBy: string | null;
    resolvedAt: string | null;
    resolvedBy: string | null;
    eventCount: number;
    sources: string[];
  };
  summary: { headline: string; text: string; band: string; score: number; netLoss: string | null; grossLoss: string | null; currency: string };
  timeline: TimelineEntry[];
  events: { id: string; source: string; type: string; occurredAt: string; zone: string | null; device: string | null; badge: string | null; assets: string[]; amount: string | null; details: Record<string, unknown> }[];
  /** How many of the incident's events are listed (at most REPORT_MAX_EVENTS). */
  eventsListed: number;
  assets: { id: string; name: string; category: string | null; zone: string | null; value: string | null; relation: string | null; highRisk: boolean; highRiskReasons: string[]; status: string | null }[];
  adjacentHighRisk: { id: string; name: string; zone: string | null; value: string | null; highRiskReasons: string[]; status: string | null }[];
  severity: {
    score: number;
    band: string;
    policyVersion: string | null;
    factors: { name: string; value: number; weight: number; contribution: number; detail: string }[];
    history: { seq: number; score: number; band: string; eventCount: number; computedAt: string; policyVersion: string }[];
  };
  loss: {
    currency: string;
    replacement: string;
    downtime: string;
    fines: string;
    remediation: string;
    recovered: string;
    gross: string;
    net: string;
    items: { kind: string; description: string; amount: string; assetId: string | null }[];
  } | null;
  notifications: {
    id: string; channel: string; kind: string; level: number; recipient: string; status: string; attempts: number; lastError: string | null;
    createdAt: string; sentAt: string | null; acknowledgedAt: string | null; history: { attempt: number; startedAt: string; finishedAt: string | null; outcome: string; detail: string | null }[];
  }[];
  patrols: {
    id: string; kind: string; guardId: string | null; guardName: string | null; zone: string | null; target: Pt | null; reason: string; status: string; metres: number | null; etaSeconds: number | null;
    attempt: number; assignedAt: string; acknowledgedAt: string | null; enRouteAt: string | null; onSiteAt: string | null; completedAt: string | null;
  }[];
  workflow: { step: string; title: string; status: string; reason: string | null; finishedAt: string | null }[];
  caseNotes: { seq: number; at: string; author: string; kind: string; text: string }[];
  tasks: { id: string; kind: string; title: string; status: string; assignee: string | null; dueAt: string | null; createdAt: string; completedAt: string | null; checklist: unknown[]; comments: { seq: number; at: string; author: string; text: string }[] }[];
  evidence: {
    /** Ids of the events the report lists. */
    events: string[];
    /** Recordings to secure: the cameras that see the incident's zone, over the incident's window with a margin. */
    cameraClips: { device: string; zone: string; from: string; to: string }[];
    /** The investigation tasks' evidence checklists (step 9), flattened. */
    checklist: { task: string; item: unknown }[];
  };
  accessFindings: ReportData['accessFindings'];
  equipmentFindings: ReportData['equipmentFindings'];
  assetStatusChanges: ReportData['assetStatusChanges'];
  /** Risk of the site, zones and assets as step 11 recalculated it for this incident. */
  risk: ReportData['risk'];
  /** Who handled the incident, when: the audit trail of the incident and its patrols (sign-offs are the versions' own). */
  chainOfCustody: { seq: number; at: string; actor: string; action: string; details: Record<string, unknown> }[];
  sitePlan: SitePlan | null;
}

/** What the builder needs besides the data: the site, the policy and the organisation. */
export interface ReportContext {
  site: SiteModel | undefined;
  policy: Policy;
  organization: { name: string; currency: string; timezone: string };
}

const human = (t: string) => t.replace(/_/g, ' ');
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Builds the report content of an incident. Pure: the same data gives the same content. */
export function buildIncidentReport(data: ReportData, ctx: ReportContext): IncidentReportContent {
  const inc = data.incident;
  const site = ctx.site;
  const tz = site?.site.timezone ?? ctx.organization.timezone;
  const currency = inc.loss && typeof inc.loss.currency === 'string' ? inc.loss.currency : ctx.organization.currency;
  const zoneName = (z: string | null | undefined) => (z ? site?.zones.get(z)?.name ?? z : null);
  const siteName = site?.site.name ?? inc.site;
  const lt = localTime(new Date(inc.firstEventAt), tz);
  const loss = inc.loss as (Record<string, unknown> & { items?: Record<string, unknown>[] }) | null;
  const net = loss && typeof loss.net === 'string' ? loss.net : null;
  const gross = loss && typeof loss.gross === 'string' ? loss.gross : null;

  const guards = new Map((site?.site.guards ?? []).map((g) => [g.id, g]));
  const events = inc.events.map((e) => ({
    id: e.id,
    source: e.source,
    type: e.type,
    occurredAt: e.occurredAt,
    zone: e.zone ?? null,
    device: e.device ?? null,
    badge: e.badge ?? null,
    assets: e.assets ?? [],
    amount: e.amount ? e.amount.value : null,
    details: e.details,
  }));
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : v === undefined || v === null ? null : String(v));
  const assets = inc.assets.map((a) => ({
    id: a.id,
    name: str(a.name) ?? a.id,
    category: str(a.category),
    zone: str(a.zone),
    value: str(a.value),
    relation: str(a.relation),
    highRisk: a.highRisk === true,
    highRiskReasons: Array.isArray(a.highRiskReasons) ? a.highRiskReasons.map(String) : [],
    status: a.status,
  }));
  const adjacentHighRisk = inc.adjacentHighRisk.map((a) => ({
    id: a.id,
    name: str(a.name) ?? a.id,
    zone: str(a.zone),
    value: str(a.value),
    highRiskReasons: Array.isArray(a.highRiskReasons) ? a.highRiskReasons.map(String) : [],
    status: a.status,
  }));
  const notifications = inc.notifications.map((n) => ({
    id: n.id,
    channel: n.channel,
    kind: n.kind,
    level: n.level,
    recipient: n.recipient,
    status: n.status,
    attempts: n.attempts,
    lastError: n.error,
    createdAt: n.createdAt,
    sentAt: n.sentAt,
    acknowledgedAt: n.acknowledgedAt,
    history: n.history,
  }));
  const patrols = [...inc.patrols]
    .sort((a, b) => (a.assignedAt === b.assignedAt ? a.id.localeCompare(b.id) : a.assignedAt.localeCompare(b.assignedAt)))
    .map((p) => ({
      id: p.id,
      kind: p.kind,
      guardId: p.guardId,
      guardName: p.guardId ? guards.get(p.guardId)?.name ?? null : null,
      zone: p.zone,
      target: p.target ? ([p.target[0], p.target[1]] as Pt) : null,
      reason: p.reason,
      status: p.status,
      metres: p.metres,
      etaSeconds: p.etaSeconds,
      attempt: p.attempt,
      assignedAt: p.assignedAt,
      acknowledgedAt: p.acknowledgedAt,
      enRouteAt: p.enRouteAt,
      onSiteAt: p.onSiteAt,
      completedAt: p.completedAt,
    }));
  // The report step's own journal row is left out: the report cannot say it is being written. A
  // step in flight reads as pending (its claim is the runner's business, not the incident's).
  const workflow = inc.workflow
    .filter((w) => w.step !== 'create-incident-report')
    .map((w) => ({ step: w.step, title: STEP_TITLES[w.step as WorkflowId] ?? w.step, status: w.status === 'running' ? 'pending' : w.status, reason: w.reason, finishedAt: w.finishedAt }));
  const chainOfCustody = data.audit
    .filter((a) => !a.action.startsWith('report.'))
    .map((a) => ({ seq: a.seq, at: a.at, actor: a.actor, action: a.action, details: a.details }));

  const margin = ctx.policy.report.clipMarginMinutes * 60_000;
  const clipFrom = new Date(new Date(inc.firstEventAt).getTime() - margin).toISOString();
  const clipTo = new Date(new Date(inc.lastEventAt).getTime() + margin).toISOString();
  const plan = site ? sitePlan(site, inc, patrols, ctx) : null;
  const incidentZones = new Set([...(inc.zone ? [inc.zone] : []), ...inc.zones]);
  const cameraClips = (plan?.cameras ?? [])
    .filter((c) => c.coversIncident)
    .map((c) => ({ device: c.id, zone: c.zone, from: clipFrom, to: clipTo }));

  const band = inc.severity.band;
  const score = round1(inc.severity.score);
  const where = `${siteName}${inc.zone ? `, ${zoneName(inc.zone)}` : ''}`;
  const headline = `${cap(band)} ${human(inc.type)} at ${where}`;
  const sourceList = inc.sources.length > 0 ? ` from ${inc.sources.join(', ')}` : '';
  const text =
    `${cap(human(inc.type))} at ${where}, first seen ${lt.hhmm} local on ${lt.date} (${tz}). ` +
    `Severity ${score} (${band})${net !== null ? `; net loss ${formatMoney(net, currency)}` : ''}. ` +
    `${inc.eventCount} event${inc.eventCount === 1 ? '' : 's'}${sourceList}; ${assets.length} asset${assets.length === 1 ? '' : 's'} touched` +
    `${assets.some((a) => a.highRisk) ? `, high risk: ${assets.filter((a) => a.highRisk).map((a) => a.name).join(', ')}` : ''}. ` +
    `Status ${inc.status}${data.outcome ? `, outcome ${human(data.outcome)}` : ''}.`;

  const content: IncidentReportContent = {
    schema: INCIDENT_REPORT_SCHEMA,
    organization: { name: ctx.organization.name, currency: ctx.organization.currency },
    incident: {
      id: inc.id,
      site: inc.site,
      siteName,
      zone: inc.zone,
      zoneName: zoneName(inc.zone),
      zones: [...incidentZones].sort(),
      type: inc.type,
      status: inc.status,
      outcome: data.outcome,
      resolution: inc.resolution,
      timezone: tz,
      openedAt: inc.openedAt,
      firstEventAt: inc.firstEventAt,
      lastEventAt: inc.lastEventAt,
      localStart: `${lt.date} ${lt.hhmm}`,
      acknowledgedAt: inc.acknowledgedAt,
      acknowledgedBy: inc.acknowledgedBy,
      resolvedAt: inc.resolvedAt,
      resolvedBy: inc.resolvedBy,
      eventCount: inc.eventCount,
      sources: [...inc.sources].sort(),
    },
    summary: { headline, text, band, score, netLoss: net, grossLoss: gross, currency },
    timeline: [],
    events,
    eventsListed: events.length,
    assets,
    adjacentHighRisk,
    severity: {
      score,
      band,
      policyVersion: inc.severity.policyVersion,
      factors: inc.severity.factors.map((f) => ({ name: f.name, value: f.value, weight: f.weight, contribution: f.contribution, detail: f.detail ?? '' })),
      history: inc.severityHistory.map((h) => ({ seq: h.seq, score: h.score, band: h.band, eventCount: h.eventCount, computedAt: h.computedAt, policyVersion: h.policyVersion })),
    },
    loss: loss
      ? {
          currency,
          replacement: String(loss.replacement ?? '0'),
          downtime: String(loss.downtime ?? '0'),
          fines: String(loss.fines ?? '0'),
          remediation: String(loss.remediation ?? '0'),
          recovered: String(loss.recovered ?? '0'),
          gross: String(loss.gross ?? '0'),
          net: String(loss.net ?? '0'),
          items: (loss.items ?? []).map((i) => ({ kind: String(i.kind), description: String(i.description), amount: String(i.amount), assetId: typeof i.assetId === 'string' ? i.assetId : null })),
        }
      : null,
    notifications,
    patrols,
    workflow,
    caseNotes: data.notes,
    tasks: data.tasks,
    evidence: {
      events: events.map((e) => e.id),
      cameraClips,
      checklist: data.tasks.filter((t) => t.kind === 'investigation').flatMap((t) => t.checklist.map((item) => ({ task: t.id, item }))),
    },
    accessFindings: data.accessFindings,
    equipmentFindings: data.equipmentFindings,
    assetStatusChanges: data.assetStatusChanges,
    risk: data.risk,
    chainOfCustody,
    sitePlan: plan,
  };
  content.timeline = timeline(content, zoneName);
  return cleanStrings(content);
}

/** The timeline: every dated thing the report holds, oldest first (ties in a fixed order). */
function timeline(c: IncidentReportContent, zoneName: (z: string | null) => string | null): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  out.push({ at: c.incident.openedAt, kind: 'opened', text: `Incident opened (${human(c.incident.type)})`, ref: c.incident.id });
  for (const e of c.events) out.push({ at: e.occurredAt, kind: 'event', text: `${e.source} ${human(e.type)}${e.zone ? ` in ${zoneName(e.zone)}` : ''}${e.device ? ` (${e.device})` : ''}`, ref: e.id });
  for (const n of c.notifications) {
    out.push({ at: n.createdAt, kind: 'notification', text: `${n.channel} to ${n.recipient} queued (${n.kind})`, ref: n.id });
    if (n.sentAt) out.push({ at: n.sentAt, kind: 'notification', text: `${n.channel} to ${n.recipient} ${n.status === 'delivered' ? 'delivered' : 'sent'}`, ref: n.id });
    if (n.acknowledgedAt) out.push({ at: n.acknowledgedAt, kind: 'notification', text: `${n.recipient} acknowledged`, ref: n.id });
  }
  for (const p of c.patrols) {
    const who = p.guardName ?? p.guardId ?? 'no guard';
    out.push({ at: p.assignedAt, kind: 'patrol', text: `${p.kind} patrol assigned to ${who}${p.metres !== null ? ` (${p.metres} m)` : ''}`, ref: p.id });
    if (p.acknowledgedAt) out.push({ at: p.acknowledgedAt, kind: 'patrol', text: `${who} acknowledged the patrol`, ref: p.id });
    if (p.enRouteAt) out.push({ at: p.enRouteAt, kind: 'patrol', text: `${who} en route`, ref: p.id });
    if (p.onSiteAt) out.push({ at: p.onSiteAt, kind: 'patrol', text: `${who} on site`, ref: p.id });
    if (p.completedAt) out.push({ at: p.completedAt, kind: 'patrol', text: `${who} completed the patrol`, ref: p.id });
  }
  for (const a of c.chainOfCustody) out.push({ at: a.at, kind: 'action', text: `${a.action} by ${a.actor}`, ref: `audit-${a.seq}` });
  for (const n of c.caseNotes) out.push({ at: n.at, kind: 'note', text: `${n.kind === 'note' ? 'Note' : cap(n.kind)} by ${n.author}: ${n.text.length > 120 ? n.text.slice(0, 119) + '…' : n.text}`, ref: `note-${n.seq}` });
  for (const s of c.assetStatusChanges) out.push({ at: s.at, kind: 'asset', text: `${s.assetId}: ${human(s.from)} -> ${human(s.to)} by ${s.actor}`, ref: s.assetId });
  for (const f of c.accessFindings) out.push({ at: f.at, kind: 'finding', text: `Access: ${f.summary}`, ref: f.id });
  for (const f of c.equipmentFindings) out.push({ at: f.foundAt, kind: 'finding', text: `Equipment: ${f.summary}`, ref: f.id });
  for (const t of c.tasks) {
    out.push({ at: t.createdAt, kind: 'task', text: `${cap(t.kind)} task: ${t.title}${t.assignee ? ` (${t.assignee})` : ''}`, ref: t.id });
    if (t.completedAt) out.push({ at: t.completedAt, kind: 'task', text: `Task completed: ${t.title}`, ref: t.id });
  }
  const order = ['opened', 'event', 'step', 'notification', 'patrol', 'action', 'note', 'asset', 'finding', 'task'];
  return out.sort((a, b) => (a.at !== b.at ? (a.at < b.at ? -1 : 1) : order.indexOf(a.kind) - order.indexOf(b.kind) || (a.ref ?? '').localeCompare(b.ref ?? '') || a.text.localeCompare(b.text)));
}

/** The site plan of the incident's site, from the site model and the incident. */
function sitePlan(site: SiteModel, inc: ReportData['incident'], patrols: IncidentReportContent['patrols'], ctx: ReportContext): SitePlan {
  const incidentZones = new Set([...(inc.zone ? [inc.zone] : []), ...inc.zones]);
  const touched = new Map(inc.assets.map((a) => [a.id, a]));
  const adjacent = new Map(inc.adjacentHighRisk.map((a) => [a.id, a]));
  const zones = site.site.zones
    .filter((z) => z.polygon)
    .map((z) => ({ id: z.id, name: z.name, polygon: z.polygon!.map((p) => [p[0], p[1]] as Pt), restricted: z.restricted, incident: incidentZones.has(z.id) }));
  const assets = site.site.assets
    .filter((a) => a.position)
    .map((a) => {
      const known = touched.get(a.id) ?? adjacent.get(a.id);
      const highRisk = known && typeof known.highRisk === 'boolean' ? known.highRisk : highRiskReasons(a, site.zones.get(a.zone), 0, ctx.organization.currency, ctx.policy).length > 0;
      return { id: a.id, name: a.name, position: [a.position![0], a.position![1]] as Pt, highRisk, touched: touched.has(a.id) };
    });
  const incidentPolys = [...incidentZones].map((z) => site.zones.get(z)?.polygon).filter((p): p is [number, number][] => p !== undefined);
  const cameras = site.site.devices
    .filter((d) => d.kind === 'camera' && d.position)
    .map((d) => {
      const s = sectorOf(d);
      const seesZone = [d.zone, ...d.covers].some((z) => incidentZones.has(z));
      const coversIncident = seesZone && (s === undefined || incidentPolys.length === 0 || incidentPolys.some((p) => sectorTouchesPolygon(s, p)));
      return { id: d.id, zone: d.zone, position: [d.position![0], d.position![1]] as Pt, fov: d.fov ? { direction: d.fov.direction, angle: d.fov.angle, range: d.fov.range } : null, coversIncident };
    });
  const guardPaths: SitePlan['guardPaths'] = [];
  const stored = new Map(inc.patrols.map((p) => [p.id, p.route]));
  for (const p of patrols) {
    const route = routePoints(stored.get(p.id));
    if (route.length >= 2) {
      guardPaths.push({ patrolId: p.id, guardId: p.guardId, kind: p.kind, points: route });
      continue;
    }
    const post = p.guardId ? site.site.guards.find((g) => g.id === p.guardId)?.position : undefined;
    if (post && p.target) {
      const walk = walkingDistance(site, [post[0], post[1]], p.target);
      guardPaths.push({ patrolId: p.id, guardId: p.guardId, kind: p.kind, points: walk.path.map((q) => [round2(q[0]), round2(q[1])] as Pt) });
    }
  }
  const xs: number[] = [];
  const ys: number[] = [];
  const add = (p: readonly number[]) => {
    xs.push(p[0]);
    ys.push(p[1]);
  };
  zones.forEach((z) => z.polygon.forEach(add));
  assets.forEach((a) => add(a.position));
  cameras.forEach((c) => add(c.position));
  guardPaths.forEach((g) => g.points.forEach(add));
  const bounds: SitePlan['bounds'] = xs.length > 0 ? [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] : [0, 0, 1, 1];
  return { bounds, zones, assets, cameras, guardPaths };
}

/** A stored patrol route as points: [[x, y], ...] or [{ point: [x, y] }, ...]. */
function routePoints(route: unknown): Pt[] {
  if (!Array.isArray(route)) return [];
  const out: Pt[] = [];
  for (const r of route) {
    const p = Array.isArray(r) ? r : r && typeof r === 'object' && Array.isArray((r as { point?: unknown }).point) ? (r as { point: unknown[] }).point : undefined;
    if (p && typeof p[0] === 'number' && typeof p[1] === 'number') out.push([p[0], p[1]]);
  }
  return out;
}

/** Replaces what jsonb cannot hold (U+0000) and lone surrogates, at every level. */
function cleanStrings<T>(v: T): T {
  const fix = (x: unknown): unknown => {
    if (typeof x === 'string') return x.replace(/\u0000/g, '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
    if (Array.isArray(x)) return x.map(fix);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, fix(y)]));
    return x;
  };
  return fix(v) as T;
}

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units) at every level, no whitespace,
 * undefined members left out, like JSON.stringify otherwise. The digest is taken over this text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON of a report's content. */
export function reportDigest(content: unknown): string {
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}
