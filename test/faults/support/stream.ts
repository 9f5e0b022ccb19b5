// A paced stream of workload operations over a few concurrent connections, each retried until
// acknowledged. Faults are injected alongside by the scenario; the stream only sends and records.
import { setTimeout as sleep } from 'node:timers/promises';
import { AttemptCounts, type FhirClient } from './client.js';
import type { Effect, Workload } from './workload.js';

export interface StreamOptions {
  client: FhirClient;
  workload: Workload;
  /** How many operations in all. */
  total: number;
  /** Concurrent connections (closed loop each). */
  concurrency: number;
  /** New operations started per second at most (retries are not paced). */
  rate: number;
  /** Gives up on one operation after this long (a stuck server fails the scenario, not hangs it). */
  operationDeadlineMs?: number;
}

export interface StreamResult {
  sentKeys: string[];
  acknowledged: Map<string, Effect>;
  counts: AttemptCounts;
  seconds: number;
}

export async function runStream(options: StreamOptions): Promise<StreamResult> {
  const { client, workload, total, concurrency, rate } = options;
  const counts = new AttemptCounts();
  const sentKeys: string[] = [];
  const acknowledged = new Map<string, Effect>();
  const startedAt = performance.now();
  let next = 0;
  let nextSlot = startedAt;
  const interval = 1000 / rate;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= total) return;
      const slot = Math.max(nextSlot, performance.now());
      nextSlot = slot + interval;
      const wait = slot - performance.now();
      if (wait > 0) await sleep(wait);
      const { key, write } = workload.operation(index);
      sentKeys.push(key);
      const answer = await client.sendUntilAcknowledged(
        `${key}-rq`,
        write,
        counts,
        options.operationDeadlineMs,
      );
      acknowledged.set(key, workload.acknowledged(answer));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return { sentKeys, acknowledged, counts, seconds: (performance.now() - startedAt) / 1000 };
}
