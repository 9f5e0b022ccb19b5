import type { PathSegment } from './fhir-path.js';

/**
 * How deeply a resource may nest, counting every JSON object and array (the resource itself is 1).
 * Real resources stay far below it: the deepest official R4 example of the types Carebridge stores
 * nests 22 levels (a Bundle of ValueSets).
 */
export const DEFAULT_MAX_DEPTH = 40;

interface Location {
  readonly parent: Location | undefined;
  readonly segment: PathSegment;
}

interface Pending {
  readonly value: object;
  readonly depth: number;
  readonly location: Location | undefined;
}

function segmentsOf(location: Location | undefined): PathSegment[] {
  const segments: PathSegment[] = [];
  for (let at = location; at !== undefined; at = at.parent) segments.push(at.segment);
  return segments.reverse();
}

function childEntries(container: object): Iterable<[PathSegment, unknown]> {
  return Array.isArray(container) ? container.entries() : Object.entries(container);
}

/**
 * The path to the first object or array nested deeper than `maxDepth`, or undefined when there is
 * none. Walks with an explicit stack rather than recursion, so a hostile body nested thousands of
 * levels deep can neither overflow the call stack nor cost more than the first `maxDepth` levels.
 */
export function findNestingTooDeep(value: unknown, maxDepth: number): PathSegment[] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const pending: Pending[] = [{ value, depth: 1, location: undefined }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.depth > maxDepth) return segmentsOf(next.location);
    for (const [segment, child] of childEntries(next.value)) {
      if (child !== null && typeof child === 'object') {
        pending.push({ value: child, depth: next.depth + 1, location: { parent: next.location, segment } });
      }
    }
  }
  return undefined;
}
