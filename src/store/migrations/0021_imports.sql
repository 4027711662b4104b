-- Files imported into a running server (POST /api/v1/imports; docs/imports.md). One row per
-- import: what was asked, its state and its counts, so a restart still shows what happened.
-- A row still `running` when a server starts belonged to a process that stopped mid-import:
-- its ingest transaction never committed, and the server marks it `failed` (interrupted).
CREATE TABLE imports (
  id text PRIMARY KEY,
  state text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
  format text NOT NULL,
  profile text,
  site text,
  file_name text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  finished_at timestamptz,
  bytes bigint NOT NULL DEFAULT 0,
  rows_read bigint NOT NULL DEFAULT 0,
  accepted bigint NOT NULL DEFAULT 0,
  duplicates bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  skipped bigint NOT NULL DEFAULT 0,
  incidents_opened bigint NOT NULL DEFAULT 0,
  -- Every problem with its row (capped at 1000), the file's kinds and skip reasons.
  problems jsonb NOT NULL DEFAULT '[]',
  summary jsonb NOT NULL DEFAULT '{}',
  error text
);
CREATE INDEX imports_created ON imports (created_at DESC);
