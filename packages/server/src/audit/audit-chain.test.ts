import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../../test/support/databases.js';
import type { SqlExecutor } from '../store/database.js';
import { openPostgres } from '../store/postgres.js';
import {
  AUDIT_CONTENT_COLUMNS,
  auditContentHash,
  linkHash,
  sealBatchWithin,
  type AuditContent,
} from './audit-chain.js';
import { inRolledBackTransaction, sampleAuditEntry } from '../../test/support/audit-fixtures.js';
import { AuditTrail } from './audit-trail.js';
import { runAuditVerifyCommand, verifyAuditChain, verifyAuditChainWithin } from './verify-chain.js';

/**
 * Audit rows written and sealed before the tamper tests, four to a link so that there are links
 * before and after the one they damage; the damaged row is in the middle of its link.
 */
const SEALED_ROWS = 30;
const ROWS_PER_LINK = 4;
const VICTIM_INDEX = 17;

interface Link {
  seq: number;
  audit_id: number;
}

/** The link that seals a row, and the row's id. */
async function linkOf(db: SqlExecutor, requestId: string): Promise<Link> {
  const { rows } = await db.query<Link>(
    `select c.seq, e.id as audit_id from audit_chain c join audit_event e on e.id = any(c.audit_ids)
      where e.request_id = $1`,
    [requestId],
  );
  assert.equal(rows.length, 1);
  return rows[0] as Link;
}

/** As the tables' owner, switches the append-only trigger off for the rest of the transaction. */
async function bypassAppendOnly(tx: SqlExecutor, table: 'audit_event' | 'audit_chain'): Promise<void> {
  await tx.query(`alter table ${table} disable trigger ${table}_append_only`);
}

/** One field of one row changed as little as possible, for each column the chain must protect. */
const FIELD_TAMPERS: Array<{ field: string; sql: string; prepare?: string }> = [
  { field: 'request_id', sql: `request_id = request_id || 'x'` },
  {
    field: 'recorded_at (by one microsecond)',
    // An owner can drop the whole-millisecond check too; the chain still sees the microsecond.
    prepare: 'alter table audit_event drop constraint audit_event_recorded_at_check',
    sql: `recorded_at = recorded_at + interval '1 microsecond'`,
  },
  { field: 'subject', sql: `subject = 'someone-else'` },
  { field: 'display_name', sql: `display_name = 'Dr Nobody'` },
  { field: 'role', sql: `role = 'admin'` },
  { field: 'organization_id', sql: `organization_id = 'org-other'` },
  { field: 'action', sql: `action = 'U'` },
  { field: 'interaction', sql: `interaction = 'vread'` },
  { field: 'resource_id', sql: `resource_id = null` },
  { field: 'patient_ids (one removed)', sql: `patient_ids = '{}'` },
  { field: 'patient_ids (reordered)', sql: `patient_ids = array['patient-2', 'patient-1']` },
  { field: 'query', sql: `query = 'name=smith'` },
  { field: 'outcome', sql: `outcome = 'denied'` },
  { field: 'http_status', sql: `http_status = 403` },
  { field: 'purpose_of_use', sql: `purpose_of_use = 'ETREAT'` },
  { field: 'break_glass', sql: `break_glass = true` },
  { field: 'remote_address', sql: `remote_address = '198.51.100.1'` },
];

for (const kind of testDatabaseKinds()) {
  describe(`audit tables and chain on ${kind}`, () => {
    let testDb: TestDatabase;
    let victim: Link;

    before(async () => {
      testDb = await createTestDatabase(kind);
      const trail = new AuditTrail(testDb.db, { sealBatchSize: ROWS_PER_LINK });
      for (let index = 0; index < SEALED_ROWS; index++) {
        await trail.record(
          sampleAuditEntry({
            requestId: `sealed-${index}`,
            patientIds: ['patient-1', 'patient-2'],
            query: undefined,
          }),
        );
      }
      await trail.stop();
      victim = await linkOf(testDb.db, `sealed-${VICTIM_INDEX}`);
      assert.ok(victim.seq > 1, 'the damaged link has links before it');
    });

    const LINKS = Math.ceil(SEALED_ROWS / ROWS_PER_LINK);

    /** Rows sealed by the links before the victim's, all of which verify. */
    const sealedBeforeVictim = () => (victim.seq - 1) * ROWS_PER_LINK;
    after(async () => {
      await testDb.drop();
    });

    for (const [table, statement] of [
      ['audit_event', `update audit_event set outcome = 'success'`],
      ['audit_event', `update audit_event set outcome = 'success' where false`],
      ['audit_event', 'delete from audit_event'],
      ['audit_event', 'truncate audit_event'],
      ['audit_chain', `update audit_chain set hash = repeat('0', 64)`],
      ['audit_chain', `update audit_chain set audit_ids = audit_ids[2:] where seq = 1`],
      ['audit_chain', 'delete from audit_chain'],
      ['audit_chain', 'truncate audit_chain'],
    ] as const) {
      it(`refuses "${statement}", even for the tables' owner`, async () => {
        const operation = statement.split(' ')[0]?.toUpperCase() ?? '';
        await assert.rejects(testDb.db.query(statement), (error: Error) => {
          assert.equal(error.message, `${table} is append-only: ${operation} is refused`);
          return true;
        });
      });
    }

    it('refuses changes under session_replication_role = replica too (the triggers are ALWAYS)', async () => {
      await assert.rejects(
        inRolledBackTransaction(testDb.db, async (tx) => {
          await tx.query(`set local session_replication_role = replica`);
          await tx.query('delete from audit_event');
        }),
        /audit_event is append-only/,
      );
    });

    it('verifies an intact chain and reports rows not yet sealed separately', async () => {
      const verification = await inRolledBackTransaction(testDb.db, async (tx) => {
        await new AuditTrail(testDb.db).recordInTransaction(tx, [sampleAuditEntry(), sampleAuditEntry()]);
        return verifyAuditChainWithin(tx);
      });
      assert.equal(verification.ok, true);
      assert.ok(verification.ok);
      assert.equal(verification.sealed, SEALED_ROWS);
      assert.equal(verification.unsealed, 2);
      assert.equal(verification.head?.seq, LINKS);
    });

    for (const tamper of FIELD_TAMPERS) {
      it(`names exactly the link of the row whose ${tamper.field} was altered`, async () => {
        const verification = await inRolledBackTransaction(testDb.db, async (tx) => {
          await bypassAppendOnly(tx, 'audit_event');
          if (tamper.prepare) await tx.query(tamper.prepare);
          const { rowCount } = await tx.query(`update audit_event set ${tamper.sql} where id = $1`, [
            victim.audit_id,
          ]);
          assert.equal(rowCount, 1);
          return verifyAuditChainWithin(tx);
        });
        assert.equal(verification.ok, false);
        assert.ok(!verification.ok);
        assert.deepEqual(
          { seq: verification.seq, auditId: verification.auditId, sealed: verification.sealed },
          { seq: victim.seq, auditId: victim.audit_id, sealed: sealedBeforeVictim() },
        );
        assert.match(verification.reason, /no longer matches the content sealed for it/);
      });
    }

    it('names the link of a sealed row that was deleted', async () => {
      const verification = await inRolledBackTransaction(testDb.db, async (tx) => {
        await bypassAppendOnly(tx, 'audit_event');
        await tx.query('delete from audit_event where id = $1', [victim.audit_id]);
        return verifyAuditChainWithin(tx);
      });
      assert.ok(!verification.ok);
      assert.equal(verification.seq, victim.seq);
      assert.equal(verification.auditId, victim.audit_id);
      assert.equal(verification.sealed, sealedBeforeVictim());
      assert.match(verification.reason, /has been deleted/);
    });

    it('names a link whose hash was altered', async () => {
      const verification = await inRolledBackTransaction(testDb.db, async (tx) => {
        await bypassAppendOnly(tx, 'audit_chain');
        await tx.query(`update audit_chain set hash = repeat('a', 64) where seq = $1`, [victim.seq]);
        return verifyAuditChainWithin(tx);
      });
      assert.ok(!verification.ok);
      assert.equal(verification.seq, victim.seq);
      assert.equal(verification.sealed, sealedBeforeVictim());
      assert.match(verification.reason, /its hash does not match what it seals/);
    });

    it('names a link whose previous hash was altered', async () => {
      const verification = await inRolledBackTransaction(testDb.db, async (tx) => {
        await bypassAppendOnly(tx, 'audit_chain');
        await tx.query(`update audit_chain set prev_hash = repeat('b', 64) where seq = $1`, [victim.seq]);
        return verifyAuditChainWithin(tx);
      });
      assert.ok(!verification.ok);
      assert.equal(verification.seq, victim.seq);
      assert.match(verification.reason, /previous hash does not match/);
    });

    it('names a link that was made to seal a different row', async () => {
      const verification = await inRolledBackTransaction(testDb.db, async (tx) => {
        await bypassAppendOnly(tx, 'audit_chain');
        await tx.query(
          `update audit_chain set audit_ids = array_replace(audit_ids, $2::bigint, $2::bigint + 1000) where seq = $1`,
          [victim.seq, victim.audit_id],
        );
        return verifyAuditChainWithin(tx);
      });
      assert.ok(!verification.ok);
      assert.equal(verification.seq, victim.seq);
    });

    it('names the link after one that was rewritten consistently (row, content hash and link hash together)', async () => {
      const verification = await inRolledBackTransaction(testDb.db, async (tx) => {
        await bypassAppendOnly(tx, 'audit_event');
        await bypassAppendOnly(tx, 'audit_chain');
        await tx.query(`update audit_event set outcome = 'denied' where id = $1`, [victim.audit_id]);
        // A forger who recomputes the damaged link still cannot make the next link point at it.
        const { rows } = await tx.query<{ audit_ids: number[]; content_hashes: string; prev_hash: string }>(
          'select to_json(audit_ids) as audit_ids, content_hashes, prev_hash from audit_chain where seq = $1',
          [victim.seq],
        );
        const link = rows[0];
        assert.ok(link);
        const { rows: altered } = await tx.query<AuditContent>(
          `select ${AUDIT_CONTENT_COLUMNS} from audit_event e where e.id = $1`,
          [victim.audit_id],
        );
        const position = link.audit_ids.indexOf(victim.audit_id) * 64;
        const forgedHashes =
          link.content_hashes.slice(0, position) +
          auditContentHash(altered[0] as AuditContent) +
          link.content_hashes.slice(position + 64);
        await tx.query('update audit_chain set content_hashes = $2, hash = $3 where seq = $1', [
          victim.seq,
          forgedHashes,
          linkHash(link.prev_hash, victim.seq, link.audit_ids, forgedHashes),
        ]);
        return verifyAuditChainWithin(tx);
      });
      assert.ok(!verification.ok);
      assert.equal(verification.seq, victim.seq + 1);
      assert.match(verification.reason, /previous hash does not match/);
    });

    it('names the link after one that was deleted, and says which is missing', async () => {
      const verification = await inRolledBackTransaction(testDb.db, async (tx) => {
        await bypassAppendOnly(tx, 'audit_chain');
        await tx.query('delete from audit_chain where seq = $1', [victim.seq]);
        return verifyAuditChainWithin(tx);
      });
      assert.ok(!verification.ok);
      assert.equal(verification.seq, victim.seq + 1);
      assert.equal(verification.sealed, sealedBeforeVictim());
      assert.match(verification.reason, new RegExp(`link ${victim.seq} is missing`));
    });

    it('names the first of two links that were swapped', async () => {
      const verification = await inRolledBackTransaction(testDb.db, async (tx) => {
        await bypassAppendOnly(tx, 'audit_chain');
        const parked = 1_000_000;
        await tx.query(`update audit_chain set seq = seq + $3 where seq in ($1, $2)`, [
          victim.seq,
          victim.seq + 1,
          parked,
        ]);
        await tx.query(
          `update audit_chain set seq = case when seq = $1::bigint + $3 then $2::bigint else $1::bigint end
            where seq > $3`,
          [victim.seq, victim.seq + 1, parked],
        );
        return verifyAuditChainWithin(tx);
      });
      assert.ok(!verification.ok);
      assert.equal(verification.seq, victim.seq);
    });

    it('catches, once it is sealed, a row altered in the window before sealing', async () => {
      const verification = await inRolledBackTransaction(testDb.db, async (tx) => {
        await new AuditTrail(testDb.db).recordInTransaction(tx, [
          sampleAuditEntry({ requestId: 'altered-unsealed' }),
        ]);
        await bypassAppendOnly(tx, 'audit_event');
        await tx.query(
          `update audit_event set subject = 'someone-else' where request_id = 'altered-unsealed'`,
        );
        await sealBatchWithin(tx, Number.MAX_SAFE_INTEGER, 100);
        return verifyAuditChainWithin(tx);
      });
      assert.ok(!verification.ok);
      assert.match(verification.reason, /no longer matches the content sealed for it/);
      assert.equal(verification.sealed, SEALED_ROWS);
    });

    it('the verify command prints an intact chain with its head and exits 0', async () => {
      const lines: string[] = [];
      const exitCode = await runAuditVerifyCommand(testDb.db, (line) => lines.push(line));
      assert.equal(exitCode, 0);
      assert.match(
        lines[0] ?? '',
        new RegExp(`^Audit chain intact: ${SEALED_ROWS} records sealed and verified`),
      );
      assert.match(lines[1] ?? '', new RegExp(`^Head: link ${LINKS}, SHA-256 [0-9a-f]{64}$`));
      assert.ok(lines.includes('Every audit record is sealed.'));
    });

    it('the verify command names a broken link and exits 1', async () => {
      const broken = await createTestDatabase(kind);
      try {
        const trail = new AuditTrail(broken.db, { sealBatchSize: 1 });
        for (let index = 0; index < 5; index++) await trail.record(sampleAuditEntry());
        await trail.stop();
        await broken.db.transaction(async (tx) => {
          await bypassAppendOnly(tx, 'audit_event');
          await tx.query(
            `update audit_event set outcome = 'denied' where id = (select audit_ids[1] from audit_chain where seq = 3)`,
          );
        });
        const lines: string[] = [];
        const exitCode = await runAuditVerifyCommand(broken.db, (line) => lines.push(line));
        assert.equal(exitCode, 1);
        assert.match(lines[0] ?? '', /^AUDIT CHAIN BROKEN at link 3 \(audit record \d+\)\.$/);
        assert.equal((await verifyAuditChain(broken.db)).ok, false);
      } finally {
        await broken.drop();
      }
    });

    if (kind === 'postgres') {
      it('with the production grants (docs/audit.md), the application role records and seals but cannot alter, delete or unprotect', async () => {
        const suffix = randomBytes(4).toString('hex');
        const owner = `cb_audit_owner_${suffix}`;
        const app = `cb_audit_app_${suffix}`;
        await testDb.db.exec(`
          create role ${owner} nologin;
          create role ${app} login;
          alter table audit_event owner to ${owner};
          alter table audit_chain owner to ${owner};
          revoke all on audit_event, audit_chain from public, ${app};
          grant select, insert on audit_event, audit_chain to ${app};
          grant usage on sequence audit_event_id_seq to ${app};`);
        const url = new URL(testDb.url ?? '');
        url.username = app;
        const appDb = openPostgres({ connectionString: url.toString() });
        try {
          const trail = new AuditTrail(appDb);
          await trail.record(sampleAuditEntry({ requestId: 'as-app-role' }));
          await trail.stop();
          const verification = await verifyAuditChain(appDb);
          assert.ok(verification.ok && verification.unsealed === 0);
          for (const statement of [
            `update audit_event set outcome = 'denied'`,
            'delete from audit_event',
            'truncate audit_event',
            'delete from audit_chain',
            'alter table audit_event disable trigger audit_event_append_only',
          ]) {
            await assert.rejects(appDb.query(statement), /permission denied|must be owner/, statement);
          }
        } finally {
          await appDb.close();
          // Roles belong to the cluster, not the test database: hand the tables back, then drop them.
          await testDb.db.exec(`
            alter table audit_event owner to current_user;
            alter table audit_chain owner to current_user;
            drop owned by ${app};
            drop role ${app};
            drop role ${owner};`);
        }
      });
    }
  });
}
