-- Steps 8-15: the tables the investigation, audit and archive steps write. One migration so the
-- steps can be built side by side against the same shape; each table belongs to one store module
-- (named in its comment), which alone writes it. Later changes to a table go in a later migration.

-- Case notes and outcomes (store/notes.ts). Every lifecycle action with a note, and
-- POST /api/v1/incidents/{id}/notes, appends one row; notes are never edited.
CREATE TABLE incident_notes (
  seq         bigserial PRIMARY KEY,
  incident_id text NOT NULL,
  at          timestamptz NOT NULL,
  author      text NOT NULL,
  -- note | acknowledge | resolve | reopen | system
  kind        text NOT NULL DEFAULT 'note',
  text        text NOT NULL
);
CREATE INDEX incident_notes_incident ON incident_notes (incident_id, seq);
-- confirmed_loss | recovered | false_alarm | no_loss | referred_to_police (set by resolve).
ALTER TABLE incidents ADD COLUMN outcome text;

-- Step 8, incident report versions (store/reports.ts). `content` is the JSON report; `digest` the
-- SHA-256 (hex) of its canonical JSON. A signed version is frozen: a change makes a new version.
CREATE TABLE report_versions (
  incident_id  text NOT NULL,
  version      int NOT NULL,
  generated_at timestamptz NOT NULL,
  digest       text NOT NULL,
  content      jsonb NOT NULL,
  signed_at    timestamptz,
  signed_by    text,
  PRIMARY KEY (incident_id, version)
);

-- Step 9 investigation tasks and step 13 maintenance tasks (store/tasks.ts).
CREATE TABLE tasks (
  id                  text PRIMARY KEY,
  -- investigation | maintenance
  kind                text NOT NULL,
  incident_id         text,
  site                text NOT NULL,
  device_id           text,
  title               text NOT NULL,
  -- open | in_progress | blocked | done
  status              text NOT NULL DEFAULT 'open',
  assignee            text,
  due_at              timestamptz,
  -- evidence checklist: [{ kind: 'clip'|'badge_events'|'pos_transactions'|..., ..., done: bool }]
  checklist           jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  completed_at        timestamptz,
  overdue_notified_at timestamptz
);
CREATE INDEX tasks_incident ON tasks (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX tasks_assignee ON tasks (assignee, status);
CREATE INDEX tasks_due ON tasks (due_at) WHERE status <> 'done';
CREATE TABLE task_comments (
  task_id text NOT NULL,
  seq     int NOT NULL,
  at      timestamptz NOT NULL,
  author  text NOT NULL,
  text    text NOT NULL,
  PRIMARY KEY (task_id, seq)
);

-- Step 10, every asset status change (store/asset-status.ts); assets.status holds the current one.
CREATE TABLE asset_status_changes (
  seq         bigserial PRIMARY KEY,
  asset_id    text NOT NULL,
  from_status text NOT NULL,
  to_status   text NOT NULL,
  at          timestamptz NOT NULL,
  actor       text NOT NULL,
  reason      text NOT NULL,
  incident_id text
);
CREATE INDEX asset_status_changes_asset ON asset_status_changes (asset_id, seq);
CREATE INDEX asset_status_changes_incident ON asset_status_changes (incident_id) WHERE incident_id IS NOT NULL;

-- Step 11, risk per asset, zone and site (store/risk.ts): the current score and every recalculation.
CREATE TABLE risk_scores (
  scope       text NOT NULL,            -- asset | zone | site
  scope_id    text NOT NULL,            -- asset id, '<site>/<zone>', or site id
  site        text NOT NULL,
  likelihood  int NOT NULL,
  impact      int NOT NULL,
  score       int NOT NULL,
  band        text NOT NULL,
  recurring   boolean NOT NULL DEFAULT false,
  inputs      jsonb NOT NULL,
  computed_at timestamptz NOT NULL,
  PRIMARY KEY (scope, scope_id)
);
CREATE INDEX risk_scores_site ON risk_scores (site);
CREATE TABLE risk_history (
  seq         bigserial PRIMARY KEY,
  scope       text NOT NULL,
  scope_id    text NOT NULL,
  site        text NOT NULL,
  likelihood  int NOT NULL,
  impact      int NOT NULL,
  score       int NOT NULL,
  band        text NOT NULL,
  recurring   boolean NOT NULL,
  inputs      jsonb NOT NULL,
  incident_id text,
  computed_at timestamptz NOT NULL
);
CREATE INDEX risk_history_scope ON risk_history (scope, scope_id, seq);

-- Step 12, access-log findings (store/access-findings.ts), from an incident's review or the daily job.
CREATE TABLE access_findings (
  id          text PRIMARY KEY,        -- deterministic: rule + evidence, so a re-run adds nothing
  incident_id text,
  site        text NOT NULL,
  rule        text NOT NULL,           -- off_shift | after_hours | no_clearance | denied_burst | tailgating | anti_passback | impossible_travel | inactive_badge
  badge       text,
  person      text,
  zone        text,
  at          timestamptz NOT NULL,
  severity    text NOT NULL,           -- low | medium | high
  summary     text NOT NULL,
  evidence    bigint[] NOT NULL DEFAULT '{}',  -- event seqs
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  found_at    timestamptz NOT NULL
);
CREATE INDEX access_findings_incident ON access_findings (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX access_findings_site ON access_findings (site, at);

-- Step 13, equipment findings (store/equipment.ts): per incident (devices covering it and their
-- state in the window) and per audit (offline, stale, not recording, tampered, blind spots).
CREATE TABLE equipment_findings (
  id          text PRIMARY KEY,
  incident_id text,
  site        text NOT NULL,
  device_id   text,
  finding     text NOT NULL,           -- covering_ok | offline | not_recording | stale | tampered | blind_spot
  summary     text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  found_at    timestamptz NOT NULL
);
CREATE INDEX equipment_findings_incident ON equipment_findings (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX equipment_findings_site ON equipment_findings (site, found_at);
CREATE TABLE device_audits (
  site    text NOT NULL,
  at      timestamptz NOT NULL,
  result  jsonb NOT NULL,
  PRIMARY KEY (site, at)
);

-- Step 14, weekly loss reports as produced by the scheduler (store/weekly-reports.ts).
CREATE TABLE weekly_reports (
  week         text NOT NULL,           -- YYYY-Www (ISO week, organisation time zone)
  site         text NOT NULL DEFAULT '', -- '' = the whole organisation
  generated_at timestamptz NOT NULL,
  digest       text NOT NULL,
  content      jsonb NOT NULL,
  PRIMARY KEY (week, site)
);

-- Step 15, the archive and the transparency log (store/archive.ts, store/transparency-log.ts).
CREATE TABLE archive_records (
  incident_id  text PRIMARY KEY,
  site         text NOT NULL,
  archived_at  timestamptz NOT NULL,
  resolved_at  timestamptz NOT NULL,
  retain_until timestamptz NOT NULL,
  record       jsonb NOT NULL,
  digest       text NOT NULL,
  leaf_index   bigint NOT NULL,
  search_text  text NOT NULL DEFAULT ''
);
CREATE INDEX archive_records_site ON archive_records (site, archived_at);
-- Legal holds are appended, never edited: the latest row for an incident says whether it is held.
CREATE TABLE legal_holds (
  seq         bigserial PRIMARY KEY,
  incident_id text NOT NULL,
  at          timestamptz NOT NULL,
  actor       text NOT NULL,
  hold        boolean NOT NULL,
  reason      text NOT NULL
);
CREATE INDEX legal_holds_incident ON legal_holds (incident_id, seq);
CREATE TABLE log_leaves (
  leaf_index bigint PRIMARY KEY,
  kind       text NOT NULL,            -- audit | archive
  ref        text NOT NULL,            -- audit_log seq or archived incident id
  leaf_hash  text NOT NULL,            -- hex SHA-256(0x00 || leaf data), RFC 6962
  at         timestamptz NOT NULL
);
CREATE TABLE log_checkpoints (
  tree_size  bigint PRIMARY KEY,
  root_hash  text NOT NULL,
  at         timestamptz NOT NULL,
  key_id     text NOT NULL,
  signature  text NOT NULL             -- base64 Ed25519 over the checkpoint's text
);
