// Where a scenario's server keeps its data: a fresh PostgreSQL database on the shared cluster (or on
// a private cluster when the shared one does not answer), or a temp PGlite DATA_DIR.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresAnswers, PrivateCluster, scratchDatabase } from './postgres.js';
import { POSTGRES_REQUIRED, SHARED_POSTGRES_URL, type DatabaseKind } from './settings.js';

export interface Target {
  kind: DatabaseKind;
  /** Server environment naming the database (DATABASE_URL or DATA_DIR). */
  env: Record<string, string>;
  /** Where the data is, for the figures line. */
  where: string;
  cleanup(): Promise<void>;
}

/** A fresh database of `kind`, or why it cannot be had (then the scenario skips, or fails if required). */
export async function openTarget(kind: DatabaseKind, tag: string): Promise<Target | { skip: string }> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), `carebridge-faults-${tag}-`));
    return {
      kind,
      env: { DATA_DIR: join(dir, 'data') },
      where: 'temp DATA_DIR',
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (await postgresAnswers(SHARED_POSTGRES_URL)) {
    const name = `carebridge_faults_${tag.replace(/[^a-z0-9]/g, '_')}_${process.pid}`;
    const database = await scratchDatabase(name);
    return {
      kind,
      env: { DATABASE_URL: database.url },
      where: `fresh database ${name}`,
      cleanup: database.drop,
    };
  }
  const cluster = await PrivateCluster.create();
  if ('skip' in cluster) {
    const reason = `PostgreSQL does not answer at ${SHARED_POSTGRES_URL.replace(/\/\/[^@]*@/, '//***@')} and no private cluster: ${cluster.skip}`;
    if (POSTGRES_REQUIRED) throw new Error(reason);
    return { skip: reason };
  }
  return {
    kind,
    env: { DATABASE_URL: cluster.url },
    where: `private cluster on port ${cluster.port}`,
    cleanup: async () => cluster.destroy(),
  };
}
