import type { Database, SqlExecutor } from '../store/database.js';
import type { AuditEntry } from './audit-entry.js';
import { observeSealFrontier, sealThrough, stillOpen, type SealFrontier } from './audit-chain.js';
import { auditEventInput, insertAuditEvents } from './audit-row.js';

/**
 * The audit record of a request could not be made durable, so the request must not be answered
 * with its result (no audit, no answer): the caller responds 503.
 */
export class AuditUnavailableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AuditUnavailableError';
  }
}

export interface AuditTrailOptions {
  /** Most entries written by one insert. */
  maxBatchSize?: number;
  /**
   * How long the first entry of an idle trail waits for others to join its batch. 0 (the default)
   * waits until the end of the current event-loop turn, which on its own batches every entry
   * recorded by requests finishing in the same turn; under load, batches grow by themselves
   * because entries queue while the previous insert is in flight.
   */
  flushDelayMs?: number;
  /**
   * Inserts in flight at once (each holds one connection while it runs). 1 (the default) lets
   * entries gather while an insert runs, and on PostgreSQL a commit costs more CPU than the rows it
   * carries (about 130 µs against 20 µs a row, measured), so larger batches cost less per request;
   * 2 cuts latency a little when the database is slow to commit.
   */
  maxConcurrentFlushes?: number;
  /**
   * How often the sealer chains newly written rows. A row is sealed within one to two intervals,
   * or once the longest write transaction open when it was written has ended, if that is later.
   */
  sealIntervalMs?: number;
  /** Most rows one link (and one sealer transaction) seals: bounds how long it holds PGlite's one connection. */
  sealBatchSize?: number;
  /** How long `stop()` waits for other write transactions to end, to seal everything before exit. */
  stopSealWaitMs?: number;
  /** Told about every batch written, for metrics and measurement. */
  onFlush?: (batch: { entries: number; durationMs: number; failed: boolean }) => void;
  /** Sealing runs in the background, so its failures have nowhere else to go. */
  onSealError?: (error: unknown) => void;
}

interface PendingEntry {
  row: ReturnType<typeof auditEventInput>;
  resolve: () => void;
  reject: (error: Error) => void;
}

export const DEFAULT_AUDIT_TRAIL_OPTIONS = {
  maxBatchSize: 1_000,
  flushDelayMs: 0,
  maxConcurrentFlushes: 1,
  sealIntervalMs: 500,
  sealBatchSize: 2_000,
  stopSealWaitMs: 2_000,
} as const;

/** How often a waiting sealer asks whether the transactions it waits for have ended. */
const WRITER_POLL_MS = 5;

/**
 * Writes audit entries with group commit: `record` queues an entry and resolves once the batch that
 * carried it has committed, so a response sent after `await record(...)` is always covered by a
 * durable audit row. A background sealer chains the rows (see audit-chain.ts).
 */
export class AuditTrail {
  private readonly maxBatchSize: number;
  private readonly flushDelayMs: number;
  private readonly maxConcurrentFlushes: number;
  private readonly sealIntervalMs: number;
  private readonly sealBatchSize: number;

  private queue: PendingEntry[] = [];
  private flushScheduled = false;
  private readonly flushesInFlight = new Set<Promise<void>>();
  private stopped = false;
  private sealTimer: NodeJS.Timeout | undefined;
  private sealing: Promise<unknown> | undefined;
  /** A frontier seen earlier whose open writers had not all ended yet. */
  private pendingFrontier: SealFrontier | undefined;
  /** Every row up to this id is sealed (by this process or another), so idle rounds cost one query. */
  private sealedThroughId = 0;

  constructor(
    private readonly db: Database,
    private readonly options: AuditTrailOptions = {},
  ) {
    this.maxBatchSize = positiveInteger(
      'maxBatchSize',
      options.maxBatchSize ?? DEFAULT_AUDIT_TRAIL_OPTIONS.maxBatchSize,
    );
    this.flushDelayMs = options.flushDelayMs ?? DEFAULT_AUDIT_TRAIL_OPTIONS.flushDelayMs;
    this.maxConcurrentFlushes = positiveInteger(
      'maxConcurrentFlushes',
      options.maxConcurrentFlushes ?? DEFAULT_AUDIT_TRAIL_OPTIONS.maxConcurrentFlushes,
    );
    this.sealIntervalMs = options.sealIntervalMs ?? DEFAULT_AUDIT_TRAIL_OPTIONS.sealIntervalMs;
    this.sealBatchSize = positiveInteger(
      'sealBatchSize',
      options.sealBatchSize ?? DEFAULT_AUDIT_TRAIL_OPTIONS.sealBatchSize,
    );
  }

  /**
   * Resolves once the entry is durable; rejects with `AuditUnavailableError` when it could not be
   * written (the whole batch failed) or the trail is stopped, and with `InvalidAuditEntryError`
   * when the entry itself is malformed.
   */
  record(entry: AuditEntry): Promise<void> {
    if (this.stopped) return Promise.reject(new AuditUnavailableError('The audit trail is stopped'));
    let row: PendingEntry['row'];
    try {
      row = auditEventInput(entry);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (this.queue.length >= this.maxBatchSize) this.flush();
      else this.scheduleFlush();
    });
  }

  /**
   * Writes entries inside the caller's transaction, so they commit (and roll back) with its writes.
   * The sealer chains them once that transaction has committed.
   */
  async recordInTransaction(tx: SqlExecutor, entries: readonly AuditEntry[]): Promise<void> {
    await insertAuditEvents(tx, entries.map(auditEventInput));
  }

  /** Starts the background sealer. Recording works without it; rows then wait to be chained. */
  start(): void {
    if (this.stopped || this.sealTimer !== undefined) return;
    this.scheduleSeal();
  }

  /**
   * Graceful shutdown: refuses new entries, writes every queued one (settling its caller), stops
   * the sealer and chains what is left, so a clean stop leaves nothing unsealed.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.sealTimer);
    this.sealTimer = undefined;
    while (this.queue.length > 0 || this.flushesInFlight.size > 0) {
      this.flush();
      await Promise.allSettled([...this.flushesInFlight]);
    }
    await this.sealing;
    const waitForWritersMs = this.options.stopSealWaitMs ?? DEFAULT_AUDIT_TRAIL_OPTIONS.stopSealWaitMs;
    await this.sealNow({ waitForWritersMs }).catch((error: unknown) => this.reportSealError(error));
  }

  /**
   * Chains the rows written so far, waiting up to `waitForWritersMs` for write transactions still
   * open (which might yet commit rows with lower ids) to end; returns how many rows it sealed. Rows
   * it cannot seal yet, or that another process is sealing, are sealed by a later call.
   */
  async sealNow(options: { waitForWritersMs?: number } = {}): Promise<number> {
    const deadline = performance.now() + (options.waitForWritersMs ?? 0);
    let sealed = 0;
    // Twice: first through a frontier seen earlier (if any), then through one seen now, so that on a
    // quiet database one call seals everything written before it.
    for (let round = 0; round < 2; round++) {
      const frontier = this.pendingFrontier ?? (await observeSealFrontier(this.db));
      this.pendingFrontier = frontier;
      if (frontier.throughId <= this.sealedThroughId) {
        this.pendingFrontier = undefined;
        continue;
      }
      if (!(await this.writersEnded(frontier, deadline))) break;
      const batch = await sealThrough(this.db, frontier.throughId, this.sealBatchSize);
      sealed += batch.sealed;
      if (batch.complete) this.sealedThroughId = frontier.throughId;
      this.pendingFrontier = undefined;
    }
    return sealed;
  }

  private async writersEnded(frontier: SealFrontier, deadline: number): Promise<boolean> {
    for (;;) {
      frontier.openWriters = await stillOpen(this.db, frontier.openWriters);
      if (frontier.openWriters.length === 0) return true;
      if (performance.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, WRITER_POLL_MS));
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const flush = () => {
      this.flushScheduled = false;
      this.flush();
    };
    if (this.flushDelayMs > 0) setTimeout(flush, this.flushDelayMs);
    else setImmediate(flush);
  }

  /** Starts as many batches as the queue and the concurrency limit allow. */
  private flush(): void {
    while (this.queue.length > 0 && this.flushesInFlight.size < this.maxConcurrentFlushes) {
      const batch = this.queue.splice(0, this.maxBatchSize);
      const written = this.writeBatch(batch).finally(() => {
        this.flushesInFlight.delete(written);
        // Entries that queued meanwhile have already waited a whole insert: write them now.
        if (this.queue.length > 0) this.flush();
      });
      this.flushesInFlight.add(written);
    }
  }

  private async writeBatch(batch: PendingEntry[]): Promise<void> {
    const startedAt = performance.now();
    try {
      await insertAuditEvents(
        this.db,
        batch.map((pending) => pending.row),
      );
    } catch (cause) {
      this.options.onFlush?.({
        entries: batch.length,
        durationMs: performance.now() - startedAt,
        failed: true,
      });
      const error = new AuditUnavailableError('The audit record could not be written', cause);
      for (const pending of batch) pending.reject(error);
      return;
    }
    this.options.onFlush?.({
      entries: batch.length,
      durationMs: performance.now() - startedAt,
      failed: false,
    });
    for (const pending of batch) pending.resolve();
  }

  private scheduleSeal(): void {
    this.sealTimer = setTimeout(() => {
      this.sealing = this.sealNow()
        .catch((error: unknown) => this.reportSealError(error))
        .finally(() => {
          this.sealing = undefined;
          if (!this.stopped) this.scheduleSeal();
        });
    }, this.sealIntervalMs);
    // The sealer alone must not keep a finished process alive; stop() seals what is left.
    this.sealTimer.unref();
  }

  private reportSealError(error: unknown): void {
    if (this.options.onSealError) this.options.onSealError(error);
    else console.error('Carebridge audit: sealing the audit chain failed', error);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
