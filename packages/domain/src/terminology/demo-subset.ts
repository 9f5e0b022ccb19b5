import type { TerminologyConcept, TerminologyKind } from './value-sets.js';

/**
 * DEMONSTRATION DATA, NOT A TERMINOLOGY RELEASE. A small curated subset of SNOMED CT (diagnoses,
 * allergies) and the NHS Dictionary of Medicines and Devices (medicines), seeded with the demo so the
 * pickers work out of the box. The dm+d codes were written from memory and have not been checked
 * against NHS TRUD: check every code here against the SNOMED CT UK Edition and dm+d before any
 * clinical use, and load the full releases (`npm run cli -- terminology import`) for real use.
 */
export const DEMO_SUBSET_VERSION = 'carebridge-demo-subset-1 (unverified demonstration data)';

type Entry = readonly [code: string, display: string];

const DIAGNOSES: readonly Entry[] = [
  ['22298006', 'Myocardial infarction'],
  ['49436004', 'Atrial fibrillation'],
  ['42343007', 'Congestive heart failure'],
  ['38341003', 'Hypertensive disorder'],
  ['230690007', 'Cerebrovascular accident'],
  ['59282003', 'Pulmonary embolism'],
  ['128053003', 'Deep venous thrombosis'],
  ['233604007', 'Pneumonia'],
  ['13645005', 'Chronic obstructive lung disease'],
  ['195967001', 'Asthma'],
  ['44054006', 'Diabetes mellitus type 2'],
  ['709044004', 'Chronic kidney disease'],
  ['68566005', 'Urinary tract infectious disease'],
  ['271737000', 'Anaemia'],
  ['5913000', 'Fracture of neck of femur'],
  ['35489007', 'Depressive disorder'],
  ['84757009', 'Epilepsy'],
  ['235595009', 'Gastroesophageal reflux disease'],
];

const ALLERGIES: readonly Entry[] = [
  ['716186003', 'No known allergy'],
  ['91936005', 'Allergy to penicillin'],
  ['294505008', 'Allergy to amoxicillin'],
  ['293586001', 'Allergy to aspirin'],
  ['91935009', 'Allergy to peanut'],
  ['300913006', 'Allergy to shellfish'],
  ['300916003', 'Allergy to latex'],
];

/** Unverified against TRUD (see above). */
const MEDICINES: readonly Entry[] = [
  ['318420003', 'Atorvastatin 80mg tablets'],
  ['322236009', 'Paracetamol 500mg tablets'],
  ['319740004', 'Amlodipine 5mg tablets'],
  ['318135008', 'Ramipril 2.5mg capsules'],
  ['318263009', 'Bisoprolol 2.5mg tablets'],
  ['319775004', 'Aspirin 75mg dispersible tablets'],
  ['375097007', 'Clopidogrel 75mg tablets'],
  ['317971007', 'Furosemide 40mg tablets'],
  ['325278007', 'Metformin 500mg tablets'],
  ['317972000', 'Omeprazole 20mg gastro-resistant capsules'],
  ['320000009', 'Amoxicillin 500mg capsules'],
  ['324357002', 'Apixaban 5mg tablets'],
];

const concepts = (kind: TerminologyKind, entries: readonly Entry[]): TerminologyConcept[] =>
  entries.map(([code, display]) => ({ code, kind, display, active: true, terms: [display] }));

/** The demonstration subset by code system. */
export const DEMO_SUBSET = {
  snomed: [...concepts('diagnosis', DIAGNOSES), ...concepts('allergy', ALLERGIES)],
  dmd: concepts('medicine', MEDICINES),
} as const;
