// PostgreSQL for the fault scenarios: scratch databases on the shared cluster (created fresh, dropped
// at the end; the shared cluster itself is never stopped), and a PRIVATE cluster (initdb into a temp
// dir, its own port and socket dir) for the scenarios that stop and start PostgreSQL.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { portIsFree } from './processes.js';
import { SHARED_POSTGRES_URL } from './settings.js';

/** Does PostgreSQL answer at `url` within 3 s? */
export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The URL of database `name` on the same server as `adminUrl`. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh, empty database on the shared cluster; `drop()` removes it. */
export async function scratchDatabase(
  name: string,
  adminUrl = SHARED_POSTGRES_URL,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Unsafe database name ${name}`);
  await withClient(adminUrl, async (client) => {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  });
  return {
    url: databaseUrl(adminUrl, name),
    drop: () =>
      withClient(adminUrl, async (client) => {
        await client.query(`drop database if exists ${name} with (force)`);
      }).catch((error: unknown) => console.error(`Could not drop database ${name}: ${String(error)}`)),
  };
}

/** The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, or why there is none. */
export function findPostgresBinaries(): { binDir: string } | { skip: string } {
  const base = process.env.CAREBRIDGE_FAULTS_PG_BIN ? undefined : '/usr/lib/postgresql';
  if (process.env.CAREBRIDGE_FAULTS_PG_BIN) return { binDir: process.env.CAREBRIDGE_FAULTS_PG_BIN };
  if (!base || !existsSync(base))
    return { skip: 'no /usr/lib/postgresql: initdb and pg_ctl are not installed' };
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (newest === undefined) return { skip: `no initdb/pg_ctl under ${base}/*/bin` };
  return { binDir: join(base, newest, 'bin') };
}

/** initdb refuses to run as root; as root the private cluster runs as this (existing) user. */
function clusterUser(): { user?: string; uid?: number; gid?: number } | { skip: string } {
  if (userInfo().uid !== 0) return {};
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  const entry = passwd.find((line) => line.startsWith('postgres:'));
  if (!entry) return { skip: 'running as root and there is no postgres user to run a private cluster as' };
  const [, , uid, gid] = entry.split(':');
  if (spawnSync('runuser', ['--help'], { stdio: 'ignore' }).error) {
    return { skip: 'running as root without runuser to start a private cluster as postgres' };
  }
  return { user: 'postgres', uid: Number(uid), gid: Number(gid) };
}

/**
 * A throwaway PostgreSQL cluster of our own: initdb into a temp dir, trust auth, listening on
 * 127.0.0.1 at its own port with its socket dir inside the temp dir. `stopImmediate()` is a
 * crash-style stop (`pg_ctl stop -m immediate`: no checkpoint, crash recovery on the next start).
 * `destroy()` stops it and removes every file.
 */
export class PrivateCluster {
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  /** A directory the cluster user may write (WAL archive, base backups, dumps). */
  readonly workDir: string;
  private destroyed = false;

  private constructor(
    readonly root: string,
    readonly binDir: string,
    readonly port: number,
    private readonly user: string | undefined,
  ) {
    this.dataDir = join(root, 'data');
    this.socketDir = join(root, 'socket');
    this.logFile = join(root, 'postgres.log');
    this.workDir = join(root, 'work');
  }

  /** Creates and starts a private cluster, or returns why it cannot (so the scenario can skip). */
  static async create(
    preferredPort = 55432,
    settings: (cluster: PrivateCluster) => Record<string, string> = () => ({}),
  ): Promise<PrivateCluster | { skip: string }> {
    const binaries = findPostgresBinaries();
    if ('skip' in binaries) return binaries;
    const owner = clusterUser();
    if ('skip' in owner) return owner;
    let port = preferredPort;
    while (!(await portIsFree(port))) {
      port++;
      if (port > preferredPort + 100) return { skip: `no free port in ${preferredPort}–${port}` };
    }
    const root = mkdtempSync(join(tmpdir(), 'carebridge-faults-pg-'));
    mkdirSync(join(root, 'socket'));
    mkdirSync(join(root, 'work'));
    if (owner.uid !== undefined && owner.gid !== undefined) {
      for (const path of [root, join(root, 'socket'), join(root, 'work')])
        chownSync(path, owner.uid, owner.gid);
    }
    const cluster = new PrivateCluster(root, binaries.binDir, port, owner.user);
    process.once('exit', () => cluster.destroySync());
    const init = cluster.run('initdb', [
      '-D',
      cluster.dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    if (init.status !== 0) {
      cluster.destroySync();
      return { skip: `initdb failed: ${init.output}` };
    }
    const extra = Object.entries(settings(cluster));
    if (extra.length > 0) {
      appendFileSync(
        join(cluster.dataDir, 'postgresql.conf'),
        `\n${extra.map(([name, value]) => `${name} = '${value.replaceAll("'", "''")}'`).join('\n')}\n`,
      );
    }
    await cluster.start();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the cluster and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.socketDir}`,
      "-c listen_addresses='127.0.0.1'",
      '-c max_connections=60',
      '-c shared_buffers=32MB',
      // Durable like production: fsync and synchronous commit stay on (their defaults).
    ].join(' ');
    const started = this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      this.logFile,
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    if (started.status !== 0) throw new Error(`pg_ctl start failed: ${started.output}\n${this.logTail()}`);
  }

  /** Crash-style stop: `pg_ctl stop -m immediate`. */
  stopImmediate(): void {
    const stopped = this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    if (stopped.status !== 0) throw new Error(`pg_ctl stop -m immediate failed: ${stopped.output}`);
  }

  /** Stops the cluster (fast) and removes its files. */
  destroy(): void {
    this.destroySync();
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Runs a PostgreSQL tool (pg_basebackup, pg_dump, …) from the cluster's bin dir, as its user. */
  tool(name: string, args: string[]): { status: number | null; output: string } {
    return this.run(name, args);
  }

  /** Runs any command as the cluster's user (so files it writes belong to that user). */
  asOwner(command: string, args: string[]): { status: number | null; output: string } {
    return this.run(command, args, false);
  }

  private run(tool: string, args: string[], fromBin = true): { status: number | null; output: string } {
    const command = fromBin ? join(this.binDir, tool) : tool;
    const result = this.user
      ? spawnSync('runuser', ['-u', this.user, '--', command, ...args], { encoding: 'utf8', cwd: this.root })
      : spawnSync(command, args, { encoding: 'utf8', cwd: this.root });
    return {
      status: result.status,
      output:
        `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim(),
    };
  }
}
