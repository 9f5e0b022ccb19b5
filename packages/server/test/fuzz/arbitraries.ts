import fc from 'fast-check';
import { isObject } from './fixtures.js';

/**
 * Generators of hostile input and a small JSON mutation engine. Documents may contain two markers
 * that plain JSON cannot express, written out by `serialize`: `RawJson` (text emitted verbatim, for
 * numbers like 1e309 or -0 and for nesting too deep to build as objects) and `DuplicateKeys` (an
 * object whose text repeats a key).
 */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this[fc.toStringMethod]();
  }
  [fc.toStringMethod](): string {
    return `RawJson(${JSON.stringify(this.text.length > 80 ? `${this.text.slice(0, 80)}…(${this.text.length} chars)` : this.text)})`;
  }
}

export class DuplicateKeys {
  constructor(readonly entries: ReadonlyArray<readonly [string, unknown]>) {}
}

/** JSON text of a document that may hold RawJson and DuplicateKeys markers. */
export function serialize(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof DuplicateKeys) {
    return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${serialize(item)}`).join(',')}}`;
  }
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : serialize(item))).join(',')}]`;
  if (isObject(value)) {
    const parts: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) parts.push(`${JSON.stringify(key)}:${serialize(item)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A deterministic, incompressible string of `length` characters (so compression cannot hide its size). */
export function noise(
  length: number,
  seed: number,
  alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
): string {
  let state = seed >>> 0 || 0x9e3779b9;
  let text = '';
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    text += alphabet[state % alphabet.length];
  }
  return text;
}

export const longString: fc.Arbitrary<string> = fc
  .record({ length: fc.integer({ min: 256, max: 24_000 }), seed: fc.integer() })
  .map(({ length, seed }) => noise(length, seed));

/** Strings that have broken parsers, encoders, SQL and databases before. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '  padded  ',
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u001f',
  '\u007f\u0080\u009f',
  '\t\r\n',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\ude00x',
  '\ud83d\ude00',
  '\u2028\u2029',
  '\ufeff',
  '\ufffe\uffff',
  '\u202e\u202d',
  'é',
  'Zoë Ångström',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '中文名字',
  'ﷺ',
  'NaN',
  'Infinity',
  '-Infinity',
  'null',
  'undefined',
  'true',
  '1e309',
  '-0',
  "' or 1=1 --",
  "'; drop table resource; --",
  '"',
  "'",
  '\\',
  '\\u0000',
  '%',
  '%00',
  '%zz',
  '_',
  '%_\\',
  '*',
  '$',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '<div xmlns="http://www.w3.org/1999/xhtml">x</div>',
  '../../../etc/passwd',
  'urn:uuid:',
  'urn:uuid:00000000-0000-0000-0000-000000000000',
  'Patient/../Observation',
  'http://example.org/fhir/Patient/1',
  '#',
  '|',
  ',',
  '||',
  'a|b|c',
  '\\|\\,\\$',
  '__proto__',
  'constructor',
  'prototype',
  'resourceType',
  'hasOwnProperty',
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('\ud800', '\udc00', '\u0000', 'a', '\u0301', '\u200d'),
      maxLength: 12,
    }),
  },
  { weight: 1, arbitrary: longString },
);

export const NASTY_DATES: readonly string[] = [
  '2023-02-30',
  '2023-02-29',
  '2024-02-29',
  '2023-13-01',
  '2023-00-10',
  '2023-04-31',
  '0000-01-01',
  '0001-01-01',
  '9999-12-31',
  '10000-01-01',
  '-2023-01-01',
  '2023-1-1',
  '20230101',
  '2023',
  '2023-06',
  '2023-06-15T25:00:00Z',
  '2023-06-15T23:59:60Z',
  '2023-06-15T12:00:00+14:00',
  '2023-06-15T12:00:00+15:00',
  '2023-06-15T12:00:00-14:59',
  '0001-01-01T00:00:00+14:00',
  '9999-12-31T23:59:59-14:00',
  '9999-12-31T23:59:59.999999999-12:00',
  '2023-06-15T12:00:00',
  '2023-06-15T12:00Z',
  '2023-06-15T12:00:00.1234567890123Z',
  '2023-06-15 12:00:00Z',
  '2023-06-15T12:00:00z',
  '275760-09-13T00:00:00Z',
  '1970-01-01T00:00:00.000Z',
  'today',
  'now',
  '',
];

export const nastyDate: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_DATES) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.option(
          fc.tuple(
            fc.integer({ min: 0, max: 25 }),
            fc.integer({ min: 0, max: 61 }),
            fc.constantFrom('Z', '+14:00', '-14:00', '+00:00', '-12:30', '+15:00', ''),
          ),
        ),
      )
      .map(([year, month, day, time]) => {
        const date = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
        if (time === null) return date;
        const [hour, minute, zone] = time;
        return `${date}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00${zone}`;
      }),
  },
);

export const RAW_NUMBERS: readonly string[] = [
  '1e309',
  '-1e309',
  '1E400',
  '-0',
  '-0.0',
  '0e0',
  '1e-400',
  '0.000000000000000000000000000001',
  '123456789012345678901234567890',
  '9007199254740993',
  '-9223372036854775809',
  '1.7976931348623157e308',
  '5e-324',
  '1.0',
  '1.00000000000000000000001',
  '1e2',
];

export const rawNumber: fc.Arbitrary<RawJson> = fc
  .constantFrom(...RAW_NUMBERS)
  .map((text) => new RawJson(text));

export const nastyNumber: fc.Arbitrary<unknown> = fc.oneof(
  rawNumber,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e21, 0.1 + 0.2),
);

/** An array or object nesting `depth` levels deep, as text (too deep to build and recurse over). */
export const deepNesting: fc.Arbitrary<RawJson> = fc
  .record({
    depth: fc.oneof(
      fc.integer({ min: 35, max: 60 }),
      fc.integer({ min: 500, max: 5_000 }),
      fc.integer({ min: 20_000, max: 60_000 }),
    ),
    kind: fc.constantFrom('array', 'object', 'extension'),
  })
  .map(({ depth, kind }) => {
    if (kind === 'array') return new RawJson(`${'['.repeat(depth)}1${']'.repeat(depth)}`);
    if (kind === 'object') return new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
    const open = '{"url":"http://example.org/x","extension":['.repeat(depth);
    return new RawJson(`${open}{"url":"http://example.org/leaf","valueString":"x"}${']}'.repeat(depth)}`);
  });

/** An array nested thousands deep: small as text, but deeper than recursive code (String, JSON.stringify) survives. */
export const deepArray: fc.Arbitrary<RawJson> = fc
  .integer({ min: 3_000, max: 12_000 })
  .map((depth) => new RawJson(`${'['.repeat(depth)}${']'.repeat(depth)}`));

/** `arbitrary` with probability `p`, otherwise null. */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, p: number): fc.Arbitrary<T | null> {
  const weight = Math.max(1, Math.round(p * 100));
  return fc.oneof({ weight: 100 - weight, arbitrary: fc.constant(null) }, { weight, arbitrary });
}

/** Any JSON value, including the awkward ones. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: nastyNumber },
  { weight: 1, arbitrary: nastyDate },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], [[]], { '': null }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 5 }) },
  { weight: 1, arbitrary: deepArray },
);

// ---------------------------------------------------------------------------------------------
// Mutations of a JSON document

export type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'duplicate'; at: number; value: unknown }
  | { op: 'rename'; at: number; name: string }
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'string'; at: number; value: string }
  | { op: 'date'; at: number; value: string }
  | { op: 'number'; at: number; value: unknown }
  | { op: 'nest'; at: number; depth: number; inObject: boolean }
  | { op: 'deep'; at: number; value: RawJson }
  | { op: 'huge'; at: number; copies: number }
  | { op: 'add'; at: number; name: string; value: unknown }
  | { op: 'resourceType'; value: string }
  | { op: 'id'; value: string };

const at = fc.nat();

export const KEY_NAMES: readonly string[] = [
  'resourceType',
  'id',
  'meta',
  'text',
  'extension',
  'modifierExtension',
  'contained',
  'identifier',
  'name',
  'family',
  'given',
  'birthDate',
  'gender',
  'subject',
  'reference',
  'code',
  'system',
  'value',
  'valueQuantity',
  'valueString',
  'status',
  'effectiveDateTime',
  '_birthDate',
  '_gender',
  'fhir_comments',
  '',
  ' ',
  'resourcetype',
  'Name',
  'name ',
  'value[x]',
  'valueFoo',
  'x'.repeat(300),
  '\u0000',
  '\ud800',
  'ä',
  'constructor',
  'toString',
  'hasOwnProperty',
  '__proto__',
];

const keyName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...KEY_NAMES),
  fc.string({ maxLength: 12 }),
  nastyString,
);

export const RESOURCE_TYPE_NAMES: readonly string[] = [
  'Patient',
  'Observation',
  'Bundle',
  'Binary',
  'OperationOutcome',
  'Parameters',
  'Account',
  'DomainResource',
  'Resource',
  'patient',
  'PATIENT',
  'Patient ',
  ' Patient',
  'Pat\u0000ient',
  '',
];

export const resourceTypeName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...RESOURCE_TYPE_NAMES),
  nastyString,
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at, value: nastyValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rename' as const), at, name: keyName }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('replace' as const), at, value: nastyValue }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('string' as const), at, value: nastyString }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('date' as const), at, value: nastyDate }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('number' as const), at, value: nastyNumber }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('nest' as const),
      at,
      depth: fc.integer({ min: 1, max: 60 }),
      inObject: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deep' as const), at, value: deepNesting }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('huge' as const),
      at,
      copies: fc.integer({ min: 50, max: 3_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('add' as const), at, name: keyName, value: nastyValue }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('resourceType' as const), value: resourceTypeName }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('id' as const),
      value: fc.oneof(fc.constantFrom('a', 'a'.repeat(64), 'a'.repeat(65), '..', '-', 'x.y-z'), nastyString),
    }),
  },
);

/** A place in a document: a container and one of its keys or indexes. */
interface Slot {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
}

/** A plain JSON object (markers are leaves, never walked into). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isObject(value) && !(value instanceof RawJson) && !(value instanceof DuplicateKeys);
}

function slots(
  document: unknown,
  predicate: (value: unknown, key: string | number) => boolean = () => true,
): Slot[] {
  const found: Slot[] = [];
  const stack: unknown[] = [document];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        if (predicate(item, index)) found.push({ parent: value, key: index });
        stack.push(item);
      });
    } else if (isPlainObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (predicate(item, key)) found.push({ parent: value, key });
        stack.push(item);
      }
    }
  }
  return found;
}

function containers(document: unknown): Array<Record<string, unknown> | unknown[]> {
  const found: Array<Record<string, unknown> | unknown[]> = [];
  const stack: unknown[] = [document];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      found.push(value);
      stack.push(...value);
    } else if (isPlainObject(value)) {
      found.push(value);
      stack.push(...Object.values(value));
    }
  }
  return found;
}

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

function read(slot: Slot): unknown {
  return Array.isArray(slot.parent) ? slot.parent[slot.key as number] : slot.parent[slot.key as string];
}

function write(slot: Slot, value: unknown): void {
  if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = value;
  else setOwn(slot.parent, slot.key as string, value);
}

function remove(slot: Slot): void {
  if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
  else Reflect.deleteProperty(slot.parent, slot.key);
}

/** Renames an object key in place, keeping the key order. */
function renameKey(parent: Record<string, unknown>, from: string, to: string): void {
  const entries = Object.entries(parent).map(([key, value]): [string, unknown] => [
    key === from ? to : key,
    value,
  ]);
  for (const key of Object.keys(parent)) Reflect.deleteProperty(parent, key);
  for (const [key, value] of entries)
    Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

function setOwn(parent: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

const DATE_KEY = /date|time|issued|period|start|end|instant|birth|authored|recorded|onset|abatement/i;

const HUGE_ARRAY_BYTES = 2_000_000;

/** Applies mutations to a copy of the document (the original is not changed). */
export function mutate(original: unknown, mutations: readonly Mutation[]): unknown {
  let document: unknown = structuredClone(original);
  let grown = false;
  for (const m of mutations) {
    if (grown) break;
    if (m.op === 'resourceType' || m.op === 'id') {
      if (isPlainObject(document)) setOwn(document, m.op, m.value);
      continue;
    }
    if (m.op === 'add') {
      const target = pick(
        containers(document).filter((c) => !Array.isArray(c)),
        m.at,
      );
      if (target && !Array.isArray(target)) setOwn(target, m.name, m.value);
      continue;
    }
    const candidates =
      m.op === 'string'
        ? slots(document, (value) => typeof value === 'string')
        : m.op === 'date'
          ? slots(document, (value, key) => typeof value === 'string' && DATE_KEY.test(String(key)))
          : m.op === 'number'
            ? slots(document, (value) => typeof value === 'number')
            : slots(document);
    const slot =
      pick(candidates, m.at) ??
      (m.op === 'date'
        ? pick(
            slots(document, (v) => typeof v === 'string'),
            m.at,
          )
        : undefined);
    if (!slot) {
      if (m.op === 'replace' || m.op === 'nest' || m.op === 'deep')
        document = m.op === 'replace' ? m.value : document;
      continue;
    }
    switch (m.op) {
      case 'delete':
        remove(slot);
        break;
      case 'duplicate':
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 0, read(slot));
        else {
          // The same key twice in the text: the first with a mutated value, the second as it was.
          const entries: Array<[string, unknown]> = [];
          for (const [key, value] of Object.entries(slot.parent)) {
            if (key === slot.key) entries.push([key, m.value]);
            entries.push([key, value]);
          }
          replaceContainer(document, slot.parent, new DuplicateKeys(entries), (d) => (document = d));
        }
        break;
      case 'rename':
        if (!Array.isArray(slot.parent)) renameKey(slot.parent, slot.key as string, m.name);
        break;
      case 'replace':
      case 'string':
      case 'date':
      case 'number':
        write(slot, m.value);
        break;
      case 'nest': {
        let value = read(slot);
        for (let i = 0; i < m.depth; i++) value = m.inObject ? { value } : [value];
        write(slot, value);
        break;
      }
      case 'deep':
        write(slot, m.value);
        break;
      case 'huge': {
        // A huge array of ~2 MB at most ends the mutations (its copies share one value, so later
        // mutations would multiply), keeping bodies under the server's limit.
        grown = true;
        const value = read(slot);
        const copies = Math.max(
          2,
          Math.min(m.copies, Math.floor(HUGE_ARRAY_BYTES / (serialize(value).length + 1))),
        );
        const many = Array.from({ length: copies }, () => value);
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1, ...many);
        else write(slot, many);
        break;
      }
    }
  }
  return document;
}

/** Swaps a container for a marker wherever it sits (markers are leaves: later mutations skip them). */
function replaceContainer(
  document: unknown,
  target: object,
  replacement: unknown,
  setRoot: (value: unknown) => void,
): void {
  if (document === target) {
    setRoot(replacement);
    return;
  }
  const holder = slots(document, (value) => value === target)[0];
  if (holder) write(holder, replacement);
}

// ---------------------------------------------------------------------------------------------
// HTTP-level helpers

/** The text with each lone surrogate replaced by U+FFFD (what a UTF-8 encoder sends for it). */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/**
 * A header value as Node's HTTP parser would deliver it: any Unicode text is sent as UTF-8 bytes
 * and arrives as Latin-1 characters; control characters other than tab cannot arrive at all.
 */
export function asHeaderValue(text: string): string {
  return Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, '')
    .trim();
}

/**
 * Percent-encodes only what could not travel raw in a request line (controls, space, '#', non-ASCII),
 * leaving '%', '&', '=', '+', '|', ',' and '$' as the client wrote them.
 */
export function rawUrlPart(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (
      code <= 0x20 ||
      code >= 0x7f ||
      char === '#' ||
      char === '"' ||
      char === '<' ||
      char === '>' ||
      char === '`'
    ) {
      out += encodeURIComponent(wellFormed(char));
    } else out += char;
  }
  return out;
}

/** A URL part written one of three ways: fully percent-encoded, raw, or with broken escapes. */
export const urlEncoding = fc.constantFrom('encoded', 'encoded', 'raw', 'broken') as fc.Arbitrary<
  'encoded' | 'raw' | 'broken'
>;

export function encodeUrlPart(text: string, how: 'encoded' | 'raw' | 'broken'): string {
  if (how === 'encoded') return encodeURIComponent(wellFormed(text));
  if (how === 'raw') return rawUrlPart(text);
  return `${rawUrlPart(text)}${['%', '%z', '%E0%A4%A', '%C3', '%FF', '%00', '%2'][text.length % 7]}`;
}

// ---------------------------------------------------------------------------------------------
// JSON Patch documents

export const PATCH_PATHS: readonly string[] = [
  '/name/0/family',
  '/name/0/given/0',
  '/name/-',
  '/name',
  '/name/999',
  '/name/01',
  '/name/-1',
  '/name/1e0',
  '/gender',
  '/birthDate',
  '/active',
  '/telecom',
  '/telecom/0',
  '/extension',
  '/extension/-',
  '/id',
  '/meta',
  '/meta/versionId',
  '/meta/lastUpdated',
  '/resourceType',
  '/text/div',
  '',
  '/',
  '/-',
  '/0',
  '//',
  'name',
  '/a~1b',
  '/~2',
  '/~',
  '/__proto__/polluted',
  '/__proto__',
  '/constructor/prototype/polluted',
  '/name/0/__proto__/polluted',
  '/name/constructor',
];

export const PATCH_OPS: readonly string[] = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

const patchPath = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PATCH_PATHS) },
  { weight: 1, arbitrary: nastyString },
);

export const patchOperation: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        op: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...PATCH_OPS) },
          { weight: 1, arbitrary: nastyValue },
        ),
        path: fc.oneof({ weight: 8, arbitrary: patchPath }, { weight: 1, arbitrary: nastyValue }),
        value: fc.oneof(
          nastyValue,
          fc.constantFrom('female', 'male', '1970-01-01', [{ family: 'Patched' }], true),
        ),
        from: patchPath,
      },
      { requiredKeys: ['op', 'path'] },
    ),
  },
  { weight: 1, arbitrary: nastyValue },
);

/** A JSON Patch document: mostly an array of (more or less valid) operations, sometimes anything at all. */
export const jsonPatchDocument: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.array(patchOperation, { maxLength: 4 }) },
  { weight: 1, arbitrary: nastyValue },
  { weight: 1, arbitrary: fc.array(patchOperation, { minLength: 100, maxLength: 300 }) },
);
