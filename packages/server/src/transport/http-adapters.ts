import { createHmac, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '@carebridge/domain';
import type { DeliveryAdapter, DeliveryResult, Destination } from './types.js';

/**
 * The HTTP adapters: a FHIR Bundle POSTed to an external FHIR server, and a signed JSON webhook.
 * Both carry the message id so the receiver can de-duplicate (the transport is at-least-once), use
 * Node's fetch with a timeout, never follow redirects (a POST must not be re-sent somewhere else
 * unannounced), and classify the answer for the retry policy:
 *
 * | answer                                  | result                          |
 * |-----------------------------------------|---------------------------------|
 * | 2xx                                     | delivered                       |
 * | 409 with OperationOutcome `duplicate`   | delivered (BaRS: already had it; fhir-endpoint only) |
 * | no answer, timeout, 408, 429, 5xx       | transient (Retry-After honoured) |
 * | 3xx, any other 4xx                      | permanent                       |
 */

export const MESSAGE_ID_HEADER = 'x-carebridge-message-id';
export const TIMESTAMP_HEADER = 'x-carebridge-timestamp';
export const SIGNATURE_HEADER = 'x-carebridge-signature';

const USER_AGENT = 'Carebridge-Transport/1';
/** How much of a refusal's body is kept (for `lastError` and the duplicate check). */
const MAX_BODY_BYTES = 16 * 1024;
const MAX_ERROR_SNIPPET = 300;

interface HttpAdapterOptions {
  /** Per-attempt time limit, connection to last byte. Keep it well inside the worker's lease. */
  timeoutMs?: number;
  clock?: Clock;
  /** Injected for tests; Node's global fetch by default. */
  fetch?: typeof fetch;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

export interface FhirEndpointAdapterOptions extends HttpAdapterOptions {
  /** Extra headers per destination, for example `Authorization` for the receiving system. */
  headersFor?: (destination: Destination) => Promise<Record<string, string>> | Record<string, string>;
}

/**
 * 'fhir-endpoint': POSTs the payload, a FHIR Bundle, to the destination's FHIR base with
 * `X-Request-ID: <message id>` (the receiver's idempotency key). A `message` Bundle goes to
 * `[base]/$process-message`, a `transaction` or `batch` Bundle to `[base]`, any other Bundle to
 * `[base]/Bundle`.
 */
export function fhirEndpointAdapter(options: FhirEndpointAdapterOptions = {}): DeliveryAdapter {
  const http = httpSettings(options);
  return {
    kind: 'fhir-endpoint',
    async deliver(message) {
      const bundle = message.payload;
      if (!isBundle(bundle)) {
        return {
          outcome: 'permanent',
          error: 'Malformed payload: a fhir-endpoint message must be a FHIR Bundle',
        };
      }
      let extra: Record<string, string>;
      try {
        extra = options.headersFor ? await options.headersFor(message.destination) : {};
      } catch (error) {
        return { outcome: 'transient', error: `Could not prepare request headers: ${describe(error)}` };
      }
      return post(
        http,
        bundleUrl(message.destination.address, bundle.type),
        JSON.stringify(bundle),
        {
          ...extra,
          'content-type': 'application/fhir+json',
          accept: 'application/fhir+json',
          'x-request-id': message.messageId,
          [MESSAGE_ID_HEADER]: message.messageId,
        },
        true,
      );
    },
  };
}

export interface WebhookAdapterOptions extends HttpAdapterOptions {
  /** The shared secret for an endpoint; undefined when none is configured (retried, and alerted). */
  secretFor: (endpointId: string) => Promise<string | Buffer | undefined> | string | Buffer | undefined;
}

/**
 * 'webhook': POSTs the payload as JSON with the message id (`X-Carebridge-Message-Id`, and
 * `X-Request-ID`), a timestamp and an HMAC-SHA256 signature over `<timestamp>.<message id>.<body>`
 * with the endpoint's shared secret (`X-Carebridge-Signature: v1=<hex>`). Receivers check it with
 * `verifyWebhookSignature` and de-duplicate by message id.
 */
export function webhookAdapter(options: WebhookAdapterOptions): DeliveryAdapter {
  const http = httpSettings(options);
  return {
    kind: 'webhook',
    async deliver(message) {
      let secret: string | Buffer | undefined;
      try {
        secret = await options.secretFor(message.destination.endpointId);
      } catch (error) {
        return { outcome: 'transient', error: `Could not read the webhook secret: ${describe(error)}` };
      }
      if (secret === undefined || secret.length === 0) {
        return {
          outcome: 'transient',
          error: `No webhook secret is configured for endpoint ${message.destination.endpointId}`,
        };
      }
      const body = JSON.stringify(message.payload);
      const timestamp = Math.floor(http.clock.now().getTime() / 1000).toString();
      return post(
        http,
        message.destination.address,
        body,
        {
          'content-type': 'application/json',
          'x-request-id': message.messageId,
          [MESSAGE_ID_HEADER]: message.messageId,
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: `v1=${webhookSignature(secret, timestamp, message.messageId, body)}`,
        },
        false,
      );
    },
  };
}

/** The hex HMAC-SHA256 a webhook carries: over `<timestamp>.<message id>.<body>`. */
export function webhookSignature(
  secret: string | Buffer,
  timestamp: string,
  messageId: string,
  body: string,
): string {
  return createHmac('sha256', secret).update(`${timestamp}.${messageId}.${body}`).digest('hex');
}

/**
 * For receivers (and tests): true when the headers carry a valid signature of `body` made with
 * `secret` within `toleranceMs` of `now` (default 5 minutes), so a captured request cannot be
 * replayed later or altered.
 */
export function verifyWebhookSignature(
  secret: string | Buffer,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  now: Date,
  toleranceMs = 5 * 60 * 1000,
): boolean {
  const header = (name: string) => {
    const value = headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const timestamp = header(TIMESTAMP_HEADER);
  const messageId = header(MESSAGE_ID_HEADER);
  const signature = header(SIGNATURE_HEADER);
  if (!timestamp || !messageId || !signature?.startsWith('v1=') || !/^\d{1,12}$/.test(timestamp))
    return false;
  if (Math.abs(now.getTime() - Number(timestamp) * 1000) > toleranceMs) return false;
  const expected = Buffer.from(webhookSignature(secret, timestamp, messageId, body), 'hex');
  const given = Buffer.from(signature.slice(3), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface HttpSettings {
  timeoutMs: number;
  clock: Clock;
  fetch: typeof fetch;
}

function httpSettings(options: HttpAdapterOptions): HttpSettings {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
  return { timeoutMs, clock: options.clock ?? systemClock, fetch: options.fetch ?? globalThis.fetch };
}

async function post(
  http: HttpSettings,
  url: string,
  body: string,
  headers: Record<string, string>,
  duplicateMeansDelivered: boolean,
): Promise<DeliveryResult> {
  let response: Response;
  try {
    response = await http.fetch(url, {
      method: 'POST',
      headers: { 'user-agent': USER_AGENT, ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(http.timeoutMs),
    });
  } catch (error) {
    return { outcome: 'transient', error: `No answer from ${safeOrigin(url)}: ${describe(error)}` };
  }
  let text: string;
  try {
    text = await readLimited(response, MAX_BODY_BYTES);
  } catch (error) {
    // The status arrived but the body broke off: a 2xx still counts (the receiver accepted it).
    if (response.ok) return { outcome: 'delivered', detail: `HTTP ${response.status}` };
    return {
      outcome: 'transient',
      error: `HTTP ${response.status}, then the body failed: ${describe(error)}`,
    };
  }
  return classifyResponse(response.status, response.headers, text, http.clock.now(), duplicateMeansDelivered);
}

/** The retry class of an HTTP answer (see the table at the top of this file). */
export function classifyResponse(
  status: number,
  headers: Headers,
  body: string,
  now: Date,
  duplicateMeansDelivered: boolean,
): DeliveryResult {
  if (status >= 200 && status < 300) return { outcome: 'delivered', detail: `HTTP ${status}` };
  const error = `HTTP ${status}${snippet(body)}`;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now);
    return { outcome: 'transient', error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  if (status === 409 && duplicateMeansDelivered && isDuplicateOutcome(body)) {
    return { outcome: 'delivered', detail: 'HTTP 409 duplicate: the receiver already has this message' };
  }
  if (status >= 300 && status < 400) {
    return {
      outcome: 'permanent',
      error: `${error} (redirected to ${headers.get('location') ?? 'nowhere'}; not followed)`,
    };
  }
  return { outcome: 'permanent', error };
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

function isDuplicateOutcome(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { resourceType?: unknown; issue?: unknown };
    return (
      parsed.resourceType === 'OperationOutcome' &&
      Array.isArray(parsed.issue) &&
      parsed.issue.some((issue: { code?: unknown }) => issue?.code === 'duplicate')
    );
  } catch {
    return false;
  }
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

function bundleUrl(base: string, type: unknown): string {
  const root = base.replace(/\/+$/, '');
  if (type === 'message') return `${root}/$process-message`;
  if (type === 'transaction' || type === 'batch') return root;
  return `${root}/Bundle`;
}

function isBundle(payload: unknown): payload is { resourceType: 'Bundle'; type?: unknown } {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    !Array.isArray(payload) &&
    (payload as { resourceType?: unknown }).resourceType === 'Bundle'
  );
}

function snippet(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  if (text === '') return '';
  return `: ${text.length > MAX_ERROR_SNIPPET ? `${text.slice(0, MAX_ERROR_SNIPPET)}…` : text}`;
}

/** The origin only: a URL's path or query may carry identifiers that do not belong in error logs. */
function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the endpoint';
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (error.name === 'TimeoutError') return 'timed out';
  if (cause && typeof cause.code === 'string') return `${error.message} (${cause.code})`;
  return error.message;
}
