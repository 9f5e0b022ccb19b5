import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ValueSet } from 'fhir/r4';
import { terminologyText } from '../../strings/terminology.en-GB';
import { isSearchable, matchesOf } from './terminology';

const SCT = 'http://snomed.info/sct';

function expansion(total: number | undefined, codes: string[], capped = false): ValueSet {
  return {
    resourceType: 'ValueSet',
    status: 'active',
    expansion: {
      timestamp: '2026-11-21T10:00:00Z',
      ...(total === undefined ? {} : { total }),
      ...(capped ? { parameter: [{ name: 'total-capped', valueBoolean: true }] } : {}),
      contains: codes.map((code) => ({ system: SCT, code, display: `Term ${code}` })),
    },
  };
}

describe('The matches a coded-entry search offers', () => {
  it('says how many the server found in all, so the picker can tell there are more than it shows', () => {
    const { results, total } = matchesOf(expansion(134, ['1', '2', '3']));
    assert.deepEqual(
      results.map((concept) => concept.code),
      ['1', '2', '3'],
    );
    assert.deepEqual(total, { exactly: 134 });
    assert.equal(
      terminologyText.matches(results.length, total),
      'The first 3 of 134 matches. Choose one, or type more of the term to narrow them.',
    );
  });

  it('leaves out concepts already picked, from the matches and from the total alike', () => {
    const { results, total } = matchesOf(expansion(3, ['1', '2', '3']), ['2']);
    assert.deepEqual(
      results.map((concept) => concept.code),
      ['1', '3'],
    );
    assert.deepEqual(total, { exactly: 2 });
    assert.equal(terminologyText.matches(results.length, total), '2 matches. Choose one.');
  });

  it('says "more than 1,000" when the server stopped counting at its cap', () => {
    const { results, total } = matchesOf(expansion(undefined, ['1', '2'], true), ['2']);
    assert.deepEqual(total, { moreThan: 1000 });
    assert.equal(
      terminologyText.matches(results.length, total),
      'The first 1 of more than 1,000 matches. Choose one, or type more of the term to narrow them.',
    );
    assert.equal(
      terminologyText.matches(10, { exactly: 1000 }),
      'The first 10 of 1,000 matches. Choose one, or type more of the term to narrow them.',
    );
  });

  it('has no total when the server gave none', () => {
    assert.equal(matchesOf(expansion(undefined, ['1'])).total, undefined);
  });
});

describe('When a coded-entry search is sent', () => {
  it('only when a word has at least 2 letters or digits, as the server requires', () => {
    assert.deepEqual(['', ' a ', 'a b', '...', '- /', 'ab', 'a fib', 'Zoë'].map(isSearchable), [
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
  });
});

describe('The hint of a coded-entry search', () => {
  it('follows the field’s own hint, if any, with how to search', () => {
    assert.equal(terminologyText.hint(), 'Type at least 2 letters, then choose from the matches.');
    assert.equal(
      terminologyText.hint('Coded with SNOMED CT'),
      'Coded with SNOMED CT. Type at least 2 letters, then choose from the matches.',
    );
  });
});
