-- Step 14, the weekly loss report by email: the outbox carries messages that belong to a period
-- rather than an incident (the weekly report), and their attachments (the report's PDF).

-- A report email has no incident: `ref` names what it belongs to instead ("weekly:2026-W47").
ALTER TABLE notifications ALTER COLUMN incident_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN ref text;

-- Files sent with a notification, written with it in the step's transaction and read by the
-- dispatcher when it sends the email (store/notifications.ts).
CREATE TABLE notification_attachments (
  notification_id text NOT NULL,
  seq             int NOT NULL,
  filename        text NOT NULL,
  content_type    text NOT NULL,
  content         bytea NOT NULL,
  PRIMARY KEY (notification_id, seq)
);

