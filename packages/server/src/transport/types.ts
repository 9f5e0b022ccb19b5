import type { SqlExecutor } from '../store/database.js';

/**
 * The shapes of the durable transport: what a caller enqueues, what a message row looks like, and
 * the hooks and alerts through which the rest of Carebridge reacts to delivery.
 */

export const DESTINATION_KINDS = ['fhir-endpoint', 'webhook', 'mailbox'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

export const OUTBOX_STATUSES = ['pending', 'delivering', 'delivered', 'dead'] as const;
/**
 * - `pending`: waiting for its next attempt (`nextAttemptAt`).
 * - `delivering`: handed to the transport and not yet acknowledged: a worker holds a lease on it
 *   (HTTP destinations), or it waits in the recipient's mailbox for acknowledgement (mailbox).
 * - `delivered`: the receiver acknowledged it (HTTP 2xx; mailbox acknowledgement). Terminal.
 * - `dead`: refused permanently; needs a person (`retryDeadMessage` sends it again). Terminal until then.
 */
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Destination {
  kind: DestinationKind;
  /**
   * A stable id for the receiving endpoint (for example the FHIR `Endpoint` resource id, a webhook
   * subscription id, or the mailbox id). Endpoint health and adapter settings (webhook secrets) are
   * keyed by it.
   */
  endpointId: string;
  /**
   * Where to send: the FHIR base URL ('fhir-endpoint'), the webhook URL ('webhook'), or the mailbox
   * id ('mailbox', conventionally the recipient's ODS code).
   */
  address: string;
  /** The ODS code of the receiving organisation. For 'mailbox', the organisation that owns the mailbox. */
  recipientOds: string;
}

/** What a caller enqueues. */
export interface NewOutboxMessage {
  /**
   * A UUID the caller chooses and keeps for every retry and re-send of this message: receivers
   * de-duplicate on it (it is sent as `X-Request-ID`), and `enqueue` is idempotent on it.
   */
  messageId: string;
  destination: Destination;
  /** The caller's own key for the thing being sent (for example a delivery-ledger row id). */
  correlationId?: string;
  /** A FHIR Bundle for 'fhir-endpoint'; any JSON for 'webhook' and 'mailbox'. */
  payload: JsonValue;
}

export interface OutboxMessage {
  messageId: string;
  destination: Destination;
  correlationId: string | null;
  payload: JsonValue;
  status: OutboxStatus;
  /** Attempts started (claims), including ones a crashed or paused worker never finished. */
  attempts: number;
  /** Permanent refusals so far (4xx other than 408/429, malformed payload); `dead` at the limit. */
  rejections: number;
  nextAttemptAt: Date | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  /** Increases at every claim; completion is accepted only from the holder of the current fence. */
  fence: number;
  lastError: string | null;
  lastAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
  deadAt: Date | null;
  /** How many times a person sent it again after it went dead. */
  resends: number;
}

/** How one delivery attempt ended, as an adapter reports it. */
export type DeliveryResult =
  | { outcome: 'delivered'; detail?: string }
  /** Worth retrying, indefinitely: no answer, timeout, 408, 429, 5xx. */
  | { outcome: 'transient'; error: string; retryAfterMs?: number }
  /** The receiver refused this message (4xx other than 408/429), or it cannot be sent as it is. */
  | { outcome: 'permanent'; error: string };

/** Sends one message to one kind of destination. Must not throw for delivery failures. */
export interface DeliveryAdapter {
  readonly kind: Exclude<DestinationKind, 'mailbox'>;
  deliver(message: OutboxMessage): Promise<DeliveryResult>;
}

/**
 * Called inside the transaction that records the outcome (and only if it is recorded: a fenced-out
 * worker calls nothing), so the caller's own state moves with the message's, atomically. A hook that
 * throws rolls the outcome back: the message stays leased and is attempted again after its lease.
 */
export interface OutboxHooks {
  onDelivered?(tx: SqlExecutor, message: OutboxMessage): Promise<void>;
  onDead?(tx: SqlExecutor, message: OutboxMessage): Promise<void>;
  /** An attempt failed and another is scheduled at `message.nextAttemptAt`. */
  onRetryScheduled?(tx: SqlExecutor, message: OutboxMessage): Promise<void>;
}

export type AlertKind = 'dead-letter' | 'endpoint-not-acknowledging' | 'mailbox-not-acknowledging';

/** Something a person should look at. Never carries payload content (no patient data in alerts). */
export interface Alert {
  kind: AlertKind;
  severity: 'warning' | 'critical';
  summary: string;
  raisedAt: Date;
  endpointId?: string;
  messageId?: string;
  correlationId?: string;
  recipientOds?: string;
}

/** Where alerts go (a pager, an operations work queue). Raised after the outcome has committed. */
export interface AlertSink {
  raise(alert: Alert): void | Promise<void>;
}

export interface EndpointHealth {
  endpointId: string;
  kind: DestinationKind;
  address: string;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  /** Transient failures since the last success. */
  consecutiveFailures: number;
  /** The first transient failure since the last success; null while healthy. */
  failingSince: Date | null;
  lastError: string | null;
  /** When "not acknowledging" was raised for the current outage; null when none is open. */
  alertedAt: Date | null;
}
