/**
 * Steps 12 and 13 on the incident: the access-log findings (rule, badge, when, why) and the devices
 * that cover the incident with their state through its window, blind spots first.
 */
import { fmtTime, humanize } from '../format.js';
import type { Incident } from '../model.js';

export function AccessFindings({ d, tz }: { d: Incident; tz: string | undefined }) {
  const list = d.accessFindings ?? [];
  if (list.length === 0) return <p class="empty small">No access-log finding (yet: the review runs after the response steps, over the incident window).</p>;
  return (
    <table aria-label="Access-log findings">
      <thead>
        <tr>
          <th>When</th>
          <th>Rule</th>
          <th>Badge</th>
          <th>Finding</th>
        </tr>
      </thead>
      <tbody>
        {list.map((f) => (
          <tr key={f.id} data-rule={f.rule} data-severity={f.severity}>
            <td>{fmtTime(f.at, tz, 'seconds')}</td>
            <td>{humanize(f.rule)}</td>
            <td class="mono">{f.badge ?? '-'}</td>
            <td>{f.summary}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EquipmentFindings({ d }: { d: Incident }) {
  const list = [...(d.equipmentFindings ?? [])].sort((a, b) => Number(b.finding === 'blind_spot') - Number(a.finding === 'blind_spot'));
  if (list.length === 0) return <p class="empty small">No equipment finding (yet: the audit runs after the access review).</p>;
  return (
    <table aria-label="Devices covering the incident">
      <thead>
        <tr>
          <th>Device or asset</th>
          <th>State in the window</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        {list.map((f) => (
          <tr key={f.id} data-finding={f.finding}>
            <td class="mono">{f.deviceId ?? String(f.details.asset ?? '')}</td>
            <td>{humanize(f.finding)}</td>
            <td>{f.summary}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
