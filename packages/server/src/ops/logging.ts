import type { FastifyServerOptions } from 'fastify';

/**
 * Logs must never carry patient identifiers or credentials: NHS numbers (ten digits, with or
 * without spaces) are masked wherever they appear in a URL, and auth headers and cookies are
 * removed before a line is written.
 */
const NHS_NUMBER_LIKE = /(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)/g;

/** OAuth and OpenID Connect parameters that are credentials in all but name. */
const SECRET_PARAMETERS =
  /([?&](?:code|id_token_hint|access_token|refresh_token|client_secret|code_verifier|password)=)[^&#]*/gi;

export function redactIdentifiers(text: string): string {
  return text.replace(SECRET_PARAMETERS, '$1[redacted]').replace(NHS_NUMBER_LIKE, '[redacted]');
}

interface LoggedRequest {
  method: string;
  url: string;
  id: string;
  headers: Record<string, string | string[] | undefined>;
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.access_token',
        '*.password',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: LoggedRequest) {
        return {
          method: request.method,
          url: redactIdentifiers(request.url),
          requestId: request.id,
          userAgent: request.headers['user-agent'],
        };
      },
    },
  };
}
