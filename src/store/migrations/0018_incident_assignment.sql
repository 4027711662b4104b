-- Triage (docs/dashboard.md): an incident can be assigned to a person (a configured contact of its
-- site), and the queue sorts by priority (band high to low, then oldest first) with keyset cursors.
ALTER TABLE incidents ADD COLUMN assignee text;
ALTER TABLE incidents ADD COLUMN assigned_at timestamptz;
CREATE INDEX incidents_assignee ON incidents (assignee) WHERE assignee IS NOT NULL;
-- The priority order of GET /api/v1/incidents?sort=priority (store/read/incidents.ts BAND_RANK_SQL).
CREATE INDEX incidents_priority ON incidents ((CASE band WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END), opened_at, id);
