import type { FastifyRequest } from 'fastify';
import { fhirError } from '@carebridge/domain';
import type { CarebridgeRole, Principal, SmartScope } from '../../src/access/principal.js';
import type { AuditEntry } from '../../src/audit/audit-entry.js';
import type { AuditRecorder, Authenticator } from '../../src/fhir/routes.js';

/** A scope granting every permission on every type in a context (user/*.cruds, …). */
export function allScopes(context: SmartScope['context']): SmartScope[] {
  return [{ context, resourceType: '*', permissions: new Set(['c', 'r', 'u', 'd', 's']) }];
}

/**
 * The principal most API tests act as: a trusted integration (like a trust's EPR feed) with
 * system/*.cruds across every patient, so tests of FHIR behaviour are not tests of access rules.
 */
export const INTEGRATION: Principal = {
  kind: 'system',
  subject: 'test-integration',
  displayName: 'Test integration engine',
  role: 'system',
  clientId: 'test-integration',
  scopes: allScopes('system'),
  patientAccess: 'all',
};

export function staff(
  role: CarebridgeRole,
  organizationId: string,
  overrides: Partial<Principal> = {},
): Principal {
  return {
    kind: 'staff',
    subject: `${role}@${organizationId}`,
    displayName: `Test ${role} at ${organizationId}`,
    role,
    organizationId,
    clientId: 'carebridge-web',
    scopes: allScopes('user'),
    ...overrides,
  };
}

export function patientLogin(patientId: string, overrides: Partial<Principal> = {}): Principal {
  return {
    kind: 'patient',
    subject: `patient:${patientId}`,
    displayName: `Patient ${patientId}`,
    role: 'patient',
    patientId,
    clientId: 'carebridge-web',
    scopes: allScopes('patient'),
    ...overrides,
  };
}

/**
 * Test authentication: `Authorization: Bearer test:<name>` selects a principal registered under that
 * name; anything else is refused exactly as a bad token would be.
 */
export class TestPrincipals {
  private readonly principals = new Map<string, Principal>([['integration', INTEGRATION]]);

  register(name: string, principal: Principal): string {
    this.principals.set(name, principal);
    return `Bearer test:${name}`;
  }

  readonly authenticate: Authenticator = async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const name =
      typeof header === 'string' && header.startsWith('Bearer test:') ? header.slice(12) : undefined;
    const principal = name === undefined ? undefined : this.principals.get(name);
    if (!principal) throw fhirError('unauthenticated', 'No valid access token was presented.');
    return principal;
  };
}

/** Keeps audit entries in memory, for tests that look at what was recorded. */
export class MemoryAuditRecorder implements AuditRecorder {
  readonly entries: AuditEntry[] = [];

  async record(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }
}
