import type { Bundle, CodeableConcept, Coding, CompositionSection, Reference, Resource } from 'fhir/r4.js';
import { isJsonObject } from '../fhir/resource.js';

/**
 * Reading a FHIR document Bundle as the exchange rules need it: entries by fullUrl and by Type/id,
 * references resolved inside the Bundle (a document must be self-contained: the GP may never be able
 * to fetch anything from the sender), and section entries followed through Lists, which the Transfer
 * of Care specifications use to group coded entries.
 */

/** One Bundle entry that holds a resource, with its position for FHIRPath expressions. */
export interface IndexedEntry {
  index: number;
  fullUrl?: string;
  resource: Resource;
}

export interface BundleIndex {
  entries: readonly IndexedEntry[];
  byFullUrl: ReadonlyMap<string, IndexedEntry>;
  byTypeAndId: ReadonlyMap<string, IndexedEntry>;
}

/** The FHIRPath of an entry's resource. */
export function entryExpression(entry: IndexedEntry): string {
  return `Bundle.entry[${entry.index}].resource`;
}

/** Indexes the entries that hold a resource; malformed entries are skipped (assurance reports them). */
export function indexBundle(bundle: Bundle): BundleIndex {
  const entries: IndexedEntry[] = [];
  const byFullUrl = new Map<string, IndexedEntry>();
  const byTypeAndId = new Map<string, IndexedEntry>();
  const rawEntries: unknown = bundle.entry;
  if (!Array.isArray(rawEntries)) return { entries, byFullUrl, byTypeAndId };
  rawEntries.forEach((raw: unknown, index) => {
    if (!isJsonObject(raw) || !isJsonObject(raw.resource)) return;
    const resource = raw.resource as unknown as Resource;
    if (typeof resource.resourceType !== 'string') return;
    const fullUrl = typeof raw.fullUrl === 'string' ? raw.fullUrl : undefined;
    const entry: IndexedEntry = fullUrl === undefined ? { index, resource } : { index, fullUrl, resource };
    entries.push(entry);
    if (fullUrl !== undefined && !byFullUrl.has(fullUrl)) byFullUrl.set(fullUrl, entry);
    const typeAndId =
      typeof resource.id === 'string'
        ? `${resource.resourceType}/${resource.id}`
        : fullUrl !== undefined
          ? /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(fullUrl)?.[1]
          : undefined;
    if (typeAndId !== undefined && !byTypeAndId.has(typeAndId)) byTypeAndId.set(typeAndId, entry);
  });
  return { entries, byFullUrl, byTypeAndId };
}

/**
 * The entry a literal reference points to: its fullUrl exactly (urn:uuid or absolute), or a relative
 * Type/id (optionally with _history) matched on the resource. Logical (identifier-only) references
 * and contained (#id) references do not resolve here.
 */
export function resolveReference(
  index: BundleIndex,
  reference: Reference | undefined,
): IndexedEntry | undefined {
  const literal = reference?.reference;
  if (typeof literal !== 'string' || literal === '') return undefined;
  const exact = index.byFullUrl.get(literal);
  if (exact) return exact;
  const relative = /^([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(
    literal,
  )?.[1];
  return relative === undefined ? undefined : index.byTypeAndId.get(relative);
}

/** A section entry after following Lists: the clinical resource and where it was referenced from. */
export interface SectionTarget {
  entry: IndexedEntry;
  /** FHIRPath of the reference that led to it. */
  expression: string;
}

export interface SectionTargets {
  resolved: SectionTarget[];
  unresolved: { expression: string; reference: string | undefined }[];
}

/**
 * The resources a section's entries point to, with Lists expanded one level (List.entry.item). A
 * List that is itself the target is kept too, so callers can tell a List from clinical content.
 */
export function sectionTargets(
  index: BundleIndex,
  section: CompositionSection,
  sectionExpression: string,
): SectionTargets {
  const targets: SectionTargets = { resolved: [], unresolved: [] };
  const entries: unknown = section.entry;
  if (!Array.isArray(entries)) return targets;
  entries.forEach((raw: unknown, j) => {
    const expression = `${sectionExpression}.entry[${j}]`;
    const reference = isJsonObject(raw) ? (raw as Reference) : undefined;
    const target = resolveReference(index, reference);
    if (!target) {
      targets.unresolved.push({ expression, reference: reference?.reference });
      return;
    }
    targets.resolved.push({ entry: target, expression });
    if (target.resource.resourceType !== 'List') return;
    const items: unknown = (target.resource as { entry?: unknown }).entry;
    if (!Array.isArray(items)) return;
    items.forEach((item: unknown, k) => {
      const itemExpression = `${entryExpression(target)}.entry[${k}].item`;
      const itemReference =
        isJsonObject(item) && isJsonObject(item.item) ? (item.item as Reference) : undefined;
      const itemTarget = resolveReference(index, itemReference);
      if (itemTarget) targets.resolved.push({ entry: itemTarget, expression: itemExpression });
      else targets.unresolved.push({ expression: itemExpression, reference: itemReference?.reference });
    });
  });
  return targets;
}

/** Top-level sections with their FHIRPath, each nested section after its parent. */
export function walkSections(
  sections: readonly CompositionSection[] | undefined,
  parentExpression: string,
): { section: CompositionSection; expression: string; depth: number }[] {
  const found: { section: CompositionSection; expression: string; depth: number }[] = [];
  const visit = (list: unknown, parent: string, depth: number): void => {
    if (!Array.isArray(list)) return;
    list.forEach((section: unknown, i) => {
      if (!isJsonObject(section)) return;
      const expression = `${parent}.section[${i}]`;
      found.push({ section: section as CompositionSection, expression, depth });
      visit(section.section, expression, depth + 1);
    });
  };
  visit(sections, parentExpression, 0);
  return found;
}

/** The codings of a CodeableConcept, tolerating malformed input. */
export function codingsOf(concept: CodeableConcept | undefined): Coding[] {
  const codings: unknown = concept?.coding;
  return Array.isArray(codings) ? codings.filter((c): c is Coding => isJsonObject(c)) : [];
}

/** The first coding in one of the systems with a non-empty code. */
export function codingIn(
  concept: CodeableConcept | undefined,
  systems: readonly string[],
): Coding | undefined {
  return codingsOf(concept).find(
    (coding) =>
      typeof coding.system === 'string' &&
      systems.includes(coding.system) &&
      typeof coding.code === 'string' &&
      coding.code.trim() !== '',
  );
}

/** A non-empty trimmed string, or undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** An array element that may be malformed, as an array. */
export function arrayOf<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}
