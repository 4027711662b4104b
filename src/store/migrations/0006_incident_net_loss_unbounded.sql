-- An incident's net loss is a sum over its events (each at most the events.amount column,
-- numeric(20, 4)) plus downtime, fines and remediation, so a bounded column could overflow with
-- valid events and fail the ingest transaction. Unbounded numeric holds any such sum exactly;
-- PostgreSQL drops the typmod without rewriting the table.
ALTER TABLE incidents ALTER COLUMN net_loss TYPE numeric;
