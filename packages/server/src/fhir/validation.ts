import type { OperationOutcome } from 'fhir/r4.js';
import type { FhirResource, Problem } from '@carebridge/domain';
import {
  FhirError,
  informationOutcome,
  isJsonObject,
  operationOutcome,
  validateResource,
} from '@carebridge/domain';
import type { FhirLimits } from '../config.js';

/**
 * The checks every write passes before anything is stored: an object of the type the URL names,
 * valid R4 structure and UK Core rules. All faults are reported together.
 */
export function checkedResource(body: unknown, resourceType: string, limits: FhirLimits): FhirResource {
  const problems = resourceProblems(body, resourceType, limits);
  if (problems.length > 0) throw new FhirError(problems);
  return body as FhirResource;
}

export function resourceProblems(body: unknown, resourceType: string, limits: FhirLimits): Problem[] {
  if (!isJsonObject(body)) {
    return [
      {
        code: 'invalid-resource',
        diagnostics: `The body must be a ${resourceType} resource (a JSON object).`,
      },
    ];
  }
  if (body.resourceType !== resourceType) {
    return [
      {
        code: 'resource-type-mismatch',
        diagnostics: `The body's resourceType is '${String(body.resourceType)}' but the URL is for ${resourceType}.`,
        expression: ['resourceType'],
      },
    ];
  }
  return validateResource(body, { maxDepth: limits.maxDepth });
}

/** The $validate answer: every problem found, or a single "valid" information issue. */
export function validationOutcome(
  body: unknown,
  resourceType: string,
  id: string | undefined,
  limits: FhirLimits,
): OperationOutcome {
  const problems = resourceProblems(body, resourceType, limits);
  if (id !== undefined && isJsonObject(body) && body.id !== id) {
    problems.push({
      code: 'id-mismatch',
      diagnostics: `The resource id must be '${id}'.`,
      expression: [`${resourceType}.id`],
    });
  }
  return problems.length === 0
    ? informationOutcome(`The ${resourceType} is valid.`)
    : operationOutcome(problems);
}
