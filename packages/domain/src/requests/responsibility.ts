import type { CareContext, RequestCategory, RequestCircumstance } from './categories.js';

/**
 * Who the NHS Standard Contract makes responsible for each kind of work at the hospital/GP interface
 * (docs: ../shared/reference/nhs-standards.md section 9). A request that the rules place on its
 * requester is flagged to both sides, and the practice may decline it in one step citing the clause.
 *
 * The table is data, not code, so that a commissioner's local agreements (a commissioned phlebotomy
 * service, say) can replace, disable or add rules for its practices without touching the national ones.
 */

/** The kind of organisation on each side: the contract binds providers (hospitals) towards practices. */
export type CareSetting = 'hospital' | 'practice' | 'other';

/**
 * - `requester`: the work is the requester's own (it was placed on the owner against the rules).
 * - `owner-by-agreement`: the owner may take it on, but only by agreeing (shared care, SC11.3–11.4;
 *   an unrelated, non-urgent onward referral, SC8.4); declining needs no justification beyond that.
 * - `owner`: the owner's ordinary work (a local agreement may say so explicitly).
 */
export type Responsibility = 'requester' | 'owner-by-agreement' | 'owner';

export interface ResponsibilityRule {
  /** Stable id, cited in declines and the ledger. */
  id: string;
  category: RequestCategory;
  /** The settings of the requester and the owner the rule governs. */
  requester: CareSetting;
  owner: CareSetting;
  /** Circumstances that must all hold, at least one of which must hold, and none of which may hold. */
  all?: readonly RequestCircumstance[];
  any?: readonly RequestCircumstance[];
  none?: readonly RequestCircumstance[];
  /** The hospital care the request comes from; absent matches any (and an unstated one). */
  careContexts?: readonly CareContext[];
  responsible: Responsibility;
  /** The contract clause or guidance as the reference cites it ("SC6", "SC11.11", "Local agreement: …"). */
  clause: string;
  /** One sentence for both sides, and for the decline sent back to the requester. */
  summary: string;
  source: string;
}

const LINCS_LMC = 'https://www.lincslmc.co.uk/primarysecondarycareinterface';
const BMA =
  'https://www.bma.org.uk/advice-and-support/nhs-delivery-and-workforce/primary-and-secondary-care/primary-and-secondary-care-working-together';

const hospitalToPractice = { requester: 'hospital', owner: 'practice' } as const;

/**
 * The national rules, most specific first: the first rule whose conditions hold decides. A request
 * no rule covers is the owner's to accept or decline on its merits.
 */
export const NATIONAL_RESPONSIBILITY_RULES: readonly ResponsibilityRule[] = [
  {
    id: 'no-re-referral-after-missed-appointment',
    category: 're-refer',
    ...hospitalToPractice,
    all: ['after-missed-appointment'],
    responsible: 'requester',
    clause: 'SC6',
    summary:
      'A patient who missed a hospital appointment is not discharged back to the GP for re-referral: the hospital rebooks, or discharges with a recorded clinical decision.',
    source:
      'https://www.hsj.co.uk/news/exclusive-gps-urged-to-report-hospitals-contract-breaches/7010110.article',
  },
  {
    id: 'onward-referral-by-hospital',
    category: 're-refer',
    ...hospitalToPractice,
    any: ['related-to-original-condition', 'urgent'],
    responsible: 'requester',
    clause: 'SC8.4',
    summary:
      'An onward referral directly related to the original complaint, or urgent (such as suspected cancer), is made by the hospital without going back to the GP.',
    source: LINCS_LMC,
  },
  {
    id: 'unrelated-onward-referral-needs-gp-agreement',
    category: 're-refer',
    ...hospitalToPractice,
    responsible: 'owner-by-agreement',
    clause: 'SC8.4',
    summary:
      'A referral for a non-urgent condition unrelated to the original complaint needs the GP’s agreement.',
    source: LINCS_LMC,
  },
  {
    id: 'tests-owned-by-requester',
    category: 'arrange-test',
    ...hospitalToPractice,
    responsible: 'requester',
    clause: 'Interface guidance: results',
    summary:
      'The clinician who decides a test is needed arranges it, and owns it and its result; the hospital tells the patient the result itself.',
    source: BMA,
  },
  {
    id: 'results-communicated-by-requester',
    category: 'chase-result',
    ...hospitalToPractice,
    responsible: 'requester',
    clause: 'Interface guidance: results',
    summary:
      'The hospital tells patients the results of the tests it arranged, and must not advise them to contact their GP to obtain them.',
    source: 'https://westcommonlane.nhs.uk/pages/Patient-Information',
  },
  {
    id: 'fit-notes-by-provider',
    category: 'fit-note',
    ...hospitalToPractice,
    responsible: 'requester',
    clause: 'SC11.11',
    summary:
      'The hospital issues fit notes to its admitted, discharged and outpatient patients, for as long as it is treating them.',
    source: LINCS_LMC,
  },
  {
    id: 'shared-care-needs-gp-agreement',
    category: 'prescribe-medication',
    ...hospitalToPractice,
    all: ['shared-care'],
    responsible: 'owner-by-agreement',
    clause: 'SC11.3–11.4',
    summary: 'Prescribing under a shared-care arrangement passes to the GP only once the GP agrees.',
    source: LINCS_LMC,
  },
  {
    id: 'discharge-medication-by-hospital',
    category: 'prescribe-medication',
    ...hospitalToPractice,
    none: ['continuation', 'shared-care'],
    careContexts: ['inpatient', 'day-case', 'emergency'],
    responsible: 'requester',
    clause: 'SC11.9',
    summary:
      'The hospital supplies medication on discharge (at least 7 days), so the patient does not need the GP for it.',
    source: LINCS_LMC,
  },
  {
    id: 'outpatient-medication-by-hospital',
    category: 'prescribe-medication',
    ...hospitalToPractice,
    none: ['continuation', 'shared-care'],
    responsible: 'requester',
    clause: 'SC11.10',
    summary:
      'A medicine the hospital starts or changes is supplied by the hospital until the GP has received the clinic letter.',
    source: LINCS_LMC,
  },
  {
    id: 'follow-up-by-provider',
    category: 'follow-up-appointment',
    ...hospitalToPractice,
    none: ['follow-up-with-owner'],
    responsible: 'requester',
    clause: 'Interface guidance: patient queries and follow-up',
    summary:
      'The hospital books its own follow-up appointments and handles its patients’ queries itself, rather than passing them to the GP.',
    source: 'https://parkcrescenthealthcentre.nhs.uk/hospital-responsibilities',
  },
];

/** A commissioner's change to the national rules for the practices it commissions. */
export type LocalAgreement =
  | { kind: 'replace'; ruleId: string; rule: ResponsibilityRule; name: string }
  | { kind: 'disable'; ruleId: string; name: string }
  | { kind: 'add'; rule: ResponsibilityRule; name: string };

/** Local agreements by commissioner (an ICB's ODS code); commissioners not listed use the national rules. */
export type LocalAgreements = Readonly<Record<string, readonly LocalAgreement[]>>;

/**
 * The rules in force for a commissioner: the national rules with its agreements applied in order. A
 * replacement keeps the replaced rule's place, so precedence stays as the national table intends;
 * additions go first, as the most specific. An agreement naming an unknown rule is refused.
 */
export function effectiveRules(
  commissioner: string | undefined,
  agreements: LocalAgreements = {},
  base: readonly ResponsibilityRule[] = NATIONAL_RESPONSIBILITY_RULES,
): ResponsibilityRule[] {
  let rules = [...base];
  const local = commissioner === undefined ? [] : (agreements[commissioner] ?? []);
  for (const agreement of local) {
    if (agreement.kind === 'add') {
      rules = [agreement.rule, ...rules];
      continue;
    }
    const index = rules.findIndex((rule) => rule.id === agreement.ruleId);
    if (index < 0) {
      throw new RangeError(`Local agreement '${agreement.name}' names no rule '${agreement.ruleId}'.`);
    }
    if (agreement.kind === 'disable') rules.splice(index, 1);
    else rules.splice(index, 1, agreement.rule);
  }
  return rules;
}

/** The facts of a request that the rules look at. */
export interface RequestFacts {
  category: RequestCategory;
  requesterSetting: CareSetting;
  ownerSetting: CareSetting;
  circumstances: readonly RequestCircumstance[];
  careContext?: CareContext;
}

export interface Assessment {
  /** True when the rules make the work the requester's own: flag it to both sides. */
  placesOnRequester: boolean;
  responsible: Responsibility;
  rule?: ResponsibilityRule;
  /** The clause to cite ("NHS Standard Contract SC11.11"), when a rule applies. */
  citation?: string;
  explanation: string;
}

function matches(rule: ResponsibilityRule, facts: RequestFacts): boolean {
  const has = (circumstance: RequestCircumstance) => facts.circumstances.includes(circumstance);
  return (
    rule.category === facts.category &&
    rule.requester === facts.requesterSetting &&
    rule.owner === facts.ownerSetting &&
    (rule.all ?? []).every(has) &&
    (rule.any === undefined || rule.any.some(has)) &&
    !(rule.none ?? []).some(has) &&
    (rule.careContexts === undefined ||
      (facts.careContext !== undefined && rule.careContexts.includes(facts.careContext)))
  );
}

/** How a clause is cited: contract clauses with the contract's name, guidance and agreements as they are. */
export function citeClause(clause: string): string {
  return /^SC\d/.test(clause) ? `NHS Standard Contract ${clause}` : clause;
}

/**
 * Whether the rules place a request on its requester, with the rule and clause that say so. The first
 * matching rule decides; with none, the request is the owner's to accept or decline on its merits.
 */
export function assessRequest(facts: RequestFacts, rules: readonly ResponsibilityRule[]): Assessment {
  const rule = rules.find((candidate) => matches(candidate, facts));
  if (!rule) {
    return {
      placesOnRequester: false,
      responsible: 'owner',
      explanation:
        'No contract rule places this request with the requester; the owner decides on its merits.',
    };
  }
  return {
    placesOnRequester: rule.responsible === 'requester',
    responsible: rule.responsible,
    rule,
    citation: citeClause(rule.clause),
    explanation: `${rule.summary} (${citeClause(rule.clause)})`,
  };
}
