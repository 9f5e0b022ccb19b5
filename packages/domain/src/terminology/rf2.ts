import { TERMINOLOGY_KINDS, type TerminologyKind } from './value-sets.js';

/**
 * SNOMED CT RF2 Snapshot files, read into picker concepts. Pure: the server streams the files row by
 * row through these rules, twice (once to check every row and classify, once to write), so a full UK
 * release never has to be held in memory.
 *
 * Which concepts are diagnoses and which are allergies is decided by the is-a hierarchy (the
 * relationship file), from configurable roots: by default diagnoses are 404684003 |Clinical finding|
 * and its descendants, allergies are 609328004 |Allergic disposition| and its descendants plus
 * 716186003 |No known allergy|. A concept may be both (allergic dispositions are clinical findings).
 * An inactive concept keeps the place its last (now inactive) is-a relationships gave it, so a
 * retired code is still known, as inactive, and never offered.
 *
 * A concept's display is the synonym preferred by the most wanted language refset; else its fully
 * specified name without the semantic tag; else its first synonym. The store applies that rule to the
 * {@link Rf2Description} rows picked out here (packages/server terminology-store.ts).
 */

export type Rf2FileKind = 'concept' | 'description' | 'relationship' | 'language';

/** The header row of each file, as the RF2 specification fixes it. */
export const RF2_HEADERS: Readonly<Record<Rf2FileKind, readonly string[]>> = {
  concept: ['id', 'effectiveTime', 'active', 'moduleId', 'definitionStatusId'],
  description: [
    'id',
    'effectiveTime',
    'active',
    'moduleId',
    'conceptId',
    'languageCode',
    'typeId',
    'term',
    'caseSignificanceId',
  ],
  relationship: [
    'id',
    'effectiveTime',
    'active',
    'moduleId',
    'sourceId',
    'destinationId',
    'relationshipGroup',
    'typeId',
    'characteristicTypeId',
    'modifierId',
  ],
  language: [
    'id',
    'effectiveTime',
    'active',
    'moduleId',
    'refsetId',
    'referencedComponentId',
    'acceptabilityId',
  ],
};

export const IS_A = '116680003';
export const FULLY_SPECIFIED_NAME = '900000000000003001';
export const SYNONYM = '900000000000013009';
export const PREFERRED = '900000000000548007';

export interface SnomedClassification {
  roots: Readonly<Partial<Record<TerminologyKind, readonly string[]>>>;
  /** Language reference sets whose preferred terms are used, most wanted first. */
  languageRefsets: readonly string[];
}

export const DEFAULT_SNOMED_CLASSIFICATION: SnomedClassification = {
  roots: { diagnosis: ['404684003'], allergy: ['609328004', '716186003'] },
  // NHS realm clinical language refset (UK Edition), then GB English (International content).
  languageRefsets: ['999001261000000100', '900000000000508004'],
};

/** A malformed release file: names the file and line, and the import stops before writing anything. */
export class ReleaseFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'ReleaseFormatError';
  }
}

/**
 * A SNOMED CT identifier's form (dm+d ids share it): 6 to 18 digits, no leading zero. The check
 * digit and partition are not verified: a release is trusted for those, and its rows are checked
 * for shape only.
 */
const SCTID = /^[1-9]\d{5,17}$/;

export function isSctid(value: string): boolean {
  return SCTID.test(value);
}
const EFFECTIVE_TIME = /^\d{8}$/;

/** Checks a file's header row against the specification. */
export function checkRf2Header(kind: Rf2FileKind, line: string, file: string): void {
  const expected = RF2_HEADERS[kind].join('\t');
  if (stripLineEnd(line).replace(/^\uFEFF/, '') !== expected) {
    throw new ReleaseFormatError(
      file,
      1,
      `expected the RF2 ${kind} header "${expected.replaceAll('\t', ' ')}"`,
    );
  }
}

/** One data row's fields, checked for count and for the form of ids, times and flags. */
export function parseRf2Row(kind: Rf2FileKind, line: string, file: string, lineNumber: number): string[] {
  const fields = stripLineEnd(line).split('\t');
  const header = RF2_HEADERS[kind];
  if (fields.length !== header.length) {
    throw new ReleaseFormatError(
      file,
      lineNumber,
      `expected ${header.length} tab-separated fields, found ${fields.length}`,
    );
  }
  fields.forEach((value, index) => {
    const name = header[index] as string;
    const bad =
      name === 'effectiveTime'
        ? !EFFECTIVE_TIME.test(value)
        : name === 'active'
          ? value !== '0' && value !== '1'
          : name === 'term'
            ? value.trim() === ''
            : name === 'languageCode' || name === 'relationshipGroup'
              ? value === ''
              : // In refset files the row id is a UUID; every other id is an SCTID.
                kind === 'language' && name === 'id'
                ? !/^[0-9a-f-]{36}$/i.test(value)
                : !isSctid(value);
    if (bad) throw new ReleaseFormatError(file, lineNumber, `${name} '${value}' is not valid`);
  });
  return fields;
}

function stripLineEnd(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** The kinds a concept has, as bits of one byte (bit i is TERMINOLOGY_KINDS[i]). */
const KIND_BITS = new Map(TERMINOLOGY_KINDS.map((kind, index) => [kind, 1 << index]));

/**
 * The is-a hierarchy of a snapshot, held compactly so a UK Monolith (over a million concepts, millions
 * of relationships) classifies in tens of megabytes: concept ids as sorted 64-bit integers (an SCTID
 * has at most 18 digits, below 2^63) with a byte of state each, and is-a edges as pairs of indexes
 * into them. Feed every concept row, then the relationship rows, then call {@link classify}.
 */
export class Rf2Hierarchy {
  private ids = new BigUint64Array(1 << 12);
  private conceptCount = 0;
  /** Concept index → 1 when active; filled when the concepts are sealed. */
  private active = new Uint8Array(0);
  /** Concept index → kind bits; filled by classify. */
  private kinds = new Uint8Array(0);
  private sealed = false;
  /** [child, parent, child, parent, …] concept indexes of the is-a edges that place each concept. */
  private edges = new Int32Array(1 << 12);
  private edgeCount = 0;

  constructor(private readonly classification: SnomedClassification = DEFAULT_SNOMED_CLASSIFICATION) {}

  addConcept([id, , active]: readonly string[]): void {
    if (this.sealed) throw new Error('Every concept row must be read before the relationships.');
    if (this.conceptCount === this.ids.length) this.ids = grown(this.ids);
    // The active flag rides in the lowest bit so one sort keeps id and flag together.
    this.ids[this.conceptCount++] = (BigInt(id as string) << 1n) | (active === '1' ? 1n : 0n);
  }

  /**
   * An is-a relationship places its source under its destination when it is active, or when the
   * source concept is itself inactive (its last known place). A relationship naming a concept the
   * concept files lack is passed over: such a concept has no state to store.
   */
  addRelationship(fields: readonly string[]): void {
    const [, , active, , source, destination, , type] = fields;
    if (type !== IS_A) return;
    this.seal();
    const child = this.indexOf(source as string);
    const parent = this.indexOf(destination as string);
    if (child < 0 || parent < 0) return;
    if (active !== '1' && this.active[child] === 1) return;
    if (this.edgeCount + 2 > this.edges.length) this.edges = grown(this.edges);
    this.edges[this.edgeCount++] = child;
    this.edges[this.edgeCount++] = parent;
  }

  /** Works out each concept's kinds from the hierarchy; returns how many concepts have one. */
  classify(): number {
    this.seal();
    const children = this.childrenByParent();
    this.edges = new Int32Array(0);
    this.edgeCount = 0;
    this.kinds = new Uint8Array(this.conceptCount);
    for (const [kind, roots] of Object.entries(this.classification.roots) as Array<
      [TerminologyKind, readonly string[]]
    >) {
      const bit = KIND_BITS.get(kind) as number;
      const queue = roots.map((root) => this.indexOf(root)).filter((index) => index >= 0);
      while (queue.length > 0) {
        const concept = queue.pop() as number;
        if ((this.kinds[concept] as number) & bit) continue;
        this.kinds[concept] = (this.kinds[concept] as number) | bit;
        for (
          let edge = children.start[concept] as number;
          edge < (children.start[concept + 1] as number);
          edge++
        ) {
          queue.push(children.child[edge] as number);
        }
      }
    }
    return this.kinds.reduce((classified, bits) => classified + (bits === 0 ? 0 : 1), 0);
  }

  /** Whether the concept has a kind (its descriptions are wanted). */
  isClassified(conceptId: string): boolean {
    const index = this.indexOf(conceptId);
    return index >= 0 && this.kinds[index] !== 0;
  }

  /** Every classified concept once per kind, in id order. */
  *classifiedConcepts(): Generator<{ code: string; kind: TerminologyKind; active: boolean }> {
    for (let index = 0; index < this.kinds.length; index++) {
      const bits = this.kinds[index] as number;
      if (bits === 0) continue;
      const code = (this.ids[index] as bigint).toString();
      for (const [kind, bit] of KIND_BITS) {
        if (bits & bit) yield { code, kind, active: this.active[index] === 1 };
      }
    }
  }

  /**
   * Sorts the concepts by id and splits off the active flags. A concept listed twice (two editions
   * unpacked side by side, one containing the other) is one concept, active if either row says so:
   * its packed value with the flag set sorts last.
   */
  private seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    const packed = this.ids.subarray(0, this.conceptCount).sort();
    const active = new Uint8Array(packed.length);
    let unique = 0;
    for (let index = 0; index < packed.length; index++) {
      const id = (packed[index] as bigint) >> 1n;
      if (index + 1 < packed.length && (packed[index + 1] as bigint) >> 1n === id) continue;
      active[unique] = Number((packed[index] as bigint) & 1n);
      packed[unique++] = id;
    }
    this.conceptCount = unique;
    this.ids = packed.slice(0, unique);
    this.active = active.slice(0, unique);
  }

  /** The concept's index, or -1 when the concept files lack it. */
  private indexOf(conceptId: string): number {
    const id = BigInt(conceptId);
    let [low, high] = [0, this.conceptCount - 1];
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = this.ids[middle] as bigint;
      if (found === id) return middle;
      if (found < id) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** The is-a edges grouped by parent (compressed rows): children of p are child[start[p]…start[p+1]). */
  private childrenByParent(): { start: Int32Array; child: Int32Array } {
    const start = new Int32Array(this.conceptCount + 1);
    for (let edge = 1; edge < this.edgeCount; edge += 2) {
      const parent = this.edges[edge] as number;
      start[parent + 1] = (start[parent + 1] as number) + 1;
    }
    for (let parent = 0; parent < this.conceptCount; parent++) {
      start[parent + 1] = (start[parent + 1] as number) + (start[parent] as number);
    }
    const next = start.slice(0, this.conceptCount);
    const child = new Int32Array(this.edgeCount / 2);
    for (let edge = 0; edge < this.edgeCount; edge += 2) {
      const parent = this.edges[edge + 1] as number;
      const slot = next[parent] as number;
      next[parent] = slot + 1;
      child[slot] = this.edges[edge] as number;
    }
    return { start, child };
  }
}

function grown<T extends BigUint64Array | Int32Array>(array: T): T {
  const larger = new (array.constructor as new (length: number) => T)(array.length * 2);
  larger.set(array as never);
  return larger;
}

/** A language refset row's rank when it prefers a description for a wanted refset (0 is best). */
export function preferredRank(
  [, , active, , refset, , acceptability]: readonly string[],
  classification: SnomedClassification = DEFAULT_SNOMED_CLASSIFICATION,
): number | undefined {
  if (active !== '1' || acceptability !== PREFERRED) return undefined;
  const rank = classification.languageRefsets.indexOf(refset as string);
  return rank < 0 ? undefined : rank;
}

/** A description that may give a classified concept its display or its search words. */
export interface Rf2Description {
  descriptionId: string;
  conceptId: string;
  synonym: boolean;
  /** The term as a display: a fully specified name loses its semantic tag. */
  display: string;
}

/** The active synonym or FSN of a classified concept; undefined for any other description row. */
export function wantedDescription(
  [id, , active, , concept, , type, term]: readonly string[],
  hierarchy: Rf2Hierarchy,
): Rf2Description | undefined {
  if (active !== '1' || (type !== SYNONYM && type !== FULLY_SPECIFIED_NAME)) return undefined;
  if (!hierarchy.isClassified(concept as string)) return undefined;
  const synonym = type === SYNONYM;
  return {
    descriptionId: id as string,
    conceptId: concept as string,
    synonym,
    display: synonym ? (term as string) : withoutSemanticTag(term as string),
  };
}

/** "Asthma (disorder)" → "Asthma". */
export function withoutSemanticTag(term: string): string {
  return term.replace(/\s*\([^()]*\)\s*$/, '');
}
