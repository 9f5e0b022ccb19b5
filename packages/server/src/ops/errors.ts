import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { FhirError, fhirError, type ErrorCode } from '@carebridge/domain';
import { AccessTokenError, wwwAuthenticate } from '../identity/index.js';
import { isDatabaseUnavailable } from '../store/database.js';
import { FHIR_JSON } from '../fhir/response.js';

/** Fastify's own errors for request faults, in Carebridge's catalogue terms. */
const FRAMEWORK_ERRORS: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid-json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-json',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
};

/**
 * Every error leaves as an OperationOutcome. Faults in the request are 4xx with what was wrong;
 * an unreachable database is a 503 the client may retry; anything else is a 500 that names only
 * the request id (the details go to the log, never to the client).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | FhirError, request, reply) => {
    const fhir = toFhirError(error);
    if (fhir.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    }
    if (fhir.status === 401) {
      reply.header(
        'www-authenticate',
        error instanceof AccessTokenError ? wwwAuthenticate(error) : 'Bearer realm="carebridge"',
      );
    }
    return reply
      .code(fhir.status)
      .header('content-type', FHIR_JSON)
      .send(JSON.stringify(fhir.toOperationOutcome()));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = fhirError(
      'route-not-found',
      `Nothing is served at ${request.method} ${request.url.split('?')[0]}.`,
    );
    return reply.code(404).header('content-type', FHIR_JSON).send(JSON.stringify(error.toOperationOutcome()));
  });
}

/**
 * For Fastify's `clientErrorHandler`: a request so malformed that HTTP itself could not parse it
 * (a bad request line or header). There is no reply object yet, so the answer is written to the
 * socket directly, still as an OperationOutcome, and the connection is closed.
 */
export function answerClientError(error: ConnectionError, socket: Socket): void {
  if (!socket.writable) return;
  // The answer to a HEAD has no body, and a client reading one would misparse the connection.
  // (Node passes the raw bytes as a Buffer, whatever Fastify's type says.)
  const raw: unknown = error.rawPacket;
  const isHead = Buffer.isBuffer(raw) && raw.toString('latin1', 0, 5) === 'HEAD ';
  const fhir =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? fhirError('headers-too-large', 'The request headers are too large.')
      : fhirError('malformed-request', 'The request is not well-formed HTTP.');
  const body = isHead ? '' : JSON.stringify(fhir.toOperationOutcome());
  socket.end(
    `HTTP/1.1 ${fhir.status} ${fhir.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: ${FHIR_JSON}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** For Fastify's `frameworkErrors`: faults found before any route or hook runs. */
export function sendFrameworkError(error: FastifyError, reply: FastifyReply): FastifyReply {
  const fhir =
    error.code === 'FST_ERR_BAD_URL'
      ? fhirError('invalid-url', 'The URL has a malformed escape (%).')
      : toFhirError(error);
  return reply
    .code(fhir.status)
    .header('content-type', FHIR_JSON)
    .send(JSON.stringify(fhir.toOperationOutcome()));
}

function toFhirError(error: unknown): FhirError {
  if (error instanceof FhirError) return error;
  if (isDatabaseUnavailable(error)) return fhirError('service-unavailable');
  const fastifyError = error as Partial<FastifyError>;
  const code = fastifyError.code ? FRAMEWORK_ERRORS[fastifyError.code] : undefined;
  if (code) return fhirError(code, fastifyError.message);
  if (fastifyError.statusCode === 413) return fhirError('body-too-large');
  if (fastifyError.statusCode === 415) return fhirError('unsupported-media-type');
  if (
    fastifyError.statusCode !== undefined &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return fhirError('invalid-json', fastifyError.message);
  }
  return fhirError('internal-error');
}
