import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import {
  createTestApp,
  json,
  NHS_NUMBER,
  outcomeCodes,
  outcomeExpressions,
  patient,
  type TestApp,
} from '../support/test-app.js';

interface Searchset {
  resourceType: string;
  type: string;
  total?: number;
  link: Array<{ relation: string; url: string }>;
  entry?: Array<{ fullUrl: string; resource: Record<string, unknown>; search: { mode: string } }>;
}

const path = (url: string) => url.replace(/^https?:\/\/[^/]+/, '');

for (const kind of testDatabaseKinds()) {
  describe(`FHIR search through the API on ${kind}`, () => {
    let t: TestApp;
    let practiceId: string;
    const patientIds: string[] = [];

    before(async () => {
      t = await createTestApp(kind);
      practiceId = String(
        json(
          await t.fhir('POST', '/fhir/Organization', {
            resourceType: 'Organization',
            identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'Y12345' }],
            name: 'Riverside Surgery',
          }),
        ).id,
      );
      const people: Array<[string, string, string, string]> = [
        ['9990000018', 'Okafor', 'Ada', '1950-05-01'],
        ['9990000026', 'Smith', 'Jane', '1982-11-23'],
        ['9990000034', 'Smyth', 'John', '2001-02-14'],
        ['9990000042', 'Ng', 'Li', '2015-07-30'],
        ['9990000050', 'Brown', 'Émile', '1990-01-01'],
      ];
      for (const [nhs, family, given, birthDate] of people) {
        const body = patient(nhs, {
          name: [{ family, given: [given] }],
          birthDate,
          generalPractitioner: [{ reference: `Organization/${practiceId}` }],
        });
        patientIds.push(String(json(await t.fhir('POST', '/fhir/Patient', body)).id));
      }
      await t.fhir('POST', '/fhir/Condition', {
        resourceType: 'Condition',
        subject: { reference: `Patient/${patientIds[0]}` },
        code: { coding: [{ system: 'http://snomed.info/sct', code: '195967001', display: 'Asthma' }] },
      });
    });
    after(async () => {
      await t.close();
    });

    it('finds a patient by NHS number (system|value) and only that patient', async () => {
      const bundle = json<Searchset>(
        await t.fhir('GET', `/fhir/Patient?identifier=${NHS_NUMBER}|9990000026`),
      );
      assert.equal(bundle.type, 'searchset');
      assert.deepEqual(
        bundle.entry?.map((e) => e.resource.id),
        [patientIds[1]],
      );
      assert.equal(bundle.entry?.[0]?.search.mode, 'match');
      assert.match(String(bundle.entry?.[0]?.fullUrl), new RegExp(`/fhir/Patient/${patientIds[1]}$`));
    });

    it('string search matches the start of a name, ignoring case and accents', async () => {
      const smiths = json<Searchset>(await t.fhir('GET', '/fhir/Patient?family=sm&_sort=family'));
      assert.deepEqual(
        smiths.entry?.map((e) => (e.resource.name as Array<{ family: string }>)[0]?.family),
        ['Smith', 'Smyth'],
      );
      const emile = json<Searchset>(await t.fhir('GET', '/fhir/Patient?given=emile'));
      assert.equal(emile.entry?.length, 1);
      const exact = json<Searchset>(await t.fhir('GET', '/fhir/Patient?family:exact=smith'));
      assert.equal(exact.entry, undefined, ':exact is case-sensitive');
    });

    it('date search honours prefixes', async () => {
      const born = json<Searchset>(
        await t.fhir('GET', '/fhir/Patient?birthdate=ge2001-01-01&_sort=birthdate'),
      );
      assert.deepEqual(
        born.entry?.map((e) => e.resource.birthDate),
        ['2001-02-14', '2015-07-30'],
      );
      const year = json<Searchset>(await t.fhir('GET', '/fhir/Patient?birthdate=1982'));
      assert.equal(year.entry?.length, 1);
    });

    it('reference search and one level of chaining find conditions by their patient', async () => {
      const byRef = json<Searchset>(await t.fhir('GET', `/fhir/Condition?subject=Patient/${patientIds[0]}`));
      assert.equal(byRef.entry?.length, 1);
      const chained = json<Searchset>(
        await t.fhir('GET', `/fhir/Condition?subject:Patient.identifier=${NHS_NUMBER}|9990000018`),
      );
      assert.equal(chained.entry?.length, 1);
      const none = json<Searchset>(
        await t.fhir('GET', `/fhir/Condition?subject:Patient.identifier=${NHS_NUMBER}|9990000026`),
      );
      assert.equal(none.entry, undefined);
    });

    it('_include adds the referenced practice and _revinclude the conditions, marked include', async () => {
      const bundle = json<Searchset>(
        await t.fhir(
          'GET',
          `/fhir/Patient?_id=${patientIds[0]}&_include=Patient:general-practitioner&_revinclude=Condition:subject`,
        ),
      );
      const modes = bundle.entry?.map((e) => `${String(e.resource.resourceType)}:${e.search.mode}`).sort();
      assert.deepEqual(modes, ['Condition:include', 'Organization:include', 'Patient:match']);
    });

    it('_summary=count and _total=accurate give the total without breaking the page', async () => {
      const count = json<Searchset>(await t.fhir('GET', '/fhir/Patient?_summary=count'));
      assert.equal(count.total, 5);
      assert.equal(count.entry, undefined);
      const page = json<Searchset>(await t.fhir('GET', '/fhir/Patient?_count=2&_total=accurate'));
      assert.equal(page.total, 5);
      assert.equal(page.entry?.length, 2);
    });

    it('pages through results with next links, seeing each patient once even when one is added mid-way', async () => {
      const seen: string[] = [];
      let url: string | undefined = '/fhir/Patient?_count=2&_sort=birthdate';
      let pages = 0;
      while (url) {
        const page: Searchset = json<Searchset>(await t.fhir('GET', url));
        seen.push(...(page.entry ?? []).map((e) => String(e.resource.id)));
        url = page.link.find((l) => l.relation === 'next')?.url;
        url = url ? path(url) : undefined;
        if (++pages === 1)
          await t.fhir('POST', '/fhir/Patient', patient('9990000069', { birthDate: '1900-01-01' }));
      }
      assert.equal(new Set(seen).size, seen.length, 'no patient twice');
      for (const id of patientIds) assert.ok(seen.includes(id), `patient ${id} was not skipped`);
    });

    it('a tampered paging link answers 400 invalid-cursor', async () => {
      const page = json<Searchset>(await t.fhir('GET', '/fhir/Patient?_count=1'));
      const next = path(page.link.find((l) => l.relation === 'next')?.url ?? '');
      const tampered = next.replace(
        /_cursor=([^&]+)/,
        (_m, token: string) => `_cursor=${token.slice(0, -2)}xx`,
      );
      const response = await t.fhir('GET', tampered);
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeCodes(response), ['invalid-cursor']);
    });

    it('an unknown search parameter is refused by default, naming it', async () => {
      const response = await t.fhir('GET', '/fhir/Patient?familyname=Smith');
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeCodes(response), ['invalid-search-parameter']);
      assert.deepEqual(outcomeExpressions(response), ['familyname']);
    });

    it('with Prefer: handling=lenient an unknown parameter is ignored and reported in an outcome entry', async () => {
      const response = await t.fhir('GET', '/fhir/Patient?familyname=Okafor&family=Okafor', undefined, {
        prefer: 'handling=lenient',
      });
      assert.equal(response.statusCode, 200);
      const bundle = json<Searchset>(response);
      const outcome = bundle.entry?.find((e) => e.search.mode === 'outcome');
      assert.ok(outcome, 'the ignored parameter is reported');
      assert.match(JSON.stringify(outcome.resource), /familyname/);
      assert.equal(bundle.entry?.filter((e) => e.search.mode === 'match').length, 1);
    });

    it('POST _search with a form body finds the same as GET', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/fhir/Patient/_search',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: 'Bearer test:integration',
        },
        payload: `identifier=${encodeURIComponent(`${NHS_NUMBER}|9990000042`)}`,
      });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(
        json<Searchset>(response).entry?.map((e) => e.resource.id),
        [patientIds[3]],
      );
    });

    it('_elements returns only the chosen elements, tagged SUBSETTED; _summary=data drops the narrative', async () => {
      const bundle = json<Searchset>(
        await t.fhir('GET', `/fhir/Patient?_id=${patientIds[0]}&_elements=birthDate`),
      );
      const match = bundle.entry?.[0]?.resource as { meta: { tag: Array<{ code: string }> } } & Record<
        string,
        unknown
      >;
      assert.deepEqual(Object.keys(match).sort(), ['birthDate', 'id', 'meta', 'resourceType']);
      assert.deepEqual(
        match.meta.tag.map((tag) => tag.code),
        ['SUBSETTED'],
      );
      const withText = String(
        json(
          await t.fhir(
            'POST',
            '/fhir/Patient',
            patient('9990000085', {
              text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Ada</div>' },
            }),
          ),
        ).id,
      );
      const data = json<Searchset>(await t.fhir('GET', `/fhir/Patient?_id=${withText}&_summary=data`));
      assert.equal(data.entry?.[0]?.resource.text, undefined);
      assert.ok(data.entry?.[0]?.resource.identifier);
    });

    it('_summary=true is refused when strict and reported as ignored when lenient', async () => {
      const strict = await t.fhir('GET', '/fhir/Patient?_summary=true');
      assert.equal(strict.statusCode, 400);
      assert.deepEqual(outcomeExpressions(strict), ['_summary']);
      const lenient = json<Searchset>(
        await t.fhir('GET', '/fhir/Patient?_summary=true&_count=1', undefined, {
          prefer: 'handling=lenient',
        }),
      );
      assert.ok(lenient.entry?.some((e) => e.search.mode === 'outcome'));
    });

    it('deleted resources are never found', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient('9990000077'))).id);
      await t.fhir('DELETE', `/fhir/Patient/${id}`);
      const bundle = json<Searchset>(await t.fhir('GET', `/fhir/Patient?identifier=9990000077`));
      assert.equal(bundle.entry, undefined);
    });

    it('values that look like SQL are just values', async () => {
      const response = await t.fhir('GET', `/fhir/Patient?family=${encodeURIComponent("x' or 1=1 --")}`);
      assert.equal(response.statusCode, 200);
      assert.equal(json<Searchset>(response).entry, undefined);
    });

    it('a malformed date value is a 400 naming the parameter', async () => {
      const response = await t.fhir('GET', '/fhir/Patient?birthdate=gt2001-13-45');
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeExpressions(response), ['birthdate']);
    });
  });
}
