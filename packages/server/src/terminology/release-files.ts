import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sax from 'sax';
import {
  DMD_RECORDS,
  ReleaseFormatError,
  checkRf2Header,
  dmdConcept,
  parseRf2Row,
  type DmdFileKind,
  type Rf2FileKind,
  type TerminologyConcept,
} from '@carebridge/domain';

/**
 * Reading release files from disk, streamed a chunk at a time: SNOMED CT RF2 Snapshot text files as
 * checked rows, dm+d XML as concepts through a strict XML parser. Nothing here holds more than one
 * chunk (64 KiB) of a file; parsing rules live in the domain (terminology/). A malformed row stops
 * the reading with a ReleaseFormatError naming file:line.
 */

/** Every file under `directory`, recursively (a release unpacks into Snapshot/Terminology, Snapshot/Refset/…). */
async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const RF2_FILE_NAMES: Readonly<Record<Rf2FileKind, RegExp>> = {
  concept: /^sct2_Concept_Snapshot_.*\.txt$/,
  relationship: /^sct2_Relationship_Snapshot_.*\.txt$/,
  language: /^der2_cRefset_LanguageSnapshot.*\.txt$/,
  description: /^sct2_Description_Snapshot-en_.*\.txt$/,
};

export interface SnomedFiles {
  version: string;
  files: Readonly<Record<Rf2FileKind, readonly string[]>>;
}

/** Finds an RF2 Snapshot's files; concept, relationship and description files are required. */
export async function findSnomedFiles(directory: string): Promise<SnomedFiles> {
  const all = await filesUnder(directory);
  const named = (kind: Rf2FileKind) => all.filter((file) => RF2_FILE_NAMES[kind].test(basename(file)));
  const files = {
    concept: named('concept'),
    relationship: named('relationship'),
    language: named('language'),
    description: named('description'),
  };
  for (const [kind, found] of [
    ['sct2_Concept_Snapshot', files.concept],
    ['sct2_Relationship_Snapshot', files.relationship],
    ['sct2_Description_Snapshot-en', files.description],
  ] as const) {
    if (found.length === 0) throw new Error(`No ${kind}*.txt file under ${directory}.`);
  }
  return { version: rf2Version(files.concept), files };
}

/** "sct2_Concept_Snapshot_GB1000000_20250924.txt" → "GB1000000_20250924" (several files: joined by +). */
function rf2Version(conceptFiles: readonly string[]): string {
  return conceptFiles
    .map((file) =>
      basename(file)
        .replace(/^sct2_Concept_Snapshot_/, '')
        .replace(/\.txt$/, ''),
    )
    .join('+');
}

/**
 * The checked data rows of RF2 files of one kind, a chunk's worth at a time (so a consumer that
 * writes between chunks holds at most one chunk of rows). The header of each file is checked first.
 */
export async function* rf2Rows(kind: Rf2FileKind, paths: readonly string[]): AsyncGenerator<string[][]> {
  for (const path of paths) {
    let lineNumber = 0;
    let partial = '';
    const rowsOf = (lines: readonly string[]): string[][] => {
      const rows: string[][] = [];
      for (const line of lines) {
        lineNumber += 1;
        if (lineNumber === 1) checkRf2Header(kind, line, path);
        else if (line !== '' && line !== '\r') rows.push(parseRf2Row(kind, line, path, lineNumber));
      }
      return rows;
    };
    for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
      const lines = (partial + (chunk as string)).split('\n');
      partial = lines.pop() ?? '';
      yield rowsOf(lines);
    }
    if (partial !== '') yield rowsOf([partial]);
    if (lineNumber === 0) throw new ReleaseFormatError(path, 1, 'the file is empty (no header row)');
  }
}

const DMD_FILE_NAMES: ReadonlyArray<[DmdFileKind, RegExp]> = [
  ['vtm', /^f_vtm\d*_.*\.xml$/i],
  ['vmp', /^f_vmp\d*_.*\.xml$/i],
  ['amp', /^f_amp\d*_.*\.xml$/i],
];

export interface DmdFiles {
  version: string;
  files: ReadonlyArray<{ kind: DmdFileKind; path: string }>;
}

/** Finds the VTM, VMP and AMP files of an unpacked dm+d release (f_vtm2_3…xml, f_vmp2_3…, f_amp2_3…). */
export async function findDmdFiles(directory: string): Promise<DmdFiles> {
  const all = await filesUnder(directory);
  const files: Array<{ kind: DmdFileKind; path: string }> = [];
  for (const [kind, pattern] of DMD_FILE_NAMES) {
    const found = all.filter((file) => pattern.test(basename(file)));
    if (found.length === 0) throw new Error(`No f_${kind}*.xml file under ${directory}.`);
    files.push(...found.map((path) => ({ kind, path })));
  }
  const version = files
    .filter((file) => file.kind === 'vmp')
    .map((file) =>
      basename(file.path)
        .replace(/^f_vmp\d*_/i, '')
        .replace(/\.xml$/i, ''),
    )
    .join('+');
  return { version, files };
}

/** The concepts of a dm+d release's files, a chunk's worth at a time. */
export async function* dmdConcepts(release: DmdFiles): AsyncGenerator<TerminologyConcept[]> {
  for (const { kind, path } of release.files) yield* dmdFileConcepts(kind, path);
}

/**
 * One dm+d file: each record element (VTM, VMP or AMP) directly inside its list, with its simple
 * child elements' text. Anything not well-formed stops the reading, naming the file and line: the
 * parser's handlers throw out of `write`, which runs synchronously on each chunk.
 */
async function* dmdFileConcepts(kind: DmdFileKind, path: string): AsyncGenerator<TerminologyConcept[]> {
  const record = DMD_RECORDS[kind].element;
  const parser = sax.parser(true, { trim: true });
  let concepts: TerminologyConcept[] = [];
  const stack: string[] = [];
  let fields: Record<string, string> | undefined;
  let recordLine = 0;
  parser.onopentag = (tag) => {
    stack.push(tag.name);
    if (tag.name === record && fields === undefined) {
      fields = {};
      recordLine = parser.line + 1;
    }
  };
  parser.ontext = (text) => {
    const field = stack.at(-1);
    if (fields !== undefined && field !== undefined && stack.at(-2) === record) fields[field] = text;
  };
  parser.onclosetag = (name) => {
    stack.pop();
    if (name !== record || fields === undefined) return;
    concepts.push(dmdConcept(kind, fields, path, recordLine));
    fields = undefined;
  };
  parser.onerror = (error) => {
    throw new ReleaseFormatError(path, parser.line + 1, `not well-formed XML: ${firstLine(error.message)}`);
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
    parser.write(chunk as string);
    yield concepts;
    concepts = [];
  }
  parser.close();
  yield concepts;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
