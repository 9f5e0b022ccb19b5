/**
 * The roles a Carebridge principal acts in: the people's roles (CIS2-style role claims, and patients)
 * and `system` for a trusted integration. One list for the server's access rules and the web's menus.
 */
export const CAREBRIDGE_ROLES = [
  'gp',
  'practice-admin',
  'consultant',
  'secretary',
  'pharmacist',
  'diagnostics',
  'patient',
  'ops',
  'privacy-officer',
  'admin',
  'system',
] as const;

export type CarebridgeRole = (typeof CAREBRIDGE_ROLES)[number];

/** The roles a person signs in with (every role but a system client's). */
export type PersonRole = Exclude<CarebridgeRole, 'system'>;

export const PERSON_ROLES: readonly PersonRole[] = CAREBRIDGE_ROLES.filter(
  (role): role is PersonRole => role !== 'system',
);
