import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '@carebridge/domain';
import { buildApp } from '../../src/app.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { MemoryAuditRecorder, TestPrincipals } from '../support/principals.js';
import { testConfig } from '../support/test-app.js';

/** The web app at `/`: its files, the single-page fallback, its CSP, and the API paths it must never shadow. */
describe('Web app serving', () => {
  let app: FastifyInstance;
  let database: TestDatabase;
  let root: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'carebridge-web-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Carebridge</title>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    database = await createTestDatabase('pglite');
    app = await buildApp(testConfig(), {
      db: database.db,
      clock: new ManualClock(),
      authenticate: new TestPrincipals().authenticate,
      audit: new MemoryAuditRecorder(),
      webRoot: root,
    });
  });

  after(async () => {
    await app.close();
    await database.drop();
    rmSync(root, { recursive: true, force: true });
  });

  const html = { accept: 'text/html,application/xhtml+xml' };

  it('serves the app at / with a strict Content-Security-Policy and no caching of the page', async () => {
    const response = await app.inject({ method: 'GET', url: '/', headers: html });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/html/);
    assert.match(
      response.headers['content-security-policy'] as string,
      /default-src 'self'; script-src 'self'; style-src 'self'/,
    );
    assert.match(response.headers['content-security-policy'] as string, /frame-ancestors 'none'/);
    assert.equal(response.headers['cache-control'], 'no-cache');
    assert.equal(response.headers['x-frame-options'], 'DENY');
  });

  it('answers the app’s own routes with index.html, so a bookmarked letter opens', async () => {
    const response = await app.inject({ method: 'GET', url: '/inbox/doc-1?state=delivered', headers: html });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /<title>Carebridge<\/title>/);
  });

  it('caches hashed assets for good and refuses missing ones', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(asset.headers['content-type'] as string, /^text\/javascript/);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const missing = await app.inject({ method: 'GET', url: '/assets/index-old.js', headers: html });
    assert.equal(missing.statusCode, 404);
    const traversal = await app.inject({
      method: 'GET',
      url: '/assets/..%2f..%2fpackage.json',
      headers: html,
    });
    assert.equal(traversal.statusCode, 404);
  });

  it('never shadows the API: unknown API paths keep their own 404s, not the app', async () => {
    for (const url of ['/fhir/NoSuchType', '/auth/nothing-here', '/mesh/nothing', '/metrics/x']) {
      const response = await app.inject({ method: 'GET', url, headers: html });
      assert.notEqual(response.statusCode, 200, url);
      assert.doesNotMatch(response.body, /<title>Carebridge<\/title>/, url);
    }
    const health = await app.inject({ method: 'GET', url: '/healthz', headers: html });
    assert.match(health.headers['content-type'] as string, /json/);
  });
});
