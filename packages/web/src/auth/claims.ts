import { PERSON_ROLES, type PersonRole } from '../domain';
/** Who is signed in, read from the access token's claims (see docs/identity.md). */
export type Role = PersonRole;

export interface User {
  username: string;
  name: string;
  role: Role;
  organizationId?: string;
  odsCode?: string;
  practitionerRoleId?: string;
}

/**
 * Decodes a JWT's payload without verifying it. That is safe here only because the token came
 * straight from our own token endpoint over TLS, and the API verifies every token it is sent: the
 * claims only decide what the screens offer, never what the user may do.
 */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('Not a JWT');
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(json, (char) => char.charCodeAt(0));
  const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (typeof value !== 'object' || value === null) throw new Error('JWT payload is not an object');
  return value as Record<string, unknown>;
}

export function userFromClaims(claims: Record<string, unknown>): User {
  const text = (name: string): string | undefined =>
    typeof claims[name] === 'string' ? (claims[name] as string) : undefined;
  const role = text('role');
  if (role === undefined || !(PERSON_ROLES as readonly string[]).includes(role)) {
    throw new Error(`Unknown role ${String(role)}`);
  }
  const user: User = {
    username: text('sub') ?? '',
    name: text('name') ?? text('sub') ?? '',
    role: role as Role,
  };
  const organizationId = text('organization_id');
  const odsCode = text('ods_code');
  const practitionerRoleId = text('practitioner_role_id');
  if (organizationId !== undefined) user.organizationId = organizationId;
  if (odsCode !== undefined) user.odsCode = odsCode;
  if (practitionerRoleId !== undefined) user.practitionerRoleId = practitionerRoleId;
  return user;
}
