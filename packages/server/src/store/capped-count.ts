import type { SqlExecutor } from './database.js';

/**
 * Lists that count their matches (`total` beside a page) count no further than this: past it, "more
 * than 10,000" is all a reader needs, and a count that stops there costs the same however large the
 * table grows.
 */
export const LIST_TOTAL_CAP = 10_000;

export interface CappedTotal {
  /** Every match across all pages, or the cap when there are more. */
  total: number;
  /** True when there are more matches than `total`. */
  capped: boolean;
}

/**
 * Counts the rows `select 1 from <from and where>` finds, stopping one past the cap. `fromWhere` is
 * SQL the caller built with `params` as its placeholders; no value is ever spliced into it.
 */
export async function cappedCount(
  db: SqlExecutor,
  fromWhere: string,
  params: readonly unknown[],
): Promise<CappedTotal> {
  const { rows } = await db.query<{ total: string | number }>(
    `select count(*) as total from (select 1 from ${fromWhere} limit ${LIST_TOTAL_CAP + 1}) matching`,
    params,
  );
  const counted = Number(rows[0]?.total ?? 0);
  return { total: Math.min(counted, LIST_TOTAL_CAP), capped: counted > LIST_TOTAL_CAP };
}
