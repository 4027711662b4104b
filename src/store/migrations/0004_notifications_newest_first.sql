-- The notification list pages newest first by (created_at, id): a keyset cursor walks this index.
CREATE INDEX notifications_newest ON notifications (created_at DESC, id DESC);
