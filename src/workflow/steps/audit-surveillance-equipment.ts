/**
 * Step 13, audit-surveillance-equipment, for one incident: the devices in or covering its zones and
 * the cameras that see its touched assets (domain/equipment-audit.ts coveringDevices), each with
 * whether it was online and recording through the incident window (its state at the window's start
 * from the device events before it, then its events in the window; silence past
 * policy.equipmentAudit.offlineAfterMinutes counts as offline). One equipment finding per device
 * (covering_ok | offline | not_recording | tampered | unknown) and one `blind_spot` per touched
 * high-risk asset that no camera saw working through the window. Waits for the window like step 12;
 * ids from incident and device (or asset), so a re-run updates, never adds.
 */
import { camerasSeeing, coveringDevices, windowState, type WindowState } from '../../domain/equipment-audit.js';
import type { OrgModel } from '../../domain/site-model.js';
import { deviceEventsInWindow, deviceStatesBefore, incidentForReview, upsertEquipmentFindings, type EquipmentFinding } from '../../store/findings.js';
import { shortHash } from '../equipment-monitor.js';
import { incidentWindow } from '../incident-window.js';
import type { StepDefinition } from '../runner.js';

const SUMMARY: Record<WindowState['finding'], string> = {
  covering_ok: 'online and recording through the window',
  offline: 'offline during the window',
  not_recording: 'not recording during the window',
  tampered: 'tampered with during the window',
  unknown: 'no state reported (never heard from)',
};

/** The step's definition. */
export function auditSurveillanceEquipment(org: OrgModel): StepDefinition<'audit-surveillance-equipment'> {
  return {
    id: 'audit-surveillance-equipment',
    async run({ tx, incidentId, now }) {
      const policy = org.config.policy;
      const inc = await incidentForReview(tx, incidentId);
      if (!inc) return { status: 'skipped', reason: 'the incident no longer exists' };
      const model = org.sites.get(inc.site);
      if (!model) return { status: 'skipped', reason: `site ${inc.site} is not in the configuration` };
      const w = incidentWindow(inc, policy, now);
      const assets = inc.assets.flatMap((a) => {
        const cfg = org.assets.get(a.id);
        return cfg ? [{ id: a.id, name: cfg.name, zone: cfg.zone, position: cfg.position, highRisk: a.highRisk === true, reasons: a.highRiskReasons ?? [] }] : [];
      });
      const zones = inc.zones.length > 0 ? inc.zones : model.site.zones.map((z) => z.id);
      const devices = coveringDevices(model, zones, assets);
      if (devices.length === 0 && assets.length === 0) return { status: 'skipped', reason: `no configured device covers zone(s) ${zones.join(', ')}` };
      const ids = devices.map((d) => d.id);
      const lookback = new Date(w.from.getTime() - policy.equipmentAudit.stateLookbackHours * 3_600_000);
      const before = await deviceStatesBefore(tx, { site: inc.site, devices: ids, since: lookback, before: w.from });
      const during = await deviceEventsInWindow(tx, { site: inc.site, devices: ids, from: w.from, to: w.readTo });
      const states = new Map<string, WindowState>();
      const findings: Omit<EquipmentFinding, 'foundAt'>[] = [];
      for (const d of devices) {
        const st = windowState(d.kind, before.get(d.id) ?? { online: null, recording: null, lastSeenAt: null }, during.get(d.id) ?? [], w.from.getTime(), w.readTo.getTime(), policy.equipmentAudit);
        states.set(d.id, st);
        findings.push({
          id: `ef-${shortHash(`${incidentId}|device|${d.id}`)}`,
          incidentId,
          site: inc.site,
          deviceId: d.id,
          finding: st.finding,
          summary: `${d.kind.replace(/_/g, ' ')} ${d.id} (${d.zone}): ${SUMMARY[st.finding]}`,
          details: { kind: d.kind, zone: d.zone, covers: { zones: d.zones, assets: d.assets }, window: { from: w.from.toISOString(), to: w.readTo.toISOString() }, ...st },
        });
      }
      // A camera with no state reported counts as seeing (no evidence of a failure), as in the audit.
      const saw = (id: string) => ['covering_ok', 'unknown'].includes(states.get(id)?.finding ?? 'unknown');
      const blind: string[] = [];
      for (const a of assets.filter((x) => x.highRisk)) {
        const cams = camerasSeeing(model, a);
        if (cams.some(saw)) continue;
        blind.push(a.id);
        findings.push({
          id: `ef-${shortHash(`${incidentId}|blind|${a.id}`)}`,
          incidentId,
          site: inc.site,
          deviceId: null,
          finding: 'blind_spot',
          summary: cams.length === 0 ? `High-risk ${a.name} (${a.id}) is seen by no camera` : `High-risk ${a.name} (${a.id}): none of its cameras (${cams.join(', ')}) was up through the window`,
          details: { asset: a.id, zone: a.zone, position: a.position ?? null, highRiskReasons: a.reasons, cameras: cams, reason: cams.length === 0 ? 'no_camera' : 'cameras_down' },
        });
      }
      await upsertEquipmentFindings(tx, findings, now);
      if (w.open) return { status: 'waiting', reason: `equipment window open until ${w.to.toISOString()}`, until: w.to };
      const count = (f: string) => findings.filter((x) => x.finding === f).length;
      return {
        status: 'done',
        result: {
          window: { from: w.from.toISOString(), to: w.to.toISOString() },
          devices: devices.map((d) => ({ id: d.id, kind: d.kind, finding: states.get(d.id)!.finding })),
          coveringOk: count('covering_ok'),
          offline: count('offline'),
          notRecording: count('not_recording'),
          tampered: count('tampered'),
          unknown: count('unknown'),
          blindSpots: blind,
        },
      };
    },
  };
}
