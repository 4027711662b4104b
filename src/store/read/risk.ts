/**
 * Read model of risk (step 11): the current scores per site, zone and asset, each as it stands now
 * (domain/risk.ts riskAt decays the stored score to the caller's time), a 5x5 matrix summary per
 * site, and the history of one scope. Site scope and keyset cursors as in page.ts.
 */
import type { RiskPolicy } from '../../config/schema.js';
import { InvalidError } from '../../domain/errors.js';
import { riskAt, type RiskScope } from '../../domain/risk.js';
import type { Band } from '../../domain/types.js';
import type { Queryable } from '../db.js';
import { Where } from '../where.js';
import { CURSOR_AT_SQL, decodeCursor, encodeCursor, type Page } from './page.js';

/** A current score as the API shows it. */
export interface RiskItem {
  scope: RiskScope;
  id: string;
  site: string;
  zone?: string;
  /** As of `asOf` (the stored score decayed to now). */
  likelihood: number;
  impact: number;
  score: number;
  band: Band;
  recurring: boolean;
  recurringUntil: string | null;
  asOf: string;
  /** The last recalculation: when, and what it gave then. */
  computedAt: string;
  computed: { likelihood: number; score: number; band: string; recurring: boolean; decayedSum: number };
  inputs: unknown;
}

/** One cell of a site's 5x5 matrix: the zones and assets whose current risk is there. */
export interface RiskMatrixCell {
  likelihood: number;
  impact: number;
  score: number;
  band: Band;
  zones: string[];
  assets: string[];
}

interface ScoreDbRow {
  scope: RiskScope;
  scope_id: string;
  site: string;
  likelihood: number;
  impact: number;
  score: number;
  band: string;
  recurring: boolean;
  inputs: unknown;
  computed_at: Date;
  decayed_sum: number;
  recurring_until: Date | null;
}

const SCOPE_ORDER = `CASE scope WHEN 'site' THEN 0 WHEN 'zone' THEN 1 ELSE 2 END`;

function encodeKey(site: string, rank: number, id: string): string {
  return Buffer.from(JSON.stringify([site, rank, id]), 'utf8').toString('base64url');
}

function decodeKey(cursor: string): [string, number, string] {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  const ok = Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && Number.isInteger(v[1]) && typeof v[2] === 'string' && (v[0] as string).length <= 200 && (v[2] as string).length <= 400;
  if (!ok) throw new InvalidError([{ path: 'cursor', message: 'expected a cursor returned as nextCursor by this list' }]);
  return v as [string, number, string];
}

const rankOf = (scope: RiskScope) => (scope === 'site' ? 0 : scope === 'zone' ? 1 : 2);

function toItem(r: ScoreDbRow, now: Date, policy: RiskPolicy): RiskItem {
  const cur = riskAt({ impact: Number(r.impact), decayedSum: Number(r.decayed_sum), computedAt: r.computed_at, recurringUntil: r.recurring_until }, now, policy);
  const zone = r.scope === 'zone' ? r.scope_id.slice(r.scope_id.indexOf('/') + 1) : r.scope === 'asset' ? ((r.inputs as { zone?: string } | null)?.zone ?? undefined) : undefined;
  return {
    scope: r.scope,
    id: r.scope_id,
    site: r.site,
    ...(zone ? { zone } : {}),
    likelihood: cur.likelihood,
    impact: cur.impact,
    score: cur.score,
    band: cur.band,
    recurring: cur.recurring,
    recurringUntil: cur.recurring && r.recurring_until ? r.recurring_until.toISOString() : null,
    asOf: now.toISOString(),
    computedAt: r.computed_at.toISOString(),
    computed: { likelihood: Number(r.likelihood), score: Number(r.score), band: r.band, recurring: r.recurring, decayedSum: Math.round(Number(r.decayed_sum) * 10_000) / 10_000 },
    inputs: r.inputs,
  };
}

/** Filters of the current scores. */
export interface RiskFilter {
  sites?: readonly string[];
  scopes?: readonly RiskScope[];
  limit: number;
  cursor?: string;
}

/** Current scores ordered by site, then the site, its zones, its assets; as of `now`. */
export async function listRiskScores(q: Queryable, f: RiskFilter, now: Date, policy: RiskPolicy): Promise<Page<RiskItem>> {
  const w = new Where();
  w.anyOf('site', f.sites);
  w.anyOf('scope', f.scopes);
  if (f.cursor) {
    const [site, rank, id] = decodeKey(f.cursor);
    w.add(`(site, ${SCOPE_ORDER}, scope_id) > (${w.p(site)}::text, ${w.p(rank)}::int, ${w.p(id)}::text)`);
  }
  const r = await q.query<ScoreDbRow>(
    `SELECT scope, scope_id, site, likelihood, impact, score, band, recurring, inputs, computed_at, decayed_sum, recurring_until
       FROM risk_scores ${w.sql()} ORDER BY site, ${SCOPE_ORDER}, scope_id LIMIT ${w.p(f.limit + 1)}`,
    w.params,
  );
  const more = r.rows.length > f.limit;
  const rows = more ? r.rows.slice(0, f.limit) : r.rows;
  const last = rows[rows.length - 1];
  return { items: rows.map((x) => toItem(x, now, policy)), nextCursor: more && last ? encodeKey(last.site, rankOf(last.scope), last.scope_id) : null };
}

/** Per site: the 5x5 matrix of its zones' and assets' current risk (non-empty cells only). */
export async function riskMatrix(q: Queryable, sites: readonly string[] | undefined, now: Date, policy: RiskPolicy): Promise<{ site: string; cells: RiskMatrixCell[] }[]> {
  const w = new Where();
  w.anyOf('site', sites);
  w.add(`scope <> 'site'`);
  const r = await q.query<{ scope: RiskScope; scope_id: string; site: string; impact: number; decayed_sum: number; computed_at: Date; recurring_until: Date | null }>(
    `SELECT scope, scope_id, site, impact, decayed_sum, computed_at, recurring_until FROM risk_scores ${w.sql()} ORDER BY site, scope_id`,
    w.params,
  );
  const bySite = new Map<string, Map<string, RiskMatrixCell>>();
  for (const x of r.rows) {
    const cur = riskAt({ impact: Number(x.impact), decayedSum: Number(x.decayed_sum), computedAt: x.computed_at, recurringUntil: x.recurring_until }, now, policy);
    const cells = bySite.get(x.site) ?? new Map<string, RiskMatrixCell>();
    bySite.set(x.site, cells);
    const k = `${cur.likelihood}x${cur.impact}`;
    const cell = cells.get(k) ?? { likelihood: cur.likelihood, impact: cur.impact, score: cur.score, band: cur.band, zones: [], assets: [] };
    cells.set(k, cell);
    if (x.scope === 'zone') cell.zones.push(x.scope_id);
    else cell.assets.push(x.scope_id);
  }
  return [...bySite.entries()].map(([site, cells]) => ({
    site,
    cells: [...cells.values()].sort((a, b) => b.score - a.score || b.likelihood - a.likelihood),
  }));
}

/** A history row as the API shows it. */
export interface RiskHistoryItem {
  seq: number;
  scope: RiskScope;
  id: string;
  site: string;
  likelihood: number;
  impact: number;
  score: number;
  band: string;
  recurring: boolean;
  incidentId: string | null;
  computedAt: string;
  inputs: unknown;
}

/** The recalculations of one scope, newest first. */
export async function listRiskHistory(q: Queryable, f: { scope: RiskScope; id: string; limit: number; cursor?: string }): Promise<Page<RiskHistoryItem>> {
  const w = new Where();
  w.eq('scope', f.scope);
  w.eq('scope_id', f.id);
  if (f.cursor) {
    const [, seq] = decodeCursor(f.cursor, 'number');
    w.add(`seq < ${w.p(seq)}::bigint`);
  }
  const r = await q.query<{ seq: string; scope: RiskScope; scope_id: string; site: string; likelihood: number; impact: number; score: number; band: string; recurring: boolean; incident_id: string | null; computed_at: Date; inputs: unknown; cursor_at: string }>(
    `SELECT seq, scope, scope_id, site, likelihood, impact, score, band, recurring, incident_id, computed_at, inputs, ${CURSOR_AT_SQL('computed_at')} AS cursor_at
       FROM risk_history ${w.sql()} ORDER BY seq DESC LIMIT ${w.p(f.limit + 1)}`,
    w.params,
  );
  const more = r.rows.length > f.limit;
  const rows = more ? r.rows.slice(0, f.limit) : r.rows;
  const last = rows[rows.length - 1];
  return {
    items: rows.map((x) => ({
      seq: Number(x.seq),
      scope: x.scope,
      id: x.scope_id,
      site: x.site,
      likelihood: Number(x.likelihood),
      impact: Number(x.impact),
      score: Number(x.score),
      band: x.band,
      recurring: x.recurring,
      incidentId: x.incident_id,
      computedAt: x.computed_at.toISOString(),
      inputs: x.inputs,
    })),
    nextCursor: more && last ? encodeCursor(last.cursor_at, Number(last.seq)) : null,
  };
}
