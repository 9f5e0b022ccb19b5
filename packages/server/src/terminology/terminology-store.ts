import {
  EXPANSION_TOTAL_CAP,
  normaliseSearchText,
  searchWordsOf,
  type Rf2Description,
  type TerminologyConcept,
  type TerminologyKind,
} from '@carebridge/domain';
import type { SqlExecutor } from '../store/database.js';

/**
 * The terminology tables (migration 0009): replacing a system's release, and searching it. The only
 * place terminology SQL lives.
 */

export interface ReleaseSummary {
  system: string;
  version: string;
  concepts: number;
  active: number;
  inactive: number;
}

/** Rows per INSERT: large enough to amortise round trips, small enough for one JSON parameter. */
export const IMPORT_BATCH_SIZE = 1000;

interface ReleaseRow {
  system: string;
  version: string;
  importedAt: Date;
}

/**
 * Replaces everything stored for `system` with `concepts` (read as they come, a batch at a time), in
 * the caller's transaction: a second import of the same release leaves the same rows, and a failed
 * one leaves the previous release.
 */
export async function replaceRelease(
  tx: SqlExecutor,
  release: ReleaseRow,
  concepts: AsyncIterable<Iterable<TerminologyConcept>> | Iterable<Iterable<TerminologyConcept>>,
): Promise<ReleaseSummary> {
  await startRelease(tx, release);
  for await (const batch of inBatches(concepts)) await insertBatch(tx, release, batch);
  return finishRelease(tx, release.system);
}

async function startRelease(tx: SqlExecutor, release: ReleaseRow): Promise<void> {
  await tx.query('delete from terminology_concept where system = $1', [release.system]);
  await tx.query(
    `insert into terminology_release (system, version, imported_at, concept_count) values ($1, $2, $3, 0)
     on conflict (system) do update set version = excluded.version, imported_at = excluded.imported_at,
       concept_count = 0`,
    [release.system, release.version, release.importedAt.toISOString()],
  );
}

async function finishRelease(tx: SqlExecutor, system: string): Promise<ReleaseSummary> {
  const { rows } = await tx.query<{ version: string; concepts: number; active: number }>(
    `update terminology_release r
        set concept_count = counted.concepts
       from (select count(*)::int as concepts, (count(*) filter (where active))::int as active
               from terminology_concept where system = $1) counted
      where r.system = $1
      returning r.version, counted.concepts, counted.active`,
    [system],
  );
  const { version, concepts, active } = rows[0] as { version: string; concepts: number; active: number };
  return { system, version, concepts, active, inactive: concepts - active };
}

/** Regroups runs of items of any length into batches of at most IMPORT_BATCH_SIZE. */
async function* inBatches<T>(
  source: AsyncIterable<Iterable<T>> | Iterable<Iterable<T>>,
): AsyncGenerator<readonly T[]> {
  let batch: T[] = [];
  for await (const items of source) {
    for (const item of items) {
      batch.push(item);
      if (batch.length === IMPORT_BATCH_SIZE) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** What a SNOMED CT release is written from, each read once, in this order. */
export interface SnomedStaging {
  /** Every classified concept, once per kind. */
  concepts: Iterable<{ code: string; kind: TerminologyKind; active: boolean }>;
  /** Descriptions preferred by a wanted language refset, with the refset's rank (0 is best). */
  preferred: AsyncIterable<ReadonlyArray<{ descriptionId: string; rank: number }>>;
  /** The active synonyms and FSNs of classified concepts, in file order. */
  descriptions: AsyncIterable<readonly Rf2Description[]>;
}

/**
 * Replaces the stored SNOMED CT release, building each concept from its descriptions inside the
 * database: the rows are staged in temporary tables (dropped at commit) and the display and search
 * words worked out in SQL, so the importing process holds one batch at a time, never the release.
 * The display rule is the domain's (terminology/rf2.ts): the synonym preferred by the most wanted
 * language refset, else the FSN without its semantic tag, else the first synonym (file order).
 */
export async function replaceSnomedRelease(
  tx: SqlExecutor,
  release: ReleaseRow,
  staging: SnomedStaging,
): Promise<ReleaseSummary & { withoutTerm: number }> {
  await startRelease(tx, release);
  await tx.exec(`
    create temp table staged_concept (code text not null, kind text not null, active boolean not null) on commit drop;
    create temp table staged_preferred (description_id text not null, rank integer not null) on commit drop;
    create temp table staged_description (seq bigint not null, description_id text not null, code text not null,
      synonym boolean not null, display text not null, display_key text not null, words text not null) on commit drop;`);
  for await (const batch of inBatches([staging.concepts])) {
    await stage(tx, 'staged_concept', '(code text, kind text, active boolean)', batch);
  }
  for await (const batch of inBatches(staging.preferred)) {
    const rows = batch.map(({ descriptionId, rank }) => ({ description_id: descriptionId, rank }));
    await stage(tx, 'staged_preferred', '(description_id text, rank integer)', rows);
  }
  let seq = 0;
  for await (const batch of inBatches(staging.descriptions)) {
    const rows = batch.map((description) => ({
      seq: seq++,
      description_id: description.descriptionId,
      code: description.conceptId,
      synonym: description.synonym,
      display: description.display,
      display_key: normaliseSearchText(description.display),
      words: searchWordsOf([description.display]).join(' '),
    }));
    await stage(
      tx,
      'staged_description',
      '(seq bigint, description_id text, code text, synonym boolean, display text, display_key text, words text)',
      rows,
    );
  }
  // Planner statistics for the joins below: temporary tables are never analysed automatically.
  await tx.exec('analyze staged_concept; analyze staged_preferred; analyze staged_description;');
  await tx.exec(`
    create temp table staged_display on commit drop as
    select distinct on (d.code) d.code, d.seq, d.display, d.display_key
      from staged_description d
      left join (select description_id, min(rank) as rank from staged_preferred group by description_id) p
        on d.synonym and p.description_id = d.description_id
     order by d.code, case when p.rank is not null then p.rank when not d.synonym then ${FSN_RANK} else ${FSN_RANK + 1} end, d.seq;
    analyze staged_display;`);
  await tx.query(
    `insert into terminology_concept (system, code, kind, display, active, display_key, search_text, release_version)
     select $1, c.code, c.kind, s.display, c.active, s.display_key, concat_ws(' | ', s.display, o.others), $2
       from staged_concept c
       join staged_display s using (code)
       left join (select d.code, string_agg(d.display, ' | ' order by d.seq) as others
                    from staged_description d join staged_display s using (code)
                   where d.synonym and d.display <> s.display
                   group by d.code) o using (code)`,
    [release.system, release.version],
  );
  // Only what can be offered is searchable: an inactive concept has no words.
  await tx.query(
    `insert into terminology_word (concept_id, word)
     select distinct c.id, w.word
       from terminology_concept c
       join staged_display s on s.code = c.code
       join staged_description d on d.code = c.code and (d.synonym or d.seq = s.seq)
       cross join lateral unnest(string_to_array(d.words, ' ')) as w(word)
      where c.system = $1 and c.active and w.word <> ''`,
    [release.system],
  );
  const { rows } = await tx.query<{ n: number }>(
    `select count(distinct code)::int as n from staged_concept c
      where not exists (select 1 from staged_display s where s.code = c.code)`,
  );
  await tx.exec('drop table staged_concept, staged_preferred, staged_description, staged_display');
  return { ...(await finishRelease(tx, release.system)), withoutTerm: rows[0]?.n ?? 0 };
}

/** Ranks a language refset's preference can take are below this; the FSN fallback ranks here. */
const FSN_RANK = 1_000_000;

async function stage(
  tx: SqlExecutor,
  table: string,
  columns: string,
  rows: readonly object[],
): Promise<void> {
  await tx.query(`insert into ${table} select * from jsonb_to_recordset($1::jsonb) as x${columns}`, [
    JSON.stringify(rows),
  ]);
}

async function insertBatch(
  tx: SqlExecutor,
  release: { system: string; version: string },
  concepts: readonly TerminologyConcept[],
): Promise<void> {
  const rows = concepts.map((concept) => ({
    code: concept.code,
    kind: concept.kind,
    display: concept.display,
    active: concept.active,
    display_key: normaliseSearchText(concept.display),
    search_text: concept.terms.join(' | '),
    // Only what can be offered is searchable: an inactive concept has no words.
    words: concept.active ? searchWordsOf(concept.terms).join(' ') : '',
  }));
  await tx.query(
    `with input as (
       select * from jsonb_to_recordset($1::jsonb) as x(code text, kind text, display text, active boolean,
         display_key text, search_text text, words text)
     ), inserted as (
       insert into terminology_concept (system, code, kind, display, active, display_key, search_text, release_version)
       select $2, code, kind, display, active, display_key, search_text, $3 from input
       returning id, code, kind
     )
     insert into terminology_word (concept_id, word)
     select distinct inserted.id, word
       from inserted join input using (code, kind)
       cross join lateral unnest(string_to_array(input.words, ' ')) as word
      where word <> ''`,
    [JSON.stringify(rows), release.system, release.version],
  );
}

export async function releaseVersion(db: SqlExecutor, system: string): Promise<string | undefined> {
  const { rows } = await db.query<{ version: string }>(
    'select version from terminology_release where system = $1',
    [system],
  );
  return rows[0]?.version;
}

export interface ExpansionQuery {
  kind: TerminologyKind;
  /** Normalised search words; every one must begin a word of one of the concept's terms. */
  words: readonly string[];
  /** The whole filter normalised: a preferred term starting with it ranks first. */
  phrase: string;
  /** Matches to skip (paging), then at most `count` returned. */
  offset: number;
  count: number;
}

export interface ExpandedConcept {
  system: string;
  code: string;
  display: string;
}

/** Beyond the last code point: `word < prefix || END` bounds a prefix range on the "C" collation. */
const END = '\u{10FFFF}';

/**
 * Active concepts of a kind matching every search word, best first (preferred terms that start with
 * the filter, then shorter terms, then alphabetically), one page of them, and how many match,
 * counted up to one past EXPANSION_TOTAL_CAP (so `counted > EXPANSION_TOTAL_CAP` means "more than
 * the cap"). The longest word drives the index scan; the caller refuses a search without a word of
 * MIN_SEARCH_WORD_LENGTH, which is what keeps the set of matches to rank small.
 */
export async function expand(
  db: SqlExecutor,
  query: ExpansionQuery,
): Promise<{ counted: number; concepts: ExpandedConcept[] }> {
  const params: unknown[] = [query.kind, query.phrase, query.count, query.offset, EXPANSION_TOTAL_CAP + 1];
  const ordered = [...query.words].sort((a, b) => b.length - a.length);
  const conditions = ordered.map((word, index) => {
    params.push(word, word + END);
    const [from, to] = [`$${params.length - 1}`, `$${params.length}`];
    return index === 0
      ? `c.id in (select w.concept_id from terminology_word w where w.word >= ${from} and w.word < ${to})`
      : `exists (select 1 from terminology_word w where w.concept_id = c.id and w.word >= ${from} and w.word < ${to})`;
  });
  const ranking = (table: string) =>
    `starts_with(${table}.display_key, $2) desc, length(${table}.display_key), ${table}.display_key, ${table}.code`;
  // One row even when the page is empty (an offset past the end), to carry the count.
  const { rows } = await db.query<{ counted: number; system: string | null; code: string; display: string }>(
    `with matches as (
       select c.system, c.code, c.display, c.display_key
         from terminology_concept c
        where c.kind = $1 and c.active ${conditions.map((condition) => `and ${condition}`).join(' ')}
     ), page as (
       select * from matches m order by ${ranking('m')} limit $3 offset $4
     )
     select (select count(*)::int from (select 1 from matches limit $5) capped) as counted,
            page.system, page.code, page.display
       from (select 1) as one left join page on true
      order by ${ranking('page')}`,
    params,
  );
  return {
    counted: rows[0]?.counted ?? 0,
    concepts: rows.flatMap(({ system, code, display }) =>
      system === null ? [] : [{ system, code, display }],
    ),
  };
}

/** A concept's state in the loaded release of its system, or undefined when the release lacks it. */
export async function findConcept(
  db: SqlExecutor,
  system: string,
  code: string,
  kind: TerminologyKind,
): Promise<{ display: string; active: boolean } | undefined> {
  const { rows } = await db.query<{ display: string; active: boolean }>(
    'select display, active from terminology_concept where system = $1 and code = $2 and kind = $3',
    [system, code, kind],
  );
  return rows[0];
}

/** Whether any release of the system is loaded (so its codes can be checked at all). */
export async function hasRelease(db: SqlExecutor, system: string): Promise<boolean> {
  return (await releaseVersion(db, system)) !== undefined;
}
