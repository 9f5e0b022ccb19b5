-- Clinical terminology for the coded-entry pickers (packages/server/src/terminology/): SNOMED CT
-- diagnoses and allergies, dm+d medicines. Not patient data. Filled by the demo seed (a small curated
-- subset) or by `npm run cli -- terminology import` (full releases); an import replaces a system's
-- concepts and its release row in one transaction.

create table terminology_release (
  system text primary key check (system in ('http://snomed.info/sct', 'https://dmd.nhs.uk')),
  version text not null,
  imported_at timestamptz not null,
  concept_count integer not null
);

-- One row per concept and kind (a SNOMED CT allergy is also a clinical finding). Inactive concepts
-- are kept so a retired code is recognised, and are never offered.
create table terminology_concept (
  id bigint generated always as identity primary key,
  system text not null references terminology_release (system),
  code text not null,
  kind text not null check (kind in ('diagnosis', 'allergy', 'medicine')),
  display text not null,
  active boolean not null,
  -- The preferred term normalised (lower case, accents removed), for ranking prefix matches first.
  display_key text collate "C" not null,
  -- Every searchable term (preferred term and synonyms), separated by ' | '.
  search_text text not null,
  release_version text not null,
  unique (system, code, kind)
);
create index terminology_concept_browse on terminology_concept (kind, display_key) where active;

-- The words of an active concept's terms. Prefix search is a range scan on the "C"-collated index
-- (the same on PostgreSQL and PGlite; no pg_trgm needed): word >= 'atri' and word < 'atri' || U+10FFFF.
create table terminology_word (
  concept_id bigint not null references terminology_concept (id) on delete cascade,
  word text collate "C" not null,
  primary key (concept_id, word)
);
create index terminology_word_prefix on terminology_word (word, concept_id);
