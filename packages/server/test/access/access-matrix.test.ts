import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../src/access/principal.js';
import { testDatabaseKinds } from '../support/databases.js';
import { allScopes, patientLogin, staff } from '../support/principals.js';
import { createTestApp, json, type TestApp } from '../support/test-app.js';
import { buildWorld, DIRECTORY, key, NHS, P1_RECORD, P2_RECORD, WORLD_RESOURCES } from './world.js';

interface Bundle {
  link?: Array<{ relation: string; url: string }>;
  total?: number;
  entry?: Array<{ resource?: { resourceType: string; id: string }; response?: { status: string } }>;
}

/**
 * What each principal may see, written out by hand from the access policy (not computed by the
 * code under test): every path that returns resources is checked against it.
 */
const CASES: Array<{ name: string; principal: Principal; visible: string[] }> = [
  { name: 'gp-a', principal: staff('gp', 'practice-a'), visible: [...DIRECTORY, ...P1_RECORD] },
  {
    name: 'practice-admin-a',
    principal: staff('practice-admin', 'practice-a'),
    visible: [...DIRECTORY, ...P1_RECORD],
  },
  { name: 'gp-b', principal: staff('gp', 'practice-b'), visible: [...DIRECTORY, ...P2_RECORD] },
  {
    name: 'consultant-trust',
    principal: staff('consultant', 'trust'),
    visible: [...DIRECTORY, ...P1_RECORD],
  },
  { name: 'secretary-trust', principal: staff('secretary', 'trust'), visible: [...DIRECTORY, ...P1_RECORD] },
  {
    name: 'pharmacist-a',
    principal: staff('pharmacist', 'pharmacy-a'),
    visible: [...DIRECTORY, 'Patient/p1', 'MedicationRequest/p1-salbutamol'],
  },
  {
    name: 'pharmacist-b',
    principal: staff('pharmacist', 'pharmacy-b'),
    visible: [...DIRECTORY, 'Patient/p2', 'MedicationRequest/p2-metformin'],
  },
  {
    name: 'diagnostics-cdc',
    principal: staff('diagnostics', 'cdc'),
    visible: [...DIRECTORY, 'Patient/p1', 'ServiceRequest/p1-spirometry', 'Observation/p1-fev1'],
  },
  { name: 'patient-p1', principal: patientLogin('p1'), visible: [...DIRECTORY, ...P1_RECORD] },
  { name: 'patient-p2', principal: patientLogin('p2'), visible: [...DIRECTORY, ...P2_RECORD] },
  {
    name: 'proxy-for-p2',
    principal: patientLogin('p1', { proxyForPatientIds: ['p2'] }),
    visible: [...DIRECTORY, ...P1_RECORD, ...P2_RECORD],
  },
  { name: 'ops', principal: staff('ops', 'trust'), visible: [...DIRECTORY] },
  { name: 'privacy-officer', principal: staff('privacy-officer', 'trust'), visible: [...DIRECTORY] },
  { name: 'admin', principal: staff('admin', 'trust'), visible: [...DIRECTORY] },
  {
    name: 'gp-a-launched-for-p2',
    principal: staff('gp', 'practice-b', { scopes: allScopes('patient'), launchPatientId: 'p2' }),
    visible: [...DIRECTORY, ...P2_RECORD],
  },
  {
    name: 'system-trust',
    principal: { ...staff('system', 'trust'), kind: 'system', scopes: allScopes('system') },
    visible: [...DIRECTORY, ...P1_RECORD],
  },
];

const TYPES = [...new Set(WORLD_RESOURCES.map((r) => r.resourceType))];
const path = (url: string) => url.replace(/^https?:\/\/[^/]+/, '');
const keysOf = (bundle: Bundle) =>
  (bundle.entry ?? []).flatMap((e) =>
    e.resource && e.resource.resourceType !== 'OperationOutcome' ? [key(e.resource)] : [],
  );

for (const kind of testDatabaseKinds()) {
  describe(`Access matrix on ${kind}: every role × resource × read path`, () => {
    let t: TestApp;
    const unexpectedAllows: string[] = [];
    const unexpectedDenies: string[] = [];
    let checks = 0;

    const expectVisible = (label: string, visible: Set<string>, resource: string, allowed: boolean) => {
      checks++;
      if (allowed && !visible.has(resource)) unexpectedAllows.push(`${label}: ${resource}`);
      if (!allowed && visible.has(resource)) unexpectedDenies.push(`${label}: ${resource}`);
    };

    before(async () => {
      t = await createTestApp(kind);
      await buildWorld(t);
    });
    after(async () => {
      await t.close();
      console.log(
        `access matrix (${kind}): checks=${checks} unexpectedAllows=${unexpectedAllows.length} unexpectedDenies=${unexpectedDenies.length}`,
      );
    });

    for (const { name, principal, visible: visibleList } of CASES) {
      it(`${name}: read, vread, history, search, totals, includes, chains, paging and batch show exactly its records`, async () => {
        const auth = { authorization: t.principals.register(name, principal) };
        const visible = new Set(visibleList);
        const get = (url: string) => t.fhir('GET', url, undefined, auth);

        for (const resource of WORLD_RESOURCES) {
          const id = key(resource);
          expectVisible(`${name} read`, visible, id, (await get(`/fhir/${id}`)).statusCode === 200);
          expectVisible(
            `${name} vread`,
            visible,
            id,
            (await get(`/fhir/${id}/_history/1`)).statusCode === 200,
          );
          expectVisible(
            `${name} history`,
            visible,
            id,
            (await get(`/fhir/${id}/_history`)).statusCode === 200,
          );
          const byId = json<Bundle>(await get(`/fhir/${resource.resourceType}?_id=${resource.id}`));
          expectVisible(`${name} search _id`, visible, id, keysOf(byId).includes(id));
        }
        for (const type of TYPES) {
          const expectedCount = visibleList.filter((k) => k.startsWith(`${type}/`)).length;
          const total = json<Bundle>(await get(`/fhir/${type}?_summary=count`)).total ?? 0;
          checks++;
          if (total > expectedCount)
            unexpectedAllows.push(`${name} total ${type}: ${total} > ${expectedCount}`);
          if (total < expectedCount)
            unexpectedDenies.push(`${name} total ${type}: ${total} < ${expectedCount}`);
          for (const found of keysOf(json<Bundle>(await get(`/fhir/${type}/_history`)))) {
            expectVisible(`${name} type history`, visible, found, true);
          }
          const seen: string[] = [];
          let url: string | undefined = `/fhir/${type}?_count=1`;
          while (url) {
            const page: Bundle = json<Bundle>(await get(url));
            seen.push(...keysOf(page));
            const next: string | undefined = page.link?.find((l) => l.relation === 'next')?.url;
            url = next ? path(next) : undefined;
          }
          for (const found of seen) expectVisible(`${name} paging`, visible, found, true);
          checks++;
          if (seen.length !== expectedCount)
            unexpectedDenies.push(`${name} paging ${type}: ${seen.length} ≠ ${expectedCount}`);
        }
        const includePaths = [
          '/fhir/Condition?_include=Condition:subject',
          '/fhir/MedicationRequest?_include=MedicationRequest:subject',
          '/fhir/Patient?_revinclude=Condition:subject&_revinclude=MedicationRequest:subject&_revinclude=Observation:subject',
          `/fhir/Condition?subject:Patient.identifier=${NHS}|9990000026`,
          `/fhir/Condition?subject:Patient.identifier=${NHS}|9990000018`,
          '/fhir/Observation?performer=Organization/cdc&_include=Observation:patient',
        ];
        for (const url of includePaths) {
          for (const found of keysOf(json<Bundle>(await get(url))))
            expectVisible(`${name} ${url}`, visible, found, true);
        }
        const batch = json<Bundle>(
          await t.fhir(
            'POST',
            '/fhir',
            {
              resourceType: 'Bundle',
              type: 'batch',
              entry: WORLD_RESOURCES.map((r) => ({ request: { method: 'GET', url: key(r) } })),
            },
            auth,
          ),
        );
        WORLD_RESOURCES.forEach((resource, index) => {
          const status = batch.entry?.[index]?.response?.status ?? '';
          expectVisible(`${name} batch GET`, visible, key(resource), status.startsWith('200'));
        });
      });
    }

    it('writes: nobody adds to, changes or deletes a record they are not related to', async () => {
      const gpA = { authorization: t.principals.register('writer-gp-a', staff('gp', 'practice-a')) };
      const condition = (patient: string) => ({
        resourceType: 'Condition',
        subject: { reference: `Patient/${patient}` },
        code: { text: 'x' },
      });
      const attempts: Array<[string, Promise<{ statusCode: number }>, boolean]> = [
        ['create for p2', t.fhir('POST', '/fhir/Condition', condition('p2'), gpA), false],
        [
          'update p2 record',
          t.fhir('PUT', '/fhir/Condition/p2-diabetes', { ...condition('p2'), id: 'p2-diabetes' }, gpA),
          false,
        ],
        [
          'move p1 record to p2',
          t.fhir('PUT', '/fhir/Condition/p1-asthma', { ...condition('p2'), id: 'p1-asthma' }, gpA),
          false,
        ],
        [
          'patch p2 record',
          t.fhir(
            'PATCH',
            '/fhir/Condition/p2-diabetes',
            [{ op: 'add', path: '/note', value: [{ text: 'x' }] }],
            gpA,
          ),
          false,
        ],
        ['delete p2 record', t.fhir('DELETE', '/fhir/Condition/p2-diabetes', undefined, gpA), false],
        [
          'change an organisation',
          t.fhir(
            'PUT',
            '/fhir/Organization/trust',
            { resourceType: 'Organization', id: 'trust', name: 'x' },
            gpA,
          ),
          false,
        ],
        ['create for p1', t.fhir('POST', '/fhir/Condition', condition('p1'), gpA), true],
        [
          'transaction entry for p2',
          t.fhir(
            'POST',
            '/fhir',
            {
              resourceType: 'Bundle',
              type: 'transaction',
              entry: [{ resource: condition('p2'), request: { method: 'POST', url: 'Condition' } }],
            },
            gpA,
          ),
          false,
        ],
      ];
      for (const [label, attempt, allowed] of attempts) {
        const status = (await attempt).statusCode;
        checks++;
        if (status < 300 && !allowed) unexpectedAllows.push(`gp-a write: ${label} → ${status}`);
        if (status >= 300 && allowed) unexpectedDenies.push(`gp-a write: ${label} → ${status}`);
      }
      const stillThere = json<{ code: { text: string } }>(await t.fhir('GET', '/fhir/Condition/p1-asthma'));
      assert.equal(stillThere.code.text, 'Asthma');
    });

    it('0 unexpected allows and 0 unexpected denies across the matrix', () => {
      assert.deepEqual(unexpectedAllows, []);
      assert.deepEqual(unexpectedDenies, []);
      assert.ok(checks > 1000, `only ${checks} checks ran`);
    });
  });
}
