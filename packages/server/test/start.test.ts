import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, testDatabaseKinds } from './support/databases.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

interface RunningServer {
  process: ChildProcess;
  address: string;
}

/** Starts `main.ts` as `npm start` would (from source) and waits for its "ready" log line. */
function startServer(env: Record<string, string>): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not become ready in 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before ready`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const entry = JSON.parse(line) as { address?: string; msg?: string };
      if (entry.address && entry.msg?.includes('ready')) {
        clearTimeout(timer);
        resolve({ process: child, address: entry.address });
      }
    });
  });
}

function stopServer(server: RunningServer): Promise<number | null> {
  return new Promise((resolve) => {
    server.process.once('exit', (code) => resolve(code));
    server.process.kill('SIGTERM');
  });
}

describe('npm start', () => {
  const dataRoot = mkdtempSync(join(tmpdir(), 'carebridge-start-'));
  after(() => rmSync(dataRoot, { recursive: true, force: true }));

  it('brings up the API on an embedded database seeded with demo data, and stops cleanly on SIGTERM', async () => {
    const server = await startServer({ DATA_DIR: join(dataRoot, 'data'), SEED: 'demo' });
    try {
      assert.equal((await fetch(`${server.address}/healthz`)).status, 200);
      assert.equal((await fetch(`${server.address}/fhir/metadata`)).status, 200);
      assert.equal((await fetch(`${server.address}/fhir/Patient`)).status, 401, 'patient data needs a token');
      const tokenResponse = await fetch(`${server.address}/auth/demo-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'demo-gp' }),
      });
      const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
      const search = await fetch(`${server.address}/fhir/Patient?_summary=count`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { total } = (await search.json()) as { total: number };
      assert.ok(total > 10 && total < 200, `a GP sees their practice's patients, not all 200 (saw ${total})`);
    } finally {
      assert.equal(await stopServer(server), 0);
    }
  });

  it(
    'two processes starting together on one PostgreSQL both come up and apply each migration once',
    { skip: !testDatabaseKinds().includes('postgres') && 'needs PostgreSQL' },
    async () => {
      const database = await createTestDatabase('postgres');
      await database.db.exec('drop schema public cascade; create schema public');
      try {
        const env = { DATABASE_URL: database.url ?? '', SEED: 'none' };
        const servers = await Promise.all([startServer(env), startServer(env)]);
        const { rows } = await database.db.query<{ version: number; n: number }>(
          'select version, count(*)::int as n from schema_migration group by version',
        );
        assert.ok(rows.length >= 1);
        assert.ok(rows.every((row) => row.n === 1));
        for (const server of servers) assert.equal((await fetch(`${server.address}/healthz`)).status, 200);
        await Promise.all(servers.map(stopServer));
      } finally {
        await database.drop();
      }
    },
  );
});
