/** A small builder of SQL WHERE clauses with numbered parameters ($1, $2, ...). */
export class Where {
  readonly params: unknown[] = [];
  private readonly conds: string[] = [];
  /** Adds a parameter and returns its reference ($1, $2, ...). */
  p(v: unknown): string {
    this.params.push(v);
    return `$${this.params.length}`;
  }
  add(cond: string): void {
    this.conds.push(cond);
  }
  /** `col = value` when the value is given. */
  eq(col: string, v: unknown): void {
    if (v !== undefined && v !== null) this.add(`${col} = ${this.p(v)}`);
  }
  /** `col = ANY($n)` when the list is given (an empty list matches nothing). */
  anyOf(col: string, list: readonly string[] | undefined | null): void {
    if (list) this.add(`${col} = ANY(${this.p([...list])}::text[])`);
  }
  sql(): string {
    return this.conds.length > 0 ? `WHERE ${this.conds.join(' AND ')}` : '';
  }
}
