-- Requests with an owner (packages/server/src/requests/): work one organisation asks of another, as a
-- FHIR Task (in `resource`, task_id) and a ledger row here that the worklists, alarms and the
-- workload-transfer ledger read without parsing JSON.
--
-- request_ledger: one row per request. Every status change is a compare-and-set on the previous
-- status (`where status = $previous`), and every status keeps its timestamp, so "declined 2 hours after
-- it arrived, citing SC11.11" is a fact. source_key makes a request created from a letter's action
-- unique, so filing a letter can never create its requests twice.
create table request_ledger (
  id bigint generated always as identity primary key,
  task_id text not null unique,
  source text not null check (source in ('api', 'letter', 'onward-referral')),
  source_key text unique,
  patient_id text not null,
  requester_org_id text not null,
  requester_ods text,
  requester_name text not null,
  requester_setting text not null check (requester_setting in ('hospital', 'practice', 'other')),
  requester_subject text not null,
  requester_display text,
  owner_org_id text not null,
  owner_ods text,
  owner_name text not null,
  owner_setting text not null check (owner_setting in ('hospital', 'practice', 'other')),
  commissioner text,
  specialty text not null,
  category text not null check (category in ('arrange-test', 'prescribe-medication', 're-refer', 'fit-note',
    'chase-result', 'follow-up-appointment', 'other')),
  category_source text not null check (category_source in ('requester', 'snomed', 'text', 'default')),
  circumstances jsonb not null,
  care_context text,
  priority text not null check (priority in ('routine', 'urgent', 'asap', 'stat')),
  status text not null check (status in ('requested', 'received', 'accepted', 'declined', 'in-progress',
    'completed', 'cancelled')),
  reason text not null,
  due_at timestamptz,
  focus text,
  -- The assessment when the request was made: whether the rules place it on the requester, and why.
  responsibility text not null check (responsibility in ('requester', 'owner-by-agreement', 'owner')),
  flagged boolean not null,
  rule_id text,
  rule_clause text,
  decline_reason text,
  decline_rule_id text,
  decline_clause text,
  cancel_reason text,
  estimated_minutes integer not null check (estimated_minutes >= 0),
  created_at timestamptz not null,
  received_at timestamptz,
  accepted_at timestamptz,
  declined_at timestamptz,
  started_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz,
  decline_acknowledged_at timestamptz,
  updated_at timestamptz not null
);
create index request_ledger_owner on request_ledger (owner_org_id, id);
create index request_ledger_requester on request_ledger (requester_org_id, id);
create index request_ledger_created on request_ledger (created_at);
create index request_ledger_open on request_ledger (status)
  where status not in ('completed', 'cancelled') or decline_acknowledged_at is null;

-- Every transition of a request: from, to, the event, when, who (subject, role, organisation, name) and
-- why (the reason, and the clause a decline cites). Append-only, like the audit trail it complements.
create table request_event (
  id bigint generated always as identity primary key,
  request_id bigint not null references request_ledger (id),
  from_status text,
  to_status text not null,
  event text not null,
  at timestamptz not null,
  subject text not null,
  role text not null,
  organization_id text,
  display text,
  reason text,
  clause text
);
create index request_event_request on request_event (request_id, id);

-- Missed hospital appointments and the policy applied: rebooked, or discharged with the clinical
-- decision stated to the GP. Never "discharged to the GP for re-referral" (NHS Standard Contract SC6).
create table missed_appointment (
  id bigint generated always as identity primary key,
  patient_id text not null,
  hospital_org_id text not null,
  appointment_id text not null,
  specialty text not null,
  outcome text not null check (outcome in ('rebooked', 'discharged')),
  clinical_decision text,
  rebooked_appointment_id text,
  communication_id text,
  practice_org_id text,
  recorded_at timestamptz not null,
  recorded_by text not null
);
create index missed_appointment_hospital on missed_appointment (hospital_org_id, recorded_at);
