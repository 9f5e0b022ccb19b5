import type { SqlParams } from './search/sql-params.js';

/**
 * A condition on a `resource` row (by its alias) that is true when the current user may see it.
 * Every read path — read, vread, history, search matches, totals and includes — applies the same
 * predicate in SQL, so what a user cannot see never reaches the application, a count or a page.
 */
export type AccessPredicate = (params: SqlParams, alias: string) => string;
