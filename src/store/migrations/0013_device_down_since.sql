-- Step 13: when a device's current outage (offline or not recording) began, kept by the equipment
-- monitor (store/findings.ts markDownSince). It names the outage: the maintenance task opened for
-- it has the id mnt-<device>-<down_since ms>, so several processes and the daily audit open it once.
ALTER TABLE device_state ADD COLUMN down_since timestamptz;
CREATE INDEX device_state_down ON device_state (site) WHERE NOT online OR NOT recording;
