/**
 * Prepared statements on the embedded store. PGlite's `query` parses, plans and describes every
 * statement anew (an unnamed statement, six protocol messages), so a statement the workflow runs
 * thousands of times is planned thousands of times, and for its CTE-heavy statements planning costs
 * more than running: the assessment context read took 1.19 ms a call planned each time and 0.38 ms
 * prepared (docs/performance.md, "Planning"). Here each distinct SQL text is parsed once under a
 * name, with its parameter types and result columns kept, and later calls only bind, execute and
 * sync; PostgreSQL's plan cache then keeps a generic plan where it is no worse than a custom one.
 * At most `max` statements stay prepared; the least recently used is closed.
 *
 * The semantics are PGlite `query`'s: parameters serialised by their described types with
 * PGlite's serializers, columns parsed with its parsers, errors thrown as its DatabaseError (with
 * the code and detail of the server's answer), a Sync after every statement (so an error ends the
 * statement, and in a transaction aborts it, exactly as there), and the file system synced after a
 * statement outside a transaction.
 */
import { protocol, type PGlite } from '@electric-sql/pglite';
import type { QueryResult } from './db.js';

type Message = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];
interface Prepared {
  name: string;
  types: number[];
  fields: { name: string; dataTypeID: number }[];
}

const COUNTED = new Set(['INSERT', 'UPDATE', 'DELETE', 'COPY', 'MERGE']);

/** The query functions of one PGlite instance over its prepared statements. */
export function preparedQueries(lite: PGlite, max = 256) {
  const { serialize } = protocol;
  const cache = new Map<string, Prepared>();
  let next = 0;
  const stream = (m: Uint8Array) => lite.execProtocolStream(m, { syncToFs: false });

  async function prepared(sql: string): Promise<Prepared> {
    const hit = cache.get(sql);
    if (hit) {
      // Least recently used first: a hit moves to the end.
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    if (cache.size >= max) {
      const [oldest, old] = cache.entries().next().value as [string, Prepared];
      cache.delete(oldest);
      await stream(serialize.close({ type: 'S', name: old.name }));
    }
    const name = `vigil_s${++next}`;
    await stream(serialize.parse({ name, text: sql }));
    const described = await stream(serialize.describe({ type: 'S', name }));
    const params = described.find((m) => m.name === 'parameterDescription') as { dataTypeIDs: number[] } | undefined;
    const row = described.find((m) => m.name === 'rowDescription') as { fields: { name: string; dataTypeID: number }[] } | undefined;
    const p = { name, types: params?.dataTypeIDs ?? [], fields: row?.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })) ?? [] };
    cache.set(sql, p);
    return p;
  }

  function result<T>(fields: Prepared['fields'], messages: Message[]): QueryResult<T> {
    const rows: T[] = [];
    let affected = 0;
    let counted = false;
    for (const m of messages) {
      if (m.name === 'dataRow') {
        const values = (m as unknown as { fields: (string | null)[] }).fields;
        const row: Record<string, unknown> = {};
        for (let i = 0; i < fields.length; i++) {
          const v = values[i] ?? null;
          const parse = lite.parsers[fields[i]!.dataTypeID];
          row[fields[i]!.name] = v === null ? null : parse ? parse(v, fields[i]!.dataTypeID) : v;
        }
        rows.push(row as T);
      } else if (m.name === 'commandComplete') {
        const words = (m as unknown as { text: string }).text.split(' ');
        const n = Number.parseInt(words[words.length - 1]!, 10);
        if (COUNTED.has(words[0]!) && Number.isFinite(n)) {
          affected += n;
          counted = true;
        }
      }
    }
    return { rows, rowCount: counted ? affected : rows.length };
  }

  async function run<T>(sql: string, params: readonly unknown[], inTransaction: boolean): Promise<QueryResult<T>> {
    const messages: Message[] = [];
    let p: Prepared | undefined;
    try {
      p = await prepared(sql);
      const types = p.types;
      const values = params.map((v, i) => {
        if (v === null || v === undefined) return null;
        const serializer = lite.serializers[types[i]!];
        return serializer ? serializer(v) : (v as { toString(): string }).toString();
      });
      messages.push(...(await stream(serialize.bind({ statement: p.name, values }))));
      messages.push(...(await stream(serialize.execute({}))));
    } catch (e) {
      // A statement whose plan no longer fits the schema (a migration changed a table under it)
      // is prepared again on its next call.
      if (p && (e as { code?: string }).code === '0A000') cache.delete(sql);
      throw e;
    } finally {
      await stream(serialize.sync());
    }
    if (!inTransaction) await lite.syncToFs();
    return result<T>(p.fields, messages);
  }

  return {
    /** A statement on its own (waits for any open transaction, as PGlite's query does). */
    query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      return lite._runExclusiveTransaction(() => lite._runExclusiveQuery(() => run<T>(sql, params, false)));
    },
    /** A statement inside the transaction the caller holds (PGlite's transaction callback). */
    queryInTransaction<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      return lite._runExclusiveQuery(() => run<T>(sql, params, true));
    },
    /** How many statements are prepared now. */
    get size(): number {
      return cache.size;
    },
  };
}
