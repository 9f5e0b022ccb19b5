import { createHash } from 'node:crypto';
import type { Clock } from '@carebridge/domain';
import { fhirError } from '@carebridge/domain';
import type { Database, SqlExecutor } from '../store/database.js';
import type { FhirRequest, FhirResponse } from './request.js';

/**
 * `X-Request-ID` idempotency (BaRS transactional integrity): the response is stored in the same
 * transaction as the effect, so a retry of the request gets the identical answer and causes no
 * second effect. The request id's row is claimed first, so a parallel duplicate waits for the
 * first to commit and then replays it. A different request under a used id is refused (409).
 */
export async function withReplay(
  db: Database,
  clock: Clock,
  request: FhirRequest,
  work: (tx: SqlExecutor) => Promise<FhirResponse>,
): Promise<FhirResponse> {
  const requestId = request.headers.requestId;
  if (requestId === undefined) return db.transaction(work);
  const fingerprint = requestFingerprint(request);
  return db.transaction(async (tx) => {
    const claimed = await tx.query(
      `insert into request_replay (request_id, fingerprint, created_at) values ($1, $2, $3::timestamptz)
       on conflict (request_id) do nothing returning request_id`,
      [requestId, fingerprint, clock.now().toISOString()],
    );
    if (claimed.rowCount === 0) return replay(tx, requestId, fingerprint);
    const response = await work(tx);
    await tx.query('update request_replay set status = $2, headers = $3, body = $4 where request_id = $1', [
      requestId,
      response.status,
      JSON.stringify(response.headers),
      response.body ?? null,
    ]);
    return response;
  });
}

async function replay(tx: SqlExecutor, requestId: string, fingerprint: string): Promise<FhirResponse> {
  const { rows } = await tx.query<{
    fingerprint: string;
    status: number;
    headers: string;
    body: string | null;
  }>('select fingerprint, status, headers, body from request_replay where request_id = $1', [requestId]);
  const stored = rows[0];
  if (!stored || stored.fingerprint !== fingerprint) {
    throw fhirError(
      'duplicate-request',
      `X-Request-ID '${requestId}' was already used for a different request; use a new X-Request-ID for a new request.`,
    );
  }
  const headers = { ...(JSON.parse(stored.headers) as Record<string, string>), 'x-replayed': 'true' };
  return stored.body === null
    ? { status: stored.status, headers }
    : { status: stored.status, headers, body: stored.body };
}

/** The same request (by its caller) hashes the same: method, path, query, preconditions and body. */
function requestFingerprint(request: FhirRequest): string {
  const canonical = JSON.stringify([
    request.context.access.principal.subject,
    request.method,
    request.path,
    request.query,
    request.headers.ifMatch ?? null,
    request.headers.ifNoneExist ?? null,
    request.body ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}
