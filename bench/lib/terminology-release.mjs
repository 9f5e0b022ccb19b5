// A synthetic SNOMED CT RF2 Snapshot of a chosen size, in the real file formats (specification
// headers, CRLF line ends), for bench/terminology-import.mjs. Not clinical data: the words are
// made-up syllables and every id from 10000001000000103 up is synthetic.
import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { mulberry32 } from './stats.mjs';

const ROOT = '138875005';
const CLINICAL_FINDING = '404684003';
const ALLERGIC_DISPOSITION = '609328004';
const PROCEDURE = '71388002';
const IS_A = '116680003';
const FINDING_SITE = '363698007';
const FSN = '900000000000003001';
const SYNONYM = '900000000000013009';
const GB_ENGLISH = '900000000000508004';
const PREFERRED = '900000000000548007';
const ACCEPTABLE = '900000000000549004';
const MODULE = '900000000000207008';
const TIME = '20250401';

const HEADERS = {
  concept: 'id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId',
  relationship:
    'id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId',
  description:
    'id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId',
  language: 'id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId',
};

/** A buffered writer of CRLF lines that waits when the file stream is full. */
function lineWriter(path, header) {
  const stream = createWriteStream(path);
  let buffer = `${header}\r\n`;
  return {
    async line(text) {
      buffer += `${text}\r\n`;
      if (buffer.length > 1 << 16) {
        if (!stream.write(buffer)) await once(stream, 'drain');
        buffer = '';
      }
    },
    async close() {
      stream.end(buffer);
      await once(stream, 'finish');
    },
  };
}

const conceptId = (i) => `${10_000_000 + i}1000000103`;
const uuid = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * Writes `descriptions` description rows (three per concept: an FSN and two synonyms) with their
 * concepts, an is-a tree under Clinical finding (a tenth under Procedure, a twentieth retired), a
 * finding-site row per concept, and a GB English language refset preferring the FSN and the first
 * synonym. Returns the row counts.
 */
export async function writeSyntheticSnapshot(directory, descriptions, seed = 5) {
  const random = mulberry32(seed);
  const syllables = [
    'car',
    'dio',
    'neu',
    'ro',
    'gas',
    'tro',
    'pul',
    'mo',
    'nar',
    'hep',
    'at',
    'ic',
    'os',
    'te',
    'al',
    'gia',
  ];
  const word = () =>
    Array.from(
      { length: 2 + Math.floor(random() * 3) },
      () => syllables[Math.floor(random() * syllables.length)],
    ).join('');
  const terminology = join(directory, 'Snapshot', 'Terminology');
  const language = join(directory, 'Snapshot', 'Refset', 'Language');
  mkdirSync(terminology, { recursive: true });
  mkdirSync(language, { recursive: true });
  const files = {
    concept: lineWriter(join(terminology, 'sct2_Concept_Snapshot_SYN_20250401.txt'), HEADERS.concept),
    relationship: lineWriter(
      join(terminology, 'sct2_Relationship_Snapshot_SYN_20250401.txt'),
      HEADERS.relationship,
    ),
    description: lineWriter(
      join(terminology, 'sct2_Description_Snapshot-en_SYN_20250401.txt'),
      HEADERS.description,
    ),
    language: lineWriter(
      join(language, 'der2_cRefset_LanguageSnapshot-en_SYN_20250401.txt'),
      HEADERS.language,
    ),
  };
  const counts = { concept: 0, relationship: 0, description: 0, language: 0 };
  const row = async (file, ...fields) => {
    counts[file] += 1;
    await files[file].line(fields.join('\t'));
  };
  let nextId = 1;
  const describe = async (concept, fsn, synonyms) => {
    const terms = [[FSN, fsn], ...synonyms.map((term) => [SYNONYM, term])];
    for (const [index, [type, term]] of terms.entries()) {
      const id = String(1_000_000 + nextId++);
      await row('description', id, TIME, '1', MODULE, concept, 'en', type, term, '900000000000448009');
      if (index <= 1) await row('language', uuid(nextId), TIME, '1', MODULE, GB_ENGLISH, id, PREFERRED);
      else await row('language', uuid(nextId), TIME, '1', MODULE, GB_ENGLISH, id, ACCEPTABLE);
    }
  };
  const isA = async (source, destination, active = '1') =>
    row(
      'relationship',
      String(1_000_000 + nextId++),
      TIME,
      active,
      MODULE,
      source,
      destination,
      '0',
      IS_A,
      '900000000000011006',
      '900000000000451002',
    );
  for (const [id, term] of [
    [ROOT, 'SNOMED CT Concept'],
    [CLINICAL_FINDING, 'Clinical finding'],
    [ALLERGIC_DISPOSITION, 'Allergic disposition'],
    [PROCEDURE, 'Procedure'],
  ]) {
    await row('concept', id, TIME, '1', MODULE, '900000000000074008');
    await describe(id, `${term} (synthetic)`, [term]);
  }
  await isA(CLINICAL_FINDING, ROOT);
  await isA(ALLERGIC_DISPOSITION, CLINICAL_FINDING);
  await isA(PROCEDURE, ROOT);
  const concepts = Math.max(1, Math.floor(descriptions / 3) - 4);
  for (let i = 0; i < concepts; i++) {
    const id = conceptId(i);
    const retired = random() < 0.05;
    await row('concept', id, TIME, retired ? '0' : '1', MODULE, '900000000000074008');
    const top = i % 10 === 0 ? PROCEDURE : i % 50 === 1 ? ALLERGIC_DISPOSITION : CLINICAL_FINDING;
    const parent = i > 100 && random() < 0.8 ? conceptId(Math.floor(random() * i)) : top;
    await isA(id, parent, retired ? '0' : '1');
    await row(
      'relationship',
      String(1_000_000 + nextId++),
      TIME,
      '1',
      MODULE,
      id,
      '91723000',
      '1',
      FINDING_SITE,
      '900000000000011006',
      '900000000000451002',
    );
    const words = [word(), word(), word()].join(' ');
    await describe(id, `${words} (disorder)`, [words, `${word()} ${words}`]);
  }
  await Promise.all(Object.values(files).map((file) => file.close()));
  return counts;
}
