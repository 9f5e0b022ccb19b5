import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { createTestApp, json, outcomeCodes, patient, type TestApp } from '../support/test-app.js';

interface HistoryBundle {
  type: string;
  link: Array<{ relation: string; url: string }>;
  entry?: Array<{
    request: { method: string };
    response: { etag: string };
    resource?: { meta: { versionId: string } };
  }>;
}

for (const kind of testDatabaseKinds()) {
  describe(`JSON Patch and history on ${kind}`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(kind);
    });
    after(async () => {
      await t.close();
    });

    it('a JSON Patch changes the resource and makes a new version', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      const response = await t.fhir('PATCH', `/fhir/Patient/${id}`, [
        { op: 'replace', path: '/gender', value: 'male' },
        { op: 'add', path: '/active', value: true },
      ]);
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers.etag, 'W/"2"');
      const body = json(response);
      assert.deepEqual([body.gender, body.active], ['male', true]);
    });

    it('a patch that would make the resource invalid is refused and nothing changes', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      const response = await t.fhir('PATCH', `/fhir/Patient/${id}`, [
        { op: 'replace', path: '/gender', value: 'banana' },
      ]);
      assert.equal(response.statusCode, 400);
      assert.equal(json(await t.fhir('GET', `/fhir/Patient/${id}`)).gender, 'female');
    });

    it('a patch with a failing test operation or a missing path answers 422 invalid-patch', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      const failedTest = await t.fhir('PATCH', `/fhir/Patient/${id}`, [
        { op: 'test', path: '/gender', value: 'male' },
      ]);
      assert.equal(failedTest.statusCode, 422);
      assert.deepEqual(outcomeCodes(failedTest), ['invalid-patch']);
      const missing = await t.fhir('PATCH', `/fhir/Patient/${id}`, [{ op: 'remove', path: '/nothing/here' }]);
      assert.equal(missing.statusCode, 422);
      const notArray = await t.fhir('PATCH', `/fhir/Patient/${id}`, { op: 'remove' });
      assert.equal(notArray.statusCode, 422);
    });

    it('a patch with a stale If-Match answers 412', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      const response = await t.fhir(
        'PATCH',
        `/fhir/Patient/${id}`,
        [{ op: 'add', path: '/active', value: true }],
        {
          'if-match': 'W/"3"',
        },
      );
      assert.equal(response.statusCode, 412);
    });

    it('instance history lists every version newest first, with the deletion', async () => {
      const id = String(json(await t.fhir('POST', '/fhir/Patient', patient())).id);
      await t.fhir('PUT', `/fhir/Patient/${id}`, { ...patient(), id, active: false });
      await t.fhir('DELETE', `/fhir/Patient/${id}`);
      const history = json<HistoryBundle>(await t.fhir('GET', `/fhir/Patient/${id}/_history`));
      assert.equal(history.type, 'history');
      assert.deepEqual(
        history.entry?.map((e) => e.request.method),
        ['DELETE', 'PUT', 'POST'],
      );
      assert.equal(history.entry?.[0]?.resource, undefined);
      assert.equal(history.entry?.[2]?.resource?.meta.versionId, '1');
    });

    it('type history pages with signed cursors and never repeats or skips an entry', async () => {
      for (let i = 0; i < 7; i++)
        await t.fhir('POST', '/fhir/Flag', {
          resourceType: 'Flag',
          status: 'active',
          code: { text: `flag ${i}` },
          subject: { display: 'x' },
        });
      const seen: string[] = [];
      let url: string | undefined = '/fhir/Flag/_history?_count=3';
      let pages = 0;
      while (url) {
        const page: HistoryBundle = json<HistoryBundle>(await t.fhir('GET', url));
        for (const entry of page.entry ?? []) seen.push(entry.response.etag + JSON.stringify(entry.resource));
        const next: string | undefined = page.link.find((l) => l.relation === 'next')?.url;
        url = next ? next.replace(/^https?:\/\/[^/]+/, '') : undefined;
        pages++;
        if (pages === 1)
          await t.fhir('POST', '/fhir/Flag', {
            resourceType: 'Flag',
            status: 'active',
            code: { text: 'late' },
            subject: { display: 'x' },
          });
      }
      assert.equal(pages, 3);
      assert.equal(seen.length, 7);
      assert.equal(new Set(seen).size, 7);
    });

    it('a tampered history cursor answers 400 invalid-cursor', async () => {
      const page = json<HistoryBundle>(await t.fhir('GET', '/fhir/Flag/_history?_count=1'));
      const next = page.link.find((l) => l.relation === 'next')?.url ?? '';
      const tampered = next.replace(/_cursor=(.)/, (_m, c: string) => `_cursor=${c === 'A' ? 'B' : 'A'}`);
      const response = await t.fhir('GET', tampered.replace(/^https?:\/\/[^/]+/, ''));
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeCodes(response), ['invalid-cursor']);
    });

    it('history refuses parameters it does not support rather than ignoring them', async () => {
      const response = await t.fhir('GET', '/fhir/Patient/_history?_at=2026');
      assert.equal(response.statusCode, 400);
      assert.deepEqual(outcomeCodes(response), ['invalid-search-parameter']);
    });
  });
}
