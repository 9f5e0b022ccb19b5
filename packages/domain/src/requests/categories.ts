import { SNOMED_CT_SYSTEM } from '../exchange/document-definitions.js';

/**
 * What one organisation asks another to do for a patient. The categories are the kinds of work GPs
 * report being handed by hospitals (BMA and LMC surveys: new investigations, prescribing, re-referral,
 * fit notes, chasing results, follow-up); each has a code in Carebridge's own CodeSystem, because no
 * national value set covers "work transferred between care settings".
 */
export const REQUEST_CATEGORY_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/request-category';

export const REQUEST_CATEGORIES = {
  'arrange-test': { display: 'Arrange a test' },
  'prescribe-medication': { display: 'Prescribe or change medication' },
  're-refer': { display: 'Re-refer' },
  'fit-note': { display: 'Issue a fit note' },
  'chase-result': { display: 'Chase or communicate a result' },
  'follow-up-appointment': { display: 'Follow-up appointment' },
  other: { display: 'Other' },
} as const satisfies Record<string, { display: string }>;

export type RequestCategory = keyof typeof REQUEST_CATEGORIES;

export const REQUEST_CATEGORY_CODES = Object.keys(REQUEST_CATEGORIES) as RequestCategory[];

export function isRequestCategory(value: unknown): value is RequestCategory {
  return typeof value === 'string' && Object.hasOwn(REQUEST_CATEGORIES, value);
}

/**
 * Estimated GP-practice minutes per request, for the workload-transfer ledger. These are Carebridge
 * placeholders (an appointment slot, plus booking, filing and result handling where a category implies
 * them), not national figures: commissioners and LMCs set their own with {@link gpMinutes}.
 */
export const DEFAULT_GP_MINUTES: Readonly<Record<RequestCategory, number>> = {
  'arrange-test': 20,
  'prescribe-medication': 10,
  're-refer': 15,
  'fit-note': 10,
  'chase-result': 10,
  'follow-up-appointment': 15,
  other: 10,
};

/** The minutes table with local figures over the defaults; a negative or fractional figure is refused. */
export function gpMinutes(
  overrides: Partial<Record<RequestCategory, number>> = {},
): Readonly<Record<RequestCategory, number>> {
  for (const [category, minutes] of Object.entries(overrides)) {
    if (!isRequestCategory(category) || !Number.isInteger(minutes) || (minutes ?? 0) < 0) {
      throw new RangeError(`GP minutes for '${category}' must be a whole number ≥ 0 of a known category.`);
    }
  }
  return { ...DEFAULT_GP_MINUTES, ...overrides };
}

/**
 * Facts about the circumstances of a request that decide which contract rule applies. They are stated
 * by the requester (or implied by a letter action's code) and shown to both sides.
 */
export const REQUEST_CIRCUMSTANCES = [
  /** The patient missed (did not attend) a hospital appointment. */
  'after-missed-appointment',
  /** An onward referral for the condition the patient was originally referred with. */
  'related-to-original-condition',
  /** Clinically urgent (e.g. suspected cancer). */
  'urgent',
  /** A shared-care prescribing proposal, which the GP may accept or decline. */
  'shared-care',
  /** Continuing a medicine the hospital has already supplied for the contractual period. */
  'continuation',
  /** The follow-up asked for is with the practice itself (a primary-care review), not a hospital clinic. */
  'follow-up-with-owner',
] as const;

export type RequestCircumstance = (typeof REQUEST_CIRCUMSTANCES)[number];

export function isRequestCircumstance(value: unknown): value is RequestCircumstance {
  return typeof value === 'string' && (REQUEST_CIRCUMSTANCES as readonly string[]).includes(value);
}

/** The hospital care a request arises from: the contract's prescribing duties differ between them. */
export const CARE_CONTEXTS = ['inpatient', 'day-case', 'emergency', 'outpatient'] as const;
export type CareContext = (typeof CARE_CONTEXTS)[number];

export function isCareContext(value: unknown): value is CareContext {
  return typeof value === 'string' && (CARE_CONTEXTS as readonly string[]).includes(value);
}

/** How a letter action's category was decided, so nobody mistakes an inference for the sender's coding. */
export type CategorySource = 'snomed' | 'text' | 'default';

export interface ActionClassification {
  category: RequestCategory;
  circumstances: RequestCircumstance[];
  source: CategorySource;
}

/** SNOMED CT concepts seen in "plan and requested actions", and what they ask of the practice. */
const SNOMED_ACTIONS: Readonly<Record<string, Omit<ActionClassification, 'source'>>> = {
  // Reviewing a medicine the hospital started is continued prescribing, the practice's ordinary work.
  '182836005': { category: 'prescribe-medication', circumstances: ['continuation'] }, // Review of medication
  '396550006': { category: 'arrange-test', circumstances: [] }, // Blood test
  '15220000': { category: 'arrange-test', circumstances: [] }, // Laboratory test
  '3457005': { category: 're-refer', circumstances: [] }, // Patient referral
  '390906007': { category: 'follow-up-appointment', circumstances: [] }, // Follow-up encounter
};

/**
 * Words that identify a category in an action's text, most specific first: "chase the blood test
 * result" is about a result, not a new test.
 */
const TEXT_PATTERNS: ReadonlyArray<[RegExp, RequestCategory]> = [
  [/\b(fit ?note|med ?3|statement of fitness)\b/, 'fit-note'],
  [/\bre-?refer/, 're-refer'],
  [/\bresults?\b/, 'chase-result'],
  [/\b(blood tests?|bloods|tests?|scan|x-?ray|ecg|investigations?|u&e|fbc)\b/, 'arrange-test'],
  [/\b(prescri\w*|medication|medicines?|dose|tablets?)\b/, 'prescribe-medication'],
  [/\b(follow[- ]?up|appointment)\b/, 'follow-up-appointment'],
];

const CONTINUATION_WORDS = /\b(continu\w*|review\w*|repeat)\b/;

/**
 * The category of a letter's action: from its SNOMED CT code when Carebridge knows it, else from the
 * words of its display and description, else "other". The source is kept with the request.
 */
export function classifyAction(action: {
  concept?: { system?: string; code?: string; display?: string };
  text?: string;
  description?: string;
}): ActionClassification {
  const { concept } = action;
  const known =
    concept?.system === SNOMED_CT_SYSTEM && concept.code ? SNOMED_ACTIONS[concept.code] : undefined;
  if (known) return { ...known, circumstances: [...known.circumstances], source: 'snomed' };
  const words = [concept?.display, action.text, action.description]
    .filter((part) => part !== undefined)
    .join(' ')
    .toLowerCase();
  for (const [pattern, category] of TEXT_PATTERNS) {
    if (!pattern.test(words)) continue;
    // "Continue" or "review" a medicine: continued prescribing, not the hospital's own supply.
    const continued = category === 'prescribe-medication' && CONTINUATION_WORDS.test(words);
    return { category, circumstances: continued ? ['continuation'] : [], source: 'text' };
  }
  return { category: 'other', circumstances: [], source: 'default' };
}
