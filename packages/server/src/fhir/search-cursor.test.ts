import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FhirError, parseSearchOrThrow, type SearchOptions } from '@carebridge/domain';
import { PagingTokens } from './paging.js';
import {
  createSearchCursor,
  decodeSearchCursor,
  encodeSearchCursor,
  resolveSearchCursor,
} from './search-cursor.js';

const OPTIONS: SearchOptions = { strict: true, defaultCount: 20, maxCount: 100 };
const TOKENS = new PagingTokens(Buffer.from('correct horse battery staple'));
const position = { sort: ['2024-01-01 00:00:00+00', null], rid: 42 };

function isInvalidCursor(error: unknown): boolean {
  return error instanceof FhirError && error.problems[0]?.code === 'invalid-cursor' && error.status === 400;
}

function patientQuery(params: Array<[string, string]>) {
  return parseSearchOrThrow('Patient', params, OPTIONS).query;
}

describe('search cursors', () => {
  const query = patientQuery([
    ['name', 'smith'],
    ['_sort', '-birthdate,_id'],
    ['_count', '10'],
  ]);
  const token = createSearchCursor(query, position, TOKENS, new Date('2026-01-01T00:00:00Z'));

  it('round-trips the canonical search, the position and the issue time', () => {
    assert.deepEqual(decodeSearchCursor(token, TOKENS), {
      resourceType: 'Patient',
      params: [
        ['name', 'smith'],
        ['_sort', '-birthdate,_id'],
        ['_count', '10'],
      ],
      position,
      issuedAt: Date.parse('2026-01-01T00:00:00Z'),
    });
  });

  it('is URL-safe', () => {
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('refuses a token signed with another secret', () => {
    assert.throws(
      () => decodeSearchCursor(token, new PagingTokens(Buffer.from('another secret'))),
      isInvalidCursor,
    );
  });

  it('refuses a truncated token, an altered payload and garbage', () => {
    const [data, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(
      Buffer.from(data, 'base64url').toString('utf8').replace('"r":42', '"r":1'),
      'utf8',
    ).toString('base64url');
    for (const bad of [
      token.slice(0, -3),
      `${forged}.${signature}`,
      `${data}.`,
      'not-a-cursor',
      '',
      '.',
      `${token}.x`,
      'a'.repeat(20_000),
      '€.€',
    ]) {
      assert.throws(() => decodeSearchCursor(bad, TOKENS), isInvalidCursor, JSON.stringify(bad.slice(0, 40)));
    }
  });

  it('refuses a correctly signed payload of the wrong shape', () => {
    for (const payload of [
      { v: 1, t: 'Patient', p: 'nope', s: [], r: 1, i: 0 },
      { v: 2, t: 'Patient', p: [], s: [], r: 1, i: 0 },
      [1, 2],
      'text',
    ]) {
      assert.throws(
        () => decodeSearchCursor(TOKENS.sign(payload), TOKENS),
        isInvalidCursor,
        JSON.stringify(payload),
      );
    }
  });

  it('refuses an expired cursor when a maximum age is set', () => {
    const later = new Date('2026-01-01T01:00:00Z');
    assert.throws(
      () => decodeSearchCursor(token, TOKENS, { now: later, maxAgeMs: 30 * 60_000 }),
      isInvalidCursor,
    );
    assert.ok(decodeSearchCursor(token, TOKENS, { now: later, maxAgeMs: 2 * 60 * 60_000 }));
  });

  it('alone in a request, continues the search it carries', () => {
    const request = patientQuery([['_cursor', token]]);
    const resolved = resolveSearchCursor(request, TOKENS, { searchOptions: OPTIONS });
    assert.deepEqual(resolved?.position, position);
    assert.deepEqual(resolved?.query.filters, query.filters);
    assert.deepEqual(resolved?.query.sort, query.sort);
    assert.equal(resolved?.query.count, 10);
  });

  it('beside the same search parameters (in any order), is accepted', () => {
    const request = patientQuery([
      ['_count', '10'],
      ['_sort', '-birthdate,_id'],
      ['name', 'SMITH'],
      ['_cursor', token],
    ]);
    assert.deepEqual(resolveSearchCursor(request, TOKENS, { searchOptions: OPTIONS })?.position, position);
  });

  it('beside different search parameters, or for another resource type, is refused', () => {
    const different = patientQuery([
      ['name', 'jones'],
      ['_sort', '-birthdate,_id'],
      ['_count', '10'],
      ['_cursor', token],
    ]);
    assert.throws(() => resolveSearchCursor(different, TOKENS, { searchOptions: OPTIONS }), isInvalidCursor);
    const otherType = parseSearchOrThrow('Observation', [['_cursor', token]], OPTIONS).query;
    assert.throws(() => resolveSearchCursor(otherType, TOKENS, { searchOptions: OPTIONS }), isInvalidCursor);
  });

  it('is refused when the search it carries is no longer valid on this server', () => {
    const stale = encodeSearchCursor(
      { resourceType: 'Patient', params: [['retired-parameter', 'x']], position, issuedAt: Date.now() },
      TOKENS,
    );
    assert.throws(
      () => resolveSearchCursor(patientQuery([['_cursor', stale]]), TOKENS, { searchOptions: OPTIONS }),
      isInvalidCursor,
    );
  });

  it('is not needed when the request has none', () => {
    assert.equal(
      resolveSearchCursor(patientQuery([['name', 'smith']]), TOKENS, { searchOptions: OPTIONS }),
      undefined,
    );
  });
});
