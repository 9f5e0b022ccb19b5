import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../store/database.js';
import {
  bearerAuthenticator,
  createAccessTokenVerifier,
  type AccessTokenVerifier,
  type ExternalVerifierConfig,
  type VerifiedPrincipal,
} from './access-token-verifier.js';
import type { OrganisationResolver } from './cis2-roles.js';
import { createEmbeddedIdentity, type EmbeddedIdentity } from './embedded-provider.js';
import type { IdentityConfig } from './identity-config.js';
import { embeddedIdentityRoutes, sendSmartConfiguration } from './identity-routes.js';
import { smartConfiguration, type SmartConfiguration } from './smart-configuration.js';

/**
 * Identity for the composition root. `prepareIdentity` builds everything that needs no Fastify
 * instance (so `authenticate` can be handed to `buildApp` as a dependency); `routes` then mounts
 * what must be served. `registerIdentity` does both, for callers that own the app.
 */
export interface PrepareIdentityOptions {
  db: Database;
  config: IdentityConfig;
  /** Absolute base URL clients use (PUBLIC_BASE_URL); the issuer and token audience derive from it. */
  publicBaseUrl: string;
  /** SEED=demo: demo accounts and demo system clients may be used. */
  demoData: boolean;
  /** External mode: finds the Organization for a role's ODS code (called per request; may bind late). */
  resolveOrganisation?: OrganisationResolver;
  /** External mode: finds the Patient for an NHS login's NHS number (patient sign-ins refused without it). */
  resolvePatient?: ExternalVerifierConfig['resolvePatient'];
  /** Where provider-internal errors are logged (never with tokens). Defaults to stderr. */
  logError?: (error: unknown, message: string) => void;
}

export interface PreparedIdentity {
  mode: IdentityConfig['mode'];
  issuer: string;
  /** The `aud` every access token must carry: the FHIR base URL. */
  audience: string;
  verifier: AccessTokenVerifier;
  /** For `buildApp`'s `authenticate` dependency: the request's bearer token, verified. */
  authenticate: (request: FastifyRequest) => Promise<VerifiedPrincipal>;
  /** SMART discovery, when there is something to advertise (always in embedded mode). */
  smartConfiguration?: SmartConfiguration;
  /** Present in embedded mode. */
  embedded?: EmbeddedIdentity;
  /** Mounts `/auth/*` (embedded) and `/fhir/.well-known/smart-configuration` on the app. */
  routes(app: FastifyInstance): Promise<void>;
}

export async function prepareIdentity(options: PrepareIdentityOptions): Promise<PreparedIdentity> {
  const base = options.publicBaseUrl.replace(/\/+$/, '');
  const { config } = options;
  const logError = options.logError ?? ((error: unknown, message: string) => console.error(message, error));
  if (config.mode === 'embedded') {
    const embedded = await createEmbeddedIdentity({
      db: options.db,
      publicBaseUrl: base,
      config,
      demoData: options.demoData,
      logError,
    });
    const verifier = createAccessTokenVerifier(embedded.verifierConfig());
    return {
      mode: 'embedded',
      issuer: embedded.issuer,
      audience: embedded.audience,
      verifier,
      authenticate: bearerAuthenticator(verifier),
      smartConfiguration: embedded.smartConfiguration(),
      embedded,
      routes: (app) => embeddedIdentityRoutes(app, { identity: embedded, db: options.db }),
    };
  }
  if (options.resolveOrganisation === undefined) {
    throw new Error('External identity needs an organisation resolver (ODS code → Organization)');
  }
  const audience = config.audience ?? `${base}/fhir`;
  const verifier = createAccessTokenVerifier({
    mode: 'external',
    issuer: config.issuer,
    audience,
    jwksUrl: config.jwksUrl,
    algorithms: config.algorithms,
    clockToleranceSeconds: config.clockToleranceSeconds,
    roleMapping: config.roleMapping,
    defaultStaffScopes: config.defaultStaffScopes,
    resolveOrganisation: options.resolveOrganisation,
    ...(options.resolvePatient ? { resolvePatient: options.resolvePatient } : {}),
  });
  const discovery =
    config.authorizationEndpoint !== undefined && config.tokenEndpoint !== undefined
      ? smartConfiguration({
          issuer: config.issuer,
          authorizationEndpoint: config.authorizationEndpoint,
          tokenEndpoint: config.tokenEndpoint,
          jwksUri: config.jwksUrl,
          asymmetricClientAuth: false,
        })
      : undefined;
  return {
    mode: 'external',
    issuer: config.issuer,
    audience,
    verifier,
    authenticate: bearerAuthenticator(verifier),
    ...(discovery ? { smartConfiguration: discovery } : {}),
    async routes(app) {
      if (discovery === undefined) return;
      app.get('/fhir/.well-known/smart-configuration', async (_request, reply) =>
        sendSmartConfiguration(reply, discovery),
      );
    },
  };
}

/** `prepareIdentity` and its routes in one call, for an app the caller has already built. */
export async function registerIdentity(
  app: FastifyInstance,
  options: PrepareIdentityOptions,
): Promise<PreparedIdentity> {
  const identity = await prepareIdentity({
    logError: (error, message) => app.log.error({ err: error }, message),
    ...options,
  });
  await identity.routes(app);
  return identity;
}

export {
  AccessTokenError,
  ACCESS_TOKEN_REFUSALS,
  wwwAuthenticate,
  type AccessTokenRefusal,
} from './access-token-error.js';
export {
  bearerAuthenticator,
  bearerTokenFromHeader,
  createAccessTokenVerifier,
  requireStaffPrincipal,
  type AccessTokenVerifier,
  type AccessTokenVerifierConfig,
  type EmbeddedVerifierConfig,
  type ExternalVerifierConfig,
  type VerifiedPrincipal,
} from './access-token-verifier.js';
export {
  DEMO_PASSWORD,
  DEMO_SYSTEM_CLIENTS,
  demoOrganisationByOdsCode,
  listDemoSystemClients,
  seedDemoAccounts,
  type DemoSeedReport,
  type IdentityClaims,
} from './accounts.js';
export {
  DEFAULT_CIS2_ROLE_MAPPING,
  type Cis2RoleRule,
  type NationalRbacRole,
  type OrganisationKind,
  type OrganisationResolver,
  type ResolvedOrganisation,
} from './cis2-roles.js';
export { mintDemoAccessToken, type DemoToken, type DemoTokenOptions } from './demo-token.js';
export { createEmbeddedIdentity, WEB_CLIENT_ID, type EmbeddedIdentity } from './embedded-provider.js';
export { embeddedIdentityRoutes } from './identity-routes.js';
export { loadIdentityConfig, type IdentityConfig, type SystemClientConfig } from './identity-config.js';
export { rotateSigningKey } from './signing-keys.js';
export {
  capabilityStatementSecurity,
  smartConfiguration,
  type SmartConfiguration,
} from './smart-configuration.js';
export {
  formatSmartScope,
  parseSmartScope,
  parseSmartScopes,
  scopeCovers,
  SmartScopeError,
} from './smart-scopes.js';
