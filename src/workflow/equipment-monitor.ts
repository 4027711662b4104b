/**
 * Step 13 outside the incident: device health now, and what a failure sets off.
 *
 * - `auditSite`: a site's audit as `GET /api/v1/devices/audit` and the daily job show it: every
 *   configured device with its health (domain/equipment-audit.ts), coverage per zone from the
 *   working cameras, blind spots of the high-risk assets (high risk as step 2 decides it:
 *   domain/assessment.ts highRiskReasons, with the store's recent incidents per asset), and the open
 *   maintenance tasks.
 * - `openMaintenanceTasks`: one maintenance task per outage of a configured device, offline or not
 *   recording by its state (a silent device is offline by state once the monitor has recorded its
 *   device.offline event). The outage is named by device_state.down_since, so the frequent check,
 *   the daily job and several processes open it once.
 * - `EquipmentMonitor`: every checkEverySeconds (once the process has listened for the limit, so
 *   that Vigil's own downtime is not taken for a device's silence), records a `device.offline` event through the
 *   ingest pipeline for each device silent past the limit (source `device`, sourceEventId
 *   `vigil-silence-<device>-<last seen ms>`, so once per silence, stored and applied to
 *   device_state like any device event: the assessment then sees the camera down and raises the
 *   vulnerability of what it covers), then opens the maintenance tasks.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { highRiskReasons } from '../domain/assessment.js';
import { blindSpots, deviceStatus, zoneCoverage, type BlindSpot, type DeviceStatus, type ZoneCoverage } from '../domain/equipment-audit.js';
import type { OrgModel } from '../domain/site-model.js';
import type { SecurityEvent } from '../domain/types.js';
import type { Logger } from '../ops/log.js';
import { WorkLoop } from '../ops/work-loop.js';
import { loadSitesContext } from '../store/assessment-context.js';
import type { Db, Queryable } from '../store/db.js';
import { currentDeviceStates, insertMaintenanceTasks, latestTampers, markDownSince, openMaintenanceTasks as listOpenMaintenance, silentDevices, type NewMaintenanceTask } from '../store/findings.js';

const MINUTE = 60_000;

/** A site's equipment audit (the GET /api/v1/devices/audit item, the device_audits result). */
export interface SiteAudit {
  site: string;
  at: string;
  policy: { offlineAfterMinutes: number; staleAfterMinutes: number };
  summary: { devices: number; cameras: number; working: number; online: number; stale: number; offline: number; notRecording: number; tampered: number; unknown: number; blindSpots: number };
  devices: DeviceStatus[];
  coverage: ZoneCoverage[];
  blindSpots: BlindSpot[];
  maintenanceTasks: { id: string; deviceId: string; title: string; status: string; createdAt: string; dueAt: string | null }[];
}

/** The audit of one site now. */
export async function auditSite(q: Queryable, org: OrgModel, siteId: string, now: Date): Promise<SiteAudit> {
  const model = org.sites.get(siteId);
  if (!model) throw new Error(`unknown site ${siteId}`);
  const policy = org.config.policy;
  const p = policy.equipmentAudit;
  const states = await currentDeviceStates(q, [siteId]);
  const tampers = await latestTampers(q, [siteId], new Date(now.getTime() - p.tamperLookbackHours * 60 * MINUTE));
  const devices = model.site.devices.map((d) => deviceStatus(d, siteId, states.get(d.id), now.getTime(), p, tampers.get(d.id)));
  const byId = new Map(devices.map((d) => [d.id, d]));
  const working = (id: string) => byId.get(id)?.working ?? true;
  const ctx = await loadSitesContext(q, org, [siteId], now);
  const currency = org.config.organization.currency;
  const highRisk = model.site.assets.flatMap((a) => {
    const reasons = highRiskReasons(a, model.zones.get(a.zone), ctx.assetRecentIncidents.get(a.id) ?? 0, currency, policy);
    return reasons.length > 0 ? [{ ...a, reasons }] : [];
  });
  const spots = blindSpots(model, highRisk, working);
  const count = (s: DeviceStatus['status']) => devices.filter((d) => d.status === s).length;
  return {
    site: siteId,
    at: now.toISOString(),
    policy: { offlineAfterMinutes: p.offlineAfterMinutes, staleAfterMinutes: p.staleAfterMinutes },
    summary: {
      devices: devices.length,
      cameras: devices.filter((d) => d.kind === 'camera').length,
      working: devices.filter((d) => d.working).length,
      online: count('online'),
      stale: count('stale'),
      offline: count('offline'),
      notRecording: count('not_recording'),
      tampered: count('tampered'),
      unknown: count('unknown'),
      blindSpots: spots.length,
    },
    devices,
    coverage: zoneCoverage(model, working),
    blindSpots: spots,
    maintenanceTasks: await listOpenMaintenance(q, siteId),
  };
}

/** The id of the maintenance task for a device's outage that began at `since`. */
export function maintenanceTaskId(deviceId: string, since: Date): string {
  return `mnt-${deviceId}-${since.getTime()}`;
}

/** The device a maintenance task id names (maintenanceTaskId's inverse). */
export function maintenanceTaskDevice(id: string): string | undefined {
  return /^mnt-(.+)-\d+$/.exec(id)?.[1];
}

/** Opens the maintenance tasks of current outages (idempotent); returns the ids opened now. */
export async function openMaintenanceTasks(tx: Queryable, org: OrgModel, now: Date): Promise<string[]> {
  const p = org.config.policy.equipmentAudit;
  const due = new Date(now.getTime() + p.maintenanceDueHours * 60 * MINUTE);
  const tasks = new Map<string, NewMaintenanceTask>();
  const add = (deviceId: string, site: string, since: Date, what: string) => {
    const d = org.devices.get(deviceId);
    if (!d || d.site !== site) return; // not a configured device of that site
    const id = maintenanceTaskId(deviceId, since);
    const checklist = [
      { kind: 'inspect_device', device: deviceId, done: false },
      { kind: 'confirm_heartbeat', device: deviceId, done: false },
      ...(d.kind === 'camera' ? [{ kind: 'confirm_recording', device: deviceId, done: false }, { kind: 'check_field_of_view', device: deviceId, done: false }] : []),
    ];
    tasks.set(id, { id, site, deviceId, title: `${d.kind.replace(/_/g, ' ')} ${deviceId} (${d.zone}) ${what} since ${since.toISOString()}`, dueAt: due, checklist });
  };
  for (const d of await markDownSince(tx)) add(d.id, d.site, d.downSince, !d.online ? 'offline' : 'not recording');
  return insertMaintenanceTasks(tx, [...tasks.values()], now);
}

/** The device.offline events for devices silent past the limit at `now`. */
export async function silenceEvents(q: Queryable, org: OrgModel, now: Date): Promise<SecurityEvent[]> {
  const p = org.config.policy.equipmentAudit;
  const out: SecurityEvent[] = [];
  for (const s of await silentDevices(q, new Date(now.getTime() - p.offlineAfterMinutes * MINUTE))) {
    const d = org.devices.get(s.id);
    if (!d || d.site !== s.site) continue;
    const last = s.lastSeenAt.getTime();
    out.push({
      source: 'device',
      type: 'offline',
      sourceEventId: `vigil-silence-${s.id}-${last}`,
      occurredAt: new Date(last + p.offlineAfterMinutes * MINUTE).toISOString(),
      site: s.site,
      zone: d.zone,
      device: s.id,
      details: { reason: 'no_heartbeat', detectedBy: 'vigil', lastSeenAt: s.lastSeenAt.toISOString(), silentMinutes: p.offlineAfterMinutes },
    });
  }
  return out;
}

/** A short deterministic id part. */
export function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 24);
}

/** The frequent offline check (see the module comment). */
export class EquipmentMonitor {
  private readonly loop: WorkLoop;
  /** When this process began listening: silence is judged only once it has listened for the limit. */
  private readonly since: number;

  constructor(
    private readonly db: Db,
    private readonly org: OrgModel,
    private readonly ingest: (events: SecurityEvent[]) => Promise<{ accepted: number }>,
    private readonly opts: { now?: () => Date; log?: Logger; config: Config },
  ) {
    this.since = (opts.now?.() ?? new Date()).getTime();
    this.loop = new WorkLoop(async () => (await this.runOnce()).changed, { pollMs: opts.config.policy.equipmentAudit.checkEverySeconds * 1000, onError: (e) => opts.log?.error({ err: e }, 'equipment check failed') });
  }

  /** One check: offline events for silent devices, then maintenance tasks. `changed` counts both. */
  async runOnce(): Promise<{ offline: string[]; tasks: string[]; changed: number }> {
    const now = this.opts.now?.() ?? new Date();
    // Right after a start, a device's silence may be Vigil's own downtime (heartbeats nobody
    // received): wait until this process has listened for the whole limit.
    const listened = now.getTime() - this.since >= this.opts.config.policy.equipmentAudit.offlineAfterMinutes * MINUTE;
    const events = listened ? await silenceEvents(this.db, this.org, now) : [];
    // Only events really stored count as a change (a duplicate changes no state), so the loop settles.
    const accepted = events.length > 0 ? (await this.ingest(events)).accepted : 0;
    const tasks = await this.db.transaction((tx) => openMaintenanceTasks(tx, this.org, now));
    if (events.length > 0 || tasks.length > 0) this.opts.log?.info({ offline: events.map((e) => e.device), tasks }, 'equipment check');
    return { offline: events.map((e) => e.device!), tasks, changed: accepted + tasks.length };
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }
}
