import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalAgreementsError, parseLocalAgreements } from './local-agreements.js';
import { effectiveRules } from './responsibility.js';

const phlebotomyRule = {
  id: 'qe1-phlebotomy-by-practice',
  category: 'arrange-test',
  requester: 'hospital',
  owner: 'practice',
  responsible: 'owner',
  clause: 'Local agreement: QE1 phlebotomy service',
  summary: 'The practice takes blood for the hospital under the commissioned phlebotomy service.',
  source: 'https://example.nhs.uk/qe1/phlebotomy',
};

/** The path an invalid document is refused at. */
function faultAt(document: unknown): string {
  try {
    parseLocalAgreements(document);
  } catch (error) {
    assert.ok(error instanceof LocalAgreementsError, String(error));
    return error.path;
  }
  assert.fail('the document was accepted');
}

describe('Local agreements read from configuration', () => {
  it('accepts each kind of agreement and applies them as effectiveRules does', () => {
    const agreements = parseLocalAgreements({
      QE1: [
        { kind: 'replace', name: 'Phlebotomy', ruleId: 'tests-owned-by-requester', rule: phlebotomyRule },
        { kind: 'disable', name: 'Fit notes by practice', ruleId: 'fit-notes-by-provider' },
        {
          kind: 'add',
          name: 'Urgent shared care',
          rule: { ...phlebotomyRule, id: 'qe1-urgent', all: ['urgent'], careContexts: ['outpatient'] },
        },
      ],
    });
    const ids = effectiveRules('QE1', agreements).map((rule) => rule.id);
    assert.equal(ids[0], 'qe1-urgent');
    assert.ok(ids.includes('qe1-phlebotomy-by-practice'));
    assert.ok(!ids.includes('tests-owned-by-requester'));
    assert.ok(!ids.includes('fit-notes-by-provider'));
    assert.deepEqual(parseLocalAgreements({}), {});
  });

  it('refuses a document that is not keyed by commissioners, naming the key', () => {
    assert.equal(faultAt([]), '(top level)');
    assert.equal(faultAt({ 'not an ods code': [] }), 'not an ods code');
    assert.equal(faultAt({ Y99901: [] }), 'Y99901', 'a practice does not commission');
    assert.equal(faultAt({ RZZ: [] }), 'RZZ', 'nor does a trust');
    assert.equal(faultAt({ QE1: { kind: 'disable' } }), 'QE1');
  });

  it('refuses an unknown category, party, setting or circumstance at its path', () => {
    const added = (rule: Record<string, unknown>) => ({
      QE1: [{ kind: 'add', name: 'x', rule: { ...phlebotomyRule, ...rule } }],
    });
    assert.equal(faultAt(added({ category: 'bloods' })), 'QE1[0].rule.category');
    assert.equal(faultAt(added({ responsible: 'commissioner' })), 'QE1[0].rule.responsible');
    assert.equal(faultAt(added({ owner: 'pharmacy' })), 'QE1[0].rule.owner');
    assert.equal(faultAt(added({ any: ['urgent', 'soon'] })), 'QE1[0].rule.any[1]');
    assert.equal(faultAt(added({ careContexts: 'outpatient' })), 'QE1[0].rule.careContexts');
    assert.equal(faultAt(added({ clause: '' })), 'QE1[0].rule.clause');
    assert.equal(faultAt(added({ respnsible: 'owner' })), 'QE1[0].rule.respnsible', 'a misspelt field');
  });

  it('refuses an agreement of no known kind, or naming no rule in force', () => {
    assert.equal(faultAt({ QE1: [{ kind: 'remove', name: 'x', ruleId: 'x' }] }), 'QE1[0].kind');
    assert.equal(faultAt({ QE1: [{ kind: 'disable', ruleId: 'fit-notes-by-provider' }] }), 'QE1[0].name');
    assert.equal(
      faultAt({ QE1: [{ kind: 'disable', name: 'x', ruleId: 'fit-notes-by-provider', rule: {} }] }),
      'QE1[0].rule',
    );
    assert.equal(faultAt({ QE1: [{ kind: 'disable', name: 'x', ruleId: 'no-such-rule' }] }), 'QE1[0].ruleId');
    const twice = { kind: 'disable', name: 'x', ruleId: 'fit-notes-by-provider' };
    assert.equal(faultAt({ QE1: [twice, twice] }), 'QE1[1].ruleId');
    assert.equal(
      faultAt({
        QE1: [{ kind: 'add', name: 'x', rule: { ...phlebotomyRule, id: 'fit-notes-by-provider' } }],
      }),
      'QE1[0].rule.id',
    );
  });

  it('checks each agreement against the rules the ones before it left, as effectiveRules applies them', () => {
    const added = { kind: 'add', name: 'x', rule: { ...phlebotomyRule, id: 'qe1-added' } };
    const disableAdded = { kind: 'disable', name: 'y', ruleId: 'qe1-added' };
    assert.deepEqual(
      effectiveRules('QE1', parseLocalAgreements({ QE1: [added, disableAdded] })),
      effectiveRules(undefined),
      'a rule an earlier agreement added can be disabled again',
    );
    assert.equal(faultAt({ QE1: [disableAdded, added] }), 'QE1[0].ruleId', 'but not before it is added');
    const replaceTaking = (id: string) => ({
      kind: 'replace',
      name: 'z',
      ruleId: 'tests-owned-by-requester',
      rule: { ...phlebotomyRule, id },
    });
    assert.equal(faultAt({ QE1: [replaceTaking('fit-notes-by-provider')] }), 'QE1[0].rule.id');
    assert.deepEqual(
      Object.keys(parseLocalAgreements({ QE1: [replaceTaking('tests-owned-by-requester')] })),
      ['QE1'],
      'a replacement may keep the id of the rule it replaces',
    );
  });
});
