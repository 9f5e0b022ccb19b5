import { performance } from 'node:perf_hooks';
import { systemClock, warmUpValidation } from '@carebridge/domain';
import { buildApp, type AppDependencies } from './app.js';
import { loadConfig } from './config.js';
import { seedDemoAccounts } from './identity/index.js';
import { seedDemoDirectoryIfEmpty } from './seed/seed.js';
import { openDatabase, refreshStatistics } from './store/open.js';
import { seedDemoTerminologyIfEmpty } from './terminology/terminology-import.js';

/**
 * `npm start`: open (and migrate) the database, seed demo data on first start, then listen until
 * SIGTERM or SIGINT. `overrides` exists for the benchmark alone, which measures the same build with
 * its audit recorder replaced; production always runs with the default (see main.ts).
 */
export async function runServer(overrides: Pick<AppDependencies, 'audit'> = {}): Promise<void> {
  const startedAt = performance.now();
  const config = loadConfig();
  const db = await openDatabase(config.database);
  const app = await buildApp(config, { db, ...overrides });
  if (config.seed === 'demo') {
    if (await seedDemoDirectoryIfEmpty(app, db)) {
      app.log.info('Seeded the demo directory (organisations, staff and 200 synthetic patients)');
    }
    if (config.identity.mode === 'embedded') await seedDemoAccounts(db);
    if (await seedDemoTerminologyIfEmpty(db, systemClock)) {
      app.log.info(
        'Seeded the demonstration terminology subset (unverified; import SNOMED CT and dm+d for real use)',
      );
    }
  }
  await refreshStatistics(db);
  if (db.kind === 'pglite') {
    const statistics = setInterval(() => void refreshStatistics(db).catch(() => {}), 5 * 60_000);
    statistics.unref();
    app.addHook('onClose', async () => clearInterval(statistics));
  }
  const address = await app.listen({ port: config.port, host: config.host });
  const database =
    db.kind === 'postgres'
      ? 'PostgreSQL'
      : `PGlite in ${config.database.kind === 'pglite' ? config.database.dataDir : 'memory'} (not crash-durable: not for production)`;
  app.log.info(
    { readyMs: Math.round(performance.now() - startedAt), address },
    `Carebridge ready at ${address} (FHIR at ${address}/fhir, database: ${database})`,
  );

  // Compile the validators of the busiest types once the server is answering, so that the first
  // clinical write does not pay for it and readiness is not delayed by it.
  setImmediate(() =>
    warmUpValidation(['Patient', 'Observation', 'DocumentReference', 'Composition', 'Task', 'Bundle']),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal} received: finishing in-flight requests, then stopping`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
