/**
 * The zod <-> JSON Schema bridge of the HTTP API. Every route part (querystring, params, body) is
 * described by a zod schema; the same schema produces the JSON schema that @fastify/swagger
 * publishes and does the validation (through the validator compiler below), so a bad request lists
 * EVERY problem in the contract's error shape instead of Ajv's first error. Response schemas are
 * documentation only.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { InvalidError, type Problem } from '../domain/errors.js';

/** A JSON schema object as Fastify and @fastify/swagger take it. */
export type JsonSchema = Record<string, unknown>;

/** JSON schema objects created from zod, mapped back to their zod schema for validation. */
const zodOf = new WeakMap<object, z.ZodType>();

/** The JSON schema of a zod schema, as its input (request) or output (response) side. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete js.$schema;
  return js;
}

/** The JSON schema of a request part, remembered so that the validator compiler validates it with zod. */
export function inputSchema(schema: z.ZodType): JsonSchema {
  const js = toJsonSchema(schema, 'input');
  zodOf.set(js, schema);
  return js;
}

/** The JSON schema of a response (documentation only). */
export function outputSchema(schema: z.ZodType): JsonSchema {
  return toJsonSchema(schema, 'output');
}

/**
 * Fastify's validator compiler: parts described by `inputSchema` are validated by their zod schema
 * (the parsed value replaces the raw one); parts without a zod schema are documentation only.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const zs = zodOf.get(schema as object);
  if (!zs) return () => true;
  return (data: unknown) => {
    const r = zs.safeParse(httpPart === 'body' ? data : (data ?? {}));
    return r.success ? { value: r.data } : { error: new InvalidError(zodIssuesToProblems(r.error, httpPart ?? 'body')) };
  };
};

/** Turns zod issues into contract problems; `part` names the request part for unknown keys. */
export function zodIssuesToProblems(error: z.ZodError, part: string): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    const path = joinPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: path ? `${path}.${key}` : key, message: `unknown ${part === 'querystring' ? 'query parameter' : 'field'}` });
    } else {
      problems.push({ path, message: issue.message });
    }
  }
  return problems;
}

function joinPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${String(s)}` : String(s);
  return out;
}

/**
 * @fastify/swagger marks every request body required; a body whose schema also accepts null
 * (the lifecycle actions' optional notes) is optional, so say so and drop the null branch.
 */
export function markOptionalBodies<T>(doc: T): T {
  const paths = (doc as { paths?: Record<string, Record<string, { requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> } }>> }).paths ?? {};
  for (const ops of Object.values(paths)) {
    for (const op of Object.values(ops)) {
      for (const media of Object.values(op.requestBody?.content ?? {})) {
        const anyOf = media.schema?.anyOf as JsonSchema[] | undefined;
        if (!op.requestBody || !anyOf?.some((b) => b.type === 'null')) continue;
        op.requestBody.required = false;
        const rest = anyOf.filter((b) => b.type !== 'null');
        media.schema = rest.length === 1 ? rest[0] : { anyOf: rest };
      }
    }
  }
  return doc;
}
