import type { SmartScope } from '../access/principal.js';

/**
 * SMART App Launch scopes (v2, with the v1 forms still accepted), parsed into the `SmartScope`
 * values the access layer checks. A token naming a resource scope we cannot read is refused
 * outright: silently dropping it could widen access (a dropped `?category=` filter) or hide a
 * client's mistake until it reaches a clinician.
 */
export type SmartPermission = 'c' | 'r' | 'u' | 'd' | 's';

const PERMISSION_ORDER: readonly SmartPermission[] = ['c', 'r', 'u', 'd', 's'];
const V2_PERMISSIONS = /^c?r?u?d?s?$/;
const V1_PERMISSIONS: Readonly<Record<string, readonly SmartPermission[]>> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};
const CONTEXTS = new Set<SmartScope['context']>(['patient', 'user', 'system']);
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{0,63}$/;
const SEARCH_PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
/** RFC 6749 §3.3 scope-token characters: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Scopes that are not about resources: identity (OpenID Connect), launch context and refresh
 * lifetime. They are recognised so that a caller can tell them apart from unknown scopes.
 */
export const NON_RESOURCE_SMART_SCOPES: ReadonlySet<string> = new Set([
  'openid',
  'fhirUser',
  'profile',
  'launch',
  'launch/patient',
  'launch/encounter',
  'offline_access',
  'online_access',
]);

export class SmartScopeError extends Error {
  constructor(
    readonly scope: string,
    readonly reason: string,
  ) {
    super(`The scope '${scope}' is not a valid SMART scope: ${reason}.`);
    this.name = 'SmartScopeError';
  }
}

/** True when a scope token is meant as a resource scope (`patient/…`, `user/…`, `system/…`). */
export function isResourceScope(token: string): boolean {
  const slash = token.indexOf('/');
  return slash > 0 && CONTEXTS.has(token.slice(0, slash) as SmartScope['context']);
}

/**
 * The resource scopes in a space-separated scope string, in order. Identity, launch and other
 * non-resource scopes (including ones from other schemes, such as CIS2's `nationalrbacaccess`) are
 * skipped; a malformed resource scope throws `SmartScopeError` naming the scope and the fault.
 */
export function parseSmartScopes(scope: string): SmartScope[] {
  return splitScopeString(scope).filter(isResourceScope).map(parseSmartScope);
}

/** The scope tokens of a space-separated scope string; a token with characters OAuth forbids throws. */
export function splitScopeString(scope: string): string[] {
  const tokens = scope.split(' ').filter((token) => token !== '');
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) {
      throw new SmartScopeError(token, 'it contains a character OAuth does not allow in a scope');
    }
  }
  return tokens;
}

/** One resource scope such as `patient/Observation.rs?category=laboratory` or `user/*.read`. */
export function parseSmartScope(token: string): SmartScope {
  const slash = token.indexOf('/');
  const context = token.slice(0, slash);
  if (slash <= 0 || !CONTEXTS.has(context as SmartScope['context'])) {
    throw new SmartScopeError(token, "it must start with 'patient/', 'user/' or 'system/'");
  }
  const question = token.indexOf('?');
  const body = token.slice(slash + 1, question === -1 ? undefined : question);
  const query = question === -1 ? undefined : token.slice(question + 1);
  const dot = body.lastIndexOf('.');
  if (dot === -1) {
    throw new SmartScopeError(token, "it needs a resource type and permissions, such as 'Observation.rs'");
  }
  const resourceType = body.slice(0, dot);
  const permissionText = body.slice(dot + 1);
  if (resourceType !== '*' && !RESOURCE_TYPE.test(resourceType)) {
    throw new SmartScopeError(token, `'${resourceType}' is not a FHIR resource type or '*'`);
  }
  const v1 = V1_PERMISSIONS[permissionText];
  const permissions = v1 ?? parseV2Permissions(token, permissionText);
  const parsed: SmartScope = {
    context: context as SmartScope['context'],
    resourceType,
    permissions: new Set(permissions),
  };
  if (query !== undefined) {
    if (v1 !== undefined) {
      throw new SmartScopeError(
        token,
        'search-parameter filters are only allowed with v2 permissions (cruds)',
      );
    }
    parsed.filter = parseFilter(token, query);
  }
  return parsed;
}

function parseV2Permissions(token: string, text: string): SmartPermission[] {
  if (text === '') throw new SmartScopeError(token, 'it grants no permissions');
  const letters = [...text];
  if (letters.some((letter) => !PERMISSION_ORDER.includes(letter as SmartPermission))) {
    throw new SmartScopeError(
      token,
      `'${text}' is neither v2 permissions (letters from c, r, u, d, s) nor v1 read, write or *`,
    );
  }
  if (new Set(letters).size !== letters.length) {
    throw new SmartScopeError(token, `'${text}' repeats a permission letter`);
  }
  if (!V2_PERMISSIONS.test(text)) {
    throw new SmartScopeError(token, `the permission letters '${text}' must be in the order c, r, u, d, s`);
  }
  return letters as SmartPermission[];
}

function parseFilter(token: string, query: string): Array<[string, string]> {
  if (query === '') throw new SmartScopeError(token, "it has a '?' with no search parameters after it");
  return query.split('&').map((pair): [string, string] => {
    const equals = pair.indexOf('=');
    if (equals <= 0 || equals === pair.length - 1) {
      throw new SmartScopeError(token, `the filter '${pair}' must be name=value`);
    }
    const name = decode(token, pair.slice(0, equals));
    const value = decode(token, pair.slice(equals + 1));
    if (!SEARCH_PARAMETER_NAME.test(name)) {
      throw new SmartScopeError(token, `'${name}' is not a search parameter name`);
    }
    return [name, value];
  });
}

function decode(token: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new SmartScopeError(token, `'${text}' has a malformed percent-escape`);
  }
}

/** The v2 text of a parsed scope (permissions in cruds order), e.g. for a token's `scope` claim. */
export function formatSmartScope(scope: SmartScope): string {
  const letters = PERMISSION_ORDER.filter((letter) => scope.permissions.has(letter)).join('');
  const filter = scope.filter?.length
    ? `?${scope.filter.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')}`
    : '';
  return `${scope.context}/${scope.resourceType}.${letters}${filter}`;
}

/**
 * Whether `granted` allows everything `requested` asks for: same context, the same type (or a
 * wildcard), no permission beyond those granted, and at least the granted filters (a filtered
 * grant covers only requests that carry the same filter).
 */
export function scopeCovers(granted: SmartScope, requested: SmartScope): boolean {
  if (granted.context !== requested.context) return false;
  if (granted.resourceType !== '*' && granted.resourceType !== requested.resourceType) return false;
  for (const permission of requested.permissions) {
    if (!granted.permissions.has(permission)) return false;
  }
  const requestedFilters = new Set((requested.filter ?? []).map(([name, value]) => `${name}=${value}`));
  return (granted.filter ?? []).every(([name, value]) => requestedFilters.has(`${name}=${value}`));
}
