import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@carebridge/domain';
import type { AccessTokenVerifier, VerifiedPrincipal } from './access-token-verifier.js';
import { cachingVerifier } from './verified-token-cache.js';

function countingVerifier(clock: ManualClock) {
  const calls: string[] = [];
  const verifier: AccessTokenVerifier = {
    async verify(token) {
      calls.push(token ?? '');
      if (token === 'bad') throw new Error('refused');
      return {
        token: { issuer: 'x', expiresAt: new Date(clock.now().getTime() + 60_000), mode: 'embedded' },
      } as VerifiedPrincipal;
    },
  };
  return { verifier, calls };
}

describe('Verified-token cache', () => {
  it('checks a token once, then answers from the cache until it expires', async () => {
    const clock = new ManualClock();
    const { verifier, calls } = countingVerifier(clock);
    const cached = cachingVerifier(verifier, clock);
    await cached.verify('t1');
    await cached.verify('t1');
    assert.equal(calls.length, 1);
    clock.advance(61_000);
    await cached.verify('t1');
    assert.equal(calls.length, 2, 'an expired token is checked again (and refused by the real verifier)');
  });

  it('never caches a refusal', async () => {
    const clock = new ManualClock();
    const { verifier, calls } = countingVerifier(clock);
    const cached = cachingVerifier(verifier, clock);
    await assert.rejects(cached.verify('bad'));
    await assert.rejects(cached.verify('bad'));
    assert.equal(calls.length, 2);
  });

  it('stays within its bound, dropping the oldest entries first', async () => {
    const clock = new ManualClock();
    const { verifier, calls } = countingVerifier(clock);
    const cached = cachingVerifier(verifier, clock, 2);
    await cached.verify('a');
    await cached.verify('b');
    await cached.verify('c');
    await cached.verify('a');
    assert.deepEqual(calls, ['a', 'b', 'c', 'a']);
  });
});
