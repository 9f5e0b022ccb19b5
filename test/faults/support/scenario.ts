// What the scenarios share: a server on a fresh database with the fault client declared, and a
// stream raced against a fault injector.
import type { TestContext } from 'node:test';
import { FhirClient, systemClientEnv } from './client.js';
import { freePort, ServerProcess } from './processes.js';
import { reportSkip, type DatabaseKind } from './settings.js';
import type { StreamResult } from './stream.js';
import { openTarget, type Target } from './targets.js';
import type { Workload } from './workload.js';

export interface Setup {
  target: Target;
  server: ServerProcess;
  client: FhirClient;
  /** The client's secret, for more clients (of other server processes on the same database). */
  secret: string;
  /** The server's whole environment, to start more processes on the same database. */
  env: Record<string, string>;
  teardown(): Promise<void>;
}

/**
 * A fresh database of `kind`, a server on it (started, ready) and an authenticated client with the
 * workload prepared; or undefined when the database cannot be had (the test is then skipped).
 * `serverOptions` adds to the server's environment and names log lines to keep (`watch`).
 */
export async function setUp(
  t: TestContext,
  name: string,
  kind: DatabaseKind,
  workload: Workload,
  target?: Target,
  serverOptions: { env?: Record<string, string>; watch?: RegExp } = {},
): Promise<Setup | undefined> {
  const opened = target ?? (await openTarget(kind, name));
  if ('skip' in opened) {
    t.skip(reportSkip(`${name} db=${kind}`, opened.skip));
    return undefined;
  }
  const { env, secret } = systemClientEnv();
  const fullEnv = { ...env, ...serverOptions.env, ...opened.env };
  const server = new ServerProcess({
    env: fullEnv,
    port: await freePort(),
    ...(serverOptions.watch ? { watch: serverOptions.watch } : {}),
  });
  const teardown = async () => {
    await server.stop(5000);
    await opened.cleanup();
  };
  try {
    await server.start();
    const client = new FhirClient(server.baseUrl, secret);
    await client.authenticate();
    await workload.prepare(client);
    return { target: opened, server, client, secret, env: fullEnv, teardown };
  } catch (error) {
    await teardown();
    throw error;
  }
}

/** Runs the stream while `chaos` injects faults; stops the injector when the stream ends. */
export async function streamUnderFaults(
  client: FhirClient,
  stream: () => Promise<StreamResult>,
  chaos: { done: Promise<number>; stop: () => void },
): Promise<{ result: StreamResult; faults: number }> {
  const failed = chaos.done.then(
    () => new Promise<never>(() => {}),
    (error: unknown) => {
      client.aborted = error instanceof Error ? error : new Error(String(error));
      throw error;
    },
  );
  const result = await Promise.race([stream(), failed]);
  chaos.stop();
  const faults = await chaos.done;
  return { result, faults };
}
