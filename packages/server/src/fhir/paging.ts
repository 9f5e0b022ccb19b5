import { createHmac, timingSafeEqual } from 'node:crypto';
import { FhirError } from '@carebridge/domain';
import type { FhirLimits } from '../config.js';

const MAX_TOKEN_LENGTH = 16_384;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Paging links carry their state in a token the client cannot alter: base64url(JSON) "." base64url
 * (HMAC-SHA256 of that part under the server's secret). Signing makes the token tamper-proof; it is
 * not encrypted, so it reveals only what the request URL that produced it did. Every fault is the
 * one `invalid-cursor` error: the client should start again.
 */
export class PagingTokens {
  constructor(private readonly secret: Buffer) {}

  sign(payload: unknown): string {
    const data = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${data}.${this.mac(data).toString('base64url')}`;
  }

  /** The payload of a token this server signed; its shape is for the caller to check. */
  verify(token: string): unknown {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalidCursor('it is empty or too long');
    const [data, signature, ...rest] = token.split('.');
    if (!data || !signature || rest.length > 0 || !BASE64URL.test(data) || !BASE64URL.test(signature)) {
      throw invalidCursor('it is not a cursor this server issued');
    }
    const expected = this.mac(data);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw invalidCursor(
        'its signature does not match (it was altered, truncated or issued by another server)',
      );
    }
    try {
      return JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as unknown;
    } catch {
      throw invalidCursor('its content is not understood');
    }
  }

  private mac(data: string): Buffer {
    return createHmac('sha256', this.secret).update(data).digest();
  }
}

export function invalidCursor(reason: string): FhirError {
  return new FhirError({
    code: 'invalid-cursor',
    diagnostics: `The paging cursor is not valid: ${reason}. Start the search again.`,
    expression: ['_cursor'],
  });
}

/** `_count` clamped to the server's maximum; undefined when it is not a whole number. */
export function pageSize(value: string, limits: FhirLimits): number | undefined {
  if (!/^\d{1,9}$/.test(value)) return undefined;
  return Math.min(Number(value), limits.maxPageSize);
}
