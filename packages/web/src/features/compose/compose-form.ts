import type { FieldError } from '../../components/ErrorSummary';
import { isoDate, type DateParts } from '../../components/fields';
import { isValidNhsNumber } from '../../domain';
import { t } from '../../strings/en-GB';
import {
  COMPOSABLE_KINDS,
  isAutoSection,
  sectionsOf,
  type ComposableKind,
  type PickedMedicine,
} from './build-document';
import type { Concept } from './terminology';

/** What the compose form holds; `validateLetter` names every problem at once, by field. */
export interface ComposeForm {
  kind: string;
  nhsNumber: string;
  given: string;
  family: string;
  birthDate: DateParts;
  admitted: DateParts;
  discharged: DateParts;
  attended: DateParts;
  text: Record<string, string>;
  diagnoses: Concept[];
  allergies: Concept[];
  medicines: PickedMedicine[];
}

/** Coded pickers stand in for typed text in their headings. */
const CODED_SECTION_PICKS: Record<string, (form: ComposeForm) => number> = {
  '887161000000102': (form) => form.diagnoses.length,
  '886921000000105': (form) => form.allergies.length,
  '933361000000108': (form) => form.medicines.length,
};

export const sectionFieldId = (code: string): string => `section-${code}`;

export function pickerFieldId(code: string): string | undefined {
  return code === '887161000000102'
    ? 'diagnosis-pick'
    : code === '886921000000105'
      ? 'allergy-pick'
      : code === '933361000000108'
        ? 'medicine-pick'
        : undefined;
}

export function validateLetter(form: ComposeForm): FieldError[] {
  const errors: FieldError[] = [];
  if (!(COMPOSABLE_KINDS as readonly string[]).includes(form.kind)) {
    errors.push({ field: 'kind', message: t.compose.kindError });
    return errors;
  }
  const kind = form.kind as ComposableKind;
  const nhs = form.nhsNumber.replace(/\s/g, '');
  if (nhs === '') errors.push({ field: 'nhs-number', message: t.compose.nhsNumberError });
  else if (!isValidNhsNumber(nhs)) errors.push({ field: 'nhs-number', message: t.compose.nhsNumberInvalid });
  if (form.given.trim() === '') errors.push({ field: 'given', message: t.compose.givenNameError });
  if (form.family.trim() === '') errors.push({ field: 'family', message: t.compose.familyNameError });
  if (isoDate(form.birthDate) === undefined)
    errors.push({ field: 'birth-date', message: t.compose.dateOfBirthError });
  if (kind === 'inpatient-discharge') {
    const admitted = isoDate(form.admitted);
    const discharged = isoDate(form.discharged);
    if (admitted === undefined) errors.push({ field: 'admitted', message: t.compose.admittedError });
    if (discharged === undefined) errors.push({ field: 'discharged', message: t.compose.dischargedError });
    else if (admitted !== undefined && discharged < admitted)
      errors.push({ field: 'discharged', message: t.compose.dischargedBeforeAdmitted });
  } else if (isoDate(form.attended) === undefined) {
    errors.push({ field: 'attended', message: t.compose.attendedError });
  }
  for (const section of sectionsOf(kind)) {
    if (section.conformance !== 'mandatory' || isAutoSection(section)) continue;
    const typed = (form.text[section.code] ?? '').trim() !== '';
    const picks = CODED_SECTION_PICKS[section.code]?.(form) ?? 0;
    if (typed || picks > 0) continue;
    const picker = pickerFieldId(section.code);
    errors.push(
      picker === undefined
        ? { field: sectionFieldId(section.code), message: t.compose.sectionError(section.title) }
        : { field: picker, message: t.compose.sectionsNeedEntries(section.title) },
    );
  }
  return errors;
}
