import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FhirError, fhirError } from '@carebridge/domain';
import type { Principal } from '../access/principal.js';
import type { AuditEntry } from '../audit/audit-entry.js';
import type { AuditRecorder, Authenticator } from '../fhir/routes.js';
import { AccessTokenError, wwwAuthenticate } from '../identity/access-token-error.js';
import { requireStaffPrincipal } from '../identity/access-token-verifier.js';
import type { Database, SqlExecutor } from '../store/database.js';
import type { Outbox } from './outbox.js';
import { isMessageId, toDate } from './outbox-store.js';
import type { JsonValue } from './types.js';

/**
 * MESH-style mailboxes over HTTP. A 'mailbox' message is placed in its recipient's mailbox when it
 * is enqueued; the recipient organisation polls its inbox, downloads each message (as often as it
 * needs: a download that crashed before the acknowledgement is simply repeated) and acknowledges it,
 * which is delivery. Unacknowledged messages stay; nothing expires.
 *
 *   GET /mesh/v1/inbox/:ods                                  → { messages: [ids] } (oldest first, ≤ 500)
 *   GET /mesh/v1/inbox/:ods/:messageId                       → the payload; 410 once acknowledged
 *   PUT /mesh/v1/inbox/:ods/:messageId/status/acknowledged   → { messageId, status: 'acknowledged' }
 *
 * Authorisation: the caller is authenticated the way the FHIR API authenticates (the same
 * `Authenticator`), must be staff or a system client (never a patient login), and must act for the
 * organisation whose ODS code names the mailbox. Every request, allowed or refused, is audited
 * before it is answered when an `AuditRecorder` is given.
 */

export interface MailboxRouteDeps {
  db: Database;
  outbox: Outbox;
  authenticate: Authenticator;
  audit?: AuditRecorder;
  /** Most ids one inbox call returns (MESH: 500; poll again while a full page comes back). */
  pageSize?: number;
}

export const MAILBOX_PAGE_SIZE = 500;
const ODS_CODE = /^[A-Z0-9]{3,10}$/;

interface InboxParams {
  ods: string;
}
interface MessageParams extends InboxParams {
  messageId: string;
}

/** Adds the mailbox routes to `app`. Use directly or as a plugin: `app.register(registerMailboxRoutes, deps)`. */
export async function registerMailboxRoutes(app: FastifyInstance, deps: MailboxRouteDeps): Promise<void> {
  const pageSize = deps.pageSize ?? MAILBOX_PAGE_SIZE;

  app.get<{ Params: InboxParams }>('/mesh/v1/inbox/:ods', (request, reply) =>
    handle(deps, request, reply, { action: 'R', interaction: 'mesh-inbox' }, async (mailbox) => {
      const ids = await listInbox(deps.db, mailbox, pageSize);
      return { status: 200, body: { messages: ids } };
    }),
  );

  app.get<{ Params: MessageParams }>('/mesh/v1/inbox/:ods/:messageId', (request, reply) =>
    handle(deps, request, reply, { action: 'R', interaction: 'mesh-download' }, async (mailbox, entry) => {
      const download = await downloadMessage(
        deps.db,
        mailbox,
        request.params.messageId,
        deps.outbox.clock.now(),
      );
      if (download.state === 'not-found')
        throw fhirError('resource-not-found', 'No such message in this mailbox.');
      if (download.state === 'acknowledged') {
        throw fhirError('resource-deleted', 'The message was acknowledged and is no longer in the inbox.');
      }
      entry.patientIds = patientIdsOf(download.payload);
      return {
        status: 200,
        body: download.payload,
        headers: {
          'mex-messageid': request.params.messageId,
          'mex-to': mailbox,
          'mex-download-count': String(download.downloadCount),
        },
      };
    }),
  );

  app.put<{ Params: MessageParams }>('/mesh/v1/inbox/:ods/:messageId/status/acknowledged', (request, reply) =>
    handle(
      deps,
      request,
      reply,
      { action: 'U', interaction: 'mesh-acknowledge' },
      async (mailbox, _entry, principal) => {
        const result = await deps.outbox.acknowledgeMailboxMessage(
          deps.db,
          mailbox,
          request.params.messageId,
          principal.subject,
        );
        if (result === 'not-found') throw fhirError('resource-not-found', 'No such message in this mailbox.');
        return { status: 200, body: { messageId: request.params.messageId, status: 'acknowledged' } };
      },
    ),
  );
}

/** Up to `limit` unacknowledged message ids in a mailbox, oldest first. */
export async function listInbox(
  db: SqlExecutor,
  mailbox: string,
  limit = MAILBOX_PAGE_SIZE,
): Promise<string[]> {
  const { rows } = await db.query<{ message_id: string }>(
    `select message_id from mailbox_message where mailbox = $1 and acknowledged_at is null
     order by placed_at, message_id limit $2`,
    [mailbox, limit],
  );
  return rows.map((row) => row.message_id);
}

export type MailboxDownload =
  | { state: 'not-found' }
  | { state: 'acknowledged'; acknowledgedAt: Date }
  | { state: 'available'; payload: JsonValue; downloadCount: number };

/** Reads a message from a mailbox, counting the download; acknowledged messages are not given out. */
export async function downloadMessage(
  db: SqlExecutor,
  mailbox: string,
  messageId: string,
  now: Date,
): Promise<MailboxDownload> {
  if (!isMessageId(messageId)) return { state: 'not-found' };
  const { rows } = await db.query<{ payload: JsonValue; download_count: number }>(
    `with counted as (
       update mailbox_message set download_count = download_count + 1,
         first_downloaded_at = coalesce(first_downloaded_at, $3::timestamptz)
       where message_id = $1 and mailbox = $2 and acknowledged_at is null
       returning message_id, download_count
     )
     select o.payload, counted.download_count from counted join outbox_message o using (message_id)`,
    [messageId, mailbox, now.toISOString()],
  );
  const row = rows[0];
  if (row) return { state: 'available', payload: row.payload, downloadCount: row.download_count };
  const closed = await db.query<{ acknowledged_at: Date | string | null }>(
    'select acknowledged_at from mailbox_message where message_id = $1 and mailbox = $2',
    [messageId, mailbox],
  );
  const acknowledgedAt = toDate(closed.rows[0]?.acknowledged_at ?? null);
  return acknowledgedAt ? { state: 'acknowledged', acknowledgedAt } : { state: 'not-found' };
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

async function handle(
  deps: MailboxRouteDeps,
  request: FastifyRequest<{ Params: InboxParams }>,
  reply: FastifyReply,
  kind: Pick<AuditEntry, 'action' | 'interaction'>,
  work: (mailbox: string, entry: AuditEntry, principal: Principal) => Promise<Answer>,
): Promise<FastifyReply> {
  const entry: AuditEntry = {
    requestId: request.id,
    recordedAt: deps.outbox.clock.now(),
    action: kind.action,
    interaction: kind.interaction,
    resourceType: 'Bundle',
    patientIds: [],
    outcome: 'success',
    httpStatus: 200,
    purposeOfUse: 'TREAT',
    breakGlass: false,
    source: 'api',
    remoteAddress: request.ip,
  };
  const messageId = (request.params as Partial<MessageParams>).messageId;
  if (messageId !== undefined) entry.resourceId = messageId;
  let answer: Answer;
  try {
    const principal = requireStaffPrincipal(await deps.authenticate(request));
    entry.principal = {
      subject: principal.subject,
      displayName: principal.displayName,
      role: principal.role,
      clientId: principal.clientId,
      ...(principal.organizationId ? { organizationId: principal.organizationId } : {}),
      ...(principal.odsCode ? { odsCode: principal.odsCode } : {}),
    };
    const mailbox = request.params.ods.toUpperCase();
    if (!ODS_CODE.test(mailbox) || principal.odsCode?.toUpperCase() !== mailbox) {
      throw fhirError(
        'forbidden',
        'Only the organisation that owns a mailbox may read or acknowledge its messages.',
      );
    }
    answer = await work(mailbox, entry, principal);
  } catch (error) {
    if (!(error instanceof FhirError)) throw error;
    entry.outcome = error.status === 401 || error.status === 403 ? 'denied' : 'failed';
    entry.httpStatus = error.status;
    await record(deps.audit, entry);
    if (error.status === 401) {
      const challenge = error instanceof AccessTokenError ? wwwAuthenticate(error) : undefined;
      reply.header('www-authenticate', challenge ?? 'Bearer realm="carebridge"');
    }
    return reply
      .code(error.status)
      .header('content-type', 'application/fhir+json')
      .send(JSON.stringify(error.toOperationOutcome()));
  }
  entry.httpStatus = answer.status;
  await record(deps.audit, entry);
  reply.code(answer.status).header('cache-control', 'no-store');
  for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
  return reply.header('content-type', contentTypeOf(answer.body)).send(JSON.stringify(answer.body));
}

/** No audit, no answer. */
async function record(audit: AuditRecorder | undefined, entry: AuditEntry): Promise<void> {
  if (!audit) return;
  try {
    await audit.record(entry);
  } catch {
    throw fhirError(
      'service-unavailable',
      'The audit trail could not be written, so the request was not answered.',
    );
  }
}

function contentTypeOf(body: unknown): string {
  const isResource =
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { resourceType?: unknown }).resourceType === 'string';
  return isResource ? 'application/fhir+json' : 'application/json';
}

/** The Patient ids a Bundle carries, for the audit trail ("who has looked at my record"). */
function patientIdsOf(payload: JsonValue): string[] {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return [];
  const entries = payload.entry;
  if (!Array.isArray(entries)) return [];
  const ids = new Set<string>();
  for (const item of entries) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    const resource = item.resource;
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) continue;
    if (resource.resourceType === 'Patient' && typeof resource.id === 'string') ids.add(resource.id);
  }
  return [...ids];
}
