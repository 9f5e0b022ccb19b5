/**
 * A tiny seeded pseudo-random generator (mulberry32). Demo data must come out identical on every
 * machine and every run so that seeding is idempotent and tests can name records by position;
 * Math.random() cannot give that. Not for anything security-related.
 */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('Cannot pick from an empty list');
  return item;
}

/** An integer in [min, max], both inclusive. */
export function integerBetween(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function chance(random: Random, probability: number): boolean {
  return random() < probability;
}

export function pickWeighted<T>(random: Random, items: ReadonlyArray<{ weight: number; value: T }>): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let remaining = random() * total;
  for (const item of items) {
    remaining -= item.weight;
    if (remaining < 0) return item.value;
  }
  const last = items.at(-1);
  if (last === undefined) throw new RangeError('Cannot pick from an empty list');
  return last.value;
}
