-- Scheduled jobs' journal: one row per (job, window), where a window is the period a run covers
-- (an ISO week, a local day of the organisation). The primary key is what makes a window run
-- exactly once across restarts and processes; claims use FOR UPDATE SKIP LOCKED like the
-- incident journal.

CREATE TABLE scheduled_runs (
  job text NOT NULL,
  window_key text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  attempts int NOT NULL DEFAULT 0,
  -- The cron fire time this window belongs to.
  due_at timestamptz NOT NULL,
  next_run_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  locked_by text,
  locked_until timestamptz,
  result jsonb,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, window_key)
);
CREATE INDEX scheduled_runs_due ON scheduled_runs (next_run_at) WHERE status IN ('pending', 'running');
CREATE INDEX scheduled_runs_recent ON scheduled_runs (job, due_at DESC);
