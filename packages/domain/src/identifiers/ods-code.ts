/**
 * ODS organisation code forms Carebridge accepts. ODS has many coding frames; these are the forms
 * of the organisations Carebridge exchanges with, plus the generic 3–6 character alphanumeric
 * frame for other organisation kinds (ICBs, commissioners, national bodies), which must contain
 * a letter and be upper case.
 */
export type OdsCodeKind = 'gp-practice' | 'nhs-trust' | 'nhs-trust-site' | 'community-pharmacy' | 'other';

const FORMS: ReadonlyArray<[OdsCodeKind, RegExp]> = [
  ['gp-practice', /^[A-Z]\d{5}$/],
  ['nhs-trust', /^R[A-Z0-9]{2}$/],
  ['nhs-trust-site', /^R[A-Z0-9]{4}$/],
  ['community-pharmacy', /^F[A-Z0-9]{4}$/],
];

const GENERIC_ODS_CODE = /^(?=.*[A-Z])[A-Z0-9]{3,6}$/;

/** Which form an ODS code has, or undefined when it is not a valid ODS organisation code. */
export function odsCodeKind(value: string): OdsCodeKind | undefined {
  for (const [kind, pattern] of FORMS) if (pattern.test(value)) return kind;
  if (GENERIC_ODS_CODE.test(value)) return 'other';
  return undefined;
}

export function isValidOdsCode(value: string): boolean {
  return odsCodeKind(value) !== undefined;
}

/** ODS's "GP practice not known" code, used where no registered practice can be found. */
export const ODS_GP_PRACTICE_NOT_KNOWN = 'V81999';
