/**
 * Loads a configuration file (YAML or JSON), merges its policy over the default policy, validates
 * the whole and cross-checks references. A broken config is refused with every problem listed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { ZodError } from 'zod';
import { InvalidError, type Problem } from '../domain/errors.js';
import { configSchema, DEFAULT_PUBLIC_URL, policySchema, type Config, type Policy, type RawConfig } from './schema.js';

/** Files that ship with the product (resolved the same from src/ and dist/). */
export const BUNDLED = {
  policy: fileURLToPath(new URL('../../src/config/policy.default.yaml', import.meta.url)),
  demo: fileURLToPath(new URL('../../src/config/demo.yaml', import.meta.url)),
};

/** Turns zod issues into problems with dotted paths ("sites[0].zones[1].id"). */
export function zodProblems(error: ZodError, prefix = ''): Problem[] {
  return error.issues.map((issue) => ({ path: joinPath(prefix, issue.path as (string | number)[]), message: issue.message }));
}

/** Joins a path prefix and segments as "a.b[2].c". */
export function joinPath(prefix: string, segments: readonly (string | number | symbol)[]): string {
  let out = prefix;
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out ? `.${String(s)}` : String(s);
  }
  return out;
}

function parseText(text: string, file: string): unknown {
  try {
    return file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new InvalidError([{ path: file, message: `cannot parse: ${(e as Error).message.split('\n')[0]}` }]);
  }
}

let defaultPolicyCache: Record<string, unknown> | undefined;

/** The raw default policy document (before overrides). */
export function defaultPolicyDocument(): Record<string, unknown> {
  defaultPolicyCache ??= parseText(readFileSync(BUNDLED.policy, 'utf8'), BUNDLED.policy) as Record<string, unknown>;
  return structuredClone(defaultPolicyCache);
}

/** The default policy, validated. */
export function defaultPolicy(): Policy {
  return policySchema.parse(defaultPolicyDocument());
}

/** Deep merge of plain objects; arrays and scalars in `over` replace those in `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
    return out;
  }
  return over === undefined ? base : over;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a config document (already parsed) and returns the loaded config. */
export function parseConfig(doc: unknown): Config {
  const parsed = configSchema.safeParse(doc);
  const problems: Problem[] = parsed.success ? [] : zodProblems(parsed.error);
  let policy: Policy | undefined;
  const overrides = isPlainObject(doc) && isPlainObject(doc.policy) ? doc.policy : {};
  const merged = deepMerge(defaultPolicyDocument(), overrides) as Record<string, unknown>;
  if (Object.keys(overrides).length > 0 && !('version' in overrides)) {
    // A policy that differs from the default must not claim the default's version.
    merged.version = `${String(merged.version)}+custom-${stableHash(overrides)}`;
  }
  const p = policySchema.safeParse(merged);
  if (p.success) policy = p.data;
  else problems.push(...zodProblems(p.error, 'policy'));
  if (parsed.success) problems.push(...crossCheck(parsed.data));
  if (problems.length > 0 || !parsed.success || !policy) {
    throw new InvalidError(problems, `configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})`);
  }
  const sum = Object.values(policy.severity.weights).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) {
    throw new InvalidError([{ path: 'policy.severity.weights', message: `expected weights that sum to 1, got ${sum.toFixed(4)}` }]);
  }
  const { publicUrl, ...rest } = parsed.data;
  return { ...rest, publicUrl: publicUrl ?? DEFAULT_PUBLIC_URL, publicUrlConfigured: publicUrl !== undefined, policy };
}

/** Loads and validates a configuration file. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InvalidError([{ path: file, message: `cannot read configuration: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  const doc = parseText(text, file);
  try {
    return parseConfig(doc);
  } catch (e) {
    if (e instanceof InvalidError) throw new InvalidError(e.problems, `${file}: ${e.message}`);
    throw e;
  }
}

/** The bundled demo configuration. */
export function loadDemoConfig(): Config {
  return loadConfig(BUNDLED.demo);
}

/** References that zod cannot see: unique ids, zones named by assets/devices/adjacency, contact sites. */
function crossCheck(cfg: RawConfig): Problem[] {
  const problems: Problem[] = [];
  const orgIds = new Map<string, string>();
  const claim = (id: string, path: string) => {
    const prev = orgIds.get(id);
    if (prev) problems.push({ path, message: `duplicate id "${id}" (already used at ${prev})` });
    else orgIds.set(id, path);
  };
  const siteIds = new Set<string>();
  const badges = new Map<string, string>();
  cfg.sites.forEach((site, si) => {
    const sp = `sites[${si}]`;
    claim(site.id, `${sp}.id`);
    siteIds.add(site.id);
    const zoneIds = new Set<string>();
    site.zones.forEach((z, zi) => {
      if (zoneIds.has(z.id)) problems.push({ path: `${sp}.zones[${zi}].id`, message: `duplicate zone id "${z.id}" in site ${site.id}` });
      zoneIds.add(z.id);
    });
    site.zones.forEach((z, zi) =>
      z.adjacent.forEach((a, ai) => {
        if (!zoneIds.has(a)) problems.push({ path: `${sp}.zones[${zi}].adjacent[${ai}]`, message: `unknown zone "${a}" in site ${site.id}` });
      }),
    );
    const zoneRef = (zone: string, path: string) => {
      if (!zoneIds.has(zone)) problems.push({ path, message: `unknown zone "${zone}" in site ${site.id}; expected one of ${[...zoneIds].join(', ')}` });
    };
    site.assets.forEach((a, i) => {
      claim(a.id, `${sp}.assets[${i}].id`);
      zoneRef(a.zone, `${sp}.assets[${i}].zone`);
    });
    site.devices.forEach((d, i) => {
      claim(d.id, `${sp}.devices[${i}].id`);
      zoneRef(d.zone, `${sp}.devices[${i}].zone`);
      d.covers.forEach((c, ci) => zoneRef(c, `${sp}.devices[${i}].covers[${ci}]`));
    });
    site.personnel.forEach((p, i) => {
      claim(p.id, `${sp}.personnel[${i}].id`);
      const prev = badges.get(p.badge);
      if (prev) problems.push({ path: `${sp}.personnel[${i}].badge`, message: `duplicate badge "${p.badge}" (already at ${prev})` });
      else badges.set(p.badge, `${sp}.personnel[${i}].badge`);
    });
    site.guards.forEach((g, i) => claim(g.id, `${sp}.guards[${i}].id`));
  });
  cfg.contacts.forEach((c, i) => {
    claim(c.id, `contacts[${i}].id`);
    c.sites.forEach((s, j) => {
      if (!siteIds.has(s)) problems.push({ path: `contacts[${i}].sites[${j}]`, message: `unknown site "${s}"` });
    });
    if (!c.phone && !c.email) problems.push({ path: `contacts[${i}]`, message: 'expected a phone or an email' });
  });
  return problems;
}

/** Short, stable hash of a JSON value (policy versions of custom overrides). */
export function stableHash(v: unknown): string {
  const text = JSON.stringify(sortKeys(v));
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isPlainObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}
