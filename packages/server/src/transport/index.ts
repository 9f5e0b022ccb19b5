/**
 * The durable transport for document exchange: a transactional outbox, a fenced worker that sends
 * what it holds over HTTP (FHIR endpoints, signed webhooks), MESH-style mailboxes recipients poll and
 * acknowledge, retry with capped backoff that never gives up on transient failures, endpoint health
 * and alerts. Wiring, in the composition root:
 *
 *   const outbox = new Outbox({ clock, hooks: { onDelivered, onDead }, alerts });
 *   const worker = new OutboxWorker({ db, outbox, adapters: [fhirEndpointAdapter(), webhookAdapter({ secretFor })] });
 *   worker.start();  app.addHook('onClose', () => worker.stop());
 *   await registerMailboxRoutes(app, { db, outbox, authenticate, audit });
 *   // in a document's transaction:
 *   await outbox.enqueue(tx, { messageId, destination, correlationId: ledgerRowId, payload: bundle });
 */
export { Outbox, type MailboxAcknowledgement, type OutboxOptions } from './outbox.js';
export { OutboxWorker, type OutboxWorkerOptions, type Sleep, type WorkerSummary } from './worker.js';
export {
  enqueue,
  isMessageId,
  InvalidOutboxMessageError,
  OutboxConflictError,
  type EnqueueResult,
} from './outbox-store.js';
export {
  DEFAULT_HTTP_TIMEOUT_MS,
  fhirEndpointAdapter,
  MESSAGE_ID_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  webhookAdapter,
  webhookSignature,
  type FhirEndpointAdapterOptions,
  type WebhookAdapterOptions,
} from './http-adapters.js';
export {
  downloadMessage,
  listInbox,
  MAILBOX_PAGE_SIZE,
  registerMailboxRoutes,
  type MailboxDownload,
  type MailboxRouteDeps,
} from './mailbox.js';
export { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
export { endpointAcknowledgements, endpointHealth, loggingAlertSink } from './health.js';
export { outboxBacklog, type OutboxBacklog } from './metrics.js';
export {
  DESTINATION_KINDS,
  OUTBOX_STATUSES,
  type Alert,
  type AlertKind,
  type AlertSink,
  type DeliveryAdapter,
  type DeliveryResult,
  type Destination,
  type DestinationKind,
  type EndpointHealth,
  type JsonValue,
  type NewOutboxMessage,
  type OutboxHooks,
  type OutboxMessage,
  type OutboxStatus,
} from './types.js';
