-- The durable transport for document exchange (packages/server/src/transport/).
--
-- outbox_message: every message Carebridge sends, written in the same transaction as the change it
-- announces. The message id is given by the caller and is stable across retries, so receivers can
-- de-duplicate. Rows are never deleted or expired by the transport: a message stays until it is
-- delivered (acknowledged) or a person deals with it as a dead letter.
--
-- next_attempt_at is "when a worker should next act on this row": for a pending message its next
-- attempt; for a message a worker holds, its lease expiry (so an abandoned lease becomes due again
-- by itself); null once nothing is left for a worker to do (delivered, dead, or waiting in a
-- recipient's mailbox for acknowledgement). One small partial index over it serves "claim the next
-- due messages" (order by next_attempt_at limit n for update skip locked).
--
-- fence increases by one at every claim; completion is written only while the fence still matches,
-- so a worker whose lease lapsed (paused, partitioned) cannot overwrite the newer holder's outcome.
create table outbox_message (
  message_id uuid primary key,
  destination_kind text not null check (destination_kind in ('fhir-endpoint', 'webhook', 'mailbox')),
  endpoint_id text not null,
  address text not null,
  recipient_ods text not null,
  correlation_id text,
  payload jsonb not null,
  status text not null default 'pending'
    check (status in ('pending', 'delivering', 'delivered', 'dead')),
  attempts integer not null default 0,
  rejections integer not null default 0,
  next_attempt_at timestamptz,
  lease_owner text,
  lease_expires_at timestamptz,
  fence bigint not null default 0,
  last_error text,
  last_attempt_at timestamptz,
  created_at timestamptz not null,
  delivered_at timestamptz,
  dead_at timestamptz,
  resends integer not null default 0,
  check (status <> 'delivered' or delivered_at is not null),
  check (status <> 'dead' or dead_at is not null),
  check (status in ('pending', 'delivering') or next_attempt_at is null)
);
create index outbox_message_due on outbox_message (next_attempt_at) where next_attempt_at is not null;
-- Backlog and work-queue views (counts per status, oldest undelivered, dead letters) without
-- touching the delivered history.
create index outbox_message_undelivered on outbox_message (status, created_at) where status <> 'delivered';
create index outbox_message_correlation on outbox_message (correlation_id) where correlation_id is not null;

-- Health of each destination endpoint, for alerts and the operations dashboard. A failure here is
-- a transient one (no answer, timeout, 5xx, 429): a receiver that answers "no" is up.
create table outbox_endpoint (
  endpoint_id text primary key,
  destination_kind text not null,
  address text not null,
  last_attempt_at timestamptz,
  last_success_at timestamptz,
  last_failure_at timestamptz,
  consecutive_failures integer not null default 0,
  failing_since timestamptz,
  last_error text,
  -- set when "not acknowledging" was raised, cleared by the next success: one alert per outage
  alerted_at timestamptz
);

-- MESH-style mailboxes: a message for a 'mailbox' destination lands here in the transaction that
-- enqueues it, owned by the recipient's ODS code. The recipient polls, downloads and acknowledges;
-- acknowledgement is delivery. Unacknowledged messages stay (they never expire).
create table mailbox_message (
  message_id uuid primary key references outbox_message (message_id),
  mailbox text not null,
  placed_at timestamptz not null,
  first_downloaded_at timestamptz,
  download_count integer not null default 0,
  acknowledged_at timestamptz,
  acknowledged_by text
);
create index mailbox_message_inbox on mailbox_message (mailbox, placed_at, message_id)
  where acknowledged_at is null;
