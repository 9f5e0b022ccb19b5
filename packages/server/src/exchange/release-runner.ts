import { releaseBacklog, recordReleaseError, type BacklogDeps } from './backlog-release.js';

/**
 * Backlog releases the web starts and then watches: the batches run in this server after the
 * request that started them has answered. Everything a watcher needs is in the database (each batch
 * commits its counters), so a reload or a second browser sees the same progress. Two starts of one
 * release run it once here; and batches are serialised and claim their items under a lock in the
 * database (backlog-batch.ts), so even two servers could never deliver a letter twice.
 */
export class BackgroundReleases {
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {}

  /** True while this server is running the release's batches. */
  isRunning(releaseId: string): boolean {
    return this.running.has(releaseId);
  }

  /** Runs the release's pending batches unless this server already is; a failure is kept on the release. */
  start(deps: BacklogDeps, releaseId: string, options: { batchSize?: number } = {}): void {
    if (this.running.has(releaseId) || this.stopping.signal.aborted) return;
    const run = releaseBacklog(deps, { releaseId }, { ...options, signal: this.stopping.signal })
      .then(() => undefined)
      .catch(async (error: unknown) => {
        this.onError(error);
        await recordReleaseError(deps.db, releaseId, error, deps.ctx.clock.now()).catch(this.onError);
      })
      .finally(() => this.running.delete(releaseId));
    this.running.set(releaseId, run);
  }

  /** On shutdown: no new batch starts; the running ones commit. What is left is resumed by starting again. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.running.values());
  }
}
