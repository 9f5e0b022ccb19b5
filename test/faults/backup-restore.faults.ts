// The restore procedure of docs/OPERATIONS.md, run for real on a PRIVATE cluster (never the shared
// one): WAL archiving on, a base backup (pg_basebackup) taken between two batches of acknowledged
// writes, a logical dump (pg_dump -Fc) after both; then the data directory is lost, the cluster is
// restored from the base backup plus the WAL archive (point-in-time recovery to the end of the
// archive) and, separately, the dump is restored into a new database (pg_restore). On each restored
// database the server starts, every acknowledged write is found exactly once, and
// `npm run cli -- audit verify` reports the audit chain intact.
import assert from 'node:assert/strict';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { FhirClient, systemClientEnv } from './support/client.js';
import { databaseUrl, PrivateCluster } from './support/postgres.js';
import { auditVerify, freePort, ServerProcess } from './support/processes.js';
import { setUp } from './support/scenario.js';
import { LONG, reportFigures, reportSkip, requestedDatabases } from './support/settings.js';
import { runStream, type StreamResult } from './support/stream.js';
import { check, patientCreates, type Effect } from './support/workload.js';

const BATCH = LONG ? 5_000 : 300;

async function sql<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

function must(result: { status: number | null; output: string }, what: string): void {
  if (result.status !== 0) throw new Error(`${what} failed: ${result.output}`);
}

describe('backup and restore (the procedure in docs/OPERATIONS.md)', () => {
  it(
    'restores every acknowledged write, once, from a base backup plus WAL and from a dump, with the audit chain intact',
    {
      timeout: LONG ? 900_000 : 150_000,
      skip: !requestedDatabases().includes('postgres') && 'PostgreSQL not selected (--db)',
    },
    async (t) => {
      const startedAt = performance.now();
      const cluster = await PrivateCluster.create(55442, (c) => ({
        wal_level: 'replica',
        archive_mode: 'on',
        archive_command: `test ! -f ${join(c.workDir, 'wal')}/%f && cp %p ${join(c.workDir, 'wal')}/%f`,
        archive_timeout: '0',
      }));
      if ('skip' in cluster) {
        t.skip(reportSkip('backup-restore db=postgres', `no private PostgreSQL cluster: ${cluster.skip}`));
        return;
      }
      try {
        const archive = join(cluster.workDir, 'wal');
        must(cluster.asOwner('mkdir', ['-p', archive]), 'mkdir archive');
        await sql(cluster.url, 'create database carebridge');
        const url = databaseUrl(cluster.url, 'carebridge');
        const workload = patientCreates(`restore-${Date.now().toString(36)}`);
        const setup = await setUp(t, 'backup-restore', 'postgres', workload, {
          kind: 'postgres',
          env: { DATABASE_URL: url },
          where: 'private cluster',
          cleanup: async () => {},
        });
        if (!setup) return;
        const { server, client } = setup;
        const stream = (from: number) =>
          runStream({
            client,
            workload: { ...workload, operation: (i) => workload.operation(from + i) },
            total: BATCH,
            concurrency: 4,
            rate: 1000,
          });
        let before: StreamResult;
        let after: StreamResult;
        const base = join(cluster.workDir, 'base');
        const dump = join(cluster.workDir, 'carebridge.dump');
        try {
          before = await stream(0);
          // 1. The base backup, taken online while the server keeps serving.
          must(
            cluster.tool('pg_basebackup', [
              '-h',
              '127.0.0.1',
              '-p',
              String(cluster.port),
              '-U',
              'postgres',
              '-D',
              base,
              '-X',
              'stream',
              '-c',
              'fast',
            ]),
            'pg_basebackup',
          );
          // 2. Writes after the base backup: only the WAL archive has them.
          after = await stream(BATCH);
          // 3. A logical dump as well (the other backup kind).
          must(
            cluster.tool('pg_dump', [
              '-h',
              '127.0.0.1',
              '-p',
              String(cluster.port),
              '-U',
              'postgres',
              '-Fc',
              '-f',
              dump,
              'carebridge',
            ]),
            'pg_dump',
          );
        } finally {
          await server.stop();
        }
        // Close the current WAL segment and wait for the archiver to copy it.
        const [switched] = await sql<{ walfile: string }>(
          cluster.url,
          'select pg_walfile_name(pg_switch_wal()) as walfile',
        );
        const walfile = switched?.walfile ?? '';
        for (let waited = 0; !existsSync(join(archive, walfile)); waited += 100) {
          if (waited > 30_000) throw new Error(`WAL segment ${walfile} was not archived within 30 s`);
          await sleep(100);
        }

        // 4. Disaster: the cluster dies and its data directory is lost.
        cluster.stopImmediate();
        renameSync(cluster.dataDir, `${cluster.dataDir}.lost`);

        // 5. Point-in-time recovery: the base backup, then every archived WAL segment, then promotion.
        must(cluster.asOwner('cp', ['-a', base, cluster.dataDir]), 'copy the base backup into place');
        must(
          cluster.asOwner('sh', [
            '-c',
            `echo "restore_command = 'cp ${archive}/%f %p'" >> ${cluster.dataDir}/postgresql.auto.conf && touch ${cluster.dataDir}/recovery.signal`,
          ]),
          'write the recovery settings',
        );
        const restoreStartedAt = performance.now();
        await cluster.start();
        for (;;) {
          const [state] = await sql<{ recovering: boolean }>(
            cluster.url,
            'select pg_is_in_recovery() as recovering',
          );
          if (state?.recovering === false) break;
          if (performance.now() - restoreStartedAt > 120_000)
            throw new Error('Recovery did not finish within 120 s');
          await sleep(100);
        }
        const recoverySeconds = (performance.now() - restoreStartedAt) / 1000;

        // 6. The logical dump, restored into a new database of the recovered cluster.
        await sql(cluster.url, 'create database carebridge_from_dump');
        must(
          cluster.tool('pg_restore', [
            '-h',
            '127.0.0.1',
            '-p',
            String(cluster.port),
            '-U',
            'postgres',
            '-d',
            'carebridge_from_dump',
            '--exit-on-error',
            dump,
          ]),
          'pg_restore',
        );

        const sentKeys = [...before.sentKeys, ...after.sentKeys];
        const acknowledged = new Map<string, Effect>([...before.acknowledged, ...after.acknowledged]);
        const verifyRestored = async (databaseName: string) => {
          const database = { DATABASE_URL: databaseUrl(cluster.url, databaseName) };
          const clientEnv = systemClientEnv();
          const restored = new ServerProcess({
            env: { ...clientEnv.env, ...database },
            port: await freePort(),
          });
          try {
            await restored.start();
            const restoredClient = new FhirClient(restored.baseUrl, clientEnv.secret);
            const census = await workload.census(restoredClient);
            await restored.stop();
            return { result: check(sentKeys, acknowledged, census), audit: auditVerify(database) };
          } finally {
            await restored.stop();
          }
        };
        const pitr = await verifyRestored('carebridge');
        const fromDump = await verifyRestored('carebridge_from_dump');

        reportFigures('backup-restore db=postgres', {
          before_backup: before.acknowledged.size,
          after_backup: after.acknowledged.size,
          pitr_lost: pitr.result.lost,
          pitr_duplicated: pitr.result.duplicated + pitr.result.mismatched,
          pitr_audit_chain: pitr.audit.code === 0 ? 'intact' : 'BROKEN',
          dump_lost: fromDump.result.lost,
          dump_duplicated: fromDump.result.duplicated + fromDump.result.mismatched,
          dump_audit_chain: fromDump.audit.code === 0 ? 'intact' : 'BROKEN',
          recovery_seconds: recoverySeconds.toFixed(1),
          seconds: Math.round((performance.now() - startedAt) / 1000),
        });
        for (const [name, restored] of [
          ['PITR', pitr],
          ['pg_dump', fromDump],
        ] as const) {
          assert.equal(restored.result.lost, 0, `${name}: ${restored.result.problems.join('\n')}`);
          assert.equal(restored.result.duplicated, 0, `${name}: ${restored.result.problems.join('\n')}`);
          assert.equal(restored.result.mismatched, 0, `${name}: ${restored.result.problems.join('\n')}`);
          assert.equal(restored.result.unexpected, 0, `${name}: ${restored.result.problems.join('\n')}`);
          assert.equal(restored.audit.code, 0, `${name}: audit verify:\n${restored.audit.output}`);
        }
      } finally {
        cluster.destroy();
      }
    },
  );
});
