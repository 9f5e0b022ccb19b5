-- The embedded identity provider's state (see docs/identity.md). Nothing here is used when an
-- external issuer (CIS2-style) signs the tokens, except that the tables exist.

-- Accounts that can sign in to the embedded provider. `claims` is the JSON the tokens carry
-- (role, organisation, FHIR user); `demo` accounts sign in only while demo data is enabled, so a
-- database once seeded with them cannot be used with their well-known password in production.
create table identity_account (
  subject text primary key,
  username text not null unique,
  password_hash text not null,
  claims text not null,
  demo boolean not null default false,
  disabled boolean not null default false,
  created_at timestamptz not null default now()
);

-- Token-signing keys (private JWKs). The newest unretired key signs; retired keys stay published
-- until every token they signed has expired. A key supplied from configuration is never stored.
create table identity_signing_key (
  kid text primary key,
  private_jwk text not null,
  created_at timestamptz not null default now(),
  retired_at timestamptz
);

-- Generated secrets the provider needs to keep across restarts and share between processes
-- (cookie-signing keys), when configuration does not supply them.
create table identity_secret (
  name text primary key,
  value text not null,
  created_at timestamptz not null default now()
);

-- System (client-credentials) clients created with the demo data. Production system clients come
-- only from configuration (SYSTEM_CLIENTS); rows here are ignored unless demo data is enabled.
create table identity_demo_client (
  client_id text primary key,
  client_secret text not null,
  client_name text not null,
  allowed_scopes text not null,
  organization_id text not null,
  ods_code text not null,
  created_at timestamptz not null default now()
);

-- oidc-provider's short-lived state: sessions, interactions, authorization codes, refresh tokens,
-- grants. Access tokens are self-contained JWTs and are never stored.
create table identity_oidc_artifact (
  model text not null,
  id text not null,
  payload text not null,
  grant_id text,
  uid text,
  user_code text,
  expires_at timestamptz,
  consumed_at timestamptz,
  primary key (model, id)
);
create index identity_oidc_artifact_grant on identity_oidc_artifact (grant_id) where grant_id is not null;
create index identity_oidc_artifact_uid on identity_oidc_artifact (model, uid) where uid is not null;
create index identity_oidc_artifact_user_code on identity_oidc_artifact (model, user_code)
  where user_code is not null;
create index identity_oidc_artifact_expiry on identity_oidc_artifact (expires_at) where expires_at is not null;
