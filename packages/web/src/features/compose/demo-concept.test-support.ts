import { DEMO_SUBSET } from '../../../../domain/src/terminology/demo-subset.js';
import { TERMINOLOGY_VALUE_SETS } from '../../domain';
import { KIND_OF, type Concept, type Vocabulary } from './terminology';

/**
 * Test-only: a concept of the demonstration subset the server seeds, as a picker would offer it.
 * Kept out of the app's modules so the production bundle never carries the subset (the app always
 * asks the server).
 */
export function demoConcept(vocabulary: Vocabulary, code: string): Concept | undefined {
  const kind = KIND_OF[vocabulary];
  const found = [...DEMO_SUBSET.snomed, ...DEMO_SUBSET.dmd].find(
    (concept) => concept.kind === kind && concept.code === code,
  );
  const system = TERMINOLOGY_VALUE_SETS[kind].system;
  return found && { system, code: found.code, display: found.display };
}
