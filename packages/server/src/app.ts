import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Clock } from '@carebridge/domain';
import {
  extractIndexRows,
  supportedSearchParams,
  systemClock,
  type SupportedResourceType,
} from '@carebridge/domain';
import { publicBase, type Config } from './config.js';
import { AuditTrail } from './audit/audit-trail.js';
import { bearerAuthenticator, mintDemoAccessToken, registerIdentity } from './identity/index.js';
import { cachingVerifier } from './identity/verified-token-cache.js';
import { organisationByOdsCode } from './store/directory.js';
import { BundleProcessor } from './fhir/bundle-processing.js';
import { capabilityStatementJson } from './fhir/capability-statement.js';
import { AuditEvents } from './fhir/audit-events.js';
import { HistoryService } from './fhir/history.js';
import { InternalFhirClient } from './fhir/internal-client.js';
import { FhirInteractions } from './fhir/interactions.js';
import { PagingTokens } from './fhir/paging.js';
import { fhirRoutes, type AuditRecorder, type Authenticator } from './fhir/routes.js';
import { BreakGlassOperations } from './fhir/break-glass-operations.js';
import { AccessControl } from './access/access-control.js';
import { BreakGlass } from './access/break-glass.js';
import { IndexedSearchService } from './fhir/search-service.js';
import { installErrorHandling, sendFrameworkError, answerClientError } from './ops/errors.js';
import { installHealth } from './ops/health.js';
import { loggerOptions } from './ops/logging.js';
import { installMetrics } from './ops/metrics.js';
import { installSecurityHeaders } from './ops/security-headers.js';
import type { Database } from './store/database.js';
import { ResourceStore } from './store/resource-store.js';
import { createExchange } from './exchange/index.js';
import { createRequests, type RequestOptions } from './requests/index.js';
import { TerminologyOperations } from './terminology/terminology-operations.js';
import {
  fhirEndpointAdapter,
  OutboxWorker,
  registerMailboxRoutes,
  webhookAdapter,
  type Outbox,
} from './transport/index.js';
import { registerWebApp } from './web/web-app.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** FHIR calls Carebridge makes itself, under an explicit internal principal. */
    fhirClient: InternalFhirClient;
    /** The transport outbox documents leave through (shared by exchange, the worker and mailboxes). */
    outbox: Outbox;
  }
}

export interface AppDependencies {
  db: Database;
  clock?: Clock;
  /**
   * Verifies each request's credentials. By default the identity configured in `config.identity`
   * (the embedded provider, mounted at /auth, or an external issuer); tests inject their own.
   */
  authenticate?: Authenticator;
  /** Where audit entries are made durable before each answer. By default the hash-chained trail. */
  audit?: AuditRecorder;
  /** Requests' local agreements, GP minutes and alarm limits, over the configuration's and the defaults. */
  requests?: Partial<RequestOptions>;
  /** The built web app to serve at `/`; by default packages/web/dist, served only when it exists. */
  webRoot?: string;
}

/**
 * The composition root: every adapter is chosen here from configuration and injected, nothing is
 * wired at import time, so tests build the same app on an in-memory database with a manual clock.
 */
export async function buildApp(config: Config, deps: AppDependencies): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    logger: loggerOptions(config.logLevel),
    bodyLimit: config.limits.maxBodyBytes,
    requestIdHeader: 'x-request-id',
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      // One line per request is noise at info level; 5xx are logged by the error handler anyway.
      disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace',
    }),
    return503OnClosing: true,
    // Requests Fastify refuses before routing (a malformed URL escape) still get an OperationOutcome.
    frameworkErrors: (error, _request, reply) => sendFrameworkError(error, reply),
    clientErrorHandler: answerClientError,
  });
  installErrorHandling(app);
  installSecurityHeaders(app);
  installHealth(app, deps.db);
  installMetrics(app);

  const store = new ResourceStore({ clock, indexRows: extractIndexRows });
  const tokens = new PagingTokens(config.cursorSecret);
  const search = new IndexedSearchService({ tokens, limits: config.limits });
  const history = new HistoryService({ store, tokens, limits: config.limits });
  const bundles = new BundleProcessor({ store, search, limits: config.limits });
  const capabilityStatement = capabilityStatementJson(config.limits, clock, (type) =>
    supportedSearchParams(type as SupportedResourceType).map((param) => ({
      name: param.code,
      type: param.type,
      definition: param.url,
      documentation: param.description,
    })),
  );
  const audit = deps.audit ?? startAuditTrail(app, deps.db);
  const authenticate = deps.authenticate ?? (await configuredAuthentication(app, config, deps.db, clock));
  const access = new AccessControl({ clock });
  const breakGlass = new BreakGlassOperations(new BreakGlass({ clock }));
  // Document exchange; exchange.outbox is the transport outbox to share with the worker and mailbox routes.
  const exchange = createExchange({
    store,
    clock,
    access,
    db: deps.db,
    onBackgroundError: (error) => app.log.error({ err: error }, 'backlog release stopped'),
  });
  app.addHook('onClose', async () => exchange.operations.stopBackgroundWork());
  const interactions = new FhirInteractions({
    db: deps.db,
    store,
    search,
    history,
    access,
    breakGlass,
    exchange: exchange.operations,
    // The configured local agreements, unless the caller (a test) passes its own options.
    requests: createRequests({ store, clock, access, options: { ...config.requests, ...deps.requests } }),
    terminology: new TerminologyOperations({ clock }),
    auditEvents: new AuditEvents({ tokens, limits: config.limits }),
    clock,
    limits: config.limits,
    capabilityStatement: () => capabilityStatement,
    processBundle: (tx, request, self) => bundles.process(tx, request, self),
  });
  app.decorate(
    'fhirClient',
    new InternalFhirClient({
      interactions,
      access,
      audit,
      db: deps.db,
      baseUrl: `${publicBase(config)}/fhir`,
    }),
  );
  await app.register(fhirRoutes, {
    interactions,
    access,
    authenticate,
    audit,
    db: deps.db,
    http: config.http,
    ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
  });
  app.decorate('outbox', exchange.outbox);
  await registerMailboxRoutes(app, { db: deps.db, outbox: exchange.outbox, authenticate, audit });
  if (config.transport.worker) startOutboxWorker(app, config, deps.db, exchange.outbox);
  // The clinician workspace at `/`, registered last: its catch-all never shadows an API route.
  registerWebApp(app, deps.webRoot === undefined ? {} : { root: deps.webRoot });
  return app;
}

/** Sends what the outbox holds for external recipients, until the app closes. */
function startOutboxWorker(app: FastifyInstance, config: Config, db: Database, outbox: Outbox): void {
  const worker = new OutboxWorker({
    db,
    outbox,
    adapters: [
      fhirEndpointAdapter(),
      webhookAdapter({ secretFor: (endpointId) => config.transport.webhookSecrets[endpointId] }),
    ],
    ...(config.transport.leaseMs === undefined ? {} : { leaseMs: config.transport.leaseMs }),
    onError: (error) => app.log.error({ err: error }, 'outbox worker error'),
  });
  app.addHook('onReady', async () => worker.start());
  app.addHook('onClose', async () => worker.stop());
}

/** The hash-chained audit trail, sealing in the background and flushed when the app closes. */
function startAuditTrail(app: FastifyInstance, db: Database): AuditTrail {
  const trail = new AuditTrail(db);
  trail.start();
  app.addHook('onClose', async () => trail.stop());
  return trail;
}

/** Mounts the configured identity (embedded provider or external issuer) and verifies its tokens. */
async function configuredAuthentication(
  app: FastifyInstance,
  config: Config,
  db: Database,
  clock: Clock,
): Promise<Authenticator> {
  const identity = await registerIdentity(app, {
    db,
    config: config.identity,
    publicBaseUrl: publicBase(config),
    demoData: config.seed === 'demo',
    resolveOrganisation: (odsCode) => organisationByOdsCode(db, odsCode),
  });
  if (config.identity.mode === 'embedded' && config.seed === 'demo') demoTokenRoute(app, db, config);
  return bearerAuthenticator(cachingVerifier(identity.verifier, clock));
}

/**
 * `POST /auth/demo-token {"username": "demo-gp"}` → a bearer token for a demo user, for
 * `npm run cli -- token` and tests. Only with demo data and the embedded provider, and only from
 * this machine: a convenience for trying Carebridge out, never a way in from the network.
 */
function demoTokenRoute(app: FastifyInstance, db: Database, config: Config): void {
  app.post('/auth/demo-token', async (request, reply) => {
    const body = request.body as { username?: unknown; scopes?: unknown } | undefined;
    if (!isLoopback(request.ip) || typeof body?.username !== 'string') {
      return reply.code(404).send({ error: 'not_found' });
    }
    const base = publicBase(config);
    try {
      const token = await mintDemoAccessToken(db, {
        username: body.username,
        issuer: `${base}/auth`,
        audience: `${base}/fhir`,
        ...(typeof body.scopes === 'string' ? { scopes: body.scopes } : {}),
        ...(config.identity.mode === 'embedded' && config.identity.signingKey
          ? { signingKey: config.identity.signingKey }
          : {}),
      });
      return { access_token: token.accessToken, token_type: 'Bearer' };
    } catch (error) {
      return reply.code(400).send({ error: 'invalid_request', error_description: (error as Error).message });
    }
  });
}

function isLoopback(address: string): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
