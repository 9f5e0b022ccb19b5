import type { Coding } from 'fhir/r4';
import type { TerminologyKind } from '../../domain';
import type { FieldError } from '../../components/ErrorSummary';
import { t } from '../../strings/en-GB';
import { terminologyText } from '../../strings/terminology.en-GB';
import type { Concept } from '../compose/terminology';
import type { CodedEntry, EntryCategory } from './document-model';

/**
 * What the GP decided for each coded entry of a letter they file, checked and turned into the
 * `$file-document` parameters. Pure, so the rules are tested without a browser.
 */
export type FilingChoice = '' | 'accept' | 'amend' | 'decline';

/** Which picker can amend an entry; procedures and actions are filed as sent or declined. */
export const AMENDABLE: Readonly<Partial<Record<EntryCategory, TerminologyKind>>> = {
  condition: 'diagnosis',
  allergy: 'allergy',
  medication: 'medicine',
};

export const choiceFieldId = (index: number): string => `entry-${index}`;
export const amendFieldId = (index: number): string => `entry-${index}-amend`;

export interface Amendment {
  entry: CodedEntry;
  replacement: Concept;
}

export type FilingPlan =
  { ok: true; declined: Coding[]; amended: Amendment[] } | { ok: false; errors: FieldError[] };

export function planFiling(
  entries: readonly CodedEntry[],
  choices: readonly FilingChoice[],
  replacements: ReadonlyArray<Concept | undefined>,
): FilingPlan {
  const errors: FieldError[] = [];
  const declined: Coding[] = [];
  const amended: Amendment[] = [];
  entries.forEach((entry, index) => {
    const choice = choices[index] ?? '';
    const replacement = replacements[index];
    if (choice === '')
      errors.push({ field: choiceFieldId(index), message: t.file.chooseError(entry.display) });
    else if (choice === 'decline') declined.push(entry.coding);
    else if (choice === 'amend' && replacement === undefined)
      errors.push({ field: amendFieldId(index), message: terminologyText.amendError(entry.display) });
    else if (choice === 'amend' && replacement !== undefined) amended.push({ entry, replacement });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, declined, amended };
}

/** The `amend` parameters: the entry's coding as sent, and the concept to file instead. */
export function amendParameters(
  amended: readonly Amendment[],
): Array<{ original: Coding; replacement: Coding }> {
  return amended.map(({ entry, replacement }) => ({
    original: entry.coding,
    replacement: { system: replacement.system, code: replacement.code, display: replacement.display },
  }));
}
