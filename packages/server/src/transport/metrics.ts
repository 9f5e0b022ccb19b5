import type { SqlExecutor } from '../store/database.js';
import { toDate } from './outbox-store.js';
import { OUTBOX_STATUSES, type OutboxStatus } from './types.js';

/**
 * Read-only figures for dashboards and Prometheus gauges. Plain functions over any executor (a
 * read replica will do).
 */

export interface OutboxBacklog {
  /** Messages per status. */
  counts: Record<OutboxStatus, number>;
  /** Age of the oldest message waiting for an attempt or in flight (`pending`/`delivering`), or null. */
  oldestUndeliveredAgeMs: number | null;
  /** Age of the oldest `pending` message, or null when none is pending. */
  oldestPendingAgeMs: number | null;
  /** Mailbox messages placed and not yet acknowledged, and the oldest one's age. */
  mailboxUnacknowledged: number;
  oldestUnacknowledgedAgeMs: number | null;
}

/**
 * Counts per status and the ages of the oldest open messages. The undelivered figures come from a
 * partial index; the `delivered` count reads the whole delivered history (cheap for a dashboard
 * polled every few seconds up to a few million rows; pass `includeDelivered: false` to skip it,
 * and it is reported as 0).
 */
export async function outboxBacklog(
  db: SqlExecutor,
  now: Date,
  options: { includeDelivered?: boolean } = {},
): Promise<OutboxBacklog> {
  const counts = Object.fromEntries(OUTBOX_STATUSES.map((status) => [status, 0])) as Record<
    OutboxStatus,
    number
  >;
  const open = await db.query<{ status: OutboxStatus; n: number; oldest: Date | string | null }>(
    `select status, count(*)::integer as n, min(created_at) as oldest
     from outbox_message where status <> 'delivered' group by status`,
  );
  let oldestPending: Date | null = null;
  let oldestUndelivered: Date | null = null;
  for (const row of open.rows) {
    counts[row.status] = row.n;
    const oldest = toDate(row.oldest);
    if (row.status === 'pending') oldestPending = oldest;
    if ((row.status === 'pending' || row.status === 'delivering') && oldest !== null) {
      if (oldestUndelivered === null || oldest < oldestUndelivered) oldestUndelivered = oldest;
    }
  }
  if (options.includeDelivered !== false) {
    const delivered = await db.query<{ n: number }>(
      `select count(*)::integer as n from outbox_message where status = 'delivered'`,
    );
    counts.delivered = delivered.rows[0]?.n ?? 0;
  }
  const mailbox = await db.query<{ n: number; oldest: Date | string | null }>(
    `select count(*)::integer as n, min(placed_at) as oldest from mailbox_message where acknowledged_at is null`,
  );
  const age = (at: Date | null) => (at === null ? null : Math.max(0, now.getTime() - at.getTime()));
  return {
    counts,
    oldestUndeliveredAgeMs: age(oldestUndelivered),
    oldestPendingAgeMs: age(oldestPending),
    mailboxUnacknowledged: mailbox.rows[0]?.n ?? 0,
    oldestUnacknowledgedAgeMs: age(toDate(mailbox.rows[0]?.oldest ?? null)),
  };
}
