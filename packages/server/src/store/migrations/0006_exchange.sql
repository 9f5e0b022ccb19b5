-- Document exchange (packages/server/src/exchange/): letters and discharge summaries that always arrive.
--
-- exchange_document: one row per issued document version. document_id (Bundle.identifier) is unique,
-- so a re-sent document is recognised as a duplicate by the database, not by timing; content_hash
-- tells an identical re-send from a different document reusing an id. The document itself is stored
-- as a FHIR Bundle resource (bundle_id) with a DocumentReference (document_reference_id) that makes it
-- searchable; the coded entries filing imports are kept in coded_entries so filing never re-parses it.
create table exchange_document (
  id bigint generated always as identity primary key,
  document_id text not null unique,
  set_id text not null,
  version integer not null,
  kind text not null,
  title text not null,
  status text not null
    check (status in ('awaiting-authorisation', 'final', 'held', 'superseded', 'withdrawn')),
  hold_reason text,
  hold_detail text,
  patient_id text,
  nhs_number text not null,
  sender_org_id text,
  sender_ods text not null,
  content_hash text not null,
  event_at timestamptz not null,
  replaces text,
  bundle_id text not null,
  document_reference_id text not null,
  assurance jsonb not null,
  coded_entries jsonb not null,
  has_medication_changes boolean not null,
  has_actions boolean not null,
  submitted_by text not null,
  authorised_by text,
  created_at timestamptz not null,
  authorised_at timestamptz,
  updated_at timestamptz not null
);
create index exchange_document_set on exchange_document (sender_ods, set_id);
create index exchange_document_sender on exchange_document (sender_org_id, created_at);

-- The delivery ledger: one row per document version x recipient. Every state change is a
-- compare-and-set on the previous state (`where state = $previous`), and every state's timestamp is
-- kept, so "delivered 3 days after discharge, filed 2 working days later" is a fact, not a guess.
create table delivery_row (
  id bigint generated always as identity primary key,
  document_row bigint not null references exchange_document (id),
  document_id text not null,
  recipient_kind text not null check (recipient_kind in ('practice', 'copy', 'patient')),
  recipient_key text not null,
  recipient_org_id text,
  recipient_ods text,
  recipient_patient_id text,
  transport text not null check (transport in ('local', 'outbox')),
  state text not null check (state in ('draft', 'awaiting-authorisation', 'final', 'queued', 'delivered',
    'opened', 'filed', 'rejected', 'superseded', 'withdrawn')),
  created_at timestamptz not null,
  authorised_at timestamptz,
  queued_at timestamptz,
  delivered_at timestamptz,
  opened_at timestamptz,
  filed_at timestamptz,
  rejected_at timestamptz,
  superseded_at timestamptz,
  withdrawn_at timestamptz,
  rejection_reason text,
  rejection_detail text,
  outbox_message_id uuid,
  delayed_days integer not null default 0,
  filed_resources jsonb,
  updated_at timestamptz not null,
  unique (document_row, recipient_key)
);
create index delivery_row_recipient on delivery_row (recipient_org_id, id);
create index delivery_row_patient on delivery_row (recipient_patient_id, id) where recipient_patient_id is not null;
create index delivery_row_open on delivery_row (state) where state not in ('filed', 'superseded', 'withdrawn');

-- Every transition of a ledger row: from, to, when, who (subject, role, organisation) and why.
-- Append-only, like the audit trail it complements.
create table delivery_event (
  id bigint generated always as identity primary key,
  row_id bigint not null references delivery_row (id),
  from_state text,
  to_state text not null,
  at timestamptz not null,
  subject text not null,
  role text not null,
  organization_id text,
  reason text
);
create index delivery_event_row on delivery_event (row_id, id);
