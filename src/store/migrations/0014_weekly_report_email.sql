-- Step 14, the weekly loss report by email: the outbox carries messages that belong to a period
-- rather than an incident (the weekly report), and their attachments (the report's PDF).

-- A report email has no incident: `ref` names what it belongs to instead ("weekly:2026-W47").
ALTER TABLE notifications ALTER COLUMN incident_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN ref text;

-- Files sent with a notification, written with it in the step's transaction and read by the
-- dispatcher when it sends the email (store/notifications.ts).
CREATE TABLE notification_attachments (
  notification_id text NOT NULL,
  seq             int NOT NULL,
  filename        text NOT NULL,
  content_type    text NOT NULL,
  content         bytea NOT NULL,
  PRIMARY KEY (notification_id, seq)
);


-- The weekly report's pre-aggregate (store/weekly-reports.ts). One year of a 500-site chain is
-- about 20,000 incidents a week, and the report reads six weeks of them: summing their losses from
-- the incidents (the gross and the recoveries are inside the `loss` document) takes seconds on the
-- embedded store. So the incidents' counts and exact sums are kept per ISO week (organisation time
-- zone) and site, by dimension: `site` (key ''), `zone` (key the zone, '' for none), `type`,
-- `band`, `outcome` (key 'unset' when not set) and `day` (key the local date). Statement triggers
-- on `incidents` keep it in the writing transaction (one set-based upsert per statement, rows of
-- one site only, so ingest of different sites never waits on each other), and a change of the
-- time zone rebuilds it (`weekly_rollup_zone` holds the zone it was built in; none = not built).
CREATE TABLE weekly_rollup (
  week      text NOT NULL,
  dim       text NOT NULL,
  site      text NOT NULL,
  key       text NOT NULL,
  incidents int NOT NULL,
  gross     numeric NOT NULL,
  recovered numeric NOT NULL,
  net       numeric NOT NULL,
  PRIMARY KEY (week, dim, site, key)
);
CREATE TABLE weekly_rollup_zone (
  id       int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  timezone text NOT NULL
);

-- Adds the contributions of a statement's rows to weekly_rollup: +1 for new rows, -1 for old ones
-- (an update that changes nothing the report counts adds nothing).
CREATE FUNCTION weekly_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text;
BEGIN
  SELECT timezone INTO tz FROM weekly_rollup_zone WHERE id = 1;
  IF tz IS NULL THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO weekly_rollup (week, dim, site, key, incidents, gross, recovered, net)
    SELECT to_char(d.local_day, 'IYYY-"W"IW'), k.dim, d.site, k.key, sum(d.sign), sum(d.sign * d.gross), sum(d.sign * d.recovered), sum(d.sign * d.net)
      FROM (SELECT c.*, (c.opened_at AT TIME ZONE tz)::date AS local_day FROM (
             SELECT 1, n.site, n.zone, n.type, n.band, n.outcome, n.opened_at, coalesce((n.loss->>'gross')::numeric, n.net_loss), coalesce((n.loss->>'recovered')::numeric, 0), n.net_loss FROM new_rows n
           ) AS c(sign, site, zone, type, band, outcome, opened_at, gross, recovered, net)) d
     CROSS JOIN LATERAL (VALUES ('site', ''), ('zone', coalesce(d.zone, '')), ('type', d.type), ('band', d.band), ('outcome', coalesce(d.outcome, 'unset')), ('day', d.local_day::text)) AS k(dim, key)
     GROUP BY 1, 2, 3, 4
    HAVING sum(d.sign) <> 0 OR sum(d.sign * d.gross) <> 0 OR sum(d.sign * d.recovered) <> 0 OR sum(d.sign * d.net) <> 0
    ON CONFLICT (week, dim, site, key) DO UPDATE
       SET incidents = weekly_rollup.incidents + EXCLUDED.incidents, gross = weekly_rollup.gross + EXCLUDED.gross,
           recovered = weekly_rollup.recovered + EXCLUDED.recovered, net = weekly_rollup.net + EXCLUDED.net;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO weekly_rollup (week, dim, site, key, incidents, gross, recovered, net)
    SELECT to_char(d.local_day, 'IYYY-"W"IW'), k.dim, d.site, k.key, sum(d.sign), sum(d.sign * d.gross), sum(d.sign * d.recovered), sum(d.sign * d.net)
      FROM (SELECT c.*, (c.opened_at AT TIME ZONE tz)::date AS local_day FROM (
             SELECT -1, o.site, o.zone, o.type, o.band, o.outcome, o.opened_at, coalesce((o.loss->>'gross')::numeric, o.net_loss), coalesce((o.loss->>'recovered')::numeric, 0), o.net_loss FROM old_rows o
           ) AS c(sign, site, zone, type, band, outcome, opened_at, gross, recovered, net)) d
     CROSS JOIN LATERAL (VALUES ('site', ''), ('zone', coalesce(d.zone, '')), ('type', d.type), ('band', d.band), ('outcome', coalesce(d.outcome, 'unset')), ('day', d.local_day::text)) AS k(dim, key)
     GROUP BY 1, 2, 3, 4
    HAVING sum(d.sign) <> 0 OR sum(d.sign * d.gross) <> 0 OR sum(d.sign * d.recovered) <> 0 OR sum(d.sign * d.net) <> 0
    ON CONFLICT (week, dim, site, key) DO UPDATE
       SET incidents = weekly_rollup.incidents + EXCLUDED.incidents, gross = weekly_rollup.gross + EXCLUDED.gross,
           recovered = weekly_rollup.recovered + EXCLUDED.recovered, net = weekly_rollup.net + EXCLUDED.net;
  ELSE
    INSERT INTO weekly_rollup (week, dim, site, key, incidents, gross, recovered, net)
    SELECT to_char(d.local_day, 'IYYY-"W"IW'), k.dim, d.site, k.key, sum(d.sign), sum(d.sign * d.gross), sum(d.sign * d.recovered), sum(d.sign * d.net)
      FROM (SELECT c.*, (c.opened_at AT TIME ZONE tz)::date AS local_day FROM (
             SELECT 1, n.site, n.zone, n.type, n.band, n.outcome, n.opened_at, coalesce((n.loss->>'gross')::numeric, n.net_loss), coalesce((n.loss->>'recovered')::numeric, 0), n.net_loss
               FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE (n.site, n.zone, n.type, n.band, n.outcome, n.opened_at, n.net_loss, n.loss->>'gross', n.loss->>'recovered')
                   IS DISTINCT FROM (o.site, o.zone, o.type, o.band, o.outcome, o.opened_at, o.net_loss, o.loss->>'gross', o.loss->>'recovered')
             UNION ALL
             SELECT -1, o.site, o.zone, o.type, o.band, o.outcome, o.opened_at, coalesce((o.loss->>'gross')::numeric, o.net_loss), coalesce((o.loss->>'recovered')::numeric, 0), o.net_loss
               FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE (n.site, n.zone, n.type, n.band, n.outcome, n.opened_at, n.net_loss, n.loss->>'gross', n.loss->>'recovered')
                   IS DISTINCT FROM (o.site, o.zone, o.type, o.band, o.outcome, o.opened_at, o.net_loss, o.loss->>'gross', o.loss->>'recovered')
           ) AS c(sign, site, zone, type, band, outcome, opened_at, gross, recovered, net)) d
     CROSS JOIN LATERAL (VALUES ('site', ''), ('zone', coalesce(d.zone, '')), ('type', d.type), ('band', d.band), ('outcome', coalesce(d.outcome, 'unset')), ('day', d.local_day::text)) AS k(dim, key)
     GROUP BY 1, 2, 3, 4
    HAVING sum(d.sign) <> 0 OR sum(d.sign * d.gross) <> 0 OR sum(d.sign * d.recovered) <> 0 OR sum(d.sign * d.net) <> 0
    ON CONFLICT (week, dim, site, key) DO UPDATE
       SET incidents = weekly_rollup.incidents + EXCLUDED.incidents, gross = weekly_rollup.gross + EXCLUDED.gross,
           recovered = weekly_rollup.recovered + EXCLUDED.recovered, net = weekly_rollup.net + EXCLUDED.net;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER incidents_weekly_rollup_insert AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weekly_rollup_apply();
CREATE TRIGGER incidents_weekly_rollup_update AFTER UPDATE ON incidents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weekly_rollup_apply();
CREATE TRIGGER incidents_weekly_rollup_delete AFTER DELETE ON incidents REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION weekly_rollup_apply();

-- Response times: the first response patrol on site per incident, with the incident's opening, so
-- the report reads one week of them by range instead of joining every patrol ever sent. Kept by a
-- trigger on patrols (a patrol reaching the site), filled once here from the patrols so far.
CREATE TABLE incident_guard_arrivals (
  incident_id text PRIMARY KEY,
  opened_at   timestamptz NOT NULL,
  on_site_at  timestamptz NOT NULL
);
CREATE INDEX incident_guard_arrivals_opened ON incident_guard_arrivals (opened_at);
INSERT INTO incident_guard_arrivals (incident_id, opened_at, on_site_at)
SELECT p.incident_id, i.opened_at, min(p.on_site_at) FROM patrols p JOIN incidents i ON i.id = p.incident_id
 WHERE p.kind = 'response' AND p.on_site_at IS NOT NULL GROUP BY p.incident_id, i.opened_at;

CREATE FUNCTION incident_guard_arrival() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO incident_guard_arrivals (incident_id, opened_at, on_site_at)
  SELECT NEW.incident_id, i.opened_at, NEW.on_site_at FROM incidents i WHERE i.id = NEW.incident_id
  ON CONFLICT (incident_id) DO UPDATE SET on_site_at = least(incident_guard_arrivals.on_site_at, EXCLUDED.on_site_at);
  RETURN NULL;
END
$$;
CREATE TRIGGER patrols_guard_arrival AFTER INSERT OR UPDATE OF on_site_at ON patrols FOR EACH ROW
  WHEN (NEW.on_site_at IS NOT NULL AND NEW.kind = 'response' AND NEW.incident_id IS NOT NULL) EXECUTE FUNCTION incident_guard_arrival();

-- Top assets: the assets the week's incidents touched, by the incidents' opening.
CREATE INDEX incident_assets_opened ON incident_assets (opened_at);
