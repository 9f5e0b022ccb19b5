// Waiting for the outbox to drain after a document scenario, on either database.
import { setTimeout as sleep } from 'node:timers/promises';
import { openMessages } from './ledger.js';
import type { FakeFhirReceiver } from './receiver.js';
import type { Target } from './targets.js';

export interface DrainOptions {
  target: Target;
  receiver: FakeFhirReceiver;
  runTag: string;
  /** Every acknowledged document key: each must reach the receiver. */
  keys: readonly string[];
  /** The servers' OUTBOX_LEASE_MS: a claim abandoned by a killed or frozen worker lapses after it. */
  leaseMs: number;
  /** Gives up (the scenario then fails on what is left unfinished) after this long. */
  deadlineMs: number;
}

/**
 * Waits until every acknowledged document has reached the receiver, then until nothing is left to
 * do: on PostgreSQL, until no outbox message of the run is pending or delivering (read from the
 * database); on PGlite (whose directory the running server owns), until the receiver has had no
 * arrival for 2 × lease + 3 s, long enough for any lapsed claim to be sent again and recorded. The
 * census afterwards checks the database itself. Returns the milliseconds it took.
 */
export async function drainOutbox(options: DrainOptions): Promise<{ ms: number; complete: boolean }> {
  const startedAt = performance.now();
  const { receiver, keys } = options;
  const allArrived = () => keys.every((key) => receiver.effects.has(key));
  let complete = await receiver.until(allArrived, options.deadlineMs);
  const left = () => options.deadlineMs - (performance.now() - startedAt);
  if (options.target.kind === 'postgres') {
    while (complete) {
      if ((await openMessages(options.target, options.runTag)) === 0) break;
      if (left() <= 0) complete = false;
      else await sleep(250);
    }
  } else if (complete) {
    const quietMs = 2 * options.leaseMs + 3000;
    let lastRequests = receiver.requests;
    let quietSince = performance.now();
    while (performance.now() - quietSince < quietMs) {
      if (left() <= 0) {
        complete = false;
        break;
      }
      await sleep(200);
      if (receiver.requests !== lastRequests) {
        lastRequests = receiver.requests;
        quietSince = performance.now();
      }
    }
  }
  return { ms: performance.now() - startedAt, complete };
}
