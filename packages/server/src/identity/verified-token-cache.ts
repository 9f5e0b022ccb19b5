import type { Clock } from '@carebridge/domain';
import type { AccessTokenVerifier, VerifiedPrincipal } from './access-token-verifier.js';

/**
 * Remembers tokens already verified, until they expire: checking a signature costs more than the
 * rest of a read. A JWT cannot change or be revoked before it expires (access tokens live 15
 * minutes), so a cached answer is exactly the answer a fresh check would give until then.
 * Refusals are never cached. Bounded: when full, the oldest entries go first.
 */
export function cachingVerifier(
  verifier: AccessTokenVerifier,
  clock: Clock,
  maxEntries = 10_000,
): AccessTokenVerifier {
  const verified = new Map<string, VerifiedPrincipal>();
  return {
    async verify(token) {
      if (token === undefined) return verifier.verify(token);
      const cached = verified.get(token);
      if (cached && cached.token.expiresAt.getTime() > clock.now().getTime()) return cached;
      if (cached) verified.delete(token);
      const principal = await verifier.verify(token);
      if (verified.size >= maxEntries) verified.delete(verified.keys().next().value as string);
      verified.set(token, principal);
      return principal;
    },
  };
}
