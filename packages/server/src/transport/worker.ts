import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from '../store/database.js';
import { raiseAll, recordEndpointOutcomes, sweepForAlerts, type EndpointOutcome } from './health.js';
import type { Outbox } from './outbox.js';
import { claimDueMessages, markDead, markDelivered, markForRetry } from './outbox-store.js';
import { checkRetryPolicy, decideRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import type { Alert, DeliveryAdapter, DeliveryResult, DestinationKind, OutboxMessage } from './types.js';

/** Waits `ms`, or less if `signal` aborts (then it resolves, never rejects). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface OutboxWorkerOptions {
  db: Database;
  outbox: Outbox;
  /** One adapter per HTTP destination kind this worker sends; it claims only messages of those kinds. */
  adapters: readonly DeliveryAdapter[];
  /** Deliveries in flight at once (and most messages claimed by one statement). Default 8. */
  concurrency?: number;
  /**
   * How long a claim is exclusive. After it, another worker may take the message over; the first
   * worker's late outcome is then fenced out. Must comfortably exceed the adapters' timeout
   * (default 30 s): default 5 minutes.
   */
  leaseMs?: number;
  /** How long an idle worker waits before looking for due messages again. Default 1 s. */
  pollIntervalMs?: number;
  retryPolicy?: Partial<RetryPolicy>;
  /** [0, 1) random numbers for backoff jitter. Default Math.random. */
  random?: () => number;
  /** Injected for tests; a cancellable setTimeout by default. */
  sleep?: Sleep;
  /** Names this worker in `leaseOwner` (for operations). Default host:pid:random. */
  workerId?: string;
  /** An endpoint failing this long raises 'endpoint-not-acknowledging' (once per outage). Default 15 minutes. */
  endpointAlertAfterMs?: number;
  /** A mailbox message unacknowledged this long raises 'mailbox-not-acknowledging'. Default 4 hours. */
  mailboxAlertAfterMs?: number;
  /** How often (clock time) the running worker looks for those two conditions. Default 1 minute. */
  sweepIntervalMs?: number;
  /** Errors that have nowhere else to go (database unreachable, a hook or alert sink that threw). */
  onError?: (error: unknown) => void;
}

/** What one round (`runOnce`) or the running worker so far did. */
export interface WorkerSummary {
  claimed: number;
  delivered: number;
  retried: number;
  dead: number;
  /** Outcomes refused because another worker had taken the message over (its fence moved on). */
  fenced: number;
  /** Claims not sent because the lease had already lapsed when the worker got to them. */
  leaseLost: number;
  /** Outcomes that could not be recorded (database error, a hook threw): retried after the lease. */
  errors: number;
}

const DEFAULTS = {
  concurrency: 8,
  leaseMs: 5 * 60 * 1000,
  pollIntervalMs: 1_000,
  endpointAlertAfterMs: 15 * 60 * 1000,
  mailboxAlertAfterMs: 4 * 60 * 60 * 1000,
  sweepIntervalMs: 60 * 1000,
} as const;

/** After an unexpected error in the loop (database down), wait this long before trying again. */
const ERROR_BACKOFF_MS = 1_000;

const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Sends what the outbox holds. Each claim (`for update skip locked`, so concurrent workers in any
 * number of processes take disjoint messages) gives the worker a lease and a new fence; the HTTP
 * request runs outside any transaction; the outcome is then written in one transaction, only while
 * the fence still matches, together with the caller's hook (`onDelivered`, `onRetryScheduled`,
 * `onDead`). A worker frozen past its lease (SIGSTOP, a long GC pause, a partition) therefore cannot
 * overwrite the outcome of the worker that took over: its update matches no row and its hooks never
 * run. It may still have sent the message a second time: receivers de-duplicate by message id
 * (`X-Request-ID`), which is what makes delivery exactly-once in effect.
 *
 * Transient failures are retried for ever with capped exponential backoff and jitter; permanent
 * refusals go `dead` after `retryPolicy.maxRejections` and raise a 'dead-letter' alert. A message is
 * never deleted or expired here.
 */
export class OutboxWorker {
  readonly id: string;
  private readonly db: Database;
  private readonly outbox: Outbox;
  private readonly adapters: ReadonlyMap<DestinationKind, DeliveryAdapter>;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly policy: RetryPolicy;
  private readonly random: () => number;
  private readonly sleep: Sleep;
  private readonly endpointAlertAfterMs: number;
  private readonly mailboxAlertAfterMs: number;
  private readonly sweepIntervalMs: number;
  private readonly onError: (error: unknown) => void;

  private running: Promise<void> | undefined;
  private stopController = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private healthBuffer: EndpointOutcome[] = [];
  private healthFlush: Promise<void> = Promise.resolve();
  private lastSweepAt: number | undefined;
  private readonly totals: WorkerSummary = emptySummary();

  constructor(options: OutboxWorkerOptions) {
    this.db = options.db;
    this.outbox = options.outbox;
    const adapters = new Map<DestinationKind, DeliveryAdapter>();
    for (const adapter of options.adapters) {
      if (adapters.has(adapter.kind))
        throw new RangeError(`Two adapters for destination kind ${adapter.kind}`);
      adapters.set(adapter.kind, adapter);
    }
    if (adapters.size === 0) throw new RangeError('An OutboxWorker needs at least one adapter');
    this.adapters = adapters;
    this.concurrency = positiveInteger('concurrency', options.concurrency ?? DEFAULTS.concurrency);
    this.leaseMs = positiveInteger('leaseMs', options.leaseMs ?? DEFAULTS.leaseMs);
    this.pollIntervalMs = positiveInteger(
      'pollIntervalMs',
      options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    );
    this.policy = checkRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...options.retryPolicy });
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.endpointAlertAfterMs = options.endpointAlertAfterMs ?? DEFAULTS.endpointAlertAfterMs;
    this.mailboxAlertAfterMs = options.mailboxAlertAfterMs ?? DEFAULTS.mailboxAlertAfterMs;
    this.sweepIntervalMs = options.sweepIntervalMs ?? DEFAULTS.sweepIntervalMs;
    this.onError = options.onError ?? ((error) => console.error('outbox worker error', error));
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.stopController = new AbortController();
    this.running = this.loop();
  }

  /**
   * Graceful stop: claims nothing more, lets deliveries in flight finish (each bounded by its
   * adapter's timeout) and records their outcomes. A process killed instead leaves its claims to be
   * taken over when their leases lapse.
   */
  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.stopController.abort();
    await running;
    this.running = undefined;
  }

  /** Counts since this worker was built (background loop and `runOnce` rounds together). */
  summary(): WorkerSummary {
    return { ...this.totals };
  }

  /**
   * One round, for tests and tools: claims up to `concurrency` due messages, delivers them all,
   * records every outcome and endpoint health, and says what happened.
   */
  async runOnce(): Promise<WorkerSummary> {
    const round = emptySummary();
    const claimed = await this.claim(this.concurrency);
    round.claimed = claimed.length;
    await Promise.all(claimed.map((message) => this.process(message, round)));
    await this.flushHealth();
    addInto(this.totals, round);
    return round;
  }

  /**
   * Raises the time-based alerts now due (endpoints failing too long, mailboxes not acknowledging);
   * the running worker does this every `sweepIntervalMs`.
   */
  async sweep(): Promise<Alert[]> {
    const alerts = await sweepForAlerts(this.db, this.outbox.clock.now(), {
      endpointAlertAfterMs: this.endpointAlertAfterMs,
      mailboxAlertAfterMs: this.mailboxAlertAfterMs,
    });
    await raiseAll(this.outbox.alerts, alerts, this.onError);
    return alerts;
  }

  private async loop(): Promise<void> {
    const signal = this.stopController.signal;
    const refillAt = Math.max(1, Math.ceil(this.concurrency / 2));
    while (!signal.aborted) {
      try {
        await this.sweepIfDue();
        const free = this.concurrency - this.inFlight.size;
        if (free >= refillAt || (free > 0 && this.inFlight.size === 0)) {
          const claimed = await this.claim(free);
          const round = emptySummary();
          round.claimed = claimed.length;
          addInto(this.totals, round);
          for (const message of claimed) this.track(message);
          if (claimed.length < free) {
            // Nothing more is due now: wait for the next poll (deliveries carry on meanwhile).
            await this.flushHealth();
            await this.sleep(this.pollIntervalMs, signal);
            continue;
          }
        }
        // Every slot is busy (or too few are free to be worth a claim): wait for one to finish.
        const wait = new AbortController();
        await Promise.race([
          ...this.inFlight,
          this.sleep(this.pollIntervalMs, AbortSignal.any([signal, wait.signal])),
        ]);
        wait.abort();
        await this.flushHealth();
      } catch (error) {
        this.onError(error);
        await this.sleep(ERROR_BACKOFF_MS, signal);
      }
    }
    await Promise.all(this.inFlight);
    await this.flushHealth().catch(this.onError);
  }

  private track(message: OutboxMessage): void {
    const summary = emptySummary();
    const work = this.process(message, summary).finally(() => {
      addInto(this.totals, summary);
      this.inFlight.delete(work);
    });
    this.inFlight.add(work);
  }

  private async sweepIfDue(): Promise<void> {
    const now = this.outbox.clock.now().getTime();
    if (this.lastSweepAt !== undefined && now - this.lastSweepAt < this.sweepIntervalMs) return;
    this.lastSweepAt = now;
    await this.sweep();
  }

  private async claim(limit: number): Promise<OutboxMessage[]> {
    if (limit <= 0) return [];
    const now = this.outbox.clock.now();
    return this.db.transaction((tx) =>
      claimDueMessages(tx, {
        owner: this.id,
        kinds: [...this.adapters.keys()],
        limit,
        now,
        leaseExpiresAt: new Date(now.getTime() + this.leaseMs),
      }),
    );
  }

  /** Delivers one claimed message and records the outcome. Never throws. */
  private async process(message: OutboxMessage, summary: WorkerSummary): Promise<void> {
    const { clock, hooks, alerts } = this.outbox;
    // A worker that was paused between claim and send must not send on a lapsed lease: another
    // worker may already hold the message (it would still be de-duplicated, but need not be sent).
    if (message.leaseExpiresAt !== null && clock.now() >= message.leaseExpiresAt) {
      summary.leaseLost += 1;
      return;
    }
    const adapter = this.adapters.get(message.destination.kind);
    let result: DeliveryResult;
    try {
      result = adapter
        ? await adapter.deliver(message)
        : { outcome: 'transient', error: `No adapter for ${message.destination.kind}` };
    } catch (error) {
      result = {
        outcome: 'transient',
        error: `Adapter failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    const now = clock.now();
    const decision = decideRetry(result, message, this.policy, this.random);
    let recorded: OutboxMessage | undefined;
    try {
      recorded = await this.db.transaction(async (tx) => {
        switch (decision.action) {
          case 'delivered': {
            const done = await markDelivered(tx, message, now);
            if (done) await hooks.onDelivered?.(tx, done);
            return done;
          }
          case 'retry': {
            const nextAttemptAt = new Date(now.getTime() + decision.delayMs);
            const retry = await markForRetry(tx, message, {
              nextAttemptAt,
              error: decision.error,
              rejected: decision.rejected,
            });
            if (retry) await hooks.onRetryScheduled?.(tx, retry);
            return retry;
          }
          case 'dead': {
            const dead = await markDead(tx, message, { error: decision.error, now });
            if (dead) await hooks.onDead?.(tx, dead);
            return dead;
          }
        }
      });
    } catch (error) {
      summary.errors += 1;
      this.onError(error);
      return;
    }
    if (!recorded) {
      summary.fenced += 1;
      return;
    }
    if (decision.action === 'delivered') summary.delivered += 1;
    else if (decision.action === 'retry') summary.retried += 1;
    else summary.dead += 1;
    this.healthBuffer.push({
      destination: message.destination,
      at: now,
      result:
        result.outcome === 'delivered' ? 'success' : result.outcome === 'transient' ? 'failure' : 'refusal',
      ...(result.outcome === 'delivered' ? {} : { error: result.error }),
    });
    if (decision.action === 'dead') {
      await raiseAll(alerts, [deadLetterAlert(recorded, now)], this.onError);
    }
  }

  /** Writes buffered endpoint outcomes (one at a time, so an endpoint's outcomes stay in order). */
  private flushHealth(): Promise<void> {
    this.healthFlush = this.healthFlush.then(async () => {
      if (this.healthBuffer.length === 0) return;
      const outcomes = this.healthBuffer;
      this.healthBuffer = [];
      try {
        const alerts = await recordEndpointOutcomes(
          this.db,
          outcomes,
          this.outbox.clock.now(),
          this.endpointAlertAfterMs,
        );
        await raiseAll(this.outbox.alerts, alerts, this.onError);
      } catch (error) {
        this.onError(error);
      }
    });
    return this.healthFlush;
  }
}

function deadLetterAlert(message: OutboxMessage, now: Date): Alert {
  return {
    kind: 'dead-letter',
    severity: 'critical',
    summary:
      `Message ${message.messageId} to ${message.destination.recipientOds} (endpoint ${message.destination.endpointId}) ` +
      `was refused ${message.rejections} time(s) and needs a person: ${firstLine(message.lastError)}`,
    raisedAt: now,
    endpointId: message.destination.endpointId,
    messageId: message.messageId,
    recipientOds: message.destination.recipientOds,
    ...(message.correlationId === null ? {} : { correlationId: message.correlationId }),
  };
}

/** The status part of an error ("HTTP 400"), never the receiver's body, which may echo patient data. */
function firstLine(error: string | null): string {
  if (error === null) return 'no error recorded';
  const status = /^HTTP \d{3}/.exec(error);
  return status ? status[0] : (error.split(':')[0] ?? error);
}

function emptySummary(): WorkerSummary {
  return { claimed: 0, delivered: 0, retried: 0, dead: 0, fenced: 0, leaseLost: 0, errors: 0 };
}

function addInto(total: WorkerSummary, part: WorkerSummary): void {
  for (const key of Object.keys(total) as (keyof WorkerSummary)[]) total[key] += part[key];
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
