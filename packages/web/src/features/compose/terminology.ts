import data from './terminology.json';
import { DMD_SYSTEM, SNOMED_CT_SYSTEM } from '../../domain';

/**
 * The pickers' vocabulary: a curated demonstration subset shipped with the app (see the JSON's
 * "about"). Diagnoses and allergies are SNOMED CT concepts; medicines are dm+d concepts.
 */
export interface Concept {
  system: string;
  code: string;
  display: string;
}

export type Vocabulary = 'diagnoses' | 'allergies' | 'medicines';

export const TERMINOLOGY: Readonly<Record<Vocabulary, readonly Concept[]>> = {
  diagnoses: data.diagnoses.map((concept) => ({ ...concept, system: SNOMED_CT_SYSTEM })),
  allergies: data.allergies.map((concept) => ({ ...concept, system: SNOMED_CT_SYSTEM })),
  medicines: data.medicines.map((concept) => ({ ...concept, system: DMD_SYSTEM })),
};

export function findConcept(vocabulary: Vocabulary, code: string): Concept | undefined {
  return TERMINOLOGY[vocabulary].find((concept) => concept.code === code);
}
