import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  ERROR_CATALOGUE,
  ERROR_CODE_SYSTEM,
  FhirError,
  fhirError,
  operationOutcome,
  type ErrorCode,
} from './errors.js';

const ERRORS_DOC = new URL('../../../../docs/errors.md', import.meta.url);

/** The catalogue rows of docs/errors.md (| `code` | status | issue type | summary |), cells trimmed. */
function documentedRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(ERRORS_DOC, 'utf8').split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const code = /^`([a-z-]+)`$/.exec(cells[1] ?? '')?.[1];
    if (code) rows.set(code, cells.slice(2, 5).join(' | '));
  }
  return rows;
}

describe('Error catalogue', () => {
  it('docs/errors.md lists every catalogue code with its status, issue type and summary, and nothing else', () => {
    const documented = documentedRows();
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      assert.equal(
        documented.get(code),
        `${entry.status} | ${entry.type} | ${entry.summary}`,
        `row for ${code}`,
      );
    }
    assert.deepEqual([...documented.keys()].sort(), Object.keys(ERROR_CATALOGUE).sort());
  });

  it('an OperationOutcome carries the stable code, the FHIR issue type and the FHIRPath of each fault', () => {
    const outcome = operationOutcome([
      { code: 'invalid-value', diagnostics: 'bad date', expression: ['Patient.birthDate'] },
      { code: 'unknown-element', expression: ['Patient.colour'] },
    ]);
    assert.deepEqual(outcome.issue[0], {
      severity: 'error',
      code: 'value',
      details: {
        coding: [{ system: ERROR_CODE_SYSTEM, code: 'invalid-value' }],
        text: ERROR_CATALOGUE['invalid-value'].summary,
      },
      diagnostics: 'bad date',
      expression: ['Patient.birthDate'],
    });
    assert.equal(outcome.issue[1]?.code, 'structure');
  });

  it('a FhirError takes the HTTP status of its first problem', () => {
    const error = new FhirError([{ code: 'version-conflict' }, { code: 'invalid-value' }]);
    assert.equal(error.status, 412);
    assert.equal(fhirError('resource-deleted').status, 410);
  });

  it('every 5xx code says nothing about internals', () => {
    const serverErrors = (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).filter(
      (code) => ERROR_CATALOGUE[code].status >= 500,
    );
    for (const code of serverErrors)
      assert.doesNotMatch(ERROR_CATALOGUE[code].summary, /sql|stack|exception|postgres/i);
  });
});
