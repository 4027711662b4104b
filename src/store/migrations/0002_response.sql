-- Response (steps 5-7): the notification outbox, guards and patrols.

-- Every alert Vigil decides to send, written in the transaction of the step that decides it.
-- `idempotency_key` (incident, recipient, channel, kind) makes "decide again" a no-op.
CREATE TABLE notifications (
  id              text PRIMARY KEY,
  incident_id     text NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  channel         text NOT NULL,
  kind            text NOT NULL,
  recipient       text NOT NULL,
  address         text NOT NULL,
  subject         text,
  body            text NOT NULL,
  html            text,
  band            text,
  level           int NOT NULL DEFAULT 0,
  status          text NOT NULL DEFAULT 'queued',
  attempts        int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  locked_until    timestamptz,
  locked_by       text,
  provider_id     text,
  error           text,
  digest_id       text,
  created_at      timestamptz NOT NULL,
  sending_at      timestamptz,
  sent_at         timestamptz,
  acknowledged_at timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_incident ON notifications (incident_id, created_at);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status IN ('queued', 'sending');
CREATE INDEX notifications_address ON notifications (channel, address, sent_at);

-- Each delivery attempt, for the record (provider answers, errors, timings).
CREATE TABLE notification_attempts (
  notification_id text NOT NULL,
  attempt         int NOT NULL,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz,
  outcome         text NOT NULL,
  detail          text,
  PRIMARY KEY (notification_id, attempt)
);

ALTER TABLE incidents ADD COLUMN ack_code text;
ALTER TABLE incidents ADD COLUMN escalation_level int NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN alerted_band text;
-- When the escalation sweep should look at the incident next (unacknowledged alerts).
ALTER TABLE incidents ADD COLUMN next_escalation_at timestamptz;
CREATE INDEX incidents_ack_code ON incidents (site, ack_code) WHERE ack_code IS NOT NULL;
CREATE INDEX incidents_escalation ON incidents (next_escalation_at) WHERE next_escalation_at IS NOT NULL;

-- Guards: configuration gives who they are; position, availability and status are live.
CREATE TABLE guards (
  id          text PRIMARY KEY,
  site        text NOT NULL,
  name        text NOT NULL,
  phone       text NOT NULL,
  position    jsonb,
  on_shift    boolean NOT NULL DEFAULT true,
  status      text NOT NULL DEFAULT 'available',
  shift       jsonb,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX guards_site ON guards (site);

-- Patrols: a guard sent somewhere for a reason, with its lifecycle.
CREATE TABLE patrols (
  id              text PRIMARY KEY,
  incident_id     text,
  site            text NOT NULL,
  kind            text NOT NULL DEFAULT 'response',
  guard_id        text,
  zone            text,
  target          jsonb,
  route           jsonb NOT NULL DEFAULT '[]'::jsonb,
  assets          jsonb NOT NULL DEFAULT '[]'::jsonb,
  reason          text NOT NULL,
  status          text NOT NULL,
  metres          real,
  eta_seconds     int,
  attempt         int NOT NULL DEFAULT 1,
  ack_deadline    timestamptz,
  scheduled_for   timestamptz,
  assigned_at     timestamptz NOT NULL,
  acknowledged_at timestamptz,
  en_route_at     timestamptz,
  on_site_at      timestamptz,
  completed_at    timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patrols_incident ON patrols (incident_id);
CREATE INDEX patrols_site_status ON patrols (site, status);
CREATE INDEX patrols_ack_deadline ON patrols (ack_deadline) WHERE status = 'assigned';
