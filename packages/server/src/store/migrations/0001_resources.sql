-- Current version of every resource: one row per (type, id). `rid` is the compact key that the
-- search-index tables hang from. `content` is the JSON exactly as served (meta included), so a
-- read sends it without re-serialising.
create table resource (
  rid bigint generated always as identity primary key,
  resource_type text not null,
  id text not null,
  version_id bigint not null,
  last_updated timestamptz not null,
  deleted boolean not null default false,
  content text not null,
  unique (resource_type, id)
);
create index resource_type_last_updated on resource (resource_type, last_updated, rid);

-- Every version ever written, including deletions, append-only. `seq` orders history across
-- resources by commit, independent of the wall clock.
create table resource_history (
  seq bigint generated always as identity primary key,
  resource_type text not null,
  id text not null,
  version_id bigint not null,
  last_updated timestamptz not null,
  method text not null check (method in ('POST', 'PUT', 'PATCH', 'DELETE')),
  deleted boolean not null default false,
  content text not null,
  unique (resource_type, id, version_id)
);
create index resource_history_type_seq on resource_history (resource_type, seq);

-- Typed search indexes, filled from the official R4 SearchParameter FHIRPath expressions for the
-- current version of each resource. They carry no foreign key: resources are never physically
-- deleted, and the store writes a resource and its index rows in one statement, so a per-row
-- constraint check would only cost write throughput.
create table search_token (
  rid bigint not null,
  resource_type text not null,
  param text not null,
  system text,
  code text,
  text text
);
create index search_token_lookup on search_token (resource_type, param, code, system);
create index search_token_rid on search_token (rid);

create table search_string (
  rid bigint not null,
  resource_type text not null,
  param text not null,
  value text not null,
  exact text not null
);
create index search_string_lookup on search_string (resource_type, param, value text_pattern_ops);
create index search_string_rid on search_string (rid);

create table search_reference (
  rid bigint not null,
  resource_type text not null,
  param text not null,
  target_type text,
  target_id text,
  value text not null
);
create index search_reference_lookup on search_reference (resource_type, param, target_id, target_type);
create index search_reference_target on search_reference (target_type, target_id);
create index search_reference_rid on search_reference (rid);

create table search_date (
  rid bigint not null,
  resource_type text not null,
  param text not null,
  low timestamptz not null,
  high timestamptz not null
);
create index search_date_lookup on search_date (resource_type, param, low, high);
create index search_date_rid on search_date (rid);

create table search_number (
  rid bigint not null,
  resource_type text not null,
  param text not null,
  value numeric not null,
  low numeric not null,
  high numeric not null
);
create index search_number_lookup on search_number (resource_type, param, value);
create index search_number_rid on search_number (rid);

create table search_quantity (
  rid bigint not null,
  resource_type text not null,
  param text not null,
  value numeric not null,
  low numeric not null,
  high numeric not null,
  system text,
  code text,
  unit text
);
create index search_quantity_lookup on search_quantity (resource_type, param, code, value);
create index search_quantity_rid on search_quantity (rid);

create table search_uri (
  rid bigint not null,
  resource_type text not null,
  param text not null,
  value text not null
);
create index search_uri_lookup on search_uri (resource_type, param, value);
create index search_uri_rid on search_uri (rid);

-- Keys that must be unique across concurrent writers (conditional-create match URLs, business
-- identifiers). The primary key makes the database, not an isolation level, refuse the second
-- writer: a concurrent conditional create waits for the first and then finds its resource.
create table unique_key (
  key text primary key,
  resource_type text not null,
  id text not null,
  created_at timestamptz not null
);

-- X-Request-ID replay cache: a retried request gets the stored answer instead of a second effect.
create table request_replay (
  request_id text primary key,
  fingerprint text not null,
  status integer,
  headers text,
  body text,
  created_at timestamptz not null
);
create index request_replay_created on request_replay (created_at);
