-- Step 15 and the transparency log: the audit log records digests of the state before and after
-- each change, the log keeps its frontier for O(log n) appends, and the archive, the audit log,
-- the legal holds, the log's leaves and its checkpoints are append-only in the database itself:
-- UPDATE, DELETE and TRUNCATE are refused by triggers, whoever connects (docs/archive.md).

-- SHA-256 (hex) of the canonical JSON of what the audit record's target looked like before and
-- after the change; null where the action has no such state.
ALTER TABLE audit_log ADD COLUMN before_digest text;
ALTER TABLE audit_log ADD COLUMN after_digest text;

-- The log's head: its size and frontier (roots of its perfect subtrees, hex, largest first). One
-- row, locked FOR UPDATE by every append, which gives leaves consecutive indexes across processes.
-- `backfill_upto`: audit records written before this migration are added to the log, in order,
-- when the service first starts; records after it are logged in their own transaction.
CREATE TABLE log_state (
  id            int PRIMARY KEY CHECK (id = 1),
  tree_size     bigint NOT NULL,
  frontier      jsonb NOT NULL,
  backfill_upto bigint NOT NULL
);
INSERT INTO log_state (id, tree_size, frontier, backfill_upto) SELECT 1, 0, '[]'::jsonb, coalesce(max(seq), 0) FROM audit_log;
CREATE UNIQUE INDEX log_leaves_ref ON log_leaves (kind, ref);

CREATE FUNCTION vigil_archive_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'vigil: % on % refused: the table is append-only (archive and audit records are never changed or deleted)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$;

CREATE TRIGGER archive_records_append_only BEFORE UPDATE OR DELETE ON archive_records FOR EACH ROW EXECUTE FUNCTION vigil_archive_append_only();
CREATE TRIGGER archive_records_no_truncate BEFORE TRUNCATE ON archive_records FOR EACH STATEMENT EXECUTE FUNCTION vigil_archive_append_only();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION vigil_archive_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION vigil_archive_append_only();
CREATE TRIGGER legal_holds_append_only BEFORE UPDATE OR DELETE ON legal_holds FOR EACH ROW EXECUTE FUNCTION vigil_archive_append_only();
CREATE TRIGGER legal_holds_no_truncate BEFORE TRUNCATE ON legal_holds FOR EACH STATEMENT EXECUTE FUNCTION vigil_archive_append_only();
CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON log_leaves FOR EACH ROW EXECUTE FUNCTION vigil_archive_append_only();
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON log_leaves FOR EACH STATEMENT EXECUTE FUNCTION vigil_archive_append_only();
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints FOR EACH ROW EXECUTE FUNCTION vigil_archive_append_only();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION vigil_archive_append_only();
