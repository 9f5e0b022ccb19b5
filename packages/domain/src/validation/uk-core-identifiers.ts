import type { ErrorCode } from '../fhir/errors.js';
import { isValidNhsNumber } from '../identifiers/nhs-number.js';
import { isValidOdsCode } from '../identifiers/ods-code.js';
import {
  NHS_NUMBER_SYSTEM,
  ODS_ORGANIZATION_CODE_SYSTEM,
  ODS_SITE_CODE_SYSTEM,
} from '../identifiers/systems.js';

export interface IdentifierFault {
  readonly code: ErrorCode;
  readonly diagnostics: string;
}

/**
 * The UK Core rule for an Identifier's value under the NHS number and ODS systems, or undefined when
 * its system carries no such rule or it has no value to check (a value may be absent when an extension
 * such as data-absent-reason stands in for it).
 */
export function ukCoreIdentifierFault(system: unknown, value: unknown): IdentifierFault | undefined {
  if (typeof value !== 'string') return undefined;
  if (system === NHS_NUMBER_SYSTEM && !isValidNhsNumber(value)) {
    return {
      code: 'invalid-nhs-number',
      diagnostics: `'${value}' is not a valid NHS number: it must be ten digits with a valid modulus-11 check digit`,
    };
  }
  if (
    (system === ODS_ORGANIZATION_CODE_SYSTEM || system === ODS_SITE_CODE_SYSTEM) &&
    !isValidOdsCode(value)
  ) {
    return { code: 'invalid-ods-code', diagnostics: `'${value}' is not a valid ODS code` };
  }
  return undefined;
}
