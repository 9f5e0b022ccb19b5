import type { HumanName, Patient } from 'fhir/r4.js';
import { isJsonObject } from '../fhir/resource.js';
import { NHS_NUMBER_SYSTEM } from '../identifiers/systems.js';

/**
 * Matching a document's patient to the patient registered at the receiving practice. A letter filed
 * against the wrong person is a clinical hazard twice over (one patient's record is wrong, the other
 * misses their letter), so any doubt is a mismatch, held for a person to review, never filed.
 */

export interface Demographics {
  nhsNumber?: string;
  family?: string;
  given?: readonly string[];
  /** FHIR date, YYYY-MM-DD. */
  birthDate?: string;
}

export type DemographicMismatchReason = 'nhs-number' | 'family-name' | 'given-name' | 'birth-date';

export interface DemographicMismatch {
  reason: DemographicMismatchReason;
  message: string;
}

export type DemographicComparison =
  { outcome: 'match' } | { outcome: 'mismatch'; mismatches: DemographicMismatch[] };

/** The name to match on: the official name, else the usual one, else the first that is not old. */
function preferredName(names: readonly HumanName[]): HumanName | undefined {
  return (
    names.find((name) => name.use === 'official') ??
    names.find((name) => name.use === 'usual') ??
    names.find((name) => name.use !== 'old' && name.use !== 'maiden') ??
    names[0]
  );
}

/** The demographics matching uses, read from a FHIR Patient. */
export function demographicsOfPatient(patient: Patient): Demographics {
  const names = Array.isArray(patient.name) ? patient.name.filter((name) => isJsonObject(name)) : [];
  const name = preferredName(names);
  const identifiers = Array.isArray(patient.identifier) ? patient.identifier : [];
  const nhsNumber = identifiers.find((identifier) => identifier.system === NHS_NUMBER_SYSTEM)?.value;
  const given = Array.isArray(name?.given) ? name.given.filter((part) => typeof part === 'string') : [];
  return {
    ...(typeof nhsNumber === 'string' ? { nhsNumber } : {}),
    ...(typeof name?.family === 'string' ? { family: name.family } : {}),
    ...(given.length > 0 ? { given } : {}),
    ...(typeof patient.birthDate === 'string' ? { birthDate: patient.birthDate } : {}),
  };
}

/**
 * A name as matching compares it: accents removed (Zoë = Zoe), case folded, typographic apostrophes
 * made plain, whitespace collapsed. Hyphens and apostrophes are kept: Smith-Jones is not Smith Jones.
 */
export function normaliseName(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[\u2018\u2019\u02BC]/g, "'")
    .toLocaleLowerCase('en-GB')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Compares the patient a document names with the registered patient. Matches only when the NHS
 * numbers (if both are known) are equal, the family names and first given names are equal after
 * {@link normaliseName}, and the birth dates are exactly equal. Missing values on either side are
 * mismatches: absence is not agreement.
 */
export function compareDemographics(document: Demographics, registered: Demographics): DemographicComparison {
  const mismatches: DemographicMismatch[] = [];
  if (
    document.nhsNumber !== undefined &&
    registered.nhsNumber !== undefined &&
    document.nhsNumber !== registered.nhsNumber
  ) {
    mismatches.push({ reason: 'nhs-number', message: 'The NHS numbers differ.' });
  }
  const family = [document.family, registered.family].map((name) =>
    name === undefined ? '' : normaliseName(name),
  );
  if (family[0] === '' || family[0] !== family[1]) {
    mismatches.push({
      reason: 'family-name',
      message:
        family[0] === '' || family[1] === '' ? 'A family name is missing.' : 'The family names differ.',
    });
  }
  const firstGiven = [document.given?.[0], registered.given?.[0]].map((name) =>
    name === undefined ? '' : normaliseName(name),
  );
  if (firstGiven[0] === '' || firstGiven[0] !== firstGiven[1]) {
    mismatches.push({
      reason: 'given-name',
      message:
        firstGiven[0] === '' || firstGiven[1] === ''
          ? 'A given name is missing.'
          : 'The first given names differ.',
    });
  }
  if (document.birthDate === undefined || document.birthDate !== registered.birthDate) {
    mismatches.push({
      reason: 'birth-date',
      message:
        document.birthDate === undefined || registered.birthDate === undefined
          ? 'A date of birth is missing.'
          : 'The dates of birth differ.',
    });
  }
  return mismatches.length === 0 ? { outcome: 'match' } : { outcome: 'mismatch', mismatches };
}
