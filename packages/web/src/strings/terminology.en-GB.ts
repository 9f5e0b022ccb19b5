import type { TerminologyKind } from '../domain';

const SEARCH_HINT = 'Type at least 2 letters, then choose from the matches.';
const wholeNumber = (value: number): string => value.toLocaleString('en-GB');

/**
 * The words of the coded-entry search (compose pickers, and amending an entry while filing). Kept
 * apart from en-GB.ts so the terminology screens' copy can be reviewed on its own.
 */
export const terminologyText = {
  /** The field's own hint, if it has one, then how to search. */
  hint: (fieldHint?: string) => (fieldHint === undefined ? SEARCH_HINT : `${fieldHint}. ${SEARCH_HINT}`),
  search: 'Search',
  searchWhat: {
    diagnosis: 'diagnoses',
    allergy: 'allergies',
    medicine: 'medicines',
  } as Record<TerminologyKind, string>,
  searching: 'Searching…',
  /** `total`: how many the server found in all, exactly or (past the count it stops at) more than. */
  matches: (count: number, total?: { exactly: number } | { moreThan: number }) =>
    count === 0
      ? 'No matches. Try other words or fewer letters.'
      : total !== undefined && 'moreThan' in total
        ? `The first ${count} of more than ${wholeNumber(total.moreThan)} matches. Choose one, or type more of the term to narrow them.`
        : total !== undefined && total.exactly > count
          ? `The first ${count} of ${wholeNumber(total.exactly)} matches. Choose one, or type more of the term to narrow them.`
          : `${count} ${count === 1 ? 'match' : 'matches'}. Choose one.`,
  matchesLabel: (label: string) => `Matches: ${label}`,
  failed: 'Searching is not working at the moment. Try again, or describe the entry in the text.',
  chosen: 'Chosen:',
  choose: 'Choose',
  // Filing: adding an entry under a different concept than the letter's.
  amend: 'Add as a different concept',
  amendLabel: (display: string) => `Find the concept to add instead of ${display}`,
  amendError: (display: string) => `Choose the concept to add instead of ${display}`,
  amendedTitle: 'Added as a different concept',
  amendedItem: (from: string, to: string) => `${from}: added as ${to}`,
};
