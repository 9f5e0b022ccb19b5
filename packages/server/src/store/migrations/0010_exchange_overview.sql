-- The operations overview ($exchange-overview) and backlog release with live progress.

-- Letters delivered per day: a range over delivered_at, read through an index rather than the ledger.
create index delivery_row_delivered on delivery_row (delivered_at) where delivered_at is not null;

-- Why a release running in the background stopped, so operations never take a stalled release for a
-- finished one (a release is resumed by starting it again; a batch that commits clears the error).
alter table backlog_release
  add column last_error text,
  add column last_error_at timestamptz;
-- The latest release first (the backlog page shows it after a reload, in any browser).
create index backlog_release_created on backlog_release (created_at desc);
