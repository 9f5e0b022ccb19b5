import { normaliseSearchText } from '../search/text.js';

/**
 * The words a concept is found by, and the words of a search: both normalised the same way (lower
 * case, accents removed) and split at anything that is not a letter or digit, so "Non-ST elevation"
 * is found by "st" and by "elev". A search matches a concept when each of its words begins a word of
 * one of the concept's terms.
 */
const NOT_A_WORD_CHARACTER = /[^\p{L}\p{N}]+/u;

export function wordsOf(text: string): string[] {
  return normaliseSearchText(text)
    .split(NOT_A_WORD_CHARACTER)
    .filter((word) => word.length > 0);
}

/**
 * A search needs at least one word this long: a single letter (or no word at all) begins a word
 * of most of a full release, and ranking that many matches is a cost nobody should be able to ask
 * for with one keystroke.
 */
export const MIN_SEARCH_WORD_LENGTH = 2;

export function isSearchableFilter(text: string): boolean {
  return wordsOf(text).some((word) => word.length >= MIN_SEARCH_WORD_LENGTH);
}

/** The distinct words of all of a concept's terms. */
export function searchWordsOf(terms: readonly string[]): string[] {
  return [...new Set(terms.flatMap(wordsOf))];
}
