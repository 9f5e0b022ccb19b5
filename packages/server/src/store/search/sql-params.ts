/**
 * Bind parameters for one SQL statement. Every value from a search goes through `add`, so no
 * request text is ever spliced into SQL; only fixed table and column names are.
 */
export class SqlParams {
  readonly values: unknown[] = [];
  private aliasCount = 0;

  /** Binds `value` and returns its placeholder ($1, $2, …). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** Binds `value` with an explicit type, so PostgreSQL never has to guess it from context. */
  typed(value: unknown, type: 'text' | 'timestamptz' | 'numeric' | 'int' | 'bigint'): string {
    return `${this.add(value)}::${type}`;
  }

  /** A table alias unique within the statement (subqueries nest, e.g. for chains). */
  alias(prefix: string): string {
    this.aliasCount += 1;
    return `${prefix}${this.aliasCount}`;
  }
}

/** Escapes LIKE wildcards so a value is matched literally (the pattern uses backslash as escape). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}
