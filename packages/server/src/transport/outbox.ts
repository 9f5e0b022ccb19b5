import { systemClock, type Clock } from '@carebridge/domain';
import type { Database, SqlExecutor } from '../store/database.js';
import { loggingAlertSink, recordMailboxAcknowledgement } from './health.js';
import {
  enqueue,
  findMessage,
  isMessageId,
  markMailboxMessageDelivered,
  messagesFor,
  retryDeadMessage,
  type EnqueueResult,
} from './outbox-store.js';
import type { AlertSink, NewOutboxMessage, OutboxHooks, OutboxMessage } from './types.js';

export interface OutboxOptions {
  clock?: Clock;
  /** The caller's reactions to outcomes, run inside the transaction that records each outcome. */
  hooks?: OutboxHooks;
  /** Where dead letters and silent endpoints are reported; by default one warning line on the console. */
  alerts?: AlertSink;
}

export type MailboxAcknowledgement = 'acknowledged' | 'already-acknowledged' | 'not-found';

/**
 * The transport's entry point, built once in the composition root and shared by the
 * `OutboxWorker` and the mailbox routes, so both record outcomes with the same clock, hooks and
 * alerts.
 *
 * Guarantees: a message enqueued in a committed transaction is never lost, never expires and is
 * never silently dropped: it ends `delivered`, or `dead` with an alert, or stays `pending`/
 * `delivering` where the backlog metrics and endpoint alerts show it. Delivery is at-least-once (a
 * worker can die between the receiver's acceptance and the commit of `delivered`; a paused worker
 * can send after its lease lapsed); the stable message id the receiver de-duplicates on is what
 * makes it exactly-once in effect. Outcomes are recorded at most once per message (fenced), so the
 * hooks never run twice for one delivery.
 */
export class Outbox {
  readonly clock: Clock;
  readonly hooks: OutboxHooks;
  readonly alerts: AlertSink;

  constructor(options: OutboxOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.hooks = options.hooks ?? {};
    this.alerts = options.alerts ?? loggingAlertSink();
  }

  /**
   * Adds a message inside the caller's transaction (see `enqueue` in outbox-store.ts): it commits or
   * rolls back with the caller's writes; idempotent on `messageId`.
   */
  enqueue(tx: SqlExecutor, message: NewOutboxMessage): Promise<EnqueueResult> {
    return enqueue(tx, message, this.clock.now());
  }

  /** Sends a dead message again, same id, `resends` counted; call it in the transaction that audits it. */
  retryDead(tx: SqlExecutor, messageId: string): Promise<OutboxMessage | undefined> {
    return retryDeadMessage(tx, messageId, this.clock.now());
  }

  find(db: SqlExecutor, messageId: string): Promise<OutboxMessage | undefined> {
    return findMessage(db, messageId);
  }

  /** Every message for one correlation id, oldest first. */
  messagesFor(db: SqlExecutor, correlationId: string): Promise<OutboxMessage[]> {
    return messagesFor(db, correlationId);
  }

  /**
   * The recipient acknowledged a mailbox message: in one transaction the mailbox entry is closed,
   * the message becomes `delivered`, `hooks.onDelivered` runs and the endpoint's health records a
   * success. Acknowledging again is harmless ('already-acknowledged').
   */
  async acknowledgeMailboxMessage(
    db: Database,
    mailbox: string,
    messageId: string,
    acknowledgedBy: string,
  ): Promise<MailboxAcknowledgement> {
    if (!isMessageId(messageId)) return 'not-found';
    const now = this.clock.now();
    return db.transaction(async (tx) => {
      const closed = await tx.query(
        `update mailbox_message set acknowledged_at = $3::timestamptz, acknowledged_by = $4
         where message_id = $1 and mailbox = $2 and acknowledged_at is null`,
        [messageId, mailbox, now.toISOString(), acknowledgedBy],
      );
      if (closed.rowCount === 0) {
        const { rows } = await tx.query(
          'select 1 from mailbox_message where message_id = $1 and mailbox = $2',
          [messageId, mailbox],
        );
        return rows.length > 0 ? 'already-acknowledged' : 'not-found';
      }
      const message = await markMailboxMessageDelivered(tx, messageId, now);
      if (message) {
        await this.hooks.onDelivered?.(tx, message);
        await recordMailboxAcknowledgement(tx, message.destination, now);
      }
      return 'acknowledged';
    });
  }
}
