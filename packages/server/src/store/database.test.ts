import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './database.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('isDatabaseUnavailable: which database errors are a 503 the client may retry', () => {
  it('counts connection loss, restarts, and statement or lock timeouts as unavailable', () => {
    for (const code of ['08006', '57P01', '57P02', '57P03', '57014', '55P03', 'ECONNREFUSED', 'ECONNRESET']) {
      assert.equal(isDatabaseUnavailable(withCode(code)), true, code);
    }
    assert.equal(isDatabaseUnavailable(new DatabaseUnavailableError(new Error('pool timeout'))), true);
  });

  it('does not hide real faults (constraint violations, syntax errors, plain errors) as transient', () => {
    for (const code of ['23505', '23503', '42601', '22P02']) {
      assert.equal(isDatabaseUnavailable(withCode(code)), false, code);
    }
    assert.equal(isDatabaseUnavailable(new Error('no code')), false);
    assert.equal(isDatabaseUnavailable(undefined), false);
  });
});
