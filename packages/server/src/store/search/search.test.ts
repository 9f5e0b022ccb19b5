import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  FhirError,
  parseSearch,
  parseSearchOrThrow,
  type FhirResource,
  type SearchOptions,
  type SearchQuery,
} from '@carebridge/domain';
import fc from 'fast-check';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../../test/support/databases.js';
import { insertTestResource, updateTestResource } from '../../../test/support/search-fixtures.js';
import { PagingTokens } from '../../fhir/paging.js';
import { createSearchCursor, resolveSearchCursor } from '../../fhir/search-cursor.js';
import { findMatchingIds, searchResources, type SearchResourcesOptions } from './search.js';

const OPTIONS: SearchOptions = { strict: true, defaultCount: 50, maxCount: 100 };
const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const INJECTION = "Robert'); DROP TABLE resource;--";

const fixtures: Array<[FhirResource, { deleted?: boolean }?]> = [
  [
    {
      resourceType: 'Organization',
      id: 'org-leeds',
      name: 'Leeds Teaching Hospitals',
      identifier: [{ system: ODS, value: 'RR8' }],
    },
  ],
  [{ resourceType: 'Practitioner', id: 'pr-1', name: [{ family: 'Who', given: ['Dr'] }] }],
  [{ resourceType: 'Organization', id: 'org-gone', name: 'Closed Practice' }, { deleted: true }],
  [
    {
      resourceType: 'Patient',
      id: 'p-smith',
      meta: { tag: [{ system: 'https://carebridge.dev/tag', code: 'pilot' }] },
      identifier: [{ system: NHS, value: '9000000009' }, { value: 'L1' }],
      active: true,
      name: [{ family: 'Smith', given: ['Zoë'] }],
      gender: 'female',
      birthDate: '1970-03-15',
      address: [{ city: 'Leeds', postalCode: 'LS1 1AA' }],
      telecom: [{ system: 'email', value: 'zoe@example.org' }],
      generalPractitioner: [{ reference: 'Organization/org-leeds' }, { reference: 'Organization/org-gone' }],
      managingOrganization: { identifier: { system: ODS, value: 'X26' } },
    },
  ],
  [
    {
      resourceType: 'Patient',
      id: 'p-jones',
      identifier: [{ system: NHS, value: '9000000017' }],
      active: false,
      name: [{ family: 'Jones', given: ['Bob'] }],
      gender: 'male',
      birthDate: '1985',
      address: [{ city: 'York' }],
      generalPractitioner: [{ reference: 'https://fhir.example.nhs.uk/Practitioner/pr-1' }],
    },
  ],
  [
    {
      resourceType: 'Patient',
      id: 'p-smyth',
      name: [{ family: 'Smyth', given: ['Anna'] }],
      gender: 'female',
      birthDate: '1970-03-15',
    },
  ],
  [{ resourceType: 'Patient', id: 'p-injection', name: [{ family: INJECTION }], gender: 'unknown' }],
  [
    {
      resourceType: 'Patient',
      id: 'p-deleted',
      identifier: [{ system: NHS, value: '9000000025' }],
      name: [{ family: 'Smith' }],
    },
    { deleted: true },
  ],
  [
    observation('obs-hr-1', 'p-smith', 'final', '8867-4', {
      effectiveDateTime: '2024-03-01T10:00:00Z',
      valueQuantity: quantity(72, '/min'),
      performer: [{ reference: 'Practitioner/pr-1' }],
    }),
  ],
  [
    observation('obs-hr-2', 'p-jones', 'final', '8867-4', {
      effectiveDateTime: '2024-03-02',
      valueQuantity: quantity(95, '/min'),
    }),
  ],
  [
    observation('obs-bp', 'p-smith', 'amended', '85354-9', {
      effectivePeriod: { start: '2024-02-01', end: '2024-02-29' },
      component: [
        { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: quantity(120, 'mm[Hg]') },
      ],
    }),
  ],
  [
    observation('obs-cancelled', 'p-smith', 'cancelled', '8867-4', {
      valueQuantity: { value: 5.4, unit: 'mg' },
    }),
  ],
  [
    {
      ...observation('obs-group', 'p-smith', 'preliminary', '8867-4', {}),
      subject: { reference: 'Group/g1' },
    },
  ],
  [observation('obs-of-deleted-patient', 'p-deleted', 'final', '8867-4', {})],
  [observation('obs-deleted', 'p-smith', 'final', '8867-4', {}), { deleted: true }],
  [
    {
      resourceType: 'Provenance',
      id: 'prov-1',
      target: [{ reference: 'Patient/p-smith' }],
      recorded: '2024-03-01T11:00:00Z',
      agent: [{ who: { reference: 'Practitioner/pr-1' } }],
    },
  ],
  [
    {
      resourceType: 'Questionnaire',
      id: 'q-phq9',
      status: 'active',
      url: 'https://example.org/fhir/Questionnaire/phq9',
    },
  ],
  [
    {
      resourceType: 'Questionnaire',
      id: 'q-gad7',
      status: 'active',
      url: 'https://example.org/fhir/Questionnaire/gad7',
    },
  ],
];

function observation(
  id: string,
  patient: string,
  status: string,
  code: string,
  rest: Record<string, unknown>,
): FhirResource {
  return {
    resourceType: 'Observation',
    id,
    status,
    code: {
      coding: [{ system: LOINC, code, display: code === '8867-4' ? 'Heart rate' : 'Blood pressure panel' }],
    },
    subject: { reference: `Patient/${patient}` },
    ...rest,
  };
}

function quantity(value: number, code: string): Record<string, unknown> {
  return { value, unit: code, system: UCUM, code };
}

const FIRST_WRITE = Date.parse('2024-06-01T00:00:00Z');

for (const kind of testDatabaseKinds()) {
  describe(`search on ${kind}`, () => {
    let database: TestDatabase;
    const searchWith = async (
      type: string,
      params: Array<[string, string]>,
      options: SearchResourcesOptions = {},
    ) => searchResources(database.db, parseSearchOrThrow(type, params, OPTIONS).query, options);
    const ids = async (type: string, params: Array<[string, string]>): Promise<string[]> =>
      (await searchWith(type, params)).matches.map((row) => row.id);
    const sortedIds = async (type: string, params: Array<[string, string]>): Promise<string[]> =>
      (await ids(type, params)).sort();

    before(async () => {
      database = await createTestDatabase(kind);
      for (const [index, [resource, options]] of fixtures.entries()) {
        await insertTestResource(database.db, resource, {
          lastUpdated: new Date(FIRST_WRITE + index * 60_000),
          ...options,
        });
      }
    });
    after(async () => {
      await database?.drop();
    });

    describe('token', () => {
      it('matches an identifier by system|value, by value in any system, and by value without a system', async () => {
        assert.deepEqual(await ids('Patient', [['identifier', `${NHS}|9000000009`]]), ['p-smith']);
        assert.deepEqual(await ids('Patient', [['identifier', '9000000017']]), ['p-jones']);
        assert.deepEqual(await ids('Patient', [['identifier', '|L1']]), ['p-smith']);
        assert.deepEqual(await ids('Patient', [['identifier', `${NHS}|L1`]]), []);
        assert.deepEqual(await sortedIds('Patient', [['identifier', `${NHS}|`]]), ['p-jones', 'p-smith']);
      });

      it('matches codes case-sensitively', async () => {
        assert.deepEqual(
          await ids('Patient', [
            ['gender', 'female'],
            ['name', 'smith'],
          ]),
          ['p-smith'],
        );
        assert.deepEqual(await ids('Patient', [['gender', 'Female']]), []);
      });

      it('matches booleans', async () => {
        assert.deepEqual(await ids('Patient', [['active', 'false']]), ['p-jones']);
      });

      it(':not matches resources without the value, including those with none', async () => {
        assert.deepEqual(await sortedIds('Observation', [['status:not', 'final']]), [
          'obs-bp',
          'obs-cancelled',
          'obs-group',
        ]);
        assert.deepEqual(await sortedIds('Patient', [['active:not', 'true']]), [
          'p-injection',
          'p-jones',
          'p-smyth',
        ]);
      });

      it(':text matches the start of a word of the display', async () => {
        assert.deepEqual(
          await sortedIds('Observation', [
            ['code:text', 'rate'],
            ['subject', 'p-jones'],
          ]),
          ['obs-hr-2'],
        );
        assert.deepEqual(await ids('Observation', [['code:text', 'ate']]), []);
      });

      it(':missing tells resources with and without a value apart', async () => {
        assert.deepEqual(await sortedIds('Patient', [['identifier:missing', 'true']]), [
          'p-injection',
          'p-smyth',
        ]);
        assert.deepEqual(await sortedIds('Patient', [['identifier:missing', 'false']]), [
          'p-jones',
          'p-smith',
        ]);
      });

      it('matches the common _tag parameter', async () => {
        assert.deepEqual(await ids('Patient', [['_tag', 'https://carebridge.dev/tag|pilot']]), ['p-smith']);
      });
    });

    describe('string', () => {
      it('matches the start of any name part, ignoring case and accents', async () => {
        assert.deepEqual(await ids('Patient', [['name', 'smi']]), ['p-smith']);
        assert.deepEqual(await ids('Patient', [['given', 'ZOE']]), ['p-smith']);
        assert.deepEqual(await ids('Patient', [['name', 'mith']]), []);
      });

      it(':exact compares the value as written and :contains finds any substring', async () => {
        assert.deepEqual(await ids('Patient', [['given:exact', 'Zoë']]), ['p-smith']);
        assert.deepEqual(await ids('Patient', [['given:exact', 'zoë']]), []);
        assert.deepEqual(await ids('Patient', [['family:contains', 'MIT']]), ['p-smith']);
      });

      it('matches address parts', async () => {
        assert.deepEqual(await ids('Patient', [['address-city', 'leeds']]), ['p-smith']);
        assert.deepEqual(await ids('Patient', [['address', 'ls1']]), ['p-smith']);
      });
    });

    describe('reference', () => {
      it('matches Type/id, a bare id and the :Type modifier', async () => {
        const smithObservations = ['obs-bp', 'obs-cancelled', 'obs-hr-1'];
        assert.deepEqual(await sortedIds('Observation', [['subject', 'Patient/p-smith']]), smithObservations);
        assert.deepEqual(await sortedIds('Observation', [['subject', 'p-smith']]), smithObservations);
        assert.deepEqual(await sortedIds('Observation', [['subject:Patient', 'p-smith']]), smithObservations);
        assert.deepEqual(await sortedIds('Observation', [['patient', 'p-smith']]), smithObservations);
      });

      it('keeps subjects of other types out of the patient parameter', async () => {
        assert.deepEqual(await ids('Observation', [['subject', 'Group/g1']]), ['obs-group']);
        assert.deepEqual(await ids('Observation', [['patient', 'g1']]), []);
      });

      it('matches references written as absolute URLs by type and id, and by the URL itself', async () => {
        assert.deepEqual(await ids('Patient', [['general-practitioner', 'Practitioner/pr-1']]), ['p-jones']);
        assert.deepEqual(
          await ids('Patient', [['general-practitioner', 'https://fhir.example.nhs.uk/Practitioner/pr-1']]),
          ['p-jones'],
        );
      });

      it(':identifier matches logical references by system|value, value or system|', async () => {
        assert.deepEqual(await ids('Patient', [['organization:identifier', `${ODS}|X26`]]), ['p-smith']);
        assert.deepEqual(await ids('Patient', [['organization:identifier', 'X26']]), ['p-smith']);
        assert.deepEqual(await ids('Patient', [['organization:identifier', `${ODS}|`]]), ['p-smith']);
        assert.deepEqual(await ids('Patient', [['organization:identifier', `${NHS}|X26`]]), []);
      });
    });

    describe('date', () => {
      it('eq matches values within the precision of the search value', async () => {
        assert.deepEqual(await sortedIds('Patient', [['birthdate', '1970']]), ['p-smith', 'p-smyth']);
        assert.deepEqual(await sortedIds('Patient', [['birthdate', '1970-03-15']]), ['p-smith', 'p-smyth']);
        assert.deepEqual(await ids('Patient', [['birthdate', '1985-06']]), []);
        assert.deepEqual(await ids('Observation', [['date', '2024-02']]), ['obs-bp']);
        assert.deepEqual(await ids('Observation', [['date', '2024-02-15']]), []);
      });

      it('gt, lt, ge, le compare ranges', async () => {
        assert.deepEqual(await ids('Patient', [['birthdate', 'gt1980']]), ['p-jones']);
        assert.deepEqual(await sortedIds('Patient', [['birthdate', 'lt1985']]), ['p-smith', 'p-smyth']);
        assert.deepEqual(await sortedIds('Patient', [['birthdate', 'ge1985']]), ['p-jones']);
        assert.deepEqual(await sortedIds('Patient', [['birthdate', 'le1970-03-15']]), ['p-smith', 'p-smyth']);
        assert.deepEqual(await sortedIds('Observation', [['date', 'ge2024-02-15']]), [
          'obs-bp',
          'obs-hr-1',
          'obs-hr-2',
        ]);
      });

      it('sa and eb require the whole range after or before; ne excludes equal values', async () => {
        assert.deepEqual(await sortedIds('Observation', [['date', 'sa2024-02-15']]), [
          'obs-hr-1',
          'obs-hr-2',
        ]);
        assert.deepEqual(await sortedIds('Observation', [['date', 'eb2024-03-01']]), ['obs-bp']);
        assert.deepEqual(await sortedIds('Patient', [['birthdate', 'ne1970']]), ['p-jones']);
      });

      it('ap matches values near the search value', async () => {
        const now = new Date('2024-03-10T00:00:00Z');
        // 8 days from "now", so ±0.8 days: 2024-03-01T04:48Z … 2024-03-03T19:12Z.
        const near = await searchWith('Observation', [['date', 'ap2024-03-02']], { now });
        assert.deepEqual(near.matches.map((row) => row.id).sort(), ['obs-hr-1', 'obs-hr-2']);
      });

      it('_lastUpdated compares the time of the last write', async () => {
        const fourth = new Date(FIRST_WRITE + 3 * 60_000).toISOString();
        assert.deepEqual(await ids('Patient', [['_lastUpdated', `le${fourth}`]]), ['p-smith']);
        assert.deepEqual(await ids('Organization', [['_lastUpdated', 'lt2024-06-01']]), []);
      });
    });

    describe('quantity and uri', () => {
      it('matches a value within its precision, with or without units', async () => {
        assert.deepEqual(await ids('Observation', [['value-quantity', '72']]), ['obs-hr-1']);
        assert.deepEqual(await ids('Observation', [['value-quantity', `72|${UCUM}|/min`]]), ['obs-hr-1']);
        assert.deepEqual(await ids('Observation', [['value-quantity', `72|${UCUM}|mg`]]), []);
        assert.deepEqual(await ids('Observation', [['value-quantity', '5.4||mg']]), ['obs-cancelled']);
      });

      it('compares with prefixes', async () => {
        assert.deepEqual(await ids('Observation', [['value-quantity', 'gt80']]), ['obs-hr-2']);
        assert.deepEqual(await sortedIds('Observation', [['value-quantity', 'le72']]), [
          'obs-cancelled',
          'obs-hr-1',
        ]);
        assert.deepEqual(await ids('Observation', [['value-quantity', 'ap70||/min']]), ['obs-hr-1']);
        assert.deepEqual(await ids('Observation', [['component-value-quantity', '120']]), ['obs-bp']);
      });

      it('matches uris exactly, below a prefix and above (as a prefix of the search)', async () => {
        assert.deepEqual(
          await ids('Questionnaire', [['url', 'https://example.org/fhir/Questionnaire/phq9']]),
          ['q-phq9'],
        );
        assert.deepEqual(await sortedIds('Questionnaire', [['url:below', 'https://example.org/fhir/']]), [
          'q-gad7',
          'q-phq9',
        ]);
        assert.deepEqual(
          await ids('Questionnaire', [['url:above', 'https://example.org/fhir/Questionnaire/phq9/extra']]),
          ['q-phq9'],
        );
      });
    });

    describe('combinations and chains', () => {
      it('ORs comma-separated values and ANDs repeated parameters', async () => {
        assert.deepEqual(await sortedIds('Observation', [['status', 'amended,cancelled']]), [
          'obs-bp',
          'obs-cancelled',
        ]);
        assert.deepEqual(
          await sortedIds('Patient', [
            ['birthdate', 'ge1970'],
            ['birthdate', 'lt1971'],
            ['name', 'smyth,jones'],
          ]),
          ['p-smyth'],
        );
      });

      it('chains through a reference to the target’s index', async () => {
        assert.deepEqual(
          await sortedIds('Observation', [['subject:Patient.identifier', `${NHS}|9000000009`]]),
          ['obs-bp', 'obs-cancelled', 'obs-hr-1'],
        );
        assert.deepEqual(await ids('Observation', [['subject.name', 'jones']]), ['obs-hr-2']);
        assert.deepEqual(await ids('Observation', [['performer:Practitioner.family', 'who']]), ['obs-hr-1']);
        assert.deepEqual(await ids('Observation', [['subject._id', 'p-jones']]), ['obs-hr-2']);
      });

      it('does not chain to deleted targets', async () => {
        assert.deepEqual(await ids('Observation', [['subject:Patient.identifier', `${NHS}|9000000025`]]), []);
      });
    });

    describe('deleted resources', () => {
      it('never match, with or without filters', async () => {
        assert.deepEqual(await ids('Patient', [['identifier', `${NHS}|9000000025`]]), []);
        assert.ok(!(await ids('Patient', [])).includes('p-deleted'));
        assert.ok(!(await ids('Observation', [['_id', 'obs-deleted']])).includes('obs-deleted'));
      });
    });

    describe('sorting', () => {
      it('sorts by a parameter ascending and descending, missing values last, ties by insertion', async () => {
        assert.deepEqual(await ids('Patient', [['_sort', 'birthdate']]), [
          'p-smith',
          'p-smyth',
          'p-jones',
          'p-injection',
        ]);
        assert.deepEqual(await ids('Patient', [['_sort', '-birthdate']]), [
          'p-jones',
          'p-smith',
          'p-smyth',
          'p-injection',
        ]);
      });

      it('sorts by several keys, strings on their normalised value', async () => {
        assert.deepEqual(await ids('Patient', [['_sort', 'gender,-family']]), [
          'p-smyth',
          'p-smith',
          'p-jones',
          'p-injection',
        ]);
      });

      it('sorts by _lastUpdated and _id', async () => {
        assert.deepEqual(await ids('Patient', [['_sort', '-_lastUpdated']]), [
          'p-injection',
          'p-smyth',
          'p-jones',
          'p-smith',
        ]);
        assert.deepEqual(await ids('Patient', [['_sort', '_id']]), [
          'p-injection',
          'p-jones',
          'p-smith',
          'p-smyth',
        ]);
      });

      it('sorts by a quantity and a reference', async () => {
        assert.deepEqual(
          await ids('Observation', [
            ['_sort', '-value-quantity'],
            ['code', '8867-4'],
          ]),
          ['obs-hr-2', 'obs-hr-1', 'obs-cancelled', 'obs-group', 'obs-of-deleted-patient'],
        );
        assert.deepEqual((await ids('Observation', [['_sort', 'subject']]))[0], 'obs-group');
      });
    });

    describe('_include and _revinclude', () => {
      it('includes the resources the page references through the named parameter, never deleted ones', async () => {
        const result = await searchWith('Patient', [
          ['_id', 'p-smith'],
          ['_include', 'Patient:general-practitioner'],
        ]);
        assert.deepEqual(
          result.matches.map((row) => row.id),
          ['p-smith'],
        );
        assert.deepEqual(
          result.included.map((row) => row.id),
          ['org-leeds'],
        );
      });

      it('includes through every reference parameter with *, and by target type', async () => {
        const all = await searchWith('Observation', [
          ['_id', 'obs-hr-1'],
          ['_include', 'Observation:*'],
        ]);
        assert.deepEqual(all.included.map((row) => row.id).sort(), ['p-smith', 'pr-1']);
        const typed = await searchWith('Observation', [
          ['_id', 'obs-hr-1'],
          ['_include', 'Observation:performer:Practitioner'],
        ]);
        assert.deepEqual(
          typed.included.map((row) => row.id),
          ['pr-1'],
        );
      });

      it('revincludes the resources that reference the page, and never repeats a match as included', async () => {
        const result = await searchWith('Patient', [
          ['_id', 'p-smith'],
          ['_revinclude', 'Provenance:target'],
          ['_revinclude', 'Observation:subject'],
        ]);
        assert.deepEqual(result.included.map((row) => row.id).sort(), [
          'obs-bp',
          'obs-cancelled',
          'obs-hr-1',
          'prov-1',
        ]);
        const self = await searchWith('Patient', [
          ['_id', 'p-smith,org-leeds'],
          ['_include', 'Patient:general-practitioner'],
        ]);
        assert.deepEqual(
          self.included.map((row) => row.id),
          ['org-leeds'],
        );
      });

      it('stops at the include limit and says it did', async () => {
        const result = await searchWith(
          'Patient',
          [
            ['_id', 'p-smith'],
            ['_revinclude', 'Observation:subject'],
          ],
          { includeLimit: 2 },
        );
        assert.equal(result.included.length, 2);
        assert.equal(result.includedTruncated, true);
      });
    });

    describe('totals and counts', () => {
      it('_summary=count returns only the total', async () => {
        const result = await searchWith('Observation', [
          ['code', '8867-4'],
          ['_summary', 'count'],
        ]);
        assert.deepEqual(result, { matches: [], included: [], total: 5 });
      });

      it('_total=accurate counts every match, not just the page', async () => {
        const result = await searchWith('Patient', [
          ['_count', '1'],
          ['_total', 'accurate'],
        ]);
        assert.equal(result.matches.length, 1);
        assert.equal(result.total, 4);
        assert.ok(result.next);
      });

      it('_count=0 returns no matches', async () => {
        assert.deepEqual(await searchWith('Patient', [['_count', '0']]), { matches: [], included: [] });
      });

      it('findMatchingIds returns at most the limit, for conditional interactions', async () => {
        const query = parseSearchOrThrow('Observation', [['subject', 'Patient/p-smith']], OPTIONS).query;
        assert.equal((await findMatchingIds(database.db, query, 2)).length, 2);
        const single = parseSearchOrThrow('Patient', [['identifier', `${NHS}|9000000009`]], OPTIONS).query;
        assert.deepEqual(await findMatchingIds(database.db, single, 2), ['p-smith']);
        const deleted = parseSearchOrThrow('Patient', [['identifier', `${NHS}|9000000025`]], OPTIONS).query;
        assert.deepEqual(await findMatchingIds(database.db, deleted, 2), []);
      });
    });

    describe('hostile input', () => {
      it('treats SQL and LIKE metacharacters as plain text', async () => {
        assert.deepEqual(await ids('Patient', [['family:exact', INJECTION]]), ['p-injection']);
        assert.deepEqual(await ids('Patient', [['name', "robert')"]]), ['p-injection']);
        assert.deepEqual(await ids('Patient', [['name', '%']]), []);
        assert.deepEqual(await ids('Patient', [['name:contains', '_']]), []);
        assert.deepEqual(await ids('Patient', [['identifier', "' or '1'='1"]]), []);
        assert.equal((await ids('Patient', [])).length, 4, 'the resource table is intact');
      });

      it('never produces an SQL error for any search the parser accepts', async () => {
        const names = [
          'identifier',
          'name',
          'family:exact',
          'name:contains',
          'birthdate',
          '_lastUpdated',
          'gender:not',
          'organization:identifier',
          'general-practitioner',
          '_id',
          'active:missing',
          'general-practitioner:Organization.name',
          'link.identifier',
          'email:text',
          '_sort',
          '_count',
          '_include',
          '_revinclude',
        ];
        const text = fc.string({
          unit: fc.constantFrom(
            'a',
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
            ':',
            '/',
            'e',
            'g',
            'T',
            'Z',
            '+',
            '\u0000',
            '😀',
          ),
          maxLength: 20,
        });
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(fc.constantFrom(...names), text), { minLength: 1, maxLength: 4 }),
            async (params) => {
              const parsed = parseSearch('Patient', params, OPTIONS);
              if (!parsed.ok) return;
              await searchResources(database.db, parsed.query);
            },
          ),
          { numRuns: 150 },
        );
      });
    });

    describe('keyset paging', () => {
      const TOKENS = new PagingTokens(Buffer.from('test-secret'));
      const taskOptions = { ...OPTIONS };

      async function seedTasks(prefix: string, count: number): Promise<void> {
        for (let index = 0; index < count; index += 1) {
          // Several tasks share each authored-on date, so the rid tie-breaker matters; one in five has none.
          const authoredOn =
            index % 5 === 4 ? undefined : `2024-01-${String(1 + (index % 4)).padStart(2, '0')}`;
          await insertTestResource(database.db, {
            resourceType: 'Task',
            id: `${prefix}-${index}`,
            status: 'requested',
            intent: 'order',
            businessStatus: { text: prefix },
            ...(authoredOn ? { authoredOn } : {}),
          });
        }
      }

      /** Pages through with tokens alone (as a client following `next` links), running `between` before pages 2 and 3. */
      async function pageThrough(
        first: SearchQuery,
        between: (page: number) => Promise<void>,
      ): Promise<string[][]> {
        const pages: string[][] = [];
        let query = first;
        let result = await searchResources(database.db, query);
        pages.push(result.matches.map((row) => row.id));
        while (result.next) {
          await between(pages.length + 1);
          const token = createSearchCursor(query, result.next, TOKENS);
          const request = parseSearchOrThrow('Task', [['_cursor', token]], taskOptions).query;
          const resolved = resolveSearchCursor(request, TOKENS, { searchOptions: taskOptions });
          assert.ok(resolved);
          query = resolved.query;
          result = await searchResources(database.db, query, { cursor: resolved.position });
          pages.push(result.matches.map((row) => row.id));
        }
        return pages;
      }

      for (const [label, sort] of [
        ['in insertion order', []],
        ['sorted by date with ties and missing values', [['_sort', '-authored-on']]],
        ['sorted by _lastUpdated', [['_sort', '_lastUpdated']]],
      ] as Array<[string, Array<[string, string]>]>) {
        it(`pages through 3 pages ${label} with writes between pages: no duplicates, no skips`, async () => {
          const prefix = `t${label.length}${sort.length}`;
          await seedTasks(prefix, 25);
          const first = parseSearchOrThrow(
            'Task',
            [['business-status:text', prefix], ['_count', '10'], ...sort],
            taskOptions,
          ).query;
          const pages = await pageThrough(first, async (page) => {
            // A new task before page 2 and an update (same rid, same sort values) before page 3.
            if (page === 2)
              await insertTestResource(database.db, {
                resourceType: 'Task',
                id: `${prefix}-new`,
                status: 'requested',
                intent: 'order',
                businessStatus: { text: prefix },
                authoredOn: '2024-01-02',
              });
            if (page === 3)
              await updateTestResource(
                database.db,
                {
                  resourceType: 'Task',
                  id: `${prefix}-0`,
                  status: 'accepted',
                  intent: 'order',
                  businessStatus: { text: prefix },
                  authoredOn: '2024-01-01',
                },
                { lastUpdated: new Date(0) },
              );
          });
          assert.ok(pages.length >= 3, `expected at least 3 pages, got ${pages.length}`);
          const seen = pages.flat();
          const unique = new Set(seen);
          assert.equal(unique.size, seen.length, `duplicates across pages: ${seen.join(' ')}`);
          for (let index = 0; index < 25; index += 1) {
            // An update that moves a resource backwards in _lastUpdated order may leave the already-read range.
            if (label.includes('_lastUpdated') && index === 0) continue;
            assert.ok(unique.has(`${prefix}-${index}`), `${prefix}-${index} was skipped`);
          }
        });
      }

      it('refuses a tampered cursor and a cursor from another search', async () => {
        const query = parseSearchOrThrow('Patient', [['_count', '1']], OPTIONS).query;
        const result = await searchResources(database.db, query);
        assert.ok(result.next);
        const token = createSearchCursor(query, result.next, TOKENS);
        const tampered = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
        const refuses = (params: Array<[string, string]>, type = 'Patient') => {
          const request = parseSearchOrThrow(type, params, OPTIONS).query;
          assert.throws(
            () => resolveSearchCursor(request, TOKENS, { searchOptions: OPTIONS }),
            (error: unknown) => error instanceof FhirError && error.problems[0]?.code === 'invalid-cursor',
          );
        };
        refuses([['_cursor', tampered]]);
        refuses([
          ['_cursor', token],
          ['name', 'smith'],
        ]);
        refuses([['_cursor', token]], 'Observation');
        const withSameParams = parseSearchOrThrow(
          'Patient',
          [
            ['_count', '1'],
            ['_cursor', token],
          ],
          OPTIONS,
        ).query;
        assert.ok(resolveSearchCursor(withSameParams, TOKENS, { searchOptions: OPTIONS }));
      });
    });
  });
}
