import { randomBytes } from 'node:crypto';
import { isCarebridgeRole, type CarebridgeRole } from '../access/principal.js';
import {
  DEMO_DIAGNOSTIC_CENTRE,
  DEMO_ORGANISATIONS,
  DEMO_PHARMACIES,
  DEMO_USERS,
  type DemoUser,
} from '../seed/demo-directory.js';
import type { Database } from '../store/database.js';
import { hashPassword, verifyPassword, type ScryptParameters } from './passwords.js';

/**
 * Accounts of the embedded identity provider, and the claims each one's tokens carry. The claim
 * names are Carebridge's own (snake_case, as OIDC claims are), plus SMART's `fhirUser`.
 */
export interface IdentityClaims {
  name: string;
  role: Exclude<CarebridgeRole, 'system'>;
  /** The organisation a member of staff acts for. Patients act for no organisation, so have none. */
  organization_id?: string;
  ods_code?: string;
  practitioner_id?: string;
  practitioner_role_id?: string;
  patient_id?: string;
  /** `PractitionerRole/<id>` for staff, `Patient/<id>` for patients (SMART's fhirUser claim). */
  fhirUser: string;
}

export interface IdentityAccount {
  subject: string;
  username: string;
  claims: IdentityClaims;
  demo: boolean;
}

export interface AccountLookupOptions {
  /** Whether demo accounts may be used: only while the server runs with demo data. */
  includeDemo: boolean;
}

/** Every demo account signs in with this password (documented in the README and on the sign-in page). */
export const DEMO_PASSWORD = 'demo';

/**
 * Demo accounts hash their password at a lower cost than real accounts: the password is published,
 * so the cost would protect nothing, while the OWASP cost (about 0.6 s a hash here) would add
 * seconds to every first start and every test database.
 */
export const DEMO_SCRYPT_PARAMETERS: ScryptParameters = { cost: 2 ** 14, blockSize: 8, parallelization: 1 };

export async function findAccountBySubject(
  db: Database,
  subject: string,
  options: AccountLookupOptions,
): Promise<IdentityAccount | undefined> {
  const row = await activeAccountRow(db, 'subject', subject, options);
  return row && toAccount(row);
}

/** The enabled account with this subject or username (demo accounts only when allowed). */
async function activeAccountRow(
  db: Database,
  key: 'subject' | 'username',
  value: string,
  options: AccountLookupOptions,
): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(
    `select subject, username, claims, demo, password_hash from identity_account
      where ${key} = $1 and not disabled and (not demo or $2)`,
    [value, options.includeDemo],
  );
  return rows[0];
}

/**
 * The account for a username and password, or undefined. An unknown username costs the same
 * scrypt work as a wrong password, so response time does not reveal which usernames exist.
 */
export async function authenticate(
  db: Database,
  username: string,
  password: string,
  options: AccountLookupOptions,
): Promise<IdentityAccount | undefined> {
  const row = await activeAccountRow(db, 'username', normaliseUsername(username), options);
  const matches = await verifyPassword(password, row?.password_hash ?? (await decoyHash()));
  return row !== undefined && matches ? toAccount(row) : undefined;
}

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

export interface DemoSeedReport {
  accountsCreated: number;
  clientsCreated: number;
}

/**
 * Creates the demo accounts (password `demo`) and the demo system clients (random secrets), leaving
 * any that already exist untouched. Call it whenever the demo directory is seeded; it is idempotent.
 */
export async function seedDemoAccounts(
  db: Database,
  options: { scrypt?: ScryptParameters } = {},
): Promise<DemoSeedReport> {
  const { rows } = await db.query<{ username: string }>('select username from identity_account');
  const existing = new Set(rows.map((row) => row.username));
  let accountsCreated = 0;
  for (const [username, user] of Object.entries(DEMO_USERS) as Array<[string, DemoUser]>) {
    if (existing.has(username)) continue;
    const passwordHash = await hashPassword(DEMO_PASSWORD, options.scrypt ?? DEMO_SCRYPT_PARAMETERS);
    const { rowCount } = await db.query(
      `insert into identity_account (subject, username, password_hash, claims, demo)
       values ($1, $1, $2, $3, true) on conflict do nothing`,
      [username, passwordHash, JSON.stringify(demoClaims(user))],
    );
    accountsCreated += rowCount;
  }
  let clientsCreated = 0;
  for (const client of DEMO_SYSTEM_CLIENTS) {
    const { rowCount } = await db.query(
      `insert into identity_demo_client
         (client_id, client_secret, client_name, allowed_scopes, organization_id, ods_code)
       values ($1, $2, $3, $4, $5, $6) on conflict do nothing`,
      [
        client.clientId,
        randomBytes(32).toString('base64url'),
        client.name,
        client.allowedScopes,
        client.organizationId,
        client.odsCode,
      ],
    );
    clientsCreated += rowCount;
  }
  return { accountsCreated, clientsCreated };
}

/** The claims for a demo login, from the demo directory it acts as. */
export function demoClaims(user: DemoUser): IdentityClaims {
  if (user.kind === 'patient') {
    return {
      name: user.displayName,
      role: 'patient',
      patient_id: user.patientId,
      fhirUser: `Patient/${user.patientId}`,
    };
  }
  return {
    name: user.displayName,
    role: user.role,
    organization_id: user.organizationId,
    ods_code: user.odsCode,
    practitioner_id: user.practitionerId,
    practitioner_role_id: user.practitionerRoleId,
    fhirUser: `PractitionerRole/${user.practitionerRoleId}`,
  };
}

export interface DemoSystemClient {
  clientId: string;
  name: string;
  allowedScopes: string;
  organizationId: string;
  odsCode: string;
}

/** Demo system-to-system clients: a community pharmacy system and a diagnostics system. */
export const DEMO_SYSTEM_CLIENTS: readonly DemoSystemClient[] = [
  {
    clientId: 'demo-pharmacy-system',
    name: `${DEMO_PHARMACIES[0].name} dispensing system (demo)`,
    allowedScopes:
      'system/Patient.rs system/MedicationRequest.rs system/MedicationDispense.cruds system/Task.rus',
    organizationId: DEMO_PHARMACIES[0].id,
    odsCode: DEMO_PHARMACIES[0].odsCode,
  },
  {
    clientId: 'demo-diagnostics-system',
    name: `${DEMO_DIAGNOSTIC_CENTRE.name} results system (demo)`,
    allowedScopes:
      'system/Patient.rs system/ServiceRequest.rs system/Task.rus system/DiagnosticReport.cruds system/Observation.cruds',
    organizationId: DEMO_DIAGNOSTIC_CENTRE.id,
    odsCode: DEMO_DIAGNOSTIC_CENTRE.odsCode,
  },
];

export interface StoredDemoClient extends DemoSystemClient {
  secret: string;
}

/** The demo system clients with their generated secrets (for the CLI to show to a developer). */
export async function listDemoSystemClients(db: Database): Promise<StoredDemoClient[]> {
  const { rows } = await db.query<{
    client_id: string;
    client_secret: string;
    client_name: string;
    allowed_scopes: string;
    organization_id: string;
    ods_code: string;
  }>(
    `select client_id, client_secret, client_name, allowed_scopes, organization_id, ods_code
       from identity_demo_client order by client_id`,
  );
  return rows.map((row) => ({
    clientId: row.client_id,
    secret: row.client_secret,
    name: row.client_name,
    allowedScopes: row.allowed_scopes,
    organizationId: row.organization_id,
    odsCode: row.ods_code,
  }));
}

/** The organisation with an ODS code among the demo organisations (used by demo wiring and tests). */
export function demoOrganisationByOdsCode(odsCode: string): { organizationId: string } | undefined {
  const organisation = DEMO_ORGANISATIONS.find((candidate) => candidate.odsCode === odsCode);
  return organisation && { organizationId: organisation.id };
}

interface AccountRow {
  subject: string;
  username: string;
  claims: string;
  demo: boolean;
  password_hash: string;
}

function toAccount(row: AccountRow): IdentityAccount {
  return { subject: row.subject, username: row.username, claims: parseClaims(row.claims), demo: row.demo };
}

/** Claims are ours, but they are read back from storage, so they are checked rather than trusted. */
function parseClaims(text: string): IdentityClaims {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) throw new Error('Stored account claims are not an object');
  const record = value as Record<string, unknown>;
  const stringClaim = (name: keyof IdentityClaims): string | undefined => {
    const member = record[name];
    if (member === undefined) return undefined;
    if (typeof member !== 'string') throw new Error(`Stored account claim ${name} is not a string`);
    return member;
  };
  const role = record.role;
  if (!isCarebridgeRole(role) || role === 'system') throw new Error('Stored account has no valid role');
  const name = stringClaim('name');
  const fhirUser = stringClaim('fhirUser');
  if (name === undefined || fhirUser === undefined) throw new Error('Stored account lacks name or fhirUser');
  const claims: IdentityClaims = { name, role, fhirUser };
  const optionalClaims = [
    'organization_id',
    'ods_code',
    'practitioner_id',
    'practitioner_role_id',
    'patient_id',
  ] as const;
  for (const claim of optionalClaims) {
    const member = stringClaim(claim);
    if (member !== undefined) claims[claim] = member;
  }
  return claims;
}

let decoy: Promise<string> | undefined;

/** A hash of a random password, verified against when the username is unknown. */
function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  return decoy;
}
