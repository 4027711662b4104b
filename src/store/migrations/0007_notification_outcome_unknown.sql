-- A delivery attempt whose outcome is unknown: the request may have reached the provider, but its
-- answer was lost (connection reset, timeout). The row goes back to `queued` with this flag set, so
-- the next attempt (in this process or after a restart) first asks the provider whether the message
-- went out instead of sending it again. Cleared by the next attempt that settles it.
ALTER TABLE notifications ADD COLUMN outcome_unknown boolean NOT NULL DEFAULT false;

-- Settling looks up whether a provider message is already another notification's.
CREATE INDEX notifications_provider_id ON notifications (provider_id) WHERE provider_id IS NOT NULL;
