import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactIdentifiers } from './logging.js';

describe('Log redaction', () => {
  it('masks NHS numbers in URLs, with or without spaces or hyphens', () => {
    assert.equal(
      redactIdentifiers('/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018'),
      '/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|[redacted]',
    );
    assert.equal(redactIdentifiers('nhs=999 000 0018&x=999-000-0026'), 'nhs=[redacted]&x=[redacted]');
  });

  it('masks authorisation codes, tokens and secrets in query strings', () => {
    assert.equal(
      redactIdentifiers('/auth/token?code=abc123&state=s&client_secret=shh&code_verifier=v'),
      '/auth/token?code=[redacted]&state=s&client_secret=[redacted]&code_verifier=[redacted]',
    );
  });

  it('leaves ids, versions and shorter or longer numbers alone', () => {
    const url = '/fhir/Patient/pat-0001/_history/12?_count=50&value=12345678901';
    assert.equal(redactIdentifiers(url), url);
  });
});
