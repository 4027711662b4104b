-- Step 9 (store/tasks.ts): the turn of each site's investigator rotation, and a version per task
-- for optimistic checks. The rotation is a counter per site: the workflow's n-th automatic
-- assignment at a site goes to the site's investigators (sorted by id) at index n mod count, so
-- assignments go round in turn across restarts and processes (the upsert locks the row).
CREATE TABLE task_rotation (
  site text PRIMARY KEY,
  turn bigint NOT NULL
);
ALTER TABLE tasks ADD COLUMN version int NOT NULL DEFAULT 1;
-- The task list is newest first by (created_at, id).
CREATE INDEX tasks_created ON tasks (created_at DESC, id DESC);
