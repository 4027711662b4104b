-- Vigil schema, version 1. Plain PostgreSQL that runs the same on PGlite and on a server.
-- Times are timestamptz (UTC instants); money is numeric with its currency beside it.

-- The event log: every accepted signal, stored once per (source, source_event_id).
CREATE TABLE events (
  seq             bigserial PRIMARY KEY,
  source          text NOT NULL,
  type            text NOT NULL,
  source_event_id text,
  occurred_at     timestamptz NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  site            text NOT NULL,
  zone            text,
  device          text,
  badge           text,
  assets          text[],
  amount          numeric(20, 4),
  currency        text,
  details         jsonb NOT NULL DEFAULT '{}'::jsonb,
  incident_id     text
);
CREATE UNIQUE INDEX events_source_id ON events (source, source_event_id);
CREATE INDEX events_site_time ON events (site, occurred_at);
CREATE INDEX events_time ON events (occurred_at, seq);
CREATE INDEX events_incident ON events (incident_id) WHERE incident_id IS NOT NULL;

-- Incidents: correlated events with their current severity, loss and lifecycle.
CREATE TABLE incidents (
  id              text PRIMARY KEY,
  site            text NOT NULL,
  zone            text,
  zones           text[] NOT NULL DEFAULT '{}',
  type            text NOT NULL,
  status          text NOT NULL DEFAULT 'open',
  opened_at       timestamptz NOT NULL,
  first_event_at  timestamptz NOT NULL,
  last_event_at   timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  event_count     int NOT NULL DEFAULT 0,
  sources         text[] NOT NULL DEFAULT '{}',
  score           real NOT NULL DEFAULT 0,
  band            text NOT NULL DEFAULT 'low',
  severity        jsonb,
  loss            jsonb,
  net_loss        numeric(20, 4) NOT NULL DEFAULT 0,
  currency        text NOT NULL,
  assets          jsonb NOT NULL DEFAULT '[]'::jsonb,
  context         jsonb NOT NULL DEFAULT '{}'::jsonb,
  acknowledged_at timestamptz,
  acknowledged_by text,
  resolved_at     timestamptz,
  resolved_by     text,
  resolution      text,
  version         int NOT NULL DEFAULT 1
);
CREATE INDEX incidents_open ON incidents (site, last_event_at) WHERE status IN ('open', 'acknowledged', 'investigating');
CREATE INDEX incidents_opened ON incidents (opened_at DESC, id DESC);
CREATE INDEX incidents_site_zone ON incidents (site, zone, opened_at);

-- Every severity computed for an incident (history; the latest is on the incident).
CREATE TABLE incident_scores (
  incident_id    text NOT NULL,
  seq            int NOT NULL,
  score          real NOT NULL,
  band           text NOT NULL,
  factors        jsonb NOT NULL,
  policy_version text NOT NULL,
  event_count    int NOT NULL,
  computed_at    timestamptz NOT NULL,
  PRIMARY KEY (incident_id, seq)
);

-- Which assets an incident touches and how (named in an event, in the zone, within reach).
CREATE TABLE incident_assets (
  incident_id text NOT NULL,
  asset_id    text NOT NULL,
  relation    text NOT NULL,
  opened_at   timestamptz NOT NULL,
  PRIMARY KEY (incident_id, asset_id)
);
CREATE INDEX incident_assets_asset ON incident_assets (asset_id, opened_at);

-- The durable workflow: one row per (incident, step) is the step's journal entry and result.
CREATE TABLE workflow_steps (
  incident_id  text NOT NULL,
  step         text NOT NULL,
  ord          int NOT NULL,
  status       text NOT NULL DEFAULT 'pending',
  attempts     int NOT NULL DEFAULT 0,
  started_at   timestamptz,
  finished_at  timestamptz,
  next_run_at  timestamptz,
  locked_until timestamptz,
  locked_by    text,
  error        text,
  reason       text,
  result       jsonb,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (incident_id, step)
);
CREATE INDEX workflow_due ON workflow_steps (next_run_at) WHERE status IN ('pending', 'running');

-- The asset registry (synced from configuration; status and history are Vigil's own).
CREATE TABLE assets (
  id             text PRIMARY KEY,
  site           text NOT NULL,
  zone           text NOT NULL,
  name           text NOT NULL,
  category       text NOT NULL,
  value          numeric(20, 4) NOT NULL,
  currency       text NOT NULL,
  vulnerability  real NOT NULL,
  sensitive_data boolean NOT NULL DEFAULT false,
  position       jsonb,
  status         text NOT NULL DEFAULT 'active',
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assets_site ON assets (site, zone);

-- Live state of devices, from device events (heartbeat, online/offline, recording on/off).
CREATE TABLE device_state (
  id           text PRIMARY KEY,
  site         text NOT NULL,
  online       boolean NOT NULL DEFAULT true,
  recording    boolean NOT NULL DEFAULT true,
  last_seen_at timestamptz,
  changed_at   timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_state_site ON device_state (site);

-- API tokens, stored as SHA-256 hashes only.
CREATE TABLE api_tokens (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  role       text NOT NULL,
  sites      text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

-- Who did what, when (lifecycle actions, configuration syncs).
CREATE TABLE audit_log (
  seq     bigserial PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  actor   text NOT NULL,
  action  text NOT NULL,
  target  text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_target ON audit_log (target);
