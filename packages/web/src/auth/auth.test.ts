import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeJwtPayload, userFromClaims } from './claims';
import { randomToken, s256Challenge } from './pkce';

describe('Sign-in helpers', () => {
  it('makes a 43-character PKCE verifier and its S256 challenge', async () => {
    const verifier = randomToken();
    assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await s256Challenge(verifier), createHash('sha256').update(verifier).digest('base64url'));
  });

  it('reads the user from the access token’s claims, with UTF-8 names', () => {
    const payload = Buffer.from(
      JSON.stringify({
        sub: 'demo-gp',
        name: 'Dr Zoë Ó Briain',
        role: 'gp',
        ods_code: 'Y99901',
        organization_id: 'org-y99901',
      }),
    ).toString('base64url');
    const user = userFromClaims(decodeJwtPayload(`e30.${payload}.sig`));
    assert.deepEqual(user, {
      username: 'demo-gp',
      name: 'Dr Zoë Ó Briain',
      role: 'gp',
      organizationId: 'org-y99901',
      odsCode: 'Y99901',
    });
  });

  it('refuses a token with an unknown role', () => {
    assert.throws(() => userFromClaims({ sub: 'x', role: 'superuser' }), /Unknown role/);
  });
});
