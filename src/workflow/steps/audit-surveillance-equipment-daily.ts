/**
 * Scheduled job audit-surveillance-equipment-daily: the equipment audit of every site
 * (workflow/equipment-monitor.ts auditSite: device health, coverage per zone, blind spots of
 * high-risk assets), stored in device_audits; one equipment finding per failing device (offline,
 * not recording, stale, tampered) and per blind spot, ids from the day, so a window runs once; and
 * the maintenance tasks of current outages (the same ids the frequent check gives them).
 *
 * The audits are computed before the run's transaction (`prepare`, a site at a time with the event
 * loop served in between); the transaction opens the maintenance tasks, refreshes the task list of
 * the sites that gained one, and writes the audits and findings.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { OrgModel } from '../../domain/site-model.js';
import { insertDeviceAudit, openMaintenanceTasks as listOpenMaintenance, upsertEquipmentFindings, type EquipmentFinding } from '../../store/findings.js';
import { auditSite, maintenanceTaskDevice, openMaintenanceTasks, shortHash, type SiteAudit } from '../equipment-monitor.js';
import type { ScheduledJob } from '../scheduler.js';

/** The job's definition. */
export function auditSurveillanceEquipmentDaily(org: OrgModel): ScheduledJob<'audit-surveillance-equipment-daily', SiteAudit[]> {
  return {
    id: 'audit-surveillance-equipment-daily',
    window: 'day',
    async prepare({ db, now }) {
      const audits: SiteAudit[] = [];
      for (const siteId of org.sites.keys()) {
        audits.push(await auditSite(db, org, siteId, now));
        await yieldToEventLoop();
      }
      return audits;
    },
    async run({ tx, window, now, prepared: audits }) {
      const tasks = await openMaintenanceTasks(tx, org, now);
      const gained = new Set(tasks.map((id) => org.devices.get(maintenanceTaskDevice(id) ?? '')?.site));
      const sites: Record<string, { offline: number; notRecording: number; stale: number; tampered: number; blindSpots: number }> = {};
      for (const audit of audits) {
        const siteId = audit.site;
        if (gained.has(siteId)) audit.maintenanceTasks = await listOpenMaintenance(tx, siteId);
        await insertDeviceAudit(tx, siteId, now, audit);
        const findings: Omit<EquipmentFinding, 'foundAt'>[] = [];
        for (const d of audit.devices) {
          if (d.status === 'online' || d.status === 'unknown') continue;
          findings.push({
            id: `ef-${shortHash(`daily:${window}|device|${d.id}`)}`,
            incidentId: null,
            site: siteId,
            deviceId: d.id,
            finding: d.status,
            summary: `${d.kind.replace(/_/g, ' ')} ${d.id} (${d.zone}) ${d.status.replace(/_/g, ' ')}${d.lastSeenAt ? `, last heard ${d.lastSeenAt}` : ''}`,
            details: { audit: window, ...d },
          });
        }
        for (const b of audit.blindSpots) {
          findings.push({
            id: `ef-${shortHash(`daily:${window}|blind|${b.asset}`)}`,
            incidentId: null,
            site: siteId,
            deviceId: null,
            finding: 'blind_spot',
            summary: b.reason === 'no_camera' ? `High-risk ${b.name} (${b.asset}) is seen by no camera` : `High-risk ${b.name} (${b.asset}): its cameras ${b.cameras.join(', ')} are down`,
            details: { audit: window, ...b },
          });
        }
        await upsertEquipmentFindings(tx, findings, now);
        const s = audit.summary;
        sites[siteId] = { offline: s.offline, notRecording: s.notRecording, stale: s.stale, tampered: s.tampered, blindSpots: s.blindSpots };
      }
      return { at: now.toISOString(), sites, maintenanceTasksOpened: tasks };
    },
  };
}
