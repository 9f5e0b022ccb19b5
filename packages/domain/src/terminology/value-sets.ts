import { DMD_SYSTEM, SNOMED_CT_SYSTEM } from '../exchange/document-definitions.js';

/**
 * The three coded-entry pickers and the value sets behind them. A concept's kind says which picker
 * offers it; it comes from where the concept was found in a release (a SNOMED CT hierarchy, a dm+d
 * file), never from its wording.
 */
export const TERMINOLOGY_KINDS = ['diagnosis', 'allergy', 'medicine'] as const;
export type TerminologyKind = (typeof TERMINOLOGY_KINDS)[number];

export interface TerminologyValueSet {
  url: string;
  system: string;
  title: string;
}

export const TERMINOLOGY_VALUE_SETS: Readonly<Record<TerminologyKind, TerminologyValueSet>> = {
  diagnosis: {
    url: 'https://carebridge.dev/fhir/ValueSet/diagnoses',
    system: SNOMED_CT_SYSTEM,
    title: 'Diagnoses (SNOMED CT clinical findings)',
  },
  allergy: {
    url: 'https://carebridge.dev/fhir/ValueSet/allergies',
    system: SNOMED_CT_SYSTEM,
    title: 'Allergies (SNOMED CT allergic dispositions)',
  },
  medicine: {
    url: 'https://carebridge.dev/fhir/ValueSet/medicines',
    system: DMD_SYSTEM,
    title: 'Medicines (dm+d VTM, VMP and AMP)',
  },
};

/**
 * An expansion counts its matches up to this many: beyond it the count costs more than it tells (a
 * user refines the words instead), so the answer says only that there are more.
 */
export const EXPANSION_TOTAL_CAP = 1000;

export function kindOfValueSet(url: string): TerminologyKind | undefined {
  return TERMINOLOGY_KINDS.find((kind) => TERMINOLOGY_VALUE_SETS[kind].url === url);
}

/** A concept as a release provides it, before it is stored. */
export interface TerminologyConcept {
  code: string;
  kind: TerminologyKind;
  /** The preferred term: what a picker shows and an entry is filed with. */
  display: string;
  active: boolean;
  /** Every term a user may search by (the preferred term and synonyms). */
  terms: readonly string[];
}
