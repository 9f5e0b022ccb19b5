import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NATIONAL_RESPONSIBILITY_RULES,
  assessRequest,
  citeClause,
  effectiveRules,
  type LocalAgreements,
  type RequestFacts,
} from './responsibility.js';

const fromHospital = (facts: Partial<RequestFacts> & Pick<RequestFacts, 'category'>): RequestFacts => ({
  requesterSetting: 'hospital',
  ownerSetting: 'practice',
  circumstances: [],
  ...facts,
});

const rules = NATIONAL_RESPONSIBILITY_RULES;
const ruleOf = (facts: RequestFacts) => assessRequest(facts, rules).rule?.id;

describe('Responsibility rules', () => {
  it('places a re-referral after a missed appointment on the hospital (SC6)', () => {
    const assessment = assessRequest(
      fromHospital({
        category: 're-refer',
        circumstances: ['after-missed-appointment', 'related-to-original-condition'],
      }),
      rules,
    );
    assert.equal(assessment.placesOnRequester, true);
    assert.equal(assessment.rule?.id, 'no-re-referral-after-missed-appointment');
    assert.equal(assessment.citation, 'NHS Standard Contract SC6');
    assert.match(assessment.explanation, /rebooks/);
  });

  it('places related or urgent onward referrals on the hospital (SC8.4)', () => {
    for (const circumstance of ['related-to-original-condition', 'urgent'] as const) {
      const assessment = assessRequest(
        fromHospital({ category: 're-refer', circumstances: [circumstance] }),
        rules,
      );
      assert.equal(assessment.placesOnRequester, true, circumstance);
      assert.equal(assessment.rule?.id, 'onward-referral-by-hospital');
      assert.equal(assessment.rule?.clause, 'SC8.4');
    }
  });

  it('leaves an unrelated, non-urgent referral to the GP’s agreement, unflagged (SC8.4)', () => {
    const assessment = assessRequest(fromHospital({ category: 're-refer' }), rules);
    assert.equal(assessment.placesOnRequester, false);
    assert.equal(assessment.responsible, 'owner-by-agreement');
    assert.equal(assessment.rule?.id, 'unrelated-onward-referral-needs-gp-agreement');
  });

  it('places tests and their results on the clinician who ordered them', () => {
    assert.equal(ruleOf(fromHospital({ category: 'arrange-test' })), 'tests-owned-by-requester');
    assert.equal(ruleOf(fromHospital({ category: 'chase-result' })), 'results-communicated-by-requester');
    assert.equal(assessRequest(fromHospital({ category: 'chase-result' }), rules).placesOnRequester, true);
  });

  it('places fit notes on the hospital (SC11.11)', () => {
    const assessment = assessRequest(fromHospital({ category: 'fit-note' }), rules);
    assert.equal(assessment.placesOnRequester, true);
    assert.equal(assessment.citation, 'NHS Standard Contract SC11.11');
  });

  it('places discharge and outpatient supplies of medicines on the hospital (SC11.9, SC11.10)', () => {
    const discharge = assessRequest(
      fromHospital({ category: 'prescribe-medication', careContext: 'inpatient' }),
      rules,
    );
    assert.equal(discharge.rule?.clause, 'SC11.9');
    assert.equal(discharge.placesOnRequester, true);
    const clinic = assessRequest(
      fromHospital({ category: 'prescribe-medication', careContext: 'outpatient' }),
      rules,
    );
    assert.equal(clinic.rule?.clause, 'SC11.10');
    // Unstated care context: the outpatient rule, the one that always applies.
    assert.equal(
      ruleOf(fromHospital({ category: 'prescribe-medication' })),
      'outpatient-medication-by-hospital',
    );
  });

  it('leaves shared care to the GP’s agreement (SC11.3–11.4) and continued prescribing to the GP', () => {
    const shared = assessRequest(
      fromHospital({
        category: 'prescribe-medication',
        circumstances: ['shared-care'],
        careContext: 'outpatient',
      }),
      rules,
    );
    assert.equal(shared.placesOnRequester, false);
    assert.equal(shared.responsible, 'owner-by-agreement');
    assert.equal(shared.rule?.clause, 'SC11.3–11.4');
    const continued = assessRequest(
      fromHospital({
        category: 'prescribe-medication',
        circumstances: ['continuation'],
        careContext: 'inpatient',
      }),
      rules,
    );
    assert.equal(continued.placesOnRequester, false);
    assert.equal(continued.rule, undefined);
  });

  it('places hospital follow-up appointments on the hospital, but not a review with the practice', () => {
    assert.equal(ruleOf(fromHospital({ category: 'follow-up-appointment' })), 'follow-up-by-provider');
    const review = assessRequest(
      fromHospital({ category: 'follow-up-appointment', circumstances: ['follow-up-with-owner'] }),
      rules,
    );
    assert.equal(review.placesOnRequester, false);
  });

  it('applies no contract rule to other requests, or to requests from a practice to a hospital', () => {
    assert.equal(assessRequest(fromHospital({ category: 'other' }), rules).responsible, 'owner');
    const fromPractice = assessRequest(
      { category: 'chase-result', requesterSetting: 'practice', ownerSetting: 'hospital', circumstances: [] },
      rules,
    );
    assert.equal(fromPractice.placesOnRequester, false);
    assert.equal(fromPractice.rule, undefined);
  });

  it('applies a commissioner’s local agreements to its practices only', () => {
    const agreements: LocalAgreements = {
      QZZ: [
        {
          kind: 'replace',
          ruleId: 'tests-owned-by-requester',
          name: 'Phlebotomy LES 2026',
          rule: {
            ...(rules.find((rule) => rule.id === 'tests-owned-by-requester') as (typeof rules)[number]),
            id: 'qzz-phlebotomy',
            responsible: 'owner',
            clause: 'Local agreement: QZZ phlebotomy service 2026',
            summary: 'Practices take blood for hospital-requested tests; the hospital still owns the result.',
          },
        },
        { kind: 'disable', ruleId: 'follow-up-by-provider', name: 'Follow-up pilot' },
      ],
    };
    const local = effectiveRules('QZZ', agreements);
    const test = assessRequest(fromHospital({ category: 'arrange-test' }), local);
    assert.equal(test.placesOnRequester, false);
    assert.equal(test.citation, 'Local agreement: QZZ phlebotomy service 2026');
    assert.equal(assessRequest(fromHospital({ category: 'follow-up-appointment' }), local).rule, undefined);
    // Another commissioner's practices keep the national rules.
    assert.equal(ruleOf(fromHospital({ category: 'arrange-test' })), 'tests-owned-by-requester');
    assert.equal(effectiveRules('QYY', agreements).length, rules.length);
    assert.throws(
      () => effectiveRules('QZZ', { QZZ: [{ kind: 'disable', ruleId: 'no-such-rule', name: 'x' }] }),
      RangeError,
    );
  });

  it('puts an added local rule ahead of the national ones', () => {
    const local = effectiveRules('QZZ', {
      QZZ: [
        {
          kind: 'add',
          name: 'Urgent fit notes',
          rule: {
            id: 'qzz-urgent-fit-note',
            category: 'fit-note',
            requester: 'hospital',
            owner: 'practice',
            all: ['urgent'],
            responsible: 'owner-by-agreement',
            clause: 'Local agreement: QZZ urgent fit notes',
            summary: 'The practice may agree to issue an urgent fit note.',
            source: 'local',
          },
        },
      ],
    });
    assert.equal(
      ruleOf({ ...fromHospital({ category: 'fit-note', circumstances: ['urgent'] }) }),
      'fit-notes-by-provider',
    );
    assert.equal(
      assessRequest(fromHospital({ category: 'fit-note', circumstances: ['urgent'] }), local).rule?.id,
      'qzz-urgent-fit-note',
    );
  });

  it('cites contract clauses with the contract’s name and guidance as it is', () => {
    assert.equal(citeClause('SC8.4'), 'NHS Standard Contract SC8.4');
    assert.equal(citeClause('Interface guidance: results'), 'Interface guidance: results');
  });

  it('gives every national rule a unique id, a clause, a summary and a source', () => {
    assert.equal(new Set(rules.map((rule) => rule.id)).size, rules.length);
    for (const rule of rules)
      assert.ok(rule.clause && rule.summary && rule.source.startsWith('https://'), rule.id);
  });
});
