import type { ValueSet } from 'fhir/r4';
import {
  EXPANSION_TOTAL_CAP,
  TERMINOLOGY_VALUE_SETS,
  isSearchableFilter,
  type TerminologyKind,
} from '../../domain';
import { fhir, queryString } from '../../fhir/client';

/**
 * The pickers' vocabulary, searched on the server (`ValueSet/$expand`): diagnoses and allergies are
 * SNOMED CT concepts, medicines dm+d concepts, from whatever release the server has loaded (the demo
 * subset until the full releases are imported).
 */
export interface Concept {
  system: string;
  code: string;
  display: string;
}

export type Vocabulary = 'diagnoses' | 'allergies' | 'medicines';

export const KIND_OF: Readonly<Record<Vocabulary, TerminologyKind>> = {
  diagnoses: 'diagnosis',
  allergies: 'allergy',
  medicines: 'medicine',
};

export const RESULTS_SHOWN = 10;

/** The server's rule (a word of at least 2 letters or digits), so the box never asks in vain. */
export const isSearchable = isSearchableFilter;

/** The concepts of an expansion, less those already picked, and any without a code or term. */
export function conceptsOf(valueSet: ValueSet, exclude: readonly string[] = []): Concept[] {
  return (valueSet.expansion?.contains ?? []).flatMap((entry) =>
    entry.system && entry.code && entry.display && !exclude.includes(entry.code)
      ? [{ system: entry.system, code: entry.code, display: entry.display }]
      : [],
  );
}

/** How many matches there are in all, when the server said: exactly, or more than its cap. */
export type MatchTotal = { exactly: number } | { moreThan: number };

/**
 * The matches to offer, and how many the server found in all less those left out here, so the
 * picker can say when there are more than it shows. Past its cap the server counts no further
 * (`total-capped`): then there are more than the cap, and a few picked codes left out do not make
 * that untrue enough to matter to someone told to type more.
 */
export function matchesOf(
  valueSet: ValueSet,
  exclude: readonly string[] = [],
): { results: Concept[]; total: MatchTotal | undefined } {
  const results = conceptsOf(valueSet, exclude);
  const leftOut = (valueSet.expansion?.contains?.length ?? 0) - results.length;
  const capped = valueSet.expansion?.parameter?.some(
    (parameter) => parameter.name === 'total-capped' && parameter.valueBoolean === true,
  );
  const total = valueSet.expansion?.total;
  if (capped === true) return { results, total: { moreThan: EXPANSION_TOTAL_CAP } };
  return { results, total: total === undefined ? undefined : { exactly: total - leftOut } };
}

export async function searchConcepts(kind: TerminologyKind, filter: string): Promise<ValueSet> {
  const query = queryString({
    url: TERMINOLOGY_VALUE_SETS[kind].url,
    filter: filter.trim(),
    count: RESULTS_SHOWN,
  });
  return fhir.read<ValueSet>(`ValueSet/$expand${query}`);
}
