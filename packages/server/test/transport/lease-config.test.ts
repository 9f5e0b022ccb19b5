import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';

describe('OUTBOX_LEASE_MS', () => {
  it('is unset by default, so the worker keeps its own lease (5 minutes)', () => {
    assert.equal(loadConfig({}).transport.leaseMs, undefined);
    assert.equal(loadConfig({ OUTBOX_LEASE_MS: '' }).transport.leaseMs, undefined);
  });

  it('sets how long a claim is exclusive, in milliseconds', () => {
    assert.equal(loadConfig({ OUTBOX_LEASE_MS: '3000' }).transport.leaseMs, 3000);
    assert.equal(loadConfig({ OUTBOX_LEASE_MS: '600000' }).transport.leaseMs, 600_000);
  });

  it('refuses a lease under a second or a value that is not a whole number, naming the setting', () => {
    for (const value of ['0', '999', 'soon', '1.5', '-5000'])
      assert.throws(() => loadConfig({ OUTBOX_LEASE_MS: value }), /OUTBOX_LEASE_MS/, value);
  });
});
