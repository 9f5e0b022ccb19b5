import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../test/support/databases.js';
import type { Database } from '../store/database.js';
import { openDatabase } from '../store/open.js';
import { readChainHead } from './audit-chain.js';
import { InvalidAuditEntryError } from './audit-row.js';
import { sampleAuditEntry } from '../../test/support/audit-fixtures.js';
import { AuditTrail, AuditUnavailableError } from './audit-trail.js';
import { verifyAuditChain } from './verify-chain.js';

async function countRows(db: Database, where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::integer as n from audit_event where ${where}`,
    params,
  );
  return rows[0]?.n ?? 0;
}

/** The same database, but every query fails while `failing` is set (a lost connection). */
function flakyDatabase(db: Database): { db: Database; setFailing(failing: boolean): void } {
  let failing = false;
  const flaky: Database = {
    kind: db.kind,
    query: (sql, params) =>
      failing ? Promise.reject(new Error('Connection terminated unexpectedly')) : db.query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: (work) => db.transaction(work),
    close: () => db.close(),
  };
  return { db: flaky, setFailing: (value) => (failing = value) };
}

for (const kind of testDatabaseKinds()) {
  describe(`AuditTrail on ${kind}`, () => {
    let testDb: TestDatabase;

    before(async () => {
      testDb = await createTestDatabase(kind);
    });
    after(async () => {
      await testDb.drop();
    });

    it('writes every one of 2,000 concurrent records exactly once, each durable before it resolves, and the chain verifies once sealed', async () => {
      const batchSizes: number[] = [];
      const trail = new AuditTrail(testDb.db, { onFlush: (batch) => batchSizes.push(batch.entries) });
      const before = await countRows(testDb.db);
      const entries = Array.from({ length: 2_000 }, (_, index) =>
        sampleAuditEntry({ requestId: `bulk-${index}` }),
      );
      const durableOnResolve: Promise<number>[] = [];
      await Promise.all(
        entries.map((entry, index) =>
          trail.record(entry).then(() => {
            // Checked through the database, not the trail: once resolved, the row is committed.
            if (index % 97 === 0)
              durableOnResolve.push(countRows(testDb.db, 'request_id = $1', [entry.requestId]));
          }),
        ),
      );
      assert.deepEqual(new Set(await Promise.all(durableOnResolve)), new Set([1]));
      assert.equal((await countRows(testDb.db)) - before, 2_000);
      assert.equal(await countRows(testDb.db, `request_id like 'bulk-%'`), 2_000);
      assert.equal(
        batchSizes.reduce((sum, size) => sum + size, 0),
        2_000,
      );
      assert.ok(batchSizes.length < 200, `group commit should batch, but wrote ${batchSizes.length} batches`);

      await trail.stop();
      const verification = await verifyAuditChain(testDb.db);
      assert.deepEqual(verification.ok && { sealed: verification.sealed, unsealed: verification.unsealed }, {
        sealed: before + 2_000,
        unsealed: 0,
      });
    });

    it('rejects every waiter of a failed batch with AuditUnavailableError, then records again once the database is back', async () => {
      const { db, setFailing } = flakyDatabase(testDb.db);
      const trail = new AuditTrail(db);
      setFailing(true);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () => trail.record(sampleAuditEntry({ requestId: 'lost-in-outage' }))),
      );
      assert.equal(outcomes.length, 20);
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'rejected');
        assert.ok(outcome.status === 'rejected' && outcome.reason instanceof AuditUnavailableError);
      }
      assert.equal(await countRows(testDb.db, `request_id = 'lost-in-outage'`), 0);

      setFailing(false);
      await trail.record(sampleAuditEntry({ requestId: 'after-outage' }));
      assert.equal(await countRows(testDb.db, `request_id = 'after-outage'`), 1);
      await trail.stop();
    });

    it('rejects a malformed entry alone, without failing the batch it would have joined', async () => {
      const trail = new AuditTrail(testDb.db);
      const good = Array.from({ length: 5 }, () =>
        trail.record(sampleAuditEntry({ requestId: 'beside-bad' })),
      );
      const bad = trail.record(sampleAuditEntry({ recordedAt: new Date(Number.NaN) }));
      await assert.rejects(bad, InvalidAuditEntryError);
      await Promise.all(good);
      assert.equal(await countRows(testDb.db, `request_id = 'beside-bad'`), 5);
      await trail.stop();
    });

    it('stores a query holding NUL and a lone surrogate (as U+FFFD) instead of failing its batch', async () => {
      const trail = new AuditTrail(testDb.db);
      await trail.record(
        sampleAuditEntry({
          requestId: 'hostile-query',
          interaction: 'search-type',
          query: 'name=a\u0000b&x=\uD800',
        }),
      );
      const { rows } = await testDb.db.query<{ query: string }>(
        `select query from audit_event where request_id = 'hostile-query'`,
      );
      assert.equal(rows[0]?.query, 'name=a\uFFFDb&x=\uFFFD');
      await trail.stop();
    });

    it('recordInTransaction commits with its transaction and rolls back with it', async () => {
      const trail = new AuditTrail(testDb.db);
      await testDb.db.transaction((tx) =>
        trail.recordInTransaction(tx, [
          sampleAuditEntry({ requestId: 'bundle-committed', action: 'C', interaction: 'create' }),
          sampleAuditEntry({ requestId: 'bundle-committed', action: 'C', interaction: 'create' }),
        ]),
      );
      await assert.rejects(
        testDb.db.transaction(async (tx) => {
          await trail.recordInTransaction(tx, [sampleAuditEntry({ requestId: 'bundle-rolled-back' })]);
          throw new Error('the write failed');
        }),
        /the write failed/,
      );
      assert.equal(await countRows(testDb.db, `request_id = 'bundle-committed'`), 2);
      assert.equal(await countRows(testDb.db, `request_id = 'bundle-rolled-back'`), 0);
      await trail.stop();
      const verification = await verifyAuditChain(testDb.db);
      assert.ok(verification.ok);
      assert.equal(verification.unsealed, 0);
    });

    it('stop() writes what is queued, seals everything, and refuses records afterwards', async () => {
      const trail = new AuditTrail(testDb.db, { flushDelayMs: 50 });
      trail.start();
      const pending = Array.from({ length: 10 }, () =>
        trail.record(sampleAuditEntry({ requestId: 'at-shutdown' })),
      );
      await trail.stop();
      await Promise.all(pending);
      assert.equal(await countRows(testDb.db, `request_id = 'at-shutdown'`), 10);
      const verification = await verifyAuditChain(testDb.db);
      assert.ok(verification.ok && verification.unsealed === 0);
      await assert.rejects(trail.record(sampleAuditEntry()), AuditUnavailableError);
    });

    it('the started sealer chains new rows in the background within its interval', async () => {
      const trail = new AuditTrail(testDb.db, { sealIntervalMs: 20 });
      trail.start();
      await trail.record(sampleAuditEntry({ requestId: 'background-seal' }));
      const deadline = Date.now() + 5_000;
      let unsealed = Number.POSITIVE_INFINITY;
      while (unsealed > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const verification = await verifyAuditChain(testDb.db);
        assert.ok(verification.ok);
        unsealed = verification.unsealed;
      }
      assert.equal(unsealed, 0);
      await trail.stop();
    });

    if (kind === 'postgres') {
      it('waits for a transaction holding a lower id to commit, then seals its row in id order instead of skipping it', async () => {
        const trail = new AuditTrail(testDb.db);
        await trail.sealNow({ waitForWritersMs: 5_000 });
        let releaseWriter: () => void = () => {};
        const writerMayCommit = new Promise<void>((resolve) => (releaseWriter = resolve));
        let writerInserted: () => void = () => {};
        const insertedEarly = new Promise<void>((resolve) => (writerInserted = resolve));
        const lateWriter = testDb.db.transaction(async (tx) => {
          await trail.recordInTransaction(tx, [sampleAuditEntry({ requestId: 'committed-late' })]);
          writerInserted();
          await writerMayCommit;
        });
        await insertedEarly;
        await trail.record(sampleAuditEntry({ requestId: 'committed-early' }));

        assert.equal(
          await trail.sealNow({ waitForWritersMs: 50 }),
          0,
          'nothing is sealed past an open writer',
        );
        releaseWriter();
        await lateWriter;
        assert.equal(await trail.sealNow({ waitForWritersMs: 5_000 }), 2);

        const { rows } = await testDb.db.query<{ request_id: string; audit_id: number; seq: number }>(
          `select e.request_id, e.id as audit_id, c.seq from audit_chain c join audit_event e on e.id = any(c.audit_ids)
            where e.request_id in ('committed-late', 'committed-early') order by e.id`,
        );
        assert.deepEqual(
          rows.map((row) => row.request_id),
          ['committed-late', 'committed-early'],
        );
        const verification = await verifyAuditChain(testDb.db);
        assert.ok(verification.ok && verification.unsealed === 0 && verification.passedOver === 0);
        await trail.stop();
      });

      it('two processes recording and sealing on one database build one consistent chain', async () => {
        assert.ok(testDb.url);
        const otherProcessDb = await openDatabase({ kind: 'postgres', url: testDb.url });
        try {
          const first = new AuditTrail(testDb.db, { sealIntervalMs: 5, sealBatchSize: 50 });
          const second = new AuditTrail(otherProcessDb, { sealIntervalMs: 5, sealBatchSize: 50 });
          first.start();
          second.start();
          const before = await countRows(testDb.db);
          const writes: Promise<void>[] = [];
          for (let round = 0; round < 20; round++) {
            for (let index = 0; index < 50; index++) {
              writes.push(first.record(sampleAuditEntry({ requestId: `two-sealers-a-${round}` })));
              writes.push(second.record(sampleAuditEntry({ requestId: `two-sealers-b-${round}` })));
            }
            // Both also seal on demand, racing each other and their own timers.
            writes.push(
              first.sealNow().then(() => {}),
              second.sealNow().then(() => {}),
            );
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
          await Promise.all(writes);
          await Promise.all([first.stop(), second.stop()]);
          const total = await countRows(testDb.db);
          assert.equal(total - before, 2_000);
          const verification = await verifyAuditChain(testDb.db);
          assert.deepEqual(
            verification.ok && { sealed: verification.sealed, unsealed: verification.unsealed },
            { sealed: total, unsealed: 0 },
          );
          // Many links, each appended by whichever process held the sealer lock at the time.
          const head = await readChainHead(testDb.db);
          assert.ok(head && head.seq > 1);
        } finally {
          await otherProcessDb.close();
        }
      });
    }
  });
}
