-- Step 8, incident report versions: a signed version is frozen, in the database itself, whoever
-- writes SQL. Versions are only ever inserted; the one update allowed is the sign-off (setting
-- signed_at, signed_by and sign_note on a version that is not signed yet). A signed version can
-- neither be changed nor deleted; a change to the incident makes a new version.
-- (Inside the function bodies no line ends in a semicolon: the migration runner splits scripts
-- on semicolons at line ends, so statements there start with one instead.)
ALTER TABLE report_versions ADD COLUMN sign_note text;

CREATE FUNCTION report_versions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.signed_at IS NOT NULL THEN
      RAISE EXCEPTION 'report version % of incident % is signed and frozen: it cannot be deleted', OLD.version, OLD.incident_id
        USING ERRCODE = 'integrity_constraint_violation'
    ; END IF
    ; RETURN OLD
  ; END IF
  ; IF OLD.signed_at IS NOT NULL THEN
    RAISE EXCEPTION 'report version % of incident % is signed and frozen: a change makes a new version', OLD.version, OLD.incident_id
      USING ERRCODE = 'integrity_constraint_violation'
  ; END IF
  ; IF NEW.incident_id IS DISTINCT FROM OLD.incident_id OR NEW.version IS DISTINCT FROM OLD.version
     OR NEW.generated_at IS DISTINCT FROM OLD.generated_at OR NEW.digest IS DISTINCT FROM OLD.digest
     OR NEW.content IS DISTINCT FROM OLD.content THEN
    RAISE EXCEPTION 'report version % of incident % cannot be edited: report versions are append-only', OLD.version, OLD.incident_id
      USING ERRCODE = 'integrity_constraint_violation'
  ; END IF
  ; IF NEW.signed_at IS NULL OR NEW.signed_by IS NULL THEN
    RAISE EXCEPTION 'report version % of incident %: a sign-off sets both signed_at and signed_by', OLD.version, OLD.incident_id
      USING ERRCODE = 'integrity_constraint_violation'
  ; END IF
  ; RETURN NEW
; END
$$;

CREATE TRIGGER report_versions_frozen BEFORE UPDATE OR DELETE ON report_versions
  FOR EACH ROW EXECUTE FUNCTION report_versions_guard();

-- TRUNCATE bypasses row triggers: refuse it while any version is signed.
CREATE FUNCTION report_versions_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM report_versions WHERE signed_at IS NOT NULL) THEN
    RAISE EXCEPTION 'report_versions holds signed versions: it cannot be truncated'
      USING ERRCODE = 'integrity_constraint_violation'
  ; END IF
  ; RETURN NULL
; END
$$;

CREATE TRIGGER report_versions_no_truncate BEFORE TRUNCATE ON report_versions
  FOR EACH STATEMENT EXECUTE FUNCTION report_versions_no_truncate();
