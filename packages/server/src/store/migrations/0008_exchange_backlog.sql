-- Document exchange, second part (packages/server/src/exchange/): backlog release, the review queue
-- for held documents, re-routing, and the per-sender assurance report.

-- Two terminal ledger states: `duplicate` (never sent: the recipient already had identical content,
-- on the row duplicate_of names) and `rerouted` (a rejected row handed on to a new row, rerouted_to,
-- for the right recipient). Both end a row without losing it.
alter table delivery_row drop constraint delivery_row_state_check;
alter table delivery_row add constraint delivery_row_state_check
  check (state in ('draft', 'awaiting-authorisation', 'final', 'queued', 'delivered', 'opened', 'filed',
    'rejected', 'superseded', 'withdrawn', 'duplicate', 'rerouted'));
alter table delivery_row
  add column lateness text,
  add column release_id uuid,
  add column duplicate_of bigint references delivery_row (id),
  add column rerouted_to bigint references delivery_row (id),
  add column rerouted_from bigint references delivery_row (id);
drop index delivery_row_open;
create index delivery_row_open on delivery_row (state)
  where state not in ('filed', 'superseded', 'withdrawn', 'duplicate', 'rerouted');
create index delivery_row_release on delivery_row (release_id, id) where release_id is not null;

-- `returned`: a held document a reviewer sent back to its sender instead of releasing it.
-- held_at: when the document was held (the review alarm counts from it). held_for_release_at: a
-- document ingested on purpose without delivery (a sender's backlog found after an outage), kept
-- with its ledger rows in `final` until a backlog release delivers it; release_id names that release.
-- routing_request keeps the copies a held document asked for, so releasing it later routes it fully.
alter table exchange_document drop constraint exchange_document_status_check;
alter table exchange_document add constraint exchange_document_status_check
  check (status in ('awaiting-authorisation', 'final', 'held', 'returned', 'superseded', 'withdrawn'));
alter table exchange_document
  add column held_at timestamptz,
  add column held_for_release_at timestamptz,
  add column release_id uuid,
  add column routing_request jsonb,
  add column resolution text check (resolution in ('released', 'returned')),
  add column resolution_detail text,
  add column resolved_at timestamptz,
  add column resolved_by text;
update exchange_document set held_at = created_at where status = 'held';
-- Content de-duplication (backlog release) looks documents up by their clinical content's hash.
create index exchange_document_content_hash on exchange_document (content_hash);
create index exchange_document_held on exchange_document (held_at) where status = 'held';
create index exchange_document_awaiting_release on exchange_document (sender_ods, event_at)
  where held_for_release_at is not null and release_id is null;

-- A backlog release: which documents it covers (selection, with a canonical key so a re-run of the
-- same selection resumes the unfinished release instead of starting another), its progress, and the
-- per-practice triage summary stored at planning time, so a practice can read it later.
create table backlog_release (
  id uuid primary key,
  selection jsonb not null,
  selection_key text not null,
  status text not null check (status in ('running', 'complete')),
  requested_by text not null,
  requested_role text not null,
  requested_organization_id text,
  total integer not null,
  to_deliver integer not null,
  duplicates integer not null,
  processed integer not null default 0,
  delivered integer not null default 0,
  queued integer not null default 0,
  duplicates_recorded integer not null default 0,
  skipped integer not null default 0,
  practices jsonb not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  completed_at timestamptz
);
create unique index backlog_release_running on backlog_release (selection_key) where status = 'running';

-- The release's to-do list, written in one transaction when it is planned: one item per ledger row,
-- in delivery order (seq: per patient, oldest letter first). row_id is unique, so no row is ever in
-- two releases. outcome is null until the batch that handles the row commits, in the same
-- transaction as the row's transition: a crash loses nothing and a re-run does nothing twice.
create table backlog_release_item (
  release_id uuid not null references backlog_release (id),
  seq integer not null,
  row_id bigint not null unique references delivery_row (id),
  document_id text not null,
  recipient_key text not null,
  practice_ods text not null,
  patient_nhs_number text not null,
  patient_id text,
  priority text not null,
  triage_rank integer not null,
  days_late integer not null,
  lateness text not null,
  action text not null check (action in ('deliver', 'duplicate')),
  duplicate_of_row bigint,
  outcome text,
  done_at timestamptz,
  primary key (release_id, seq)
);
create index backlog_release_item_pending on backlog_release_item (release_id, seq) where outcome is null;
create index backlog_release_item_triage on backlog_release_item (release_id, practice_ods, triage_rank);

-- Submissions that stored no document (refused by assurance, a duplicate re-send, an id reused for
-- other content): the rest of the per-sender assurance report comes from exchange_document.
create table assurance_event (
  id bigint generated always as identity primary key,
  at timestamptz not null,
  sender_ods text not null,
  document_id text,
  outcome text not null check (outcome in ('rejected', 'duplicate', 'conflict')),
  reasons text[] not null,
  submitted_by text not null
);
create index assurance_event_sender on assurance_event (sender_ods, at);
