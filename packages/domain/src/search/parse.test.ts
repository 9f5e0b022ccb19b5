import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FhirError, type Problem } from '../fhir/errors.js';
import { canonicalSearchKey, canonicalSearchParams } from './canonical.js';
import { parseSearch, parseSearchOrThrow } from './parse.js';
import type { SearchFilter, SearchOptions, SearchQuery } from './query.js';

const strict: SearchOptions = { strict: true, defaultCount: 20, maxCount: 100 };
const lenient: SearchOptions = { ...strict, strict: false };

function query(type: string, params: Array<[string, string]>, options: SearchOptions = strict): SearchQuery {
  return parseSearchOrThrow(type, params, options).query;
}

function filter(type: string, name: string, value: string): SearchFilter {
  const filters = query(type, [[name, value]]).filters;
  assert.equal(filters.length, 1);
  return filters[0] as SearchFilter;
}

function problems(type: string, params: Array<[string, string]>, options: SearchOptions = strict): Problem[] {
  const result = parseSearch(type, params, options);
  assert.equal(result.ok, false, 'expected the search to be refused');
  return result.ok ? [] : result.problems;
}

describe('parseSearch: token parameters', () => {
  it('reads code, system|code, |code and system|', () => {
    assert.deepEqual(
      filter('Patient', 'identifier', 'https://fhir.nhs.uk/Id/nhs-number|9000000009,|local,sys|,plain'),
      {
        kind: 'token',
        param: 'identifier',
        negated: false,
        values: [
          { system: 'https://fhir.nhs.uk/Id/nhs-number', code: '9000000009' },
          { system: null, code: 'local' },
          { system: 'sys' },
          { code: 'plain' },
        ],
      },
    );
  });

  it('honours escaped commas and bars inside values', () => {
    assert.deepEqual(filter('Patient', 'identifier', 'a\\|b|c\\,d'), {
      kind: 'token',
      param: 'identifier',
      negated: false,
      values: [{ system: 'a|b', code: 'c,d' }],
    });
  });

  it('supports :not and :text (normalised)', () => {
    assert.deepEqual(filter('Observation', 'status:not', 'cancelled'), {
      kind: 'token',
      param: 'status',
      negated: true,
      values: [{ code: 'cancelled' }],
    });
    assert.deepEqual(filter('Observation', 'code:text', 'Heart Råte'), {
      kind: 'tokenText',
      param: 'code',
      values: ['heart rate'],
    });
  });

  it('refuses terminology modifiers with the reason', () => {
    const [problem] = problems('Observation', [['code:in', 'http://example.org/ValueSet/x']]);
    assert.equal(problem?.code, 'invalid-search-parameter');
    assert.deepEqual(problem?.expression, ['code:in']);
    assert.match(problem?.diagnostics ?? '', /terminology/);
  });

  it('refuses a token with two unescaped bars', () => {
    const [problem] = problems('Patient', [['identifier', 'a|b|c']]);
    assert.equal(problem?.code, 'invalid-search-value');
    assert.deepEqual(problem?.expression, ['identifier']);
  });
});

describe('parseSearch: string parameters', () => {
  it('normalises the default (starts-with) and :contains values, keeps :exact as written', () => {
    assert.deepEqual(filter('Patient', 'name', 'ZOË ,Smith'), {
      kind: 'string',
      param: 'name',
      match: 'starts-with',
      values: ['zoe', 'smith'],
    });
    assert.deepEqual(filter('Patient', 'family:contains', 'Bri'), {
      kind: 'string',
      param: 'family',
      match: 'contains',
      values: ['bri'],
    });
    assert.deepEqual(filter('Patient', 'family:exact', 'Ó Briain'), {
      kind: 'string',
      param: 'family',
      match: 'exact',
      values: ['Ó Briain'],
    });
  });

  it('refuses a string with nothing to search for', () => {
    assert.equal(problems('Patient', [['name', '   ']])[0]?.code, 'invalid-search-value');
  });
});

describe('parseSearch: reference parameters', () => {
  it('reads Type/id (dropping a version), a bare id and an absolute URL', () => {
    assert.deepEqual(
      filter('Observation', 'subject', 'Patient/p1/_history/2,p2,https://other.example/fhir/Patient/9'),
      {
        kind: 'reference',
        param: 'subject',
        values: [
          { kind: 'literal', type: 'Patient', id: 'p1' },
          { kind: 'literal', id: 'p2' },
          { kind: 'url', url: 'https://other.example/fhir/Patient/9' },
        ],
      },
    );
  });

  it('applies a :Type modifier to bare ids', () => {
    assert.deepEqual(filter('Observation', 'subject:Patient', 'p1'), {
      kind: 'reference',
      param: 'subject',
      values: [{ kind: 'literal', type: 'Patient', id: 'p1' }],
    });
  });

  it('reads :identifier as a token', () => {
    assert.deepEqual(
      filter('Observation', 'subject:identifier', 'https://fhir.nhs.uk/Id/nhs-number|9000000009'),
      {
        kind: 'referenceIdentifier',
        param: 'subject',
        values: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', code: '9000000009' }],
      },
    );
  });

  it('refuses a type the parameter cannot reference, as value or as modifier', () => {
    assert.match(
      problems('Observation', [['subject', 'Practitioner/x']])[0]?.diagnostics ?? '',
      /cannot reference/,
    );
    assert.equal(
      problems('Observation', [['subject:Practitioner', 'x']])[0]?.code,
      'invalid-search-parameter',
    );
    assert.equal(problems('Observation', [['subject', 'not an id!']])[0]?.code, 'invalid-search-value');
  });
});

describe('parseSearch: date, number, quantity and uri parameters', () => {
  it('reads every prefix and the range of the precision given', () => {
    const date = filter('Patient', 'birthdate', 'ge1970,lt1980-06,eq1975-01-01,sa2000-01-01T00:00:00Z');
    assert.equal(date.kind, 'date');
    assert.deepEqual(date.kind === 'date' ? date.values.map((v) => [v.prefix, v.low, v.high]) : [], [
      ['ge', '1970-01-01T00:00:00.000Z', '1971-01-01T00:00:00.000Z'],
      ['lt', '1980-06-01T00:00:00.000Z', '1980-07-01T00:00:00.000Z'],
      ['eq', '1975-01-01T00:00:00.000Z', '1975-01-02T00:00:00.000Z'],
      ['sa', '2000-01-01T00:00:00.000Z', '2000-01-01T00:00:01.000Z'],
    ]);
  });

  it('restores a zone "+" that URL decoding turned into a space', () => {
    const date = filter('Observation', 'date', '2024-03-01T10:00:00 01:00');
    assert.deepEqual(date.kind === 'date' ? date.values[0] : undefined, {
      prefix: 'eq',
      literal: '2024-03-01T10:00:00+01:00',
      low: '2024-03-01T09:00:00.000Z',
      high: '2024-03-01T09:00:01.000Z',
    });
  });

  it('reads quantities with system|code, ||code or no unit', () => {
    const quantity = filter(
      'Observation',
      'value-quantity',
      'gt5.4|http://unitsofmeasure.org|mg,ap100||mmHg,7',
    );
    assert.deepEqual(
      quantity.kind === 'quantity'
        ? quantity.values.map((v) => [v.prefix, v.value, v.low, v.high, v.unit])
        : [],
      [
        ['gt', '5.4', '5.35', '5.45', { system: 'http://unitsofmeasure.org', code: 'mg' }],
        ['ap', '100', '99.5', '100.5', { codeOrUnit: 'mmHg' }],
        ['eq', '7', '6.5', '7.5', undefined],
      ],
    );
  });

  it('reads uri :below and :above', () => {
    assert.deepEqual(filter('Questionnaire', 'url:below', 'https://example.org/'), {
      kind: 'uri',
      param: 'url',
      match: 'below',
      values: ['https://example.org/'],
    });
  });

  it('reports every malformed value with the parameter name', () => {
    const found = problems('Observation', [
      ['date', 'yesterday'],
      ['value-quantity', 'gt5|mg'],
      ['birthdate', '1970'],
    ]);
    assert.deepEqual(
      found.map((problem) => [problem.code, problem.expression]),
      [
        ['invalid-search-value', ['date']],
        ['invalid-search-value', ['value-quantity']],
        ['invalid-search-parameter', ['birthdate']],
      ],
    );
  });
});

describe('parseSearch: common parameters and :missing', () => {
  it('reads _id and _lastUpdated', () => {
    assert.deepEqual(filter('Patient', '_id', 'a,b-1'), { kind: 'id', ids: ['a', 'b-1'] });
    assert.equal(filter('Patient', '_lastUpdated', 'gt2024-01-01').kind, 'lastUpdated');
    assert.equal(problems('Patient', [['_id', 'no spaces']])[0]?.code, 'invalid-search-value');
  });

  it('reads :missing=true|false on index parameters only', () => {
    assert.deepEqual(filter('Patient', 'birthdate:missing', 'true'), {
      kind: 'missing',
      param: 'birthdate',
      paramType: 'date',
      missing: true,
    });
    assert.equal(problems('Patient', [['birthdate:missing', 'maybe']])[0]?.code, 'invalid-search-value');
    assert.equal(problems('Patient', [['_id:missing', 'true']])[0]?.code, 'invalid-search-parameter');
  });

  it('ANDs repeated parameters', () => {
    assert.equal(
      query('Patient', [
        ['birthdate', 'ge1970'],
        ['birthdate', 'lt1980'],
      ]).filters.length,
      2,
    );
  });
});

describe('parseSearch: chaining', () => {
  it('chains one level with an explicit type', () => {
    assert.deepEqual(filter('Observation', 'subject:Patient.identifier', 'sys|1'), {
      kind: 'chain',
      param: 'subject',
      typeModifier: 'Patient',
      targetTypes: ['Patient'],
      filter: { kind: 'token', param: 'identifier', negated: false, values: [{ system: 'sys', code: '1' }] },
    });
  });

  it('chains to every target type that defines the parameter when no type is given', () => {
    const chain = filter('Observation', 'subject.name', 'smith');
    assert.deepEqual(chain.kind === 'chain' ? chain.targetTypes : [], ['Patient', 'Location']);
  });

  it('refuses deeper chains, chains on non-references and unknown chained parameters', () => {
    assert.match(
      problems('Observation', [['subject:Patient.organization.name', 'x']])[0]?.diagnostics ?? '',
      /more than one level/,
    );
    assert.match(
      problems('Patient', [['name.family', 'x']])[0]?.diagnostics ?? '',
      /only reference parameters/,
    );
    assert.equal(
      problems('Observation', [['subject:Patient.nonsense', 'x']])[0]?.code,
      'invalid-search-parameter',
    );
  });
});

describe('parseSearch: result parameters', () => {
  it('clamps _count to the maximum and says so', () => {
    const result = parseSearchOrThrow('Patient', [['_count', '5000']], lenient);
    assert.equal(result.query.count, 100);
    assert.equal(result.warnings[0]?.severity, 'information');
    assert.equal(query('Patient', []).count, 20);
    assert.equal(problems('Patient', [['_count', '-1']])[0]?.code, 'invalid-search-value');
  });

  it('reads _sort keys in order with - for descending', () => {
    assert.deepEqual(query('Observation', [['_sort', '-date,_id,code']]).sort, [
      { param: 'date', paramType: 'date', descending: true },
      { param: '_id', paramType: 'token', descending: false },
      { param: 'code', paramType: 'token', descending: false },
    ]);
    assert.equal(problems('Observation', [['_sort', 'nonsense']])[0]?.code, 'invalid-search-parameter');
  });

  it('reads _include and _revinclude with optional target type and wildcard', () => {
    const parsed = query('Observation', [
      ['_include', 'Observation:subject:Patient'],
      ['_include', 'Observation:*'],
      ['_revinclude', 'Provenance:target'],
    ]);
    assert.deepEqual(parsed.include, [
      { sourceType: 'Observation', param: 'subject', targetType: 'Patient' },
      { sourceType: 'Observation', param: '*' },
    ]);
    assert.deepEqual(parsed.revinclude, [{ sourceType: 'Provenance', param: 'target' }]);
  });

  it('refuses includes from another type, of non-references, or to types never referenced', () => {
    assert.equal(
      problems('Observation', [['_include', 'Patient:organization']])[0]?.code,
      'invalid-search-parameter',
    );
    assert.equal(
      problems('Observation', [['_include', 'Observation:status']])[0]?.code,
      'invalid-search-parameter',
    );
    assert.equal(
      problems('Patient', [['_revinclude', 'Provenance:location']])[0]?.code,
      'invalid-search-value',
    );
    assert.equal(
      problems('Patient', [['_include:iterate', 'Patient:organization']])[0]?.code,
      'invalid-search-parameter',
    );
  });

  it('reads _summary, _total and _elements', () => {
    const parsed = query('Patient', [
      ['_summary', 'count'],
      ['_total', 'accurate'],
      ['_elements', 'identifier,name'],
    ]);
    assert.equal(parsed.summary, 'count');
    assert.equal(parsed.total, 'accurate');
    assert.deepEqual(parsed.elements, ['identifier', 'name']);
    assert.equal(problems('Patient', [['_total', 'lots']])[0]?.code, 'invalid-search-value');
  });

  it('refuses result parameters given twice', () => {
    assert.match(
      problems('Patient', [
        ['_count', '1'],
        ['_count', '2'],
      ])[0]?.diagnostics ?? '',
      /only once/,
    );
  });

  it('records a _cursor and whether other search parameters came with it', () => {
    assert.deepEqual(
      query('Patient', [
        ['_cursor', 'abc'],
        ['_format', 'json'],
      ]).cursor,
      { token: 'abc', withParams: false },
    );
    assert.deepEqual(
      query('Patient', [
        ['_cursor', 'abc'],
        ['name', 'x'],
      ]).cursor,
      { token: 'abc', withParams: true },
    );
  });
});

describe('parseSearch: strict and lenient handling', () => {
  it('in strict mode returns every problem together', () => {
    const found = problems('Patient', [
      ['foo', '1'],
      ['birthDate', '1970'],
      ['name:exakt', 'x'],
      ['gender', ''],
    ]);
    assert.deepEqual(
      found.map((problem) => problem.expression?.[0]),
      ['foo', 'birthDate', 'name:exakt', 'gender'],
    );
    assert.match(found[1]?.diagnostics ?? '', /Did you mean 'birthdate'/);
  });

  it('in lenient mode ignores unknown and unsupported parameters and reports them as warnings', () => {
    const result = parseSearch(
      'Observation',
      [
        ['foo', '1'],
        ['code-value-quantity', 'x$1'],
        ['code:below', 'x'],
        ['status', 'final'],
      ],
      lenient,
    );
    assert.ok(result.ok);
    assert.equal(result.query.filters.length, 1);
    assert.deepEqual(
      result.warnings.map((warning) => [warning.code, warning.severity, warning.expression?.[0]]),
      [
        ['invalid-search-parameter', 'warning', 'foo'],
        ['invalid-search-parameter', 'warning', 'code-value-quantity'],
        ['invalid-search-parameter', 'warning', 'code:below'],
      ],
    );
  });

  it('in lenient mode still refuses malformed values', () => {
    assert.equal(problems('Patient', [['birthdate', 'soon']], lenient)[0]?.code, 'invalid-search-value');
  });

  it('answers an unsupported resource type with a problem, and parseSearchOrThrow throws FhirError', () => {
    assert.equal(problems('Basic', [])[0]?.code, 'resource-type-not-supported');
    assert.throws(() => parseSearchOrThrow('Patient', [['birthdate', 'x']], strict), FhirError);
  });

  it('refuses values with NUL characters, which PostgreSQL cannot hold', () => {
    assert.equal(problems('Patient', [['name', 'a\u0000b']])[0]?.code, 'invalid-search-value');
  });
});

describe('canonical form', () => {
  it('does not depend on parameter order, OR order, eq, modifier spelling or string case', () => {
    const a = query('Observation', [
      ['status', 'final,amended'],
      ['subject:Patient', 'p1'],
      ['date', 'eq2024'],
      ['code', 'http://loinc.org|8867-4'],
    ]);
    const b = query('Observation', [
      ['code', 'http://loinc.org|8867-4'],
      ['date', '2024'],
      ['subject', 'Patient/p1'],
      ['status', 'amended,final'],
    ]);
    assert.equal(canonicalSearchKey(a), canonicalSearchKey(b));
    assert.deepEqual(canonicalSearchParams(a), canonicalSearchParams(b));
    assert.equal(
      canonicalSearchKey(query('Patient', [['name', 'SMITH']])),
      canonicalSearchKey(query('Patient', [['name', 'smith']])),
    );
  });

  it('keys on what matches: paging and includes do not change the key', () => {
    assert.equal(
      canonicalSearchKey(
        query('Patient', [
          ['identifier', 's|1'],
          ['_count', '5'],
          ['_include', 'Patient:organization'],
        ]),
      ),
      'Patient?identifier=s%7C1',
    );
  });

  it('keeps _sort order, which is meaningful', () => {
    assert.deepEqual(
      canonicalSearchParams(query('Patient', [['_sort', '-birthdate,name']])).find(
        ([name]) => name === '_sort',
      ),
      ['_sort', '-birthdate,name'],
    );
  });
});

const PATIENT_PARAMETERS = [
  'identifier',
  'name',
  'family:exact',
  'birthdate',
  'gender:not',
  'general-practitioner',
  'organization:identifier',
  '_id',
  '_lastUpdated',
  'telecom',
  'address-postalcode:contains',
  'email:text',
  '_sort',
  '_count',
  '_include',
  'active:missing',
  'link.name',
  'general-practitioner:Organization.name',
];
const awkwardText = fc.string({
  unit: fc.constantFrom(
    'a',
    'Z',
    '1',
    '9',
    '-',
    '.',
    '|',
    ',',
    '\\',
    '$',
    '%',
    '_',
    "'",
    '"',
    ';',
    ' ',
    'é',
    '😀',
    ':',
    '/',
    'e',
    'g',
    't',
  ),
  maxLength: 24,
});

describe('parseSearch: properties', () => {
  it('never throws on arbitrary parameter names and values, strict or lenient', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.oneof(fc.constantFrom(...PATIENT_PARAMETERS), fc.string()),
            fc.oneof(awkwardText, fc.string()),
          ),
          { maxLength: 6 },
        ),
        fc.boolean(),
        (params, isStrict) => {
          const result = parseSearch('Patient', params, isStrict ? strict : lenient);
          const reported = result.ok ? result.warnings : result.problems;
          for (const problem of reported) assert.ok(problem.expression && problem.expression.length === 1);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parses its own canonical parameters back to the same query', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...PATIENT_PARAMETERS), awkwardText), { maxLength: 5 }),
        (params) => {
          const result = parseSearch('Patient', params, strict);
          if (!result.ok) return;
          const again = parseSearchOrThrow('Patient', canonicalSearchParams(result.query), strict).query;
          assert.deepEqual(canonicalSearchParams(again), canonicalSearchParams(result.query));
          assert.equal(canonicalSearchKey(again), canonicalSearchKey(result.query));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
