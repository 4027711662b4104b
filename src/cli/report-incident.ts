/**
 * `vigil report incident ID [--format html|pdf|json] [--out FILE] [--report-version N]`: one incident's
 * report, brought up to date first (a changed incident gets a new version, like GET .../report).
 *
 * Like `vigil token`, two ways to reach the store: directly (DATABASE_URL, or the embedded store
 * in VIGIL_DATA_DIR; refused, naming the server, while a server holds the embedded store), or
 * through a running server's API with `--url` (or VIGIL_URL) and a token (`--token`, VIGIL_TOKEN
 * or VIGIL_ADMIN_TOKEN). With --out the report goes to the file and a summary line to stdout;
 * without it the report itself goes to stdout.
 */
import { writeFileSync } from 'node:fs';
import { buildOrgModel } from '../domain/site-model.js';
import { NotFoundError, VigilError } from '../domain/errors.js';
import { renderReportHtml } from '../reports/html.js';
import { renderReportPdf } from '../reports/pdf.js';
import { ensureCurrentReport, servedReport, storedReportVersion, type ReportVersion } from '../reports/report-versions.js';
import { incidentSite } from '../store/read/incidents.js';
import { resolveConfig, UsageError, withStore } from './common.js';

const FORMATS = ['json', 'html', 'pdf'] as const;
type Format = (typeof FORMATS)[number];

/** Options of `vigil report incident`. */
export interface ReportIncidentOptions {
  format?: string;
  out?: string;
  reportVersion?: string;
  config?: string;
  url?: string;
  token?: string;
}

/** What was produced: the bytes and which version they are. */
interface Produced {
  body: Buffer;
  version: number;
  digest: string;
  signedBy: string | null;
}

/** `vigil report incident ID`. */
export async function reportIncidentCommand(id: string, opts: ReportIncidentOptions): Promise<void> {
  const format = (opts.format ?? 'json') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`report incident: --format expects one of ${FORMATS.join(', ')}; got "${opts.format}"`);
  if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(id)) throw new UsageError(`report incident: expected an incident id; got "${id}"`);
  const version = opts.reportVersion === undefined ? undefined : Number(opts.reportVersion);
  if (version !== undefined && !(Number.isInteger(version) && version >= 1)) throw new UsageError(`report incident: --report-version expects a version number (1 or more); got "${opts.reportVersion}"`);
  const url = opts.url || process.env.VIGIL_URL;
  const produced = url ? await throughServer(url, opts.token, id, format, version) : await direct(id, format, version, opts.config);
  if (opts.out) {
    writeFileSync(opts.out, produced.body);
    process.stdout.write(
      `Wrote the report of incident ${id}, version ${produced.version} (${format}, ${produced.body.length} bytes, ${produced.signedBy ? `signed by ${produced.signedBy}` : 'draft'}, sha256 ${produced.digest}) to ${opts.out}\n`,
    );
  } else {
    process.stdout.write(produced.body);
  }
}

/** Renders a served version in a format. */
async function render(served: Awaited<ReturnType<typeof servedReport>>, format: Format): Promise<Buffer> {
  if (format === 'pdf') return renderReportPdf(served);
  if (format === 'html') return Buffer.from(renderReportHtml(served), 'utf8');
  return Buffer.from(JSON.stringify(served, null, 2) + '\n', 'utf8');
}

/** Directly on the store: ensure (or read) the version, then render it here. */
async function direct(id: string, format: Format, version: number | undefined, configFile: string | undefined): Promise<Produced> {
  const { config } = resolveConfig(configFile);
  const org = buildOrgModel(config);
  return withStore('report incident', async (db) => {
    let v: ReportVersion | undefined;
    if (version !== undefined) {
      const site = await incidentSite(db, id);
      if (!site) throw new NotFoundError(`incident ${id}`);
      v = await storedReportVersion(db, id, version, site, null);
      if (!v) throw new NotFoundError(`report version ${version} of incident ${id}`);
    } else {
      v = (await db.transaction((tx) => ensureCurrentReport(tx, org, id, new Date())))?.version;
      if (!v) throw new NotFoundError(`incident ${id}`);
    }
    const served = await servedReport(db, v);
    return { body: await render(served, format), version: served.version, digest: served.digest, signedBy: served.signoff?.signedBy ?? null };
  });
}

/** Through a running server's API. */
async function throughServer(base: string, tokenOpt: string | undefined, id: string, format: Format, version: number | undefined): Promise<Produced> {
  if (!/^https?:\/\//.test(base)) throw new UsageError(`--url expects an http(s) URL; got "${base}"`);
  const token = tokenOpt || process.env.VIGIL_TOKEN || process.env.VIGIL_ADMIN_TOKEN;
  if (!token) throw new VigilError('unauthorized', `going through ${base} needs an API token: --token, VIGIL_TOKEN or VIGIL_ADMIN_TOKEN`);
  const url = `${base.replace(/\/+$/, '')}/api/v1/incidents/${encodeURIComponent(id)}/report?format=${format}${version !== undefined ? `&version=${version}` : ''}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    throw new VigilError('unavailable', `cannot reach ${base}: ${(e as Error).message}`);
  }
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    let code = 'http_error';
    try {
      const e = JSON.parse(body.toString('utf8')) as { error?: { code?: string; message?: string } };
      message = e.error?.message ?? message;
      code = e.error?.code ?? code;
    } catch {
      // not JSON: the status says it
    }
    throw new VigilError(code, `${base} answered ${res.status}: ${message}`);
  }
  const signed = res.headers.get('x-vigil-report-signed-by');
  return {
    body: format === 'json' ? Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')), null, 2) + '\n', 'utf8') : body,
    version: Number(res.headers.get('x-vigil-report-version') ?? 0),
    digest: res.headers.get('x-vigil-report-digest') ?? '',
    signedBy: signed ? decodeURIComponent(signed) : null,
  };
}
