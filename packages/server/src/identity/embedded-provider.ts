import Provider, {
  errors,
  type Account,
  type AdapterPayload,
  type ClientMetadata,
  type Configuration,
  type KoaContextWithOIDC,
  type ResourceServer,
} from 'oidc-provider';
import { createHmac, type JsonWebKey } from 'node:crypto';
import type { Database } from '../store/database.js';
import { findAccountBySubject, listDemoSystemClients, type IdentityAccount } from './accounts.js';
import type { EmbeddedVerifierConfig } from './access-token-verifier.js';
import { checkSystemScopes, decideUserScopes, OIDC_SCOPES, ScopeNotAllowedError } from './grant-policy.js';
import type { EmbeddedIdentityConfig, SystemClientConfig } from './identity-config.js';
import { DatabaseOidcAdapter } from './oidc-adapter.js';
import { messagePage, signOutPage } from './pages.js';
import {
  loadCookieKeys,
  loadSigningKeys,
  publicJwks,
  type SigningAlgorithm,
  type SigningKeys,
} from './signing-keys.js';
import { isResourceScope, parseSmartScope, SmartScopeError, splitScopeString } from './smart-scopes.js';
import { smartConfiguration, type SmartConfiguration } from './smart-configuration.js';

/**
 * The embedded OpenID Connect provider (oidc-provider), configured for Carebridge:
 *  - authorization code with PKCE (S256 only) for the Carebridge web app, refresh tokens rotated
 *    on every use (a reused one revokes the whole grant);
 *  - client credentials for system clients, each limited to its allowed `system/` scopes;
 *  - every access token is a signed JWT (`at+jwt`) for the FHIR API, so the API verifies it
 *    locally without calling back here.
 */
export interface EmbeddedIdentityOptions {
  db: Database;
  /** Absolute origin (and optional path) clients use, e.g. https://carebridge.example.nhs.uk. */
  publicBaseUrl: string;
  config: EmbeddedIdentityConfig;
  /** Demo accounts and demo system clients are usable only when this is true (SEED=demo). */
  demoData: boolean;
  /** Where the provider is mounted on the server; the issuer is `<publicBaseUrl><mountPath>`. */
  mountPath?: string;
  /** Receives server errors inside the provider (never tokens). */
  logError?: (error: unknown, message: string) => void;
}

export interface EmbeddedIdentity {
  readonly issuer: string;
  /** The FHIR base URL: every access token's `aud`. */
  readonly audience: string;
  readonly mountPath: string;
  readonly provider: Provider;
  readonly signingKeys: SigningKeys;
  readonly demoData: boolean;
  /**
   * Keys the sign-in form's CSRF token (derived from the cookie secret, so every process behind a
   * load balancer accepts a form another process served).
   */
  readonly formSecret: string;
  /** The provider's public keys (also served at `<issuer>/jwks`). */
  publicJwks(): { keys: JsonWebKey[] };
  verifierConfig(): EmbeddedVerifierConfig;
  smartConfiguration(): SmartConfiguration;
}

export const WEB_CLIENT_ID = 'carebridge-web';
export const DEFAULT_MOUNT_PATH = '/auth';
const EXTRA_CLIENT_METADATA = [
  'carebridge_allowed_scopes',
  'carebridge_organization_id',
  'carebridge_ods_code',
];

/** The account behind a token, attached to oidc-provider's Account so later hooks need no lookup. */
interface CarebridgeAccount extends Account {
  identity: IdentityAccount;
}

export async function createEmbeddedIdentity(options: EmbeddedIdentityOptions): Promise<EmbeddedIdentity> {
  const { db, config, demoData } = options;
  const base = options.publicBaseUrl.replace(/\/+$/, '');
  const mountPath = options.mountPath ?? DEFAULT_MOUNT_PATH;
  const issuer = `${base}${mountPath}`;
  const audience = `${base}/fhir`;
  const signingKeys = await loadSigningKeys(db, config.signingKey);
  const cookieKeys = await loadCookieKeys(db, config.cookieSecrets);
  const algorithm = signingKeys.active.alg;

  const findDemoClient = async (clientId: string): Promise<AdapterPayload | undefined> => {
    if (!demoData) return undefined;
    const client = (await listDemoSystemClients(db)).find((candidate) => candidate.clientId === clientId);
    return (
      client &&
      systemClientMetadata({
        clientId: client.clientId,
        name: client.name,
        secret: client.secret,
        allowedScopes: client.allowedScopes,
        organizationId: client.organizationId,
        odsCode: client.odsCode,
      })
    );
  };

  const loadAccount = async (subject: string): Promise<CarebridgeAccount | undefined> => {
    const identity = await findAccountBySubject(db, subject, { includeDemo: demoData });
    if (identity === undefined) return undefined;
    return {
      accountId: identity.subject,
      identity,
      claims: () => ({ sub: identity.subject, ...identity.claims }),
    };
  };

  const configuration: Configuration = {
    adapter: (model: string) =>
      new DatabaseOidcAdapter(db, model, model === 'Client' ? findDemoClient : undefined),
    clients: [
      webClientMetadata(base, config.webRedirectPaths, algorithm),
      ...config.systemClients.map(systemClientMetadata),
    ],
    jwks: { keys: [...signingKeys.all] },
    cookies: {
      keys: cookieKeys,
      names: { session: 'cb_session', interaction: 'cb_interaction', resume: 'cb_interaction_resume' },
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    findAccount: (_ctx, subject) => loadAccount(subject),
    // Browsers may call the token endpoint cross-origin only from a client's own redirect origins.
    clientBasedCORS: (_ctx, origin, client) =>
      (client.redirectUris ?? []).some((uri) => URL.canParse(uri) && new URL(uri).origin === origin),
    scopes: OIDC_SCOPES,
    claims: {
      openid: ['sub'],
      fhirUser: ['fhirUser'],
      profile: [
        'name',
        'role',
        'organization_id',
        'ods_code',
        'practitioner_id',
        'practitioner_role_id',
        'patient_id',
      ],
    },
    // Claims for the requested scopes go in the ID token itself: there is no userinfo endpoint.
    conformIdTokenClaims: false,
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: algorithm,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: { properties: EXTRA_CLIENT_METADATA },
    responseTypes: ['code'],
    // SMART's `aud`: the FHIR server the app means to call. A mismatch means the app was pointed at
    // another server, and a token issued anyway could be replayed against us by that server.
    extraParams: {
      aud: (_ctx, value) => {
        if (value !== undefined && value.replace(/\/+$/, '') !== audience) {
          throw new errors.InvalidRequest(`aud must be this server's FHIR base URL, ${audience}`);
        }
      },
    },
    pkce: { methods: ['S256'], required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    routes: { authorization: '/authorize' },
    interactions: { url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      // Our API does not check sender constraints, so tokens bound to a key would only look safer.
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = signOutPage(`${mountPath}/assets`, form);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = messagePage(
            `${mountPath}/assets`,
            'You have signed out',
            ['You can close this page.'],
            false,
          );
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => {
          if (resource !== audience)
            throw new errors.InvalidTarget('The only resource is the Carebridge FHIR API.');
          const info: ResourceServer = {
            scope: resourceScopes(ctx, resource, client.metadata()),
            audience,
            accessTokenTTL: config.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: algorithm } },
          };
          return info;
        },
      },
    },
    // Runs after sign-in on every authorization: the grant is always what the policy allows for the
    // scopes asked for now, so no consent screen is needed for our own first-party web app.
    loadExistingGrant: async (ctx) => {
      const accountId = ctx.oidc.account?.accountId;
      const client = ctx.oidc.client;
      if (accountId === undefined || client === undefined) return undefined;
      const account = accountFromContext(ctx, accountId) ?? (await loadAccount(accountId));
      if (account === undefined) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(client.clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      const grant =
        existing?.accountId === accountId && existing.clientId === client.clientId
          ? existing
          : new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId });
      const requested = splitScopeString(
        typeof ctx.oidc.params?.scope === 'string' ? ctx.oidc.params.scope : '',
      );
      const { granted, refused } = decideUserScopes(account.identity.claims, requested);
      const grantedOidc = granted.filter((scope) => OIDC_SCOPES.includes(scope));
      if (grantedOidc.length > 0) grant.addOIDCScope(grantedOidc.join(' '));
      const refusedOidc = refused.filter((scope) => OIDC_SCOPES.includes(scope));
      if (refusedOidc.length > 0) grant.rejectOIDCScope(refusedOidc.join(' '));
      // The identity scopes are granted on the API too, so the token response lists everything granted.
      if (granted.length > 0) grant.addResourceScope(audience, granted.join(' '));
      if (refused.length > 0) grant.rejectResourceScope(audience, refused.join(' '));
      await grant.save();
      return grant;
    },
    extraTokenClaims: async (ctx, token) => {
      if (token.kind === 'ClientCredentials') {
        const metadata = ctx.oidc.client?.metadata();
        return {
          role: 'system',
          name: metadata?.client_name ?? token.clientId,
          organization_id: metadata && extraClientProperty(metadata, 'carebridge_organization_id'),
          ods_code: metadata && extraClientProperty(metadata, 'carebridge_ods_code'),
        };
      }
      const accountId = 'accountId' in token ? token.accountId : undefined;
      if (typeof accountId !== 'string') return undefined;
      const account = accountFromContext(ctx, accountId) ?? (await loadAccount(accountId));
      if (account === undefined) throw new errors.InvalidGrant('The account no longer exists.');
      const claims: Record<string, unknown> = { ...account.identity.claims };
      // A patient's own record is their launch context (SMART `patient`).
      if (account.identity.claims.patient_id !== undefined)
        claims.patient = account.identity.claims.patient_id;
      return claims;
    },
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') &&
      (code.scopes.has('offline_access') || code.scopes.has('online_access')),
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: () => config.accessTokenTtlSeconds,
      ClientCredentials: () => config.accessTokenTtlSeconds,
      AuthorizationCode: () => 60,
      IdToken: () => config.accessTokenTtlSeconds,
      Interaction: () => 15 * 60,
      Session: () => config.sessionTtlSeconds,
      Grant: () => config.refreshTokenTtlSeconds,
      RefreshToken: () => config.refreshTokenTtlSeconds,
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = messagePage(
        `${mountPath}/assets`,
        'Sorry, there is a problem signing you in',
        [
          out.error_description ?? 'The sign-in request could not be completed.',
          'Go back to the application you came from and try again.',
        ],
        true,
      );
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.proxy = config.trustProxy;
  // Koa would print unexpected errors to stderr; they reach our logger through server_error instead.
  provider.app.silent = true;
  provider.on('server_error', (_ctx: unknown, error: unknown) =>
    options.logError?.(error, 'identity provider error'),
  );

  // SMART: the token response names the patient in context (the patient who signed in).
  provider.use(async (ctx, next) => {
    await next();
    const oidcContext = (ctx as Partial<KoaContextWithOIDC>).oidc;
    if (oidcContext?.route !== 'token' || ctx.status !== 200) return;
    const body: unknown = ctx.body;
    if (typeof body !== 'object' || body === null || !('access_token' in body)) return;
    const accountId = oidcContext.entities.Account?.accountId;
    const patientId =
      typeof accountId === 'string'
        ? accountFromContext(ctx, accountId)?.identity.claims.patient_id
        : undefined;
    if (patientId !== undefined) (body as Record<string, unknown>).patient = patientId;
  });

  const jwks = publicJwks(signingKeys);
  return {
    issuer,
    audience,
    mountPath,
    provider,
    signingKeys,
    demoData,
    formSecret: createHmac('sha256', cookieKeys[0] ?? '')
      .update('carebridge sign-in form')
      .digest('base64url'),
    publicJwks: () => jwks,
    verifierConfig: () => ({ mode: 'embedded', issuer, audience, jwks }),
    smartConfiguration: () =>
      smartConfiguration({
        issuer,
        authorizationEndpoint: `${issuer}/authorize`,
        tokenEndpoint: `${issuer}/token`,
        jwksUri: `${issuer}/jwks`,
        revocationEndpoint: `${issuer}/token/revocation`,
        endSessionEndpoint: `${issuer}/session/end`,
        asymmetricClientAuth: true,
      }),
  };
}

function accountFromContext(ctx: unknown, accountId: string): CarebridgeAccount | undefined {
  const account = (ctx as Partial<KoaContextWithOIDC>).oidc?.entities.Account;
  if (account === undefined || account.accountId !== accountId || !('identity' in account)) return undefined;
  return account as CarebridgeAccount;
}

/**
 * The scopes the FHIR API (as oidc-provider's "resource server") may carry in a token for this
 * request. At the token endpoint the grant already decided (code and refresh) or the client's
 * allowed scopes decide (client credentials); at the authorization endpoint every well-formed
 * requested scope passes here and the grant policy decides once the user has signed in.
 */
function resourceScopes(ctx: KoaContextWithOIDC, resource: string, client: ClientMetadata): string {
  const requested = splitRequestedScopes(ctx);
  if (ctx.oidc.route === 'token') {
    if (ctx.oidc.params?.grant_type === 'client_credentials') {
      const allowed = extraClientProperty(client, 'carebridge_allowed_scopes') ?? '';
      try {
        return checkSystemScopes(allowed, requested).join(' ');
      } catch (error) {
        if (error instanceof ScopeNotAllowedError) throw new errors.InvalidScope(error.message, error.scope);
        throw error;
      }
    }
    return ctx.oidc.entities.Grant?.getResourceScope(resource) ?? '';
  }
  for (const scope of requested) {
    if (!isResourceScope(scope)) continue;
    try {
      parseSmartScope(scope);
    } catch (error) {
      if (error instanceof SmartScopeError) throw new errors.InvalidScope(error.message, scope);
      throw error;
    }
  }
  return requested.filter((scope) => isResourceScope(scope) || OIDC_SCOPES.includes(scope)).join(' ');
}

function splitRequestedScopes(ctx: KoaContextWithOIDC): string[] {
  const scope = ctx.oidc.params?.scope;
  try {
    return splitScopeString(typeof scope === 'string' ? scope : '');
  } catch (error) {
    if (error instanceof SmartScopeError) throw new errors.InvalidScope(error.message, error.scope);
    throw error;
  }
}

/**
 * One of our extra client metadata values. oidc-provider hands them back camelCased
 * (`carebridgeAllowedScopes`) from a client's metadata(), so both spellings are read.
 */
function extraClientProperty(metadata: ClientMetadata, snakeCaseName: string): string | undefined {
  const camelCaseName = snakeCaseName.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  const value = metadata[snakeCaseName] ?? metadata[camelCaseName];
  return typeof value === 'string' ? value : undefined;
}

/** The Carebridge web app: a public client (no secret) that must use PKCE, redirecting only to our own origin. */
function webClientMetadata(
  base: string,
  redirectPaths: readonly string[],
  algorithm: SigningAlgorithm,
): ClientMetadata {
  return {
    client_id: WEB_CLIENT_ID,
    client_name: 'Carebridge',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: redirectPaths.map((path) => `${base}${path}`),
    post_logout_redirect_uris: [`${base}/`],
    id_token_signed_response_alg: algorithm,
  };
}

function systemClientMetadata(client: SystemClientConfig): ClientMetadata {
  const metadata: ClientMetadata = {
    client_id: client.clientId,
    client_name: client.name ?? client.clientId,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    carebridge_allowed_scopes: client.allowedScopes,
    carebridge_organization_id: client.organizationId,
    carebridge_ods_code: client.odsCode,
  };
  if (client.secret !== undefined) {
    metadata.client_secret = client.secret;
    metadata.token_endpoint_auth_method = 'client_secret_basic';
  } else {
    metadata.token_endpoint_auth_method = 'private_key_jwt';
    if (client.jwks !== undefined) metadata.jwks = client.jwks as ClientMetadata['jwks'];
    if (client.jwksUri !== undefined) metadata.jwks_uri = client.jwksUri;
  }
  return metadata;
}
