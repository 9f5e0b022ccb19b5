import type { IdentityClaims } from './accounts.js';
import {
  isResourceScope,
  parseSmartScope,
  parseSmartScopes,
  scopeCovers,
  SmartScopeError,
} from './smart-scopes.js';

/**
 * Which requested scopes a signed-in user, or a system client, is granted. Pure, so the rules
 * can be read and tested apart from the OAuth machinery:
 *  - staff get `user/` scopes, patients get `patient/` scopes (their own record is the launch
 *    context), nobody signing in gets `system/` scopes;
 *  - `launch/patient` is granted only to patients: a standalone patient picker for staff is not
 *    offered, so staff get no patient context (and so no `patient/` scopes);
 *  - a system client gets a `system/` scope only when one of its allowed scopes covers it.
 */
export const OIDC_SCOPES = [
  'openid',
  'fhirUser',
  'profile',
  'offline_access',
  'online_access',
  'launch/patient',
];

export interface ScopeDecision {
  granted: string[];
  refused: string[];
}

export function decideUserScopes(claims: IdentityClaims, requested: readonly string[]): ScopeDecision {
  const isPatient = claims.role === 'patient' && claims.patient_id !== undefined;
  const decision: ScopeDecision = { granted: [], refused: [] };
  for (const scope of new Set(requested)) {
    let allowed: boolean;
    if (scope === 'launch/patient') allowed = isPatient;
    else if (OIDC_SCOPES.includes(scope)) allowed = true;
    else if (isResourceScope(scope)) {
      const context = parseSmartScope(scope).context;
      allowed = isPatient ? context === 'patient' : context === 'user';
    } else allowed = false;
    (allowed ? decision.granted : decision.refused).push(scope);
  }
  return decision;
}

export class ScopeNotAllowedError extends Error {
  constructor(
    readonly scope: string,
    message: string,
  ) {
    super(message);
    this.name = 'ScopeNotAllowedError';
  }
}

/**
 * The scopes a system client asked for, if every one is a well-formed `system/` scope covered by
 * its allowed scopes; otherwise the first offending scope is reported (nothing is silently
 * dropped, so a client learns exactly what it may not have).
 */
export function checkSystemScopes(allowedScopes: string, requested: readonly string[]): string[] {
  if (requested.length === 0) {
    throw new ScopeNotAllowedError(
      '',
      'Request the system/ scopes the client needs (the scope parameter is empty).',
    );
  }
  const allowed = parseSmartScopes(allowedScopes);
  for (const scope of requested) {
    if (!isResourceScope(scope)) {
      throw new ScopeNotAllowedError(scope, `'${scope}' cannot be granted to a system client.`);
    }
    let parsed;
    try {
      parsed = parseSmartScope(scope);
    } catch (error) {
      if (error instanceof SmartScopeError) throw new ScopeNotAllowedError(scope, error.message);
      throw error;
    }
    if (parsed.context !== 'system') {
      throw new ScopeNotAllowedError(scope, `'${scope}': client credentials grant only system/ scopes.`);
    }
    if (!allowed.some((candidate) => scopeCovers(candidate, parsed))) {
      throw new ScopeNotAllowedError(scope, `'${scope}' is not among the scopes this client is allowed.`);
    }
  }
  return [...new Set(requested)];
}
