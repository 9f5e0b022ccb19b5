import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ManualClock, testRangeNhsNumber } from '@carebridge/domain';
import { buildApp } from '../../src/app.js';
import type { Database } from '../../src/store/database.js';
import { openDatabase } from '../../src/store/open.js';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/databases.js';
import { MemoryAuditRecorder, TestPrincipals, staff } from '../support/principals.js';
import { testConfig } from '../support/test-app.js';
import {
  HOLD_FOR_RELEASE,
  addPatients,
  buildExchangeWorld,
  dischargeSummary,
  submission,
} from './support.js';

/**
 * The backlog release killed with SIGKILL again and again, then run to the end: every letter is
 * delivered exactly once and no ledger row is left waiting. The release runs in a child process
 * (`npm run cli -- backlog release`, from the TypeScript sources), as an operator would run it.
 */

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const LETTERS = 48;
const KILLS = 3;

interface Target {
  env: Record<string, string>;
  open(): Promise<Database>;
  drop(): Promise<void>;
}

async function target(kind: 'pglite' | 'postgres'): Promise<Target> {
  if (kind === 'postgres') {
    const database: TestDatabase = await createTestDatabase('postgres');
    await database.db.close();
    const url = database.url ?? '';
    return {
      env: { DATABASE_URL: url },
      open: () => openDatabase({ kind: 'postgres', url }),
      drop: () => database.drop().catch(() => undefined),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'carebridge-backlog-crash-'));
  const dataDir = join(dir, 'data');
  return {
    env: { DATA_DIR: dataDir },
    open: () => openDatabase({ kind: 'pglite', dataDir }),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Ingests the backlog through the API, then closes the database (PGlite: one process at a time). */
async function ingest(db: Database): Promise<void> {
  const principals = new TestPrincipals();
  const clock = new ManualClock('2026-03-20T10:00:00Z');
  const app = await buildApp(testConfig(), {
    db,
    clock,
    authenticate: principals.authenticate,
    audit: new MemoryAuditRecorder(),
  });
  try {
    const t = {
      app,
      clock,
      principals,
      fhir: (method: 'GET' | 'POST', url: string, body?: unknown, headers: Record<string, string> = {}) =>
        app.inject({
          method,
          url,
          headers: {
            authorization: 'Bearer test:integration',
            'content-type': 'application/fhir+json',
            ...headers,
          },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        }),
    };
    await buildExchangeWorld(t as never);
    principals.register('sender', staff('consultant', 'trust'));
    const patients = Array.from({ length: 12 }, (_, i) => ({
      id: `c${i}`,
      nhs: testRangeNhsNumber(300 + i),
      practice: i % 2 === 0 ? 'practice-a' : 'practice-b',
    }));
    await addPatients(t as never, patients);
    for (let i = 0; i < LETTERS; i++) {
      const patient = patients[i % patients.length];
      const document = dischargeSummary({
        documentId: `crash-${i}`,
        nhsNumber: patient?.nhs ?? '',
        discharge: `2026-03-${String(1 + (i % 15)).padStart(2, '0')}T12:00:00Z`,
        diagnosisText: `Letter ${i}`,
      });
      const response = await t.fhir(
        'POST',
        '/fhir/$submit-document',
        submission(document, [HOLD_FOR_RELEASE]),
        {
          authorization: 'Bearer test:sender',
        },
      );
      assert.equal(response.statusCode, 201, response.body);
    }
  } finally {
    await app.close();
  }
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs the CLI release; with `killAfter`, SIGKILLs it once that many batches have committed. */
function runRelease(env: Record<string, string>, killAfter?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        'packages/server/src/cli/main.ts',
        'backlog',
        'release',
        '--sender',
        'RZZ',
        '--batch-size',
        '1',
        '--log-every-batch',
      ],
      { cwd: root, env: { ...process.env, ...env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const batches = [...output.matchAll(/\] +\d+% (\d+)\//g)].filter((m) => Number(m[1]) > 0).length;
      if (killAfter !== undefined && batches >= killAfter && child.exitCode === null) child.kill('SIGKILL');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, output }));
  });
}

async function withDatabase<T>(t: Target, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await t.open();
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

for (const kind of testDatabaseKinds()) {
  describe(`backlog release killed with SIGKILL (${kind})`, () => {
    let t: Target;

    before(async () => {
      t = await target(kind);
      await withDatabase(t, ingest);
    });
    after(() => t.drop());

    it('delivers every letter exactly once after repeated kills and a final run, leaving no row waiting', async () => {
      let killedMidway = 0;
      for (let kill = 1; kill <= KILLS; kill++) {
        const run = await runRelease(t.env, kill * 2);
        if (run.signal !== 'SIGKILL') assert.equal(run.code, 0, run.output);
        const progress = await withDatabase(t, async (db) => {
          const { rows } = await db.query<{ processed: number; total: number }>(
            'select processed, total from backlog_release',
          );
          return rows;
        });
        // Planning is one transaction: a kill leaves one release or none, never two.
        assert.ok(progress.length <= 1, JSON.stringify(progress));
        const [release] = progress;
        if (run.signal === 'SIGKILL' && release && release.processed > 0 && release.processed < release.total)
          killedMidway++;
      }
      assert.ok(killedMidway >= 1, 'at least one kill landed in the middle of the release');
      const finished = await runRelease(t.env);
      assert.equal(finished.code, 0, finished.output);
      assert.match(finished.output, /complete: 48 letters/);

      await withDatabase(t, async (db) => {
        const states = await db.query<{ state: string; n: number }>(
          `select d.state, count(*)::int as n from delivery_row d join exchange_document e on e.id = d.document_row
            where e.held_for_release_at is not null group by d.state`,
        );
        assert.deepEqual(
          states.rows.map((row) => [row.state, row.n]),
          [['delivered', LETTERS]],
        );
        const events = await db.query<{ row_id: string; delivered: number; queued: number }>(
          `select row_id::text, count(*) filter (where to_state = 'delivered')::int as delivered,
             count(*) filter (where to_state = 'queued')::int as queued
           from delivery_event group by row_id
           having count(*) filter (where to_state = 'delivered') <> 1 or count(*) filter (where to_state = 'queued') <> 1`,
        );
        assert.deepEqual(events.rows, [], 'every row queued once and delivered once');
        const release = await db.query<{
          status: string;
          processed: number;
          delivered: number;
          pending: number;
        }>(
          `select status, processed, delivered,
             (select count(*)::int from backlog_release_item where outcome is null) as pending
           from backlog_release`,
        );
        assert.deepEqual(release.rows, [
          { status: 'complete', processed: LETTERS, delivered: LETTERS, pending: 0 },
        ]);
      });
    });
  });
}
