-- The audit trail: one row per audited request (and per Bundle entry), never changed once written.
-- docs/audit.md explains the design; the short version is:
--   audit_event     the records, append-only (triggers refuse UPDATE, DELETE and TRUNCATE), each
--                   with the SHA-256 of its content, computed by the writer
--   audit_chain     a SHA-256 hash chain over blocks of records in id order, append-only

create table audit_event (
  -- Drawn in order across sessions (the identity's default CACHE 1): the sealer relies on it.
  id bigint generated always as identity primary key,
  request_id text not null,
  -- Written from JavaScript Dates, so whole milliseconds; the check keeps keyset paging (which
  -- carries a Date) exact.
  recorded_at timestamptz not null check (recorded_at = date_trunc('milliseconds', recorded_at)),
  -- Who: all null when the request carried no valid credentials.
  subject text,
  display_name text,
  role text,
  organization_id text,
  ods_code text,
  client_id text,
  principal_kind text check (principal_kind in ('staff', 'patient', 'system')),
  practitioner_role_id text,
  principal_patient_id text,
  -- What.
  action text not null check (action in ('C', 'R', 'U', 'D', 'E')),
  interaction text not null,
  resource_type text,
  resource_id text,
  patient_ids text[] not null,
  query text,
  outcome text not null check (outcome in ('success', 'denied', 'failed')),
  http_status integer not null,
  purpose_of_use text not null,
  break_glass boolean not null,
  break_glass_session_id text,
  source text not null check (source in ('api', 'ui')),
  remote_address text,
  -- SHA-256 (hex) of the row's canonical form (audit-chain.ts), computed by the writer from the
  -- values it inserted. The sealer chains this, so it never has to read a row back, and a row
  -- altered before it was sealed still no longer matches what was sealed.
  content_hash text not null check (length(content_hash) = 64)
);
-- Each index costs every audited request a little write time, so there are only these. "Who looked
-- at my record": every event naming a patient.
create index audit_event_patient_ids on audit_event using gin (patient_ids);
create index audit_event_recorded_at on audit_event (recorded_at, id);
create index audit_event_subject on audit_event (subject, recorded_at, id);
-- The privacy officer's review of emergency access: small, because break-glass is rare.
create index audit_event_break_glass on audit_event (recorded_at, id) where break_glass;

-- Link `seq` seals a block of audit rows: their ids (ascending, and above every id of the links
-- before it) and their content hashes (64 hex characters each, in the same order, concatenated).
-- hash = SHA-256 of prev_hash, seq, the ids and the content hashes (audit-chain.ts gives the exact
-- form). `seq` is contiguous from 1 (the sealer assigns it under an advisory lock), so a missing
-- link shows as a gap. Hashes are lowercase hex, checked by length only: a pattern check costs
-- more than the rest of the insert.
create table audit_chain (
  seq bigint primary key check (seq > 0),
  audit_ids bigint[] not null check (cardinality(audit_ids) > 0),
  content_hashes text not null check (length(content_hashes) = 64 * cardinality(audit_ids)),
  prev_hash text not null check (length(prev_hash) = 64),
  hash text not null check (length(hash) = 64)
);
-- Hashes do not compress; trying costs CPU on every seal.
alter table audit_chain alter column content_hashes set storage external;

create function audit_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only: % is refused', tg_table_name, tg_op
    using errcode = 'insufficient_privilege',
          hint = 'Audit records are evidence and are never changed or removed; see docs/audit.md.';
end
$$;

-- The sealer chains rows in id order, but only up to an id below which no open write transaction
-- can still commit a row. It knows those transactions from the snapshot's list of open transaction
-- ids, which lists only transactions that already have an id; PostgreSQL assigns one at the first
-- row written, which is after the identity value was drawn. Taking it before any row (BEFORE
-- STATEMENT) closes that gap: a transaction holding an audit id is always visible as open.
create function audit_take_transaction_id() returns trigger language plpgsql as $$
begin
  perform pg_current_xact_id();
  return null;
end
$$;

-- Statement-level, so the refusal holds even for a statement that matches no rows.
create trigger audit_event_append_only before update or delete or truncate on audit_event
  for each statement execute function audit_refuse_change();
create trigger audit_chain_append_only before update or delete or truncate on audit_chain
  for each statement execute function audit_refuse_change();
create trigger audit_event_writer_visible before insert on audit_event
  for each statement execute function audit_take_transaction_id();

-- ALWAYS: the triggers fire under session_replication_role = replica too, which would otherwise
-- let a superuser session bypass them without any DDL.
alter table audit_event enable always trigger audit_event_append_only;
alter table audit_chain enable always trigger audit_chain_append_only;
alter table audit_event enable always trigger audit_event_writer_visible;
