import { runAuditVerifyCommand } from '../audit/verify-chain.js';
import { BACKLOG_USAGE, runBacklogCommand } from './backlog-command.js';
import { TERMINOLOGY_USAGE, runTerminologyCommand } from './terminology-command.js';
import { loadConfig, publicBase } from '../config.js';
import { mintDemoAccessToken } from '../identity/index.js';
import { openDatabase } from '../store/open.js';

/**
 * `npm run cli -- <command>`, against the configured database (DATABASE_URL or DATA_DIR):
 *   token <username> [scopes…]   a bearer access token for a demo user (embedded identity only)
 *   audit verify                 check the audit hash chain and name the first broken link
 *   backlog release [options]    deliver documents held for a backlog release, with a progress bar
 *   terminology import [options] load SNOMED CT RF2 and dm+d releases for the coded-entry pickers
 */
const USAGE = `usage: npm run cli -- token <username> [scopes…] | audit verify | ${BACKLOG_USAGE} | ${TERMINOLOGY_USAGE}`;

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const config = loadConfig();
  if (command === 'token' && rest[0]) {
    if (config.identity.mode !== 'embedded') {
      console.error('Tokens can only be minted while the embedded identity provider is in use.');
      return 2;
    }
    const base = publicBase(config);
    const scopes = rest.slice(1).join(' ');
    // A running server owns an embedded database: ask it, rather than open the database twice.
    const fromServer = await tokenFromRunningServer(config.port, rest[0], scopes);
    if (fromServer !== undefined) {
      console.log(fromServer);
      return 0;
    }
    const db = await openDatabase(config.database);
    try {
      const token = await mintDemoAccessToken(db, {
        username: rest[0],
        issuer: `${base}/auth`,
        audience: `${base}/fhir`,
        ...(scopes ? { scopes } : {}),
        ...(config.identity.mode === 'embedded' && config.identity.signingKey
          ? { signingKey: config.identity.signingKey }
          : {}),
      });
      console.log(token.accessToken);
      return 0;
    } finally {
      await db.close();
    }
  }
  if (command === 'audit' && rest[0] === 'verify') {
    const db = await openDatabase(config.database);
    try {
      return await runAuditVerifyCommand(db, (line) => console.log(line));
    } finally {
      await db.close();
    }
  }
  if (command === 'backlog' && rest[0] === 'release') {
    // PGlite allows one process per data directory: stop the server first (PostgreSQL needs nothing).
    const db = await openDatabase(config.database);
    try {
      return await runBacklogCommand(db, rest.slice(1), (line) => console.log(line));
    } finally {
      await db.close();
    }
  }
  if (command === 'terminology' && rest[0] === 'import') {
    // Like backlog release: PGlite allows one process per data directory, so stop the server first.
    const db = await openDatabase(config.database);
    try {
      return await runTerminologyCommand(db, rest.slice(1), (line) => console.log(line));
    } finally {
      await db.close();
    }
  }
  console.error(USAGE);
  return 2;
}

async function tokenFromRunningServer(
  port: number,
  username: string,
  scopes: string,
): Promise<string | undefined> {
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${port}/auth/demo-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, ...(scopes ? { scopes } : {}) }),
    });
  } catch {
    return undefined; // no server running here
  }
  if (!response.ok)
    throw new Error(`The running server refused a token for ${username} (${response.status}).`);
  return ((await response.json()) as { access_token: string }).access_token;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
