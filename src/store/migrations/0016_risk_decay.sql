-- Step 11 (store/risk.ts). A stored score keeps its unrounded decayed incident sum and the time its
-- recurring flag lapses, so its value at any later time follows without reading incidents again
-- (domain/risk.ts riskAt). One history row per (incident, scope): a step that runs again adds none.
ALTER TABLE risk_scores ADD COLUMN decayed_sum double precision NOT NULL DEFAULT 0;
ALTER TABLE risk_scores ADD COLUMN recurring_until timestamptz;
ALTER TABLE risk_history ADD COLUMN decayed_sum double precision NOT NULL DEFAULT 0;
ALTER TABLE risk_history ADD COLUMN recurring_until timestamptz;
CREATE UNIQUE INDEX risk_history_incident_scope ON risk_history (incident_id, scope, scope_id);
