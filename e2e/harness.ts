import { createServer } from 'node:net';
import type { Clock } from '@carebridge/domain';
import type { Browser } from 'playwright-core';
import { buildApp } from '../packages/server/src/app.js';
import { loadConfig } from '../packages/server/src/config.js';
import type { InternalFhirClient } from '../packages/server/src/fhir/internal-client.js';
import { seedDemoAccounts } from '../packages/server/src/identity/index.js';
import { seedDemoDirectoryIfEmpty } from '../packages/server/src/seed/seed.js';
import { openDatabase } from '../packages/server/src/store/open.js';
import { seedDemoTerminologyIfEmpty } from '../packages/server/src/terminology/terminology-import.js';
import { launchChromium, logAxeResults } from './browser.js';

/**
 * The end-to-end tests' server: the real app (real identity provider, real exchange, demo data) on
 * an in-memory database, listening on a free loopback port, with a clock the tests can move
 * forward. The clock is injected through buildApp's dependencies, as the unit tests do; nothing in
 * the production start-up can move time.
 */
export class ShiftableClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(milliseconds: number): void {
    this.offsetMs += milliseconds;
  }
}

export interface E2eServer {
  baseUrl: string;
  clock: ShiftableClock;
  /** Seeds through the FHIR interactions under an internal principal (same checks and audit as HTTP). */
  fhir: InternalFhirClient['call'];
  close(): Promise<void>;
}

/**
 * Demo patients registered at Quayside Medical Centre (Y99901), the demo GP's practice, and among
 * the hospital's inpatients the demo directory admits (seed/demo-admissions.ts).
 */
export const INPATIENTS = ['pat-0001', 'pat-0007'] as const;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startE2eServer(): Promise<E2eServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = {
    ...loadConfig({ PORT: String(port), PUBLIC_BASE_URL: baseUrl, LOG_LEVEL: 'warn', OUTBOX_WORKER: 'off' }),
    host: '127.0.0.1',
    database: { kind: 'pglite-memory' as const },
  };
  const clock = new ShiftableClock();
  const db = await openDatabase(config.database);
  const app = await buildApp(config, { db, clock });
  await seedDemoDirectoryIfEmpty(app, db);
  await seedDemoAccounts(db);
  await seedDemoTerminologyIfEmpty(db, clock);
  await app.listen({ port, host: '127.0.0.1' });
  return {
    baseUrl,
    clock,
    fhir: (...args) => app.fhirClient.call(...args),
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

/** What one e2e file runs against: the server and headless Chromium. */
export async function startE2e(): Promise<{ server: E2eServer; browser: Browser }> {
  const server = await startE2eServer();
  try {
    return { server, browser: await launchChromium() };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** Closes what `startE2e` opened (either may be missing when it failed) and prints the axe summary. */
export async function stopE2e(server: E2eServer | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await server?.close();
  logAxeResults();
}
