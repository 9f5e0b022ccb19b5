import { decodeJwtPayload, userFromClaims, type User } from './claims';
import { randomToken, s256Challenge } from './pkce';

/**
 * Sign-in through the embedded OpenID Connect provider: authorization code with PKCE (S256) for
 * the public client `carebridge-web`. Tokens live in this module's memory only, never in storage,
 * so another tab, an extension reading storage or a later user of a shared workstation cannot pick
 * them up. Only the one-time PKCE verifier and state survive the redirect, in sessionStorage, and
 * are deleted as soon as the callback uses them.
 */
export const CLIENT_ID = 'carebridge-web';
export const CALLBACK_PATH = '/app/callback';
const SCOPE = 'openid fhirUser profile online_access user/*.cruds';
const PENDING_KEY = 'carebridge.signin';
/** Refresh this long before the access token expires, so a request never carries a stale one. */
const REFRESH_MARGIN_MS = 60_000;

interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
}

interface Pending {
  state: string;
  verifier: string;
  returnTo: string;
}

export interface Session {
  user: User;
  accessToken: string;
}

type Listener = (session: Session | undefined) => void;

let accessToken: string | undefined;
let refreshToken: string | undefined;
let idToken: string | undefined;
let current: Session | undefined;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | undefined;
const listeners = new Set<Listener>();

const redirectUri = (): string => `${window.location.origin}${CALLBACK_PATH}`;

export function currentSession(): Session | undefined {
  return current;
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function publish(): void {
  for (const listener of listeners) listener(current);
}

/** Starts sign-in: off to the provider's sign-in page, back to `returnTo` afterwards. */
export async function signIn(returnTo: string): Promise<void> {
  const pending: Pending = { state: randomToken(16), verifier: randomToken(), returnTo };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL('/auth/authorize', window.location.origin);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: redirectUri(),
    scope: SCOPE,
    state: pending.state,
    code_challenge: await s256Challenge(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

/** Finishes sign-in on the callback page; returns where the user was going. */
export async function completeSignIn(search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = raw === null ? undefined : (JSON.parse(raw) as Pending);
  const error = params.get('error');
  if (error !== null) throw new Error(params.get('error_description') ?? error);
  const code = params.get('code');
  // The state ties this answer to the sign-in this tab started: anything else is a forged callback.
  if (pending === undefined || code === null || params.get('state') !== pending.state) {
    throw new Error('The sign-in answer did not match a sign-in started here.');
  }
  await requestTokens({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri(),
    client_id: CLIENT_ID,
    code_verifier: pending.verifier,
  });
  return pending.returnTo.startsWith('/') && !pending.returnTo.startsWith('//') ? pending.returnTo : '/';
}

async function requestTokens(form: Record<string, string>): Promise<void> {
  const response = await fetch('/auth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  if (!response.ok) throw new Error(`The token endpoint answered ${response.status}`);
  const tokens = (await response.json()) as TokenResponse;
  accessToken = tokens.access_token;
  if (tokens.refresh_token !== undefined) refreshToken = tokens.refresh_token;
  if (tokens.id_token !== undefined) idToken = tokens.id_token;
  current = { user: userFromClaims(decodeJwtPayload(accessToken)), accessToken };
  scheduleRefresh((tokens.expires_in ?? 900) * 1000);
  publish();
}

function scheduleRefresh(lifetimeMs: number): void {
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), Math.max(lifetimeMs - REFRESH_MARGIN_MS, 5_000));
}

/**
 * Swaps the refresh token for new tokens. The provider rotates refresh tokens on every use, so two
 * refreshes at once would spend the same token twice and revoke the grant: callers share one.
 */
export function refresh(): Promise<boolean> {
  if (refreshToken === undefined) return Promise.resolve(false);
  refreshing ??= requestTokens({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: CLIENT_ID,
  })
    .then(() => true)
    .catch(() => {
      clearSession();
      return false;
    })
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

function clearSession(): void {
  accessToken = undefined;
  refreshToken = undefined;
  current = undefined;
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  publish();
}

/** Ends the provider session too, so the next person at this workstation must sign in again. */
export function signOut(): void {
  const hint = idToken;
  clearSession();
  idToken = undefined;
  const url = new URL('/auth/session/end', window.location.origin);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    post_logout_redirect_uri: `${window.location.origin}/`,
    ...(hint === undefined ? {} : { id_token_hint: hint }),
  }).toString();
  window.location.assign(url.toString());
}

export function bearerToken(): string | undefined {
  return accessToken;
}
