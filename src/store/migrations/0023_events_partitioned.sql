-- The event log partitioned by time: one partition per calendar month (UTC) of occurred_at, plus
-- a default partition, so an event is never refused for want of a partition. Queries by site and
-- time prune to the months they ask for; a month that is archived can be detached and moved out
-- (docs/deployment.md). The same SQL runs on PGlite and on a PostgreSQL server.
--
-- A unique index on a partitioned table must contain the partition key, so the duplicate check on
-- (source, source_event_id) moves to its own unpartitioned table, event_keys, written in the same
-- statement as the event (src/store/events.ts).

CREATE TABLE event_keys (
  source          text NOT NULL,
  source_event_id text NOT NULL,
  seq             bigint NOT NULL,
  PRIMARY KEY (source, source_event_id)
);

-- The old table steps aside: its indexes and primary key go (their names are reused), and its
-- sequence is handed to the new table, so event ids continue where they were.
ALTER TABLE events RENAME TO events_before_partitioning;
DROP INDEX events_source_id;
DROP INDEX events_site_time;
DROP INDEX events_time;
DROP INDEX events_incident;
ALTER TABLE events_before_partitioning DROP CONSTRAINT events_pkey;
ALTER SEQUENCE events_seq_seq OWNED BY NONE;

CREATE TABLE events (
  seq             bigint NOT NULL DEFAULT nextval('events_seq_seq'),
  source          text NOT NULL,
  type            text NOT NULL,
  source_event_id text,
  occurred_at     timestamptz NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  site            text NOT NULL,
  zone            text,
  device          text,
  badge           text,
  assets          text[],
  amount          numeric(20, 4),
  currency        text,
  details         jsonb NOT NULL DEFAULT '{}'::jsonb,
  incident_id     text,
  PRIMARY KEY (seq, occurred_at)
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE events_seq_seq OWNED BY events.seq;

CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_seq ON events (seq);
CREATE INDEX events_site_time ON events (site, occurred_at);
CREATE INDEX events_time ON events (occurred_at, seq);
CREATE INDEX events_incident ON events (incident_id) WHERE incident_id IS NOT NULL;

-- Makes the missing monthly partitions for the months from the one of `from_at` through the one of
-- `through_at`. Rows of such a month already in the default partition move into the new partition
-- first, so making a partition late never fails. Serialised across processes by an advisory lock.
-- Returns the number of partitions made.
CREATE FUNCTION vigil_make_event_partitions(from_at timestamptz, through_at timestamptz) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  m timestamptz;
  upper_bound timestamptz;
  part text;
  made int := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('vigil-event-partitions'));
  m := date_trunc('month', from_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  WHILE m <= through_at LOOP
    upper_bound := ((m AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
    part := 'events_' || to_char(m AT TIME ZONE 'UTC', 'YYYY"m"MM');
    IF to_regclass(part) IS NULL THEN
      IF EXISTS (SELECT 1 FROM events_default WHERE occurred_at >= m AND occurred_at < upper_bound) THEN
        EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS)', part);
        EXECUTE format('WITH moved AS (DELETE FROM events_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *) INSERT INTO %I SELECT * FROM moved', m, upper_bound, part);
        EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, m, upper_bound);
      ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)', part, m, upper_bound);
      END IF;
      made := made + 1;
    END IF;
    m := upper_bound;
  END LOOP;
  RETURN made;
END
$$;

-- Partitions for the months the stored events span (at most the last 36 months: anything older
-- stays in the default partition, where every query still finds it) and the next three months.
SELECT vigil_make_event_partitions(
  greatest(coalesce((SELECT min(occurred_at) FROM events_before_partitioning), now()), now() - interval '36 months'),
  now() + interval '3 months');

INSERT INTO events SELECT * FROM events_before_partitioning;
INSERT INTO event_keys (source, source_event_id, seq)
  SELECT source, source_event_id, seq FROM events_before_partitioning WHERE source_event_id IS NOT NULL;
DROP TABLE events_before_partitioning;
