import type { DeliveryResult } from './types.js';

/**
 * When to try a failed message again, and when to stop.
 *
 * Transient failures (no answer, connection refused, timeout, 408, 429, 5xx) are retried for ever,
 * with exponential backoff capped at `maxDelayMs`: a receiver that is dark for weeks loses nothing,
 * and nothing expires; it is found by the endpoint-health alert, not by giving up. Permanent
 * refusals (other 4xx, a payload that cannot be sent) are retried a few times, in case the refusal
 * came from a receiver mid-deployment, then the message goes `dead` for a person to look at, without
 * holding up any other message.
 */
export interface RetryPolicy {
  /** The first retry's delay. */
  baseDelayMs: number;
  /** Growth per attempt. */
  multiplier: number;
  /** The longest wait between attempts (also caps a receiver's Retry-After). */
  maxDelayMs: number;
  /**
   * Fraction of each delay taken off at random (0 ≤ jitter ≤ 1), so messages that failed together
   * do not retry together: 0.5 gives delays between half and all of the exponential value.
   */
  jitter: number;
  /** Permanent refusals before a message goes dead. */
  maxRejections: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 5_000,
  multiplier: 2,
  maxDelayMs: 60 * 60 * 1000,
  jitter: 0.5,
  maxRejections: 3,
};

export type RetryDecision =
  | { action: 'delivered' }
  | { action: 'retry'; delayMs: number; error: string; rejected: boolean }
  | { action: 'dead'; error: string };

/**
 * What to do after an attempt. `attempts` counts attempts made so far (including this one),
 * `rejections` the permanent refusals before this one; `random` returns a number in [0, 1).
 */
export function decideRetry(
  result: DeliveryResult,
  state: { attempts: number; rejections: number },
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  switch (result.outcome) {
    case 'delivered':
      return { action: 'delivered' };
    case 'permanent':
      if (state.rejections + 1 >= policy.maxRejections) return { action: 'dead', error: result.error };
      return {
        action: 'retry',
        delayMs: backoffDelay(state.attempts, policy, random),
        error: result.error,
        rejected: true,
      };
    case 'transient': {
      const backoff = backoffDelay(state.attempts, policy, random);
      const asked = Math.min(result.retryAfterMs ?? 0, policy.maxDelayMs);
      return { action: 'retry', delayMs: Math.max(backoff, asked), error: result.error, rejected: false };
    }
  }
}

/** The delay after the `attempts`-th attempt: base × multiplier^(attempts−1), capped, less jitter. */
export function backoffDelay(attempts: number, policy: RetryPolicy, random: () => number): number {
  const exponent = Math.max(0, attempts - 1);
  // Past the cap the exact power no longer matters (and must not overflow to Infinity × 0 = NaN).
  const raw = exponent > 60 ? Infinity : policy.baseDelayMs * policy.multiplier ** exponent;
  const capped = Math.min(policy.maxDelayMs, raw);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  const r = Math.min(1, Math.max(0, random()));
  return Math.max(1, Math.round(capped * (1 - jitter * r)));
}

export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const faults: string[] = [];
  if (!(policy.baseDelayMs > 0)) faults.push('baseDelayMs must be > 0');
  if (!(policy.multiplier >= 1)) faults.push('multiplier must be ≥ 1');
  if (!(policy.maxDelayMs >= policy.baseDelayMs)) faults.push('maxDelayMs must be ≥ baseDelayMs');
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) faults.push('jitter must be within [0, 1]');
  if (!(Number.isInteger(policy.maxRejections) && policy.maxRejections >= 1)) {
    faults.push('maxRejections must be an integer ≥ 1');
  }
  if (faults.length > 0) throw new RangeError(`Invalid retry policy: ${faults.join('; ')}`);
  return policy;
}
