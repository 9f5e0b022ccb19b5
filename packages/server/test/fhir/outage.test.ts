import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testDatabaseKinds } from '../support/databases.js';
import { createTestApp, outcomeCodes, patient } from '../support/test-app.js';

describe('Database outage', () => {
  it(
    'a request while the database is unreachable answers 503 transient, and healthz answers 503',
    { skip: !testDatabaseKinds().includes('postgres') && 'needs PostgreSQL' },
    async () => {
      const t = await createTestApp('postgres');
      try {
        // Terminate this test database's connections from outside, as a database restart would.
        const url = new URL(t.database.url ?? '');
        const name = url.pathname.slice(1);
        const { default: pg } = await import('pg');
        const admin = new pg.Client({
          connectionString:
            process.env.CAREBRIDGE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        });
        await admin.connect();
        await admin.query(`alter database ${name} allow_connections false`);
        await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
          name,
        ]);
        try {
          const response = await t.fhir('POST', '/fhir/Patient', patient());
          assert.equal(response.statusCode, 503);
          assert.deepEqual(outcomeCodes(response), ['service-unavailable']);
          assert.doesNotMatch(response.body, /postgres|pg_|sql/i);
          assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 503);
        } finally {
          await admin.query(`alter database ${name} allow_connections true`);
          await admin.end();
        }
        const recovered = await t.fhir('POST', '/fhir/Patient', patient());
        assert.equal(recovered.statusCode, 201, 'the service recovers by itself once the database is back');
      } finally {
        await t.close();
      }
    },
  );
});
