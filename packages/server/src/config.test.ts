import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RATE_LIMITS, loadConfig } from './config.js';

describe('loadConfig: hardening and transport settings', () => {
  it('defaults to per-person and per-system limits, same-origin only, and the outbox worker on', () => {
    const config = loadConfig({});
    assert.deepEqual(config.http.rateLimits, DEFAULT_RATE_LIMITS);
    assert.deepEqual(config.http.corsOrigins, []);
    assert.equal(config.transport.worker, true);
  });

  it('reads per-client limits, exact CORS origins and webhook secrets', () => {
    const config = loadConfig({
      RATE_LIMIT_CLIENTS: '{"trust-epr": 120000, "noisy": 0}',
      CORS_ORIGINS: 'https://a.example.nhs.uk, http://localhost:5173',
      WEBHOOK_SECRETS: '{"gp-hook": "s3cret"}',
      OUTBOX_WORKER: 'off',
    });
    assert.deepEqual(config.http.rateLimits.perClient, { 'trust-epr': 120000, noisy: 0 });
    assert.deepEqual(config.http.corsOrigins, ['https://a.example.nhs.uk', 'http://localhost:5173']);
    assert.deepEqual(config.transport.webhookSecrets, { 'gp-hook': 's3cret' });
    assert.equal(config.transport.worker, false);
  });

  it('refuses settings that would weaken the policy or be misread, naming the setting', () => {
    assert.throws(() => loadConfig({ CORS_ORIGINS: '*' }), /CORS_ORIGINS/);
    assert.throws(() => loadConfig({ CORS_ORIGINS: 'https://a.example.nhs.uk/path' }), /CORS_ORIGINS/);
    assert.throws(() => loadConfig({ RATE_LIMIT_CLIENTS: '{"x": -1}' }), /RATE_LIMIT_CLIENTS/);
    assert.throws(() => loadConfig({ RATE_LIMIT_CLIENTS: '[1]' }), /RATE_LIMIT_CLIENTS/);
    assert.throws(() => loadConfig({ WEBHOOK_SECRETS: '{"hook": ""}' }), /WEBHOOK_SECRETS/);
    assert.throws(() => loadConfig({ WEBHOOK_SECRETS: 'not json' }), /WEBHOOK_SECRETS/);
    assert.throws(() => loadConfig({ RATE_LIMIT_USER_PER_MINUTE: 'lots' }), /RATE_LIMIT_USER_PER_MINUTE/);
  });
});
