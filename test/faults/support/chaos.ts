// Fault injectors that run beside a stream until told to stop.
import { setTimeout as sleep } from 'node:timers/promises';

/** Sleeps `ms`, waking early (returning false) once `stopped()` is true. */
export async function sleepUnless(ms: number, stopped: () => boolean): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (stopped()) return false;
    await sleep(Math.min(50, until - performance.now()));
  }
  return !stopped();
}

/**
 * Runs `fault` again and again, `pause()` ms apart, until `stop()` is called; resolves with the
 * number of faults injected, rejects with the first fault that threw.
 */
export function chaosLoop(
  pause: () => number,
  fault: () => Promise<void>,
): {
  done: Promise<number>;
  stop: () => void;
} {
  let stopped = false;
  const done = (async () => {
    let n = 0;
    while (await sleepUnless(pause(), () => stopped)) {
      await fault();
      n++;
    }
    return n;
  })();
  return { done, stop: () => (stopped = true) };
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
