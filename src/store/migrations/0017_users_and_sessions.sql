-- Dashboard users, their sessions and the one-time setup code of a first run.
-- A user has one role (the roles of API tokens except `ingest`) and, optionally, a list of sites.
-- The password is kept only as a scrypt hash with its own random salt and the parameters it was
-- made with, so the cost can be raised later without breaking older hashes.
CREATE TABLE users (
  name            text PRIMARY KEY,
  role            text NOT NULL CHECK (role IN ('admin', 'manager', 'security_lead', 'guard', 'investigator', 'auditor')),
  sites           text[] NOT NULL DEFAULT '{}',
  password_hash   text NOT NULL,
  password_salt   text NOT NULL,
  password_params jsonb NOT NULL,
  disabled        boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  last_login_at   timestamptz
);
-- Names are unique whatever their case ("Alice" and "alice" are one person).
CREATE UNIQUE INDEX users_name_lower ON users (lower(name));

-- A session is known only by the SHA-256 of its id (the cookie) and of its CSRF token.
CREATE TABLE user_sessions (
  id_hash    text PRIMARY KEY,
  user_name  text NOT NULL REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
  csrf_hash  text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_name);
CREATE INDEX user_sessions_expiry ON user_sessions (expires_at);

-- The setup link `vigil serve` prints while no user exists: single use, short-lived, hash only.
CREATE TABLE user_setup_codes (
  code_hash  text PRIMARY KEY,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
