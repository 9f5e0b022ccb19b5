import type { SqlExecutor } from '../store/database.js';
import {
  DESTINATION_KINDS,
  type Destination,
  type DestinationKind,
  type JsonValue,
  type NewOutboxMessage,
  type OutboxMessage,
  type OutboxStatus,
} from './types.js';

/**
 * The outbox table: enqueueing inside the caller's transaction, and the claim and fenced
 * completion statements the worker and the mailbox use. All SQL of the transport's message rows
 * lives here.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ERROR_LENGTH = 1_000;

/** True when `value` has the form of a message id (a UUID). */
export function isMessageId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The message cannot be enqueued as given (a programming error in the caller). */
export class InvalidOutboxMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOutboxMessageError';
  }
}

/** A message with this id was already enqueued with a different destination, correlation or payload. */
export class OutboxConflictError extends Error {
  constructor(readonly messageId: string) {
    super(`Message ${messageId} was already enqueued with different content; message ids must not be reused`);
    this.name = 'OutboxConflictError';
  }
}

export interface EnqueueResult {
  /** False when the same message was already enqueued (an idempotent repeat): nothing was written. */
  enqueued: boolean;
  message: OutboxMessage;
}

/**
 * Adds a message to the outbox inside the caller's transaction, so the change it announces and the
 * message commit (or roll back) together. Idempotent on `messageId`: enqueueing the same message
 * again returns the existing row and writes nothing; reusing the id for different content throws
 * `OutboxConflictError`.
 *
 * An HTTP message ('fhir-endpoint', 'webhook') is due at once for the `OutboxWorker`. A 'mailbox'
 * message is placed in the recipient's mailbox in this same transaction and stays `delivering`
 * until the recipient acknowledges it.
 *
 * `now` should be the caller's injected clock time (it becomes `createdAt` and the first due time).
 */
export async function enqueue(tx: SqlExecutor, message: NewOutboxMessage, now: Date): Promise<EnqueueResult> {
  checkNewMessage(message);
  const { destination } = message;
  const isMailbox = destination.kind === 'mailbox';
  const { rows } = await tx.query<MessageRow>(
    `insert into outbox_message (message_id, destination_kind, endpoint_id, address, recipient_ods,
       correlation_id, payload, status, next_attempt_at, created_at)
     values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::timestamptz, $10::timestamptz)
     on conflict (message_id) do nothing
     returning ${MESSAGE_COLUMNS}`,
    [
      message.messageId,
      destination.kind,
      destination.endpointId,
      destination.address,
      destination.recipientOds,
      message.correlationId ?? null,
      JSON.stringify(message.payload),
      isMailbox ? 'delivering' : 'pending',
      isMailbox ? null : now.toISOString(),
      now.toISOString(),
    ],
  );
  const inserted = rows[0];
  if (inserted) {
    if (isMailbox) {
      await tx.query(
        `insert into mailbox_message (message_id, mailbox, placed_at) values ($1, $2, $3::timestamptz)`,
        [message.messageId, mailboxOf(destination), now.toISOString()],
      );
    }
    return { enqueued: true, message: toMessage(inserted) };
  }
  const existing = await tx.query<MessageRow & { same: boolean }>(
    `select ${MESSAGE_COLUMNS},
       (destination_kind = $2 and endpoint_id = $3 and address = $4 and recipient_ods = $5
        and correlation_id is not distinct from $6 and payload = $7::jsonb) as same
     from outbox_message where message_id = $1`,
    [
      message.messageId,
      destination.kind,
      destination.endpointId,
      destination.address,
      destination.recipientOds,
      message.correlationId ?? null,
      JSON.stringify(message.payload),
    ],
  );
  const row = existing.rows[0];
  // Absent only if the conflicting row's transaction rolled back between the two statements.
  if (!row) return enqueue(tx, message, now);
  if (!row.same) throw new OutboxConflictError(message.messageId);
  return { enqueued: false, message: toMessage(row) };
}

/** One message by id, or undefined. */
export async function findMessage(db: SqlExecutor, messageId: string): Promise<OutboxMessage | undefined> {
  if (!UUID.test(messageId)) return undefined;
  const { rows } = await db.query<MessageRow>(
    `select ${MESSAGE_COLUMNS} from outbox_message where message_id = $1`,
    [messageId],
  );
  return rows[0] ? toMessage(rows[0]) : undefined;
}

/** Every message sent for one correlation id (for example all deliveries of one ledger row), oldest first. */
export async function messagesFor(db: SqlExecutor, correlationId: string): Promise<OutboxMessage[]> {
  const { rows } = await db.query<MessageRow>(
    `select ${MESSAGE_COLUMNS} from outbox_message where correlation_id = $1 order by created_at, message_id`,
    [correlationId],
  );
  return rows.map(toMessage);
}

/**
 * Sends a dead message again (after a person fixed the cause): back to `pending`, due now, its
 * rejections reset and `resends` counted. The message id is unchanged, so a receiver that did take
 * it after all de-duplicates. Call it in the transaction that audits the decision. Returns the
 * message, or undefined when no dead message has this id.
 */
export async function retryDeadMessage(
  tx: SqlExecutor,
  messageId: string,
  now: Date,
): Promise<OutboxMessage | undefined> {
  if (!UUID.test(messageId)) return undefined;
  const { rows } = await tx.query<MessageRow>(
    `update outbox_message set status = 'pending', next_attempt_at = $2::timestamptz, rejections = 0,
       resends = resends + 1, dead_at = null, fence = fence + 1
     where message_id = $1 and status = 'dead' and destination_kind <> 'mailbox'
     returning ${MESSAGE_COLUMNS}`,
    [messageId, now.toISOString()],
  );
  return rows[0] ? toMessage(rows[0]) : undefined;
}

/**
 * Claims up to `limit` due messages of the given kinds for `owner`: each gets a new fence, one more
 * attempt and a lease until `leaseExpiresAt` (which is also when it falls due again if the owner
 * never completes it). `for update skip locked` lets concurrent workers claim disjoint sets.
 */
export async function claimDueMessages(
  tx: SqlExecutor,
  options: {
    owner: string;
    kinds: readonly DestinationKind[];
    limit: number;
    now: Date;
    leaseExpiresAt: Date;
  },
): Promise<OutboxMessage[]> {
  const { rows } = await tx.query<MessageRow>(
    `with due as (
       select message_id from outbox_message
       where next_attempt_at <= $1::timestamptz and destination_kind = any($2::text[])
       order by next_attempt_at
       limit $3
       for update skip locked
     )
     update outbox_message m set status = 'delivering', attempts = m.attempts + 1, fence = m.fence + 1,
       lease_owner = $4, lease_expires_at = $5::timestamptz, next_attempt_at = $5::timestamptz,
       last_attempt_at = $1::timestamptz
     from due where m.message_id = due.message_id
     returning ${prefixed('m')}`,
    [
      options.now.toISOString(),
      [...options.kinds],
      options.limit,
      options.owner,
      options.leaseExpiresAt.toISOString(),
    ],
  );
  return rows.map(toMessage).sort((a, b) => time(a.nextAttemptAt) - time(b.nextAttemptAt));
}

/** A completion the fence still allows; undefined when the claim was superseded (fenced out). */
export async function markDelivered(
  tx: SqlExecutor,
  claim: Pick<OutboxMessage, 'messageId' | 'fence'>,
  now: Date,
): Promise<OutboxMessage | undefined> {
  const { rows } = await tx.query<MessageRow>(
    `update outbox_message set status = 'delivered', delivered_at = $3::timestamptz, next_attempt_at = null,
       lease_owner = null, lease_expires_at = null, last_error = null
     where message_id = $1 and fence = $2 and status = 'delivering'
     returning ${MESSAGE_COLUMNS}`,
    [claim.messageId, claim.fence, now.toISOString()],
  );
  return rows[0] ? toMessage(rows[0]) : undefined;
}

export async function markForRetry(
  tx: SqlExecutor,
  claim: Pick<OutboxMessage, 'messageId' | 'fence'>,
  retry: { nextAttemptAt: Date; error: string; rejected: boolean },
): Promise<OutboxMessage | undefined> {
  const { rows } = await tx.query<MessageRow>(
    `update outbox_message set status = 'pending', next_attempt_at = $3::timestamptz,
       lease_owner = null, lease_expires_at = null, last_error = $4,
       rejections = rejections + case when $5::boolean then 1 else 0 end
     where message_id = $1 and fence = $2 and status = 'delivering'
     returning ${MESSAGE_COLUMNS}`,
    [claim.messageId, claim.fence, retry.nextAttemptAt.toISOString(), truncate(retry.error), retry.rejected],
  );
  return rows[0] ? toMessage(rows[0]) : undefined;
}

export async function markDead(
  tx: SqlExecutor,
  claim: Pick<OutboxMessage, 'messageId' | 'fence'>,
  failure: { error: string; now: Date },
): Promise<OutboxMessage | undefined> {
  const { rows } = await tx.query<MessageRow>(
    `update outbox_message set status = 'dead', dead_at = $3::timestamptz, next_attempt_at = null,
       lease_owner = null, lease_expires_at = null, last_error = $4, rejections = rejections + 1
     where message_id = $1 and fence = $2 and status = 'delivering'
     returning ${MESSAGE_COLUMNS}`,
    [claim.messageId, claim.fence, failure.now.toISOString(), truncate(failure.error)],
  );
  return rows[0] ? toMessage(rows[0]) : undefined;
}

/** Marks a mailbox message delivered on acknowledgement (it holds no lease, so there is no fence). */
export async function markMailboxMessageDelivered(
  tx: SqlExecutor,
  messageId: string,
  now: Date,
): Promise<OutboxMessage | undefined> {
  const { rows } = await tx.query<MessageRow>(
    `update outbox_message set status = 'delivered', delivered_at = $2::timestamptz, fence = fence + 1
     where message_id = $1 and status = 'delivering' and destination_kind = 'mailbox'
     returning ${MESSAGE_COLUMNS}`,
    [messageId, now.toISOString()],
  );
  return rows[0] ? toMessage(rows[0]) : undefined;
}

export interface MessageRow {
  message_id: string;
  destination_kind: DestinationKind;
  endpoint_id: string;
  address: string;
  recipient_ods: string;
  correlation_id: string | null;
  payload: JsonValue;
  status: OutboxStatus;
  attempts: number;
  rejections: number;
  next_attempt_at: Date | string | null;
  lease_owner: string | null;
  lease_expires_at: Date | string | null;
  fence: number | string;
  last_error: string | null;
  last_attempt_at: Date | string | null;
  created_at: Date | string;
  delivered_at: Date | string | null;
  dead_at: Date | string | null;
  resends: number;
}

const COLUMN_NAMES = [
  'message_id',
  'destination_kind',
  'endpoint_id',
  'address',
  'recipient_ods',
  'correlation_id',
  'payload',
  'status',
  'attempts',
  'rejections',
  'next_attempt_at',
  'lease_owner',
  'lease_expires_at',
  'fence',
  'last_error',
  'last_attempt_at',
  'created_at',
  'delivered_at',
  'dead_at',
  'resends',
] as const;

export const MESSAGE_COLUMNS = COLUMN_NAMES.join(', ');

export function prefixed(alias: string): string {
  return COLUMN_NAMES.map((column) => `${alias}.${column}`).join(', ');
}

export function toMessage(row: MessageRow): OutboxMessage {
  const destination: Destination = {
    kind: row.destination_kind,
    endpointId: row.endpoint_id,
    address: row.address,
    recipientOds: row.recipient_ods,
  };
  return {
    messageId: row.message_id,
    destination,
    correlationId: row.correlation_id,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    rejections: row.rejections,
    nextAttemptAt: toDate(row.next_attempt_at),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: toDate(row.lease_expires_at),
    fence: Number(row.fence),
    lastError: row.last_error,
    lastAttemptAt: toDate(row.last_attempt_at),
    createdAt: toDate(row.created_at) as Date,
    deliveredAt: toDate(row.delivered_at),
    deadAt: toDate(row.dead_at),
    resends: row.resends,
  };
}

export function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}

/** A mailbox is named by its owner's ODS code, in the upper case ODS codes are issued in. */
export function mailboxOf(destination: Destination): string {
  return destination.recipientOds.trim().toUpperCase();
}

function time(value: Date | null): number {
  return value === null ? 0 : value.getTime();
}

function truncate(error: string): string {
  return error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH - 1)}…` : error;
}

function checkNewMessage(message: NewOutboxMessage): void {
  const faults: string[] = [];
  if (typeof message.messageId !== 'string' || !UUID.test(message.messageId))
    faults.push('messageId must be a UUID');
  const destination = message.destination as Partial<Destination> | undefined;
  if (!destination || !DESTINATION_KINDS.includes(destination.kind as DestinationKind)) {
    faults.push(`destination.kind must be one of ${DESTINATION_KINDS.join(', ')}`);
  }
  for (const field of ['endpointId', 'address', 'recipientOds'] as const) {
    const value = destination?.[field];
    if (typeof value !== 'string' || value.trim() === '')
      faults.push(`destination.${field} must be a non-empty string`);
  }
  if (destination?.kind === 'fhir-endpoint' || destination?.kind === 'webhook') {
    if (!isHttpUrl(destination.address)) faults.push('destination.address must be an http(s) URL');
  }
  if (message.payload === undefined) faults.push('payload is required');
  if (faults.length > 0) throw new InvalidOutboxMessageError(faults.join('; '));
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
