import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SUPPORTED_RESOURCE_TYPES } from '@carebridge/domain';
import { staff } from '../support/principals.js';
import { createTestApp, json, patient, type TestApp } from '../support/test-app.js';

interface Capability {
  fhirVersion: string;
  format: string[];
  rest: Array<{
    documentation: string;
    interaction: Array<{ code: string }>;
    resource: Array<{
      type: string;
      interaction: Array<{ code: string }>;
      searchParam?: Array<{ name: string; type: string }>;
      operation?: Array<{ name: string }>;
    }>;
    operation?: Array<{ name: string }>;
  }>;
}

describe('CapabilityStatement and $validate', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp('pglite');
  });
  after(async () => {
    await t.close();
  });

  it('/metadata lists exactly the supported resource types, R4 and JSON', async () => {
    const statement = json<Capability>(await t.fhir('GET', '/fhir/metadata'));
    assert.equal(statement.fhirVersion, '4.0.1');
    // ValueSet is not stored; it is listed for its $expand (test/terminology/terminology.test.ts).
    assert.deepEqual(
      statement.rest[0]?.resource.map((r) => r.type),
      [...SUPPORTED_RESOURCE_TYPES, 'ValueSet'],
    );
    assert.deepEqual(statement.rest[0]?.interaction.map((i) => i.code).sort(), [
      'batch',
      'history-system',
      'transaction',
    ]);
  });

  it('/metadata lists the break-glass operations beside the exchange and request ones', async () => {
    const statement = json<Capability>(await t.fhir('GET', '/fhir/metadata'));
    const system = (statement.rest[0]?.operation ?? []).map((operation) => operation.name);
    for (const name of [
      'validate',
      'submit-document',
      'inbox',
      'create-request',
      'request',
      'break-glass-review',
    ])
      assert.ok(system.includes(name), `system operation ${name} missing from ${system.join(', ')}`);
    const patient = statement.rest[0]?.resource.find((resource) => resource.type === 'Patient');
    assert.deepEqual(
      (patient?.operation ?? []).map((operation) => operation.name),
      ['validate', 'break-glass', 'break-glass-end'],
    );
  });

  it('every search parameter it lists is accepted by search, and the limits are documented', async () => {
    const officer = { authorization: t.principals.register('officer', staff('privacy-officer', 'trust')) };
    const statement = json<Capability>(await t.fhir('GET', '/fhir/metadata'));
    const rest = statement.rest[0];
    assert.match(rest?.documentation ?? '', /at most 1000 entries/);
    for (const resource of rest?.resource ?? []) {
      for (const param of resource.searchParam ?? []) {
        const value =
          param.type === 'date'
            ? 'ge2020-01-01'
            : param.type === 'number' || param.type === 'quantity'
              ? '5'
              : 'x';
        const auth = resource.type === 'AuditEvent' ? officer : {};
        const auditValues: Record<string, string> = { outcome: 'success', 'break-glass': 'false' };
        const sent = (resource.type === 'AuditEvent' && auditValues[param.name]) || value;
        const response = await t.fhir(
          'GET',
          `/fhir/${resource.type}?${param.name}=${sent}&_count=1`,
          undefined,
          auth,
        );
        assert.equal(
          response.statusCode,
          200,
          `${resource.type}?${param.name} (${param.type}) → ${response.statusCode} ${response.body}`,
        );
      }
    }
  });

  it('$validate answers with every problem, or that the resource is valid, and stores nothing', async () => {
    const bad = json<{ issue: Array<{ severity: string; expression?: string[] }> }>(
      await t.fhir('POST', '/fhir/Patient/$validate', {
        resourceType: 'Patient',
        gender: 'banana',
        birthDate: 'soon',
      }),
    );
    assert.ok(bad.issue.length >= 2);
    assert.ok(bad.issue.every((issue) => issue.severity === 'error'));
    const good = json<{ issue: Array<{ severity: string }> }>(
      await t.fhir('POST', '/fhir/Patient/$validate', {
        resourceType: 'Parameters',
        parameter: [{ name: 'resource', resource: patient() }],
      }),
    );
    assert.deepEqual(
      good.issue.map((i) => i.severity),
      ['information'],
    );
    assert.equal(json(await t.fhir('GET', '/fhir/Patient?_summary=count')).total, 0);
  });
});
