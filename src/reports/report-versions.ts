/**
 * Report versions (step 8): the current report of an incident, kept as a new version whenever
 * what it says changed, and the sign-off that freezes one.
 *
 * - ensureCurrentReport builds the report from the store now; when its digest differs from the
 *   latest version's, it appends a new version. An unchanged incident adds nothing. The workflow
 *   step, GET .../report and the sign-off all call it, so the report follows the incident.
 * - signCurrentReport signs the current version (after ensuring it), writing the sign-off columns
 *   and an audit record with the version's digest. A signed version is never changed: a later
 *   change to the incident makes a new version (migration 0010's trigger refuses any edit).
 */
import type { CheckpointSigner } from '../domain/checkpoint.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import type { OrgModel } from '../domain/site-model.js';
import { appendAuditRecord } from '../store/audit-log.js';
import type { Queryable } from '../store/db.js';
import type { SiteScope } from '../store/read/page.js';
import { gatherReportData } from '../store/read/report-data.js';
import { insertReportVersion, latestReportVersion, listReportVersions, lockIncidentReports, reportVersion, signReportVersion, type ReportVersionRow } from '../store/reports.js';
import { buildIncidentReport, reportDigest, type IncidentReportContent } from './incident-report.js';

/** A report version with its content typed. */
export interface ReportVersion extends Omit<ReportVersionRow, 'content'> {
  content: IncidentReportContent;
}

/** The report as served (JSON): the version's identity, its sign-off, its content, and the version list. */
export interface ServedReport {
  incidentId: string;
  version: number;
  generatedAt: string;
  digestAlgorithm: 'sha256';
  /** SHA-256 (hex) of the canonical JSON of `content`. */
  digest: string;
  /** Null while the version is a draft. */
  signoff: { signedBy: string; signedAt: string; note: string | null } | null;
  /** The newest version number (this one is current when equal). */
  latestVersion: number;
  versions: { version: number; generatedAt: string; digest: string; signedAt: string | null; signedBy: string | null }[];
  content: IncidentReportContent;
}

/**
 * Builds the incident's report now and stores it as a new version when its digest differs from
 * the latest version's. Returns the current version (new or not) and whether it was created, or
 * undefined when there is no such incident (or it is outside `scope`). Runs in `tx`, holding the
 * incident's report lock until it ends.
 */
export async function ensureCurrentReport(
  tx: Queryable,
  org: OrgModel,
  incidentId: string,
  now: Date,
  scope: SiteScope = null,
): Promise<{ version: ReportVersion; created: boolean } | undefined> {
  await lockIncidentReports(tx, incidentId);
  const data = await gatherReportData(tx, incidentId, scope);
  if (!data) return undefined;
  const content = buildIncidentReport(data, {
    site: org.sites.get(data.incident.site),
    policy: org.config.policy,
    organization: org.config.organization,
  });
  const digest = reportDigest(content);
  const latest = await latestReportVersion(tx, incidentId);
  if (latest && latest.digest === digest) return { version: latest as ReportVersion, created: false };
  const next = { incidentId, version: (latest?.version ?? 0) + 1, generatedAt: now, digest, content };
  if (!(await insertReportVersion(tx, next))) throw new ConflictError(`report version ${next.version} of incident ${incidentId} was written meanwhile; try again`);
  return { version: { ...next, signedAt: null, signedBy: null, signNote: null }, created: true };
}

/** One stored version, or undefined (no such incident in scope, or no such version). */
export async function storedReportVersion(q: Queryable, incidentId: string, version: number, incidentSite: string | undefined, scope: SiteScope): Promise<ReportVersion | undefined> {
  if (!incidentSite || (scope && !scope.includes(incidentSite))) return undefined;
  return (await reportVersion(q, incidentId, version)) as ReportVersion | undefined;
}

/** The content's sections in reading order (jsonb hands keys back in its own order). */
const SECTION_ORDER: readonly (keyof IncidentReportContent)[] = [
  'schema', 'organization', 'incident', 'summary', 'timeline', 'events', 'eventsListed', 'assets', 'adjacentHighRisk', 'severity', 'loss', 'notifications', 'patrols',
  'workflow', 'caseNotes', 'tasks', 'evidence', 'accessFindings', 'equipmentFindings', 'assetStatusChanges', 'risk', 'chainOfCustody', 'sitePlan',
];

/** The content with its sections in reading order (the digest does not depend on key order). */
function inReadingOrder(c: IncidentReportContent): IncidentReportContent {
  const known = new Set<string>(SECTION_ORDER);
  return Object.fromEntries([
    ...SECTION_ORDER.filter((k) => k in c).map((k) => [k, c[k]]),
    ...Object.entries(c).filter(([k]) => !known.has(k)),
  ]) as unknown as IncidentReportContent;
}

/** The served form of a version (JSON format; html.ts and pdf.ts render the same). */
export async function servedReport(q: Queryable, v: ReportVersion): Promise<ServedReport> {
  const versions = await listReportVersions(q, v.incidentId);
  return {
    incidentId: v.incidentId,
    version: v.version,
    generatedAt: v.generatedAt.toISOString(),
    digestAlgorithm: 'sha256',
    digest: v.digest,
    signoff: v.signedAt && v.signedBy ? { signedBy: v.signedBy, signedAt: v.signedAt.toISOString(), note: v.signNote } : null,
    latestVersion: versions.length > 0 ? versions[versions.length - 1].version : v.version,
    versions: versions.map((x) => ({ version: x.version, generatedAt: x.generatedAt.toISOString(), digest: x.digest, signedAt: x.signedAt ? x.signedAt.toISOString() : null, signedBy: x.signedBy })),
    content: inReadingOrder(v.content),
  };
}

/** What a sign-off names. */
export interface SignInput {
  incidentId: string;
  /** The version the signer read; refused (409) unless it is the current one. */
  version?: number;
  note?: string;
  actor: string;
  scope: SiteScope;
  now: Date;
  /** The transparency log's key: the sign-off's audit record gets its signed checkpoint at once. */
  signer?: CheckpointSigner;
}

/**
 * Signs the current version of an incident's report: ensures it first (a change since the signer
 * read it makes a new version, and naming the old one is then refused), sets the sign-off and
 * appends an audit record `report.sign` with the digest. 404 for an unknown or out-of-scope
 * incident; 409 when `version` is not the current one or the current one is signed already.
 */
export async function signCurrentReport(tx: Queryable, org: OrgModel, input: SignInput): Promise<ReportVersion> {
  const ensured = await ensureCurrentReport(tx, org, input.incidentId, input.now, input.scope);
  if (!ensured) throw new NotFoundError(`incident ${input.incidentId}`);
  const current = ensured.version;
  if (input.version !== undefined && input.version !== current.version) {
    const asked = await reportVersion(tx, input.incidentId, input.version);
    throw new ConflictError(
      asked
        ? `report version ${input.version} of incident ${input.incidentId} is not the current one (version ${current.version}${current.signedAt ? `, signed by ${current.signedBy}` : ''}): ${asked.signedAt ? `version ${input.version} was signed by ${asked.signedBy} at ${asked.signedAt.toISOString()}` : 'the incident changed since'}; read version ${current.version} and sign that`
        : `incident ${input.incidentId} has no report version ${input.version}; the current one is ${current.version}`,
    );
  }
  if (current.signedAt) {
    throw new ConflictError(
      `report version ${current.version} of incident ${input.incidentId} is already signed by ${current.signedBy} at ${current.signedAt.toISOString()} and nothing changed since; a signed version cannot be signed again`,
    );
  }
  const signed = await signReportVersion(tx, { incidentId: input.incidentId, version: current.version, at: input.now, by: input.actor, note: input.note ?? null });
  if (!signed) throw new ConflictError(`report version ${current.version} of incident ${input.incidentId} was signed meanwhile`);
  await appendAuditRecord(tx, {
    at: input.now,
    actor: input.actor,
    action: 'report.sign',
    target: input.incidentId,
    details: { version: signed.version, digest: signed.digest, digestAlgorithm: 'sha256', signedBy: input.actor, ...(input.note ? { note: input.note } : {}) },
    after: { incidentId: input.incidentId, version: signed.version, digest: signed.digest, signedBy: input.actor },
  }, input.signer);
  return signed as ReportVersion;
}
