-- Which patients' records each resource belongs to (the official R4 Patient compartment). Kept for
-- deleted resources too, so their history stays within the same access rules.
create table resource_compartment (
  rid bigint not null,
  patient_id text not null
);
create index resource_compartment_rid on resource_compartment (rid);
create index resource_compartment_patient on resource_compartment (patient_id, rid);

-- Legitimate relationships between organisations and patients, read from the resources that
-- establish them (registration, open encounters and episodes, orders, requests, prescriptions,
-- results). Written with the resource version that establishes them; gone when it closes.
create table access_relationship (
  rid bigint not null,
  patient_id text not null,
  organization_id text not null,
  basis text not null
);
create index access_relationship_patient on access_relationship (patient_id, organization_id, basis);
create index access_relationship_organization on access_relationship (organization_id, basis, rid);
create index access_relationship_rid on access_relationship (rid);

-- Break-glass: emergency access declared by a user without a relationship, time-limited, reviewed.
create table break_glass_session (
  id text primary key,
  subject text not null,
  display_name text not null,
  role text not null,
  organization_id text,
  patient_id text not null,
  reason_code text not null,
  reason_text text not null,
  started_at timestamptz not null,
  expires_at timestamptz not null,
  ended_at timestamptz,
  review_outcome text,
  review_note text,
  reviewed_by text,
  reviewed_at timestamptz
);
create index break_glass_session_active on break_glass_session (subject, expires_at);
create index break_glass_session_review on break_glass_session (reviewed_at, started_at);
