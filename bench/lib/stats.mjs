// Small, dependency-free statistics for the harness: percentiles over recorded latencies and the
// median over repeated runs (on a shared, noisy machine only medians and same-run ratios hold).

/** The p-th percentile (0–100) of the values, nearest-rank on a sorted copy; NaN when empty. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Median; for an even count, the mean of the two middle values. */
export function median(values) {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const middle = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[middle] : (finite[middle - 1] + finite[middle]) / 2;
}

/** A growable Float64Array, so a 10-second run's latencies cost no per-sample allocation. */
export class Samples {
  constructor(initial = 1 << 16) {
    this.values = new Float64Array(initial);
    this.length = 0;
  }

  push(value) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  toArray() {
    return this.values.subarray(0, this.length);
  }
}

/** Deterministic 32-bit PRNG (mulberry32): runs pick the same ids for the same seed. */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
