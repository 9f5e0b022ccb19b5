import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEMO_USERS, type DemoUser } from '../seed/demo-directory.js';
import type { Database } from '../store/database.js';
import { authenticate, normaliseUsername } from './accounts.js';
import { loadNhsukAssets } from './assets.js';
import type { EmbeddedIdentity } from './embedded-provider.js';
import { deleteExpiredArtifacts } from './oidc-adapter.js';
import { messagePage, signInPage, type FieldError } from './pages.js';
import type { SmartConfiguration } from './smart-configuration.js';

/**
 * HTTP wiring for identity:
 *  - `<mount>/*` is handed, untouched, to oidc-provider (a Koa app): the route hijacks the reply
 *    and no body parser runs, because the provider reads and checks request bodies itself;
 *  - `<mount>/interaction/:uid` is our sign-in page (NHS.UK design system);
 *  - `<mount>/assets/*` serves the NHS.UK frontend from our own origin;
 *  - `/fhir/.well-known/smart-configuration` is SMART discovery.
 */
export interface EmbeddedIdentityRoutesOptions {
  identity: EmbeddedIdentity;
  db: Database;
}

/** The sign-in page may load only our own scripts and styles, and post only to ourselves. */
const PAGE_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const FORM_BODY_LIMIT = 8 * 1024;
const CSRF_FIELD = '_csrf';
const ARTIFACT_CLEANUP_INTERVAL_MS = 10 * 60 * 1000;

export async function embeddedIdentityRoutes(
  app: FastifyInstance,
  options: EmbeddedIdentityRoutesOptions,
): Promise<void> {
  const { identity, db } = options;
  const mount = identity.mountPath;
  const assetsPath = `${mount}/assets`;
  const assets = loadNhsukAssets(assetsPath);
  const throttle = new SignInThrottle();
  const demoAccounts = identity.demoData ? demoAccountList() : undefined;
  const handleProviderRequest = identity.provider.callback();

  await app.register(async (pages) => {
    pages.removeAllContentTypeParsers();
    pages.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
      (_request, body, done) => done(null, new URLSearchParams(body as string)),
    );
    // The sign-in form is the one place a browser posts with cookies, so it carries a CSRF token:
    // its secret in a SameSite=Strict cookie scoped to the form, the token (bound to this sign-in's
    // interaction id, so one cannot be swapped for another) in a hidden field.
    await pages.register(fastifyCookie);
    await pages.register(fastifyCsrf, {
      cookieKey: 'cb_form',
      cookieOpts: { path: `${mount}/interaction`, httpOnly: true, sameSite: 'strict', secure: 'auto' },
      getToken: (request) =>
        request.body instanceof URLSearchParams ? (request.body.get(CSRF_FIELD) ?? undefined) : undefined,
      getUserInfo: (request) => (request.params as { uid?: string }).uid ?? '',
      csrfOpts: { hmacKey: identity.formSecret },
    });
    pages.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET') {
        return sendHtml(reply, 403, formExpiredPage(assetsPath));
      }
      throw error;
    });

    pages.get(`${assetsPath}/*`, async (request, reply) => {
      const name = (request.params as { '*': string })['*'];
      const asset = assets.get(name);
      if (asset === undefined)
        return sendHtml(reply, 404, messagePage(assetsPath, 'Page not found', [], true));
      return reply
        .header('content-type', asset.contentType)
        .header('cache-control', 'public, max-age=86400')
        .send(asset.body);
    });

    pages.get('/fhir/.well-known/smart-configuration', async (_request, reply) => {
      return sendSmartConfiguration(reply, identity.smartConfiguration());
    });

    pages.get(`${mount}/interaction/:uid`, async (request, reply) => {
      const interaction = await currentInteraction(identity, request, reply);
      if (interaction === undefined) return sendExpired(reply, assetsPath);
      if (interaction.prompt === 'consent') {
        // First-party app: the grant policy decides, there is nothing for the user to agree to.
        const returnTo = await identity.provider.interactionResult(request.raw, reply.raw, { consent: {} });
        return reply.redirect(returnTo, 303);
      }
      if (interaction.prompt !== 'login') return sendExpired(reply, assetsPath);
      return sendHtml(
        reply,
        200,
        signInPage({
          assets: assetsPath,
          formAction: request.url.split('?')[0] ?? request.url,
          clientName: interaction.clientName,
          csrfToken: reply.generateCsrf({ userInfo: (request.params as { uid: string }).uid }),
          ...(demoAccounts ? { demoAccounts } : {}),
        }),
      );
    });

    pages.post(`${mount}/interaction/:uid`, { preHandler: pages.csrfProtection }, async (request, reply) => {
      const interaction = await currentInteraction(identity, request, reply);
      if (interaction === undefined || interaction.prompt !== 'login') return sendExpired(reply, assetsPath);
      const form = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
      const username = (form.get('username') ?? '').trim();
      const password = form.get('password') ?? '';
      const render = (status: number, errors: FieldError[], throttled = false) =>
        sendHtml(
          reply,
          status,
          signInPage({
            assets: assetsPath,
            formAction: request.url.split('?')[0] ?? request.url,
            clientName: interaction.clientName,
            csrfToken: reply.generateCsrf({ userInfo: (request.params as { uid: string }).uid }),
            username,
            errors,
            throttled,
            ...(demoAccounts ? { demoAccounts } : {}),
          }),
        );

      const missing: FieldError[] = [];
      if (username === '') missing.push({ field: 'username', message: 'Enter your username' });
      if (password === '') missing.push({ field: 'password', message: 'Enter your password' });
      if (missing.length > 0) return render(400, missing);

      const throttleKey = `${normaliseUsername(username)}|${request.ip}`;
      if (throttle.isBlocked(throttleKey)) return render(429, [], true);
      const account = await authenticate(db, username, password, { includeDemo: identity.demoData });
      if (account === undefined) {
        throttle.recordFailure(throttleKey);
        // One message for both fields: saying which was wrong would reveal which usernames exist.
        return render(400, [{ field: 'username', message: 'Enter a correct username and password' }]);
      }
      throttle.recordSuccess(throttleKey);
      const returnTo = await identity.provider.interactionResult(request.raw, reply.raw, {
        // Not remembered: clinical workstations are shared, so the session ends with the browser.
        login: { accountId: account.subject, amr: ['pwd'], remember: false },
      });
      return reply.redirect(returnTo, 303);
    });
  });

  await app.register(async (passthrough) => {
    passthrough.removeAllContentTypeParsers();
    // Leave the body unread: oidc-provider parses (and size-limits) what each endpoint accepts.
    passthrough.addContentTypeParser('*', (_request, _payload, done) => done(null));
    passthrough.all(`${mount}/*`, (request, reply) => {
      reply.hijack();
      const raw = request.raw as IncomingMessage & { originalUrl?: string };
      setProviderResponseHeaders(reply.raw, request.id);
      // The provider sees paths relative to where it is mounted, and derives the mount from originalUrl.
      raw.originalUrl = raw.url;
      raw.url = (raw.url ?? '/').slice(mount.length) || '/';
      void handleProviderRequest(raw, reply.raw);
    });
  });

  const cleanup = setInterval(() => {
    deleteExpiredArtifacts(db).catch((error: unknown) =>
      app.log.warn({ err: error }, 'identity cleanup failed'),
    );
  }, ARTIFACT_CLEANUP_INTERVAL_MS);
  cleanup.unref();
  app.addHook('onClose', async () => clearInterval(cleanup));
}

/** SMART discovery for any mode: embedded, or an external issuer whose endpoints are configured. */
export function sendSmartConfiguration(reply: FastifyReply, configuration: SmartConfiguration): FastifyReply {
  return (
    reply
      .header('content-type', 'application/json; charset=utf-8')
      // Public metadata that browser-based SMART apps on other origins must be able to read.
      .header('access-control-allow-origin', '*')
      .header('cache-control', 'public, max-age=3600')
      .send(JSON.stringify(configuration))
  );
}

interface CurrentInteraction {
  prompt: string;
  clientName: string;
}

async function currentInteraction(
  identity: EmbeddedIdentity,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<CurrentInteraction | undefined> {
  let details;
  try {
    details = await identity.provider.interactionDetails(request.raw, reply.raw);
  } catch {
    // No interaction cookie, or the interaction expired: the user must start again from the app.
    return undefined;
  }
  if (details.uid !== (request.params as { uid: string }).uid) return undefined;
  const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : undefined;
  const client = clientId === undefined ? undefined : await identity.provider.Client.find(clientId);
  return { prompt: details.prompt.name, clientName: client?.clientName ?? 'Carebridge' };
}

function sendExpired(reply: FastifyReply, assetsPath: string): FastifyReply {
  return sendHtml(
    reply,
    400,
    messagePage(
      assetsPath,
      'Your sign-in has timed out',
      [
        'For your security, sign-in requests expire.',
        'Go back to the application you came from and sign in again.',
      ],
      true,
    ),
  );
}

/** A sign-in form without a valid CSRF token: stale, replayed, or posted from another site. */
function formExpiredPage(assetsPath: string): string {
  return messagePage(
    assetsPath,
    'Your sign-in form has expired',
    [
      'For your security, the sign-in form could not be accepted.',
      'Go back to the application and sign in again.',
    ],
    true,
  );
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_SECURITY_POLICY)
    .send(html);
}

/** Hijacked replies skip Fastify's hooks, so the headers installSecurityHeaders would add are set here. */
function setProviderResponseHeaders(response: ServerResponse, requestId: string): void {
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('x-frame-options', 'DENY');
  response.setHeader('referrer-policy', 'no-referrer');
  response.setHeader('x-request-id', requestId);
}

function demoAccountList(): Array<{ username: string; description: string }> {
  return (Object.entries(DEMO_USERS) as Array<[string, DemoUser]>).map(([username, user]) => ({
    username,
    description: `${user.displayName}, ${user.kind === 'patient' ? 'patient' : user.role}`,
  }));
}

/**
 * Slows password guessing: after five failures for one username from one address within 15
 * minutes, that pair is refused until the window passes. Per address as well as username, so
 * nobody can lock a colleague out from elsewhere. In memory: each process counts separately.
 */
class SignInThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();
  private static readonly LIMIT = 5;
  private static readonly WINDOW_MS = 15 * 60 * 1000;
  private static readonly MAX_TRACKED = 10_000;

  isBlocked(key: string): boolean {
    const entry = this.current(key);
    return entry !== undefined && entry.count >= SignInThrottle.LIMIT;
  }

  recordFailure(key: string): void {
    const entry = this.current(key) ?? { count: 0, since: Date.now() };
    entry.count += 1;
    this.failures.delete(key);
    this.failures.set(key, entry);
    if (this.failures.size > SignInThrottle.MAX_TRACKED) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  recordSuccess(key: string): void {
    this.failures.delete(key);
  }

  private current(key: string): { count: number; since: number } | undefined {
    const entry = this.failures.get(key);
    if (entry !== undefined && Date.now() - entry.since > SignInThrottle.WINDOW_MS) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }
}
