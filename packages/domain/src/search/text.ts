/**
 * Text helpers shared by index extraction and search parsing. Both sides must normalise in exactly
 * the same way, or a search for "Zoë" would not find a stored "ZOE".
 */

const COMBINING_MARKS = /\p{M}/gu;
const WHITESPACE_RUN = /\s+/g;

/**
 * The form string search compares on: lower case, accents removed (NFD, then combining marks
 * dropped), whitespace runs collapsed to one space and trimmed. Lower-casing comes first because
 * some upper-case letters lower-case to a letter plus a combining mark (İ → i̇).
 */
export function normaliseSearchText(value: string): string {
  return value
    .toLowerCase()
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .replace(WHITESPACE_RUN, ' ')
    .trim();
}

/**
 * The longest indexed text value, in UTF-8 bytes. PostgreSQL refuses a B-tree entry larger than
 * about 2700 bytes, and the lookup indexes hold up to two text columns, so each is capped well below
 * half of that. Longer values are truncated (on a code point boundary) both when indexed and when
 * searched, so prefix searches still match; values this long are not realistic identifiers or codes.
 */
export const MAX_INDEXED_TEXT_BYTES = 1000;

/** `value` cut to at most `maxBytes` of UTF-8, never splitting a code point. */
export function truncateUtf8(value: string, maxBytes: number = MAX_INDEXED_TEXT_BYTES): string {
  // A UTF-16 code unit never needs more than 3 UTF-8 bytes, so short strings skip the walk.
  if (value.length * 3 <= maxBytes) return value;
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    const codePoint = char.codePointAt(0) ?? 0;
    const size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return value.slice(0, end);
}

/** Number of Unicode code points (what PostgreSQL's length(), left() and right() count). */
export function codePointLength(value: string): number {
  let count = 0;
  for (const _char of value) count += 1;
  return count;
}

/**
 * Characters with a meaning in search values (R4 §3.1.1.5.7): `,` separates OR values, `|`
 * separates system and code, `$` separates composite parts, `\` escapes any of them.
 */
export function escapeSearchValue(value: string): string {
  return value.replace(/[\\,|$]/g, (char) => `\\${char}`);
}

/**
 * Splits `text` on every `separator` not preceded by an escaping backslash, leaving escapes in
 * place (they are removed by {@link unescapeSearchValue} once the value is split completely).
 */
export function splitUnescaped(text: string, separator: ',' | '|'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    if (char === '\\' && index + 1 < text.length) {
      current += char + (text[index + 1] as string);
      index += 1;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * Removes search escapes: `\,` `\|` `\$` `\\` become the character itself. A backslash before any
 * other character (or at the end) is kept literally, so a value such as a Windows path survives.
 */
export function unescapeSearchValue(text: string): string {
  return text.replace(/\\([\\,|$])/g, '$1');
}
