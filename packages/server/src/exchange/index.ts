import { FhirError, type Clock } from '@carebridge/domain';
import type { AccessControl } from '../access/access-control.js';
import type { Database, SqlExecutor } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import { Outbox, type AlertSink, type OutboxHooks, type OutboxMessage } from '../transport/index.js';
import {
  CORRELATION_PREFIX,
  DEFAULT_EXCHANGE_OPTIONS,
  type ExchangeContext,
  type ExchangeOptions,
} from './context.js';
import { ExchangeOperations } from './exchange-operations.js';
import { applyEvent } from './ledger-store.js';

export { ExchangeOperations } from './exchange-operations.js';
export { EXCHANGE_OPERATIONS, isExchangeOperation, type ExchangeOperation } from './operation-names.js';
export { DEFAULT_EXCHANGE_OPTIONS, type ExchangeOptions } from './context.js';
export {
  releaseBacklog,
  releaseProgress,
  type BacklogSelection,
  type ReleaseProgress,
  type Releaser,
} from './backlog-release.js';

export interface Exchange {
  operations: ExchangeOperations;
  /** The transport outbox, with the ledger's delivery hook: share it with the OutboxWorker and mailbox routes. */
  outbox: Outbox;
}

/**
 * Document exchange, composed once in the composition root. It owns the Outbox so that a delivery
 * the transport records (HTTP 2xx, mailbox acknowledgement) moves the ledger row to delivered in the
 * same transaction.
 */
export function createExchange(deps: ExchangeDeps & { access: AccessControl }): Exchange {
  const ctx = exchangeContext(deps);
  return {
    operations: new ExchangeOperations(ctx, deps.access, deps.onBackgroundError),
    outbox: ctx.outbox,
  };
}

export interface ExchangeDeps {
  store: ResourceStore;
  clock: Clock;
  alerts?: AlertSink;
  options?: Partial<ExchangeOptions>;
  /** Needed by $release-backlog, which commits batch by batch; without it that operation answers 404. */
  db?: Database;
  /** Where a backlog release running in the background reports a failure (it is also kept on the release). */
  onBackgroundError?: (error: unknown) => void;
}

/** The context every exchange operation works with; the CLI builds the same one for `backlog release`. */
export function exchangeContext(deps: ExchangeDeps): ExchangeContext {
  const outbox = new Outbox({
    clock: deps.clock,
    hooks: ledgerHooks(deps.clock),
    ...(deps.alerts ? { alerts: deps.alerts } : {}),
  });
  return {
    store: deps.store,
    clock: deps.clock,
    outbox,
    options: { ...DEFAULT_EXCHANGE_OPTIONS, ...deps.options },
    ...(deps.db ? { database: deps.db } : {}),
  };
}

/** The transport's outcome hooks: "delivered" by the transport is "delivered" in the ledger. */
export function ledgerHooks(clock: Clock): OutboxHooks {
  return {
    async onDelivered(tx: SqlExecutor, message: OutboxMessage) {
      const rowId = message.correlationId?.startsWith(CORRELATION_PREFIX)
        ? message.correlationId.slice(CORRELATION_PREFIX.length)
        : undefined;
      if (rowId === undefined) return;
      try {
        await applyEvent(
          tx,
          rowId,
          { type: 'deliver' },
          message.deliveredAt ?? clock.now(),
          { subject: 'carebridge-transport', role: 'system' },
          { reason: `deliver:${message.destination.kind}` },
        );
      } catch (error) {
        // The row was withdrawn, superseded or rejected meanwhile: the late delivery of an outdated
        // version changes nothing in the ledger, and must not make the transport retry for ever.
        if (!(error instanceof FhirError && error.problems[0]?.code === 'ledger-transition-refused'))
          throw error;
      }
    },
  };
}
