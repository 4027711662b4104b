-- Case notes and asset status history are records of what people and the workflow did: they are
-- appended, never changed. The store itself refuses an UPDATE or DELETE of their rows, whoever
-- asks (store/notes.ts and store/asset-status.ts only ever insert).
CREATE FUNCTION vigil_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation'; END $$;
CREATE TRIGGER incident_notes_append_only BEFORE UPDATE OR DELETE ON incident_notes FOR EACH ROW EXECUTE FUNCTION vigil_append_only();
CREATE TRIGGER asset_status_changes_append_only BEFORE UPDATE OR DELETE ON asset_status_changes FOR EACH ROW EXECUTE FUNCTION vigil_append_only();

-- A change to `recovered` for an incident records the value recovered (in the asset's currency);
-- the same amount is a recovery item of that incident's loss. NULL for every other change.
ALTER TABLE asset_status_changes ADD COLUMN recovered_value numeric(20, 4);
ALTER TABLE asset_status_changes ADD COLUMN currency text;
