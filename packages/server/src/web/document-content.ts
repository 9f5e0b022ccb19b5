import type { FastifyInstance } from 'fastify';
import type { Principal } from '../access/principal.js';

/**
 * `GET /web-api/documents/:documentId`: the stored document Bundle of a letter, for the web app's
 * letter screens.
 *
 * Why this exists: the exchange stores each letter as a `Bundle` resource, and the access policy
 * lets only trusted integrations read Bundles (they are outside the patient compartment), so a GP
 * who may see a letter's ledger row cannot read the letter itself through `/fhir`. Until the exchange
 * operations return the document to the parties of its ledger, this bridge does exactly that and no
 * more:
 *
 * 1. The caller's right is decided by the exchange itself: the request's own credentials are sent
 *    to `$document-ledger` (in-process), which answers only for the sender, a recipient it has
 *    reached, the patient, or operations, and audits the read under the caller's identity.
 * 2. Only then is the Bundle read, under a named internal principal, which is audited too.
 *
 * It adds no way in that the ledger does not already grant. Remove it once `$open-document` or
 * `$document-ledger` can return the Bundle.
 */
const DOCUMENT_READER: Principal = {
  kind: 'system',
  subject: 'carebridge-web-document-reader',
  displayName: 'Carebridge web app: letter content for a ledger party',
  role: 'system',
  clientId: 'carebridge-internal',
  scopes: [
    { context: 'system', resourceType: 'Bundle', permissions: new Set(['r']) },
    { context: 'system', resourceType: 'DocumentReference', permissions: new Set(['r']) },
  ],
  patientAccess: 'all',
};

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function outcome(code: string, text: string): string {
  return JSON.stringify({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, diagnostics: text }],
  });
}

interface LedgerAnswer {
  parameter?: Array<{ name?: string; valueReference?: { reference?: string } }>;
}

export function registerDocumentContent(app: FastifyInstance): void {
  app.get<{ Params: { documentId: string } }>('/web-api/documents/:documentId', async (request, reply) => {
    const authorization = request.headers.authorization;
    if (authorization === undefined) {
      return reply.code(401).type(FHIR_JSON).send(outcome('login', 'Sign in to read letters.'));
    }
    const ledger = await app.inject({
      method: 'GET',
      url: `/fhir/$document-ledger?document=${encodeURIComponent(request.params.documentId)}`,
      headers: { authorization, accept: 'application/fhir+json', 'x-request-id': request.id },
    });
    if (ledger.statusCode !== 200) {
      return reply.code(ledger.statusCode).type(FHIR_JSON).send(ledger.body);
    }
    const reference = (JSON.parse(ledger.body) as LedgerAnswer).parameter?.find(
      (part) => part.name === 'documentReference',
    )?.valueReference?.reference;
    const documentReference =
      reference === undefined ? undefined : await app.fhirClient.call(DOCUMENT_READER, 'GET', reference);
    const url = documentReference?.body
      ? (JSON.parse(documentReference.body) as { content?: Array<{ attachment?: { url?: string } }> })
          .content?.[0]?.attachment?.url
      : undefined;
    if (url === undefined || !/^Bundle\/[A-Za-z0-9.-]+$/.test(url)) {
      return reply.code(404).type(FHIR_JSON).send(outcome('not-found', 'The letter has no stored content.'));
    }
    const bundle = await app.fhirClient.call(DOCUMENT_READER, 'GET', url, undefined, {
      requestId: request.id,
    });
    return reply
      .code(bundle.status)
      .type(FHIR_JSON)
      .send(bundle.body ?? outcome('not-found', 'The letter has no stored content.'));
  });
}
