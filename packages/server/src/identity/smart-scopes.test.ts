import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatSmartScope,
  parseSmartScope,
  parseSmartScopes,
  scopeCovers,
  SmartScopeError,
} from './smart-scopes.js';

const permissions = (scope: string) => [...parseSmartScope(scope).permissions].sort().join('');

describe('SMART scope parsing', () => {
  it('reads a v2 scope into context, type and permissions', () => {
    const scope = parseSmartScope('patient/Observation.rs');
    assert.equal(scope.context, 'patient');
    assert.equal(scope.resourceType, 'Observation');
    assert.deepEqual([...scope.permissions], ['r', 's']);
    assert.equal(scope.filter, undefined);
  });

  it('reads every v2 permission letter and the wildcard type', () => {
    const scope = parseSmartScope('user/*.cruds');
    assert.equal(scope.resourceType, '*');
    assert.deepEqual([...scope.permissions], ['c', 'r', 'u', 'd', 's']);
  });

  it('keeps a v2 search-parameter filter, decoded', () => {
    const scope = parseSmartScope(
      'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory',
    );
    assert.deepEqual(scope.filter, [
      ['category', 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory'],
    ]);
    assert.deepEqual(parseSmartScope('user/Observation.rs?code=a%7Cb&status=final').filter, [
      ['code', 'a|b'],
      ['status', 'final'],
    ]);
  });

  it('maps v1 read to rs, write to cud and * to cruds', () => {
    assert.equal(permissions('patient/*.read'), 'rs');
    assert.equal(permissions('user/Patient.write'), 'cdu');
    assert.equal(permissions('system/Task.*'), 'cdrsu');
  });

  it('refuses permission letters out of cruds order', () => {
    assert.throws(() => parseSmartScope('patient/Observation.sr'), /order c, r, u, d, s/);
    assert.throws(() => parseSmartScope('user/Task.urc'), /order c, r, u, d, s/);
  });

  it('refuses repeated or unknown permission letters and empty permissions', () => {
    assert.throws(() => parseSmartScope('user/Task.rr'), /repeats a permission letter/);
    assert.throws(() => parseSmartScope('user/Task.rx'), /neither v2 permissions/);
    assert.throws(() => parseSmartScope('user/Task.'), /grants no permissions/);
    assert.throws(() => parseSmartScope('user/Task.Read'), /neither v2 permissions/);
  });

  it('refuses malformed contexts, types and filters with the scope named', () => {
    const cases: Array<[string, RegExp]> = [
      ['practitioner/Patient.rs', /must start with 'patient\/', 'user\/' or 'system\/'/],
      ['patient/Patient', /needs a resource type and permissions/],
      ['patient/observation.rs', /'observation' is not a FHIR resource type/],
      ['patient/Observation.rs?', /no search parameters/],
      ['patient/Observation.rs?category', /must be name=value/],
      ['patient/Observation.rs?=lab', /must be name=value/],
      ['patient/Observation.rs?category=%E0%A4%A', /malformed percent-escape/],
      ['patient/Observation.read?category=lab', /only allowed with v2 permissions/],
    ];
    for (const [scope, message] of cases) {
      assert.throws(
        () => parseSmartScope(scope),
        (error: unknown) =>
          error instanceof SmartScopeError && error.scope === scope && message.test(error.message),
        scope,
      );
    }
  });

  it('parses a scope string, skipping identity and launch scopes and scopes of other schemes', () => {
    const scopes = parseSmartScopes(
      'openid fhirUser launch/patient offline_access patient/*.rs nationalrbacaccess',
    );
    assert.equal(scopes.length, 1);
    assert.equal(scopes[0]?.context, 'patient');
  });

  it('refuses a whole scope string when one resource scope is malformed', () => {
    assert.throws(() => parseSmartScopes('openid patient/*.rs user/Patient.sr'), SmartScopeError);
  });

  it('refuses characters OAuth forbids in a scope', () => {
    assert.throws(() => parseSmartScopes('patient/*.rs user/"Patient".rs'), /character OAuth does not allow/);
  });

  it('formats scopes back in v2 form, so v1 scopes can be normalised', () => {
    assert.equal(formatSmartScope(parseSmartScope('user/Patient.write')), 'user/Patient.cud');
    assert.equal(
      formatSmartScope(parseSmartScope('patient/Observation.rs?code=a%7Cb')),
      'patient/Observation.rs?code=a%7Cb',
    );
  });
});

describe('SMART scope coverage (what an allowed scope permits)', () => {
  const covers = (granted: string, requested: string) =>
    scopeCovers(parseSmartScope(granted), parseSmartScope(requested));

  it('covers the same or fewer permissions on the same type, or any type under a wildcard', () => {
    assert.equal(covers('system/Task.cruds', 'system/Task.rs'), true);
    assert.equal(covers('system/*.rs', 'system/Patient.r'), true);
    assert.equal(covers('system/Task.rs', 'system/Task.cruds'), false);
    assert.equal(covers('system/Patient.rs', 'system/*.rs'), false);
    assert.equal(covers('system/Task.rs', 'user/Task.rs'), false);
  });

  it('covers a request only when it carries at least the granted filter', () => {
    assert.equal(covers('system/Observation.rs?category=lab', 'system/Observation.rs?category=lab'), true);
    assert.equal(covers('system/Observation.rs?category=lab', 'system/Observation.rs'), false);
    assert.equal(covers('system/Observation.rs', 'system/Observation.rs?category=lab'), true);
  });
});
