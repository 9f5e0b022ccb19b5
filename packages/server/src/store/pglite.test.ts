import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { migrate } from './migrations.js';
import { openPGliteDirectory } from './pglite.js';

describe('PGlite data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'carebridge-pglite-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a first start creates the directory with its schema, and a restart keeps the data', async () => {
    const dir = join(root, 'data');
    const db = await openPGliteDirectory(dir, async (d) => void (await migrate(d)));
    await db.query(
      `insert into unique_key (key, resource_type, id, created_at) values ('k', 'Patient', '1', now())`,
    );
    await db.close();
    const reopened = await openPGliteDirectory(dir, async (d) => void (await migrate(d)));
    const { rows } = await reopened.query<{ n: number }>('select count(*)::int as n from unique_key');
    assert.equal(rows[0]?.n, 1);
    await reopened.close();
  });

  it('an initialisation killed half-way leaves no directory that opens without its schema', async () => {
    const dir = join(root, 'interrupted');
    await assert.rejects(
      openPGliteDirectory(dir, async () => {
        throw new Error('killed during initialisation');
      }),
    );
    assert.equal(existsSync(dir), false, 'the target directory only appears once initialised');
    const db = await openPGliteDirectory(dir, async (d) => void (await migrate(d)));
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from schema_migration');
    assert.ok((rows[0]?.n ?? 0) >= 1);
    await db.close();
    assert.deepEqual(
      readdirSync(root).filter((name) => name.includes('.initialising-')),
      [],
      'abandoned staging removed',
    );
  });

  it('refuses a non-empty directory that is not a PGlite database rather than touching it', async () => {
    const dir = join(root, 'someone-elses');
    mkdirSync(dir);
    writeFileSync(join(dir, 'precious.txt'), 'keep me');
    await assert.rejects(
      openPGliteDirectory(dir, async () => {}),
      /not a Carebridge PGlite database/,
    );
    assert.equal(existsSync(join(dir, 'precious.txt')), true);
  });
});
