/**
 * The selected incident: what, where and when, its score, the lifecycle actions, and the cards
 * (why this score, estimated loss, site plan, what happened, response workflow, who was told
 * and whether it reached them, the patrols, access-log findings, covering devices), its SLA
 * countdowns and who it is assigned to.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { fmtAgo, fmtTime, humanize, r1 } from '../format.js';
import { OUTCOMES } from '../../../src/domain/case-notes.js';
import { ACTIONS, bandClass, statusClass, statusOf, type Incident } from '../model.js';
import type { WithInvestigation } from '../investigation-model.js';
import { act, addNote, errorText, refreshSelected, request, type DashboardState } from '../store.js';
import { IncidentPatrols } from './guards.js';
import { IncidentNotifications } from './notifications.js';
import { SlaBadge, useNow } from './sla.js';
import { AccessFindings, EquipmentFindings } from './findings.js';
import { LossBreakdown } from './loss.js';
import { siteName, siteOf, siteTz, zoneName } from './names.js';
import { SeverityFactors } from './severity.js';
import { SitePlan } from './site-plan.js';
import { Timeline } from './timeline.js';
import { Workflow } from './workflow.js';
import { AssetStatusCard, NotesCard, ReportCard, TaskCard } from './investigation.js';

const EMPTY = 'Select an incident to see why it scored as it did, what it may cost, where it happened and what Vigil has done about it.';

export function IncidentDetailPane({ state: s }: { state: DashboardState }) {
  const d = s.detail;
  return (
    <section
      id="detail"
      class="detail"
      tabindex={-1}
      aria-label={d ? `Incident ${humanize(d.type)} at ${siteName(s, d.site)}` : 'Selected incident'}
      aria-busy={s.detailBusy ? 'true' : undefined}
      data-incident-id={d?.id}
    >
      {d ? <IncidentView key={d.id} d={d} state={s} /> : <p class="empty">{s.detailNote ?? EMPTY}</p>}
    </section>
  );
}

function IncidentView({ d, state: s }: { d: Incident; state: DashboardState }) {
  const inv = d as unknown as WithInvestigation;
  const band = d.severity?.band ?? '';
  const tz = siteTz(s, d.site);
  const site = siteOf(s, d.site);
  const zones = (d.zones?.length ? d.zones : [d.zone]).filter((z): z is string => !!z);
  const score = r1(Number(d.severity?.score) || 0);
  return (
    <>
      <div class={`detail-head ${bandClass(band)}`}>
        <div>
          <h2>
            {humanize(d.type)}
            <span class={`chip ${bandClass(band)}`} data-band={band}>
              {band}
            </span>
            <span class={`status-pill ${statusClass(d.status)}`} id="detail-status" data-status={d.status}>
              {d.status}
            </span>
          </h2>
          <p class="facts">
            <strong>{siteName(s, d.site)}</strong>
            {' · '}
            {zones.map((z) => zoneName(s, d.site, z)).join(', ') || 'no zone'}
            {' · first event '}
            <strong>{fmtTime(d.firstEventAt, tz)}</strong>
            {d.lastEventAt && d.lastEventAt !== d.firstEventAt ? ` · last ${fmtTime(d.lastEventAt, tz)}` : ''}
            {` · ${d.eventCount} event${d.eventCount === 1 ? '' : 's'} from ${(d.sources ?? []).map(humanize).join(', ') || 'no source'}`}
          </p>
          <p class="facts small">
            <span class="mono">{d.id}</span>
            {` · opened ${fmtAgo(d.openedAt)}`}
            {d.acknowledgedAt ? ` · acknowledged by ${d.acknowledgedBy || 'someone'} ${fmtAgo(d.acknowledgedAt)}` : ''}
            {d.resolvedAt ? ` · resolved by ${d.resolvedBy || 'someone'} ${fmtAgo(d.resolvedAt)}` : ''}
            {d.outcome ? ` · outcome: ${humanize(d.outcome)}` : ''}
            {d.resolution ? ` · resolution: ${d.resolution}` : ''}
            {inv.outcome ? ` · outcome: ${humanize(inv.outcome)}` : ''}
            {d.severity?.policyVersion ? ` · policy ${d.severity.policyVersion}` : ''}
          </p>
          <SlaLine d={d} />
          <Assign d={d} />
        </div>
        <div class="bigscore" aria-label={`severity score ${score} of 100`}>
          <span class="v">{String(score)}</span>
          <span class="of"> / 100</span>
        </div>
        <Actions d={d} state={s} />
      </div>

      <div class="cards">
        <Card id="severity-card" span="span-6" heading="Why this score">
          <SeverityFactors d={d} tz={tz} />
        </Card>
        <Card id="loss-card" span="span-6" heading="Estimated loss">
          <LossBreakdown d={d} />
        </Card>
        <Card id="plan-card" span="span-7" heading={site ? `Site plan · ${site.name}` : 'Site plan'}>
          <SitePlan d={d} site={site} sitesLoaded={s.sitesLoaded} state={s} />
        </Card>
        <Card id="timeline-card" span="span-5" heading="What happened">
          <Timeline d={d} tz={tz} state={s} />
        </Card>
        <Card id="workflow-card" span="span-12" heading="Response workflow">
          <Workflow d={d} tz={tz} />
        </Card>
        <Card id="notifications-card" span="span-7" heading="Who was told">
          <IncidentNotifications d={d} state={s} />
        </Card>
        <Card id="patrols-card" span="span-5" heading="Patrols">
          <IncidentPatrols d={d} state={s} />
        </Card>
        <Card id="report-card" span="span-6" heading="Incident report">
          <ReportCard d={inv} />
        </Card>
        <Card id="task-card" span="span-6" heading="Investigation">
          <TaskCard d={inv} tz={tz} />
        </Card>
        <Card id="notes-card" span="span-6" heading="Case notes">
          <NotesCard d={inv} tz={tz} />
        </Card>
        <Card id="assets-card" span="span-6" heading="Asset status">
          <AssetStatusCard d={inv} />
        </Card>
        <Card id="access-card" span="span-6" heading="Access-log findings">
          <AccessFindings d={d} tz={tz} />
        </Card>
        <Card id="equipment-card" span="span-6" heading="Cameras and devices">
          <EquipmentFindings d={d} />
        </Card>
      </div>
    </>
  );
}

function Card({ id, span, heading, children }: { id: string; span: string; heading: string; children: ComponentChildren }) {
  const hid = `${id}-title`;
  return (
    <section class={`card ${span}`} aria-labelledby={hid} id={id}>
      <h3 id={hid}>{heading}</h3>
      {children}
    </section>
  );
}

function Actions({ d, state: s }: { d: Incident; state: DashboardState }) {
  const [note, setNote] = useState('');
  const [outcome, setOutcome] = useState('');
  const status = statusOf(d.status);
  const msg = s.action?.incidentId === d.id ? s.action : null;
  return (
    <div class="actions" role="group" aria-label="Incident actions">
      {ACTIONS.map((a) => {
        const applies = !!status && a.from.includes(status);
        return (
          <button
            key={a.action}
            type="button"
            class={a.action === 'acknowledge' ? 'primary' : ''}
            data-action={a.action}
            disabled={s.busy || !applies}
            title={applies ? `${a.label} this incident` : `${a.label} applies to ${a.from.join(' or ')} incidents`}
            onClick={() => {
              void act(d.id, a, note, outcome).then((ok) => {
                if (ok) {
                  setNote('');
                  setOutcome('');
                }
              });
            }}
          >
            {a.label}
          </button>
        );
      })}
      <input
        type="text"
        id="action-note"
        maxLength={2000}
        placeholder="Note (optional)"
        aria-label="Note (optional)"
        value={note}
        onInput={(e) => setNote(e.currentTarget.value)}
      />
      <button
        type="button"
        data-action="note"
        disabled={s.busy || !note.trim()}
        title="Add the note to the case timeline"
        onClick={() => {
          void addNote(d.id, note).then((ok) => {
            if (ok) setNote('');
          });
        }}
      >
        Add note
      </button>
      <select id="action-outcome" aria-label="Outcome (asked when resolving)" value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
        <option value="">Outcome…</option>
        {OUTCOMES.map((o) => (
          <option key={o} value={o}>
            {humanize(o)}
          </option>
        ))}
      </select>
      <span class={`action-msg small${msg?.error ? ' err' : ''}`} role="status" id="action-msg">
        {msg?.text ?? ''}
      </span>
    </div>
  );
}

/** The SLA countdowns of the incident (policy sla; ackDueAt and resolveDueAt from the server). */
function SlaLine({ d }: { d: Incident }) {
  const now = useNow(1000);
  return (
    <p class="facts small sla-line" id="detail-sla">
      <SlaBadge label="ack" due={d.ackDueAt} doneAt={d.acknowledgedAt ?? d.resolvedAt} now={now} />
      <SlaBadge label="resolve" due={d.resolveDueAt} doneAt={d.resolvedAt} now={now} />
    </p>
  );
}

interface Person {
  id: string;
  name: string;
  role: string;
}

/** Who the incident is assigned to, and the control to (re)assign it to a person of its site (s). */
function Assign({ d }: { d: Incident }) {
  const [people, setPeople] = useState<Person[] | null>(null);
  const [choice, setChoice] = useState(d.assignee ?? '');
  const [msg, setMsg] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    request<{ items: Person[] }>(`/incidents/${encodeURIComponent(d.id)}/assignees`)
      .then((r) => live && setPeople(r.items))
      .catch((e: unknown) => live && setMsg({ text: errorText(e), error: true }));
    return () => {
      live = false;
    };
  }, [d.id]);
  useEffect(() => setChoice(d.assignee ?? ''), [d.assignee]);
  const nameOf = (id: string | null) => (id ? (people?.find((p) => p.id === id)?.name ?? id) : 'nobody');
  const assign = () => {
    const assignee = choice || null;
    if (busy || assignee === (d.assignee ?? null)) return;
    setBusy(true);
    request<Incident>(`/incidents/${encodeURIComponent(d.id)}/assign`, { method: 'POST', body: { assignee } })
      .then(() => {
        setMsg({ text: assignee ? `Assigned to ${nameOf(assignee)}.` : 'Unassigned.', error: false });
        refreshSelected();
      })
      .catch((e: unknown) => setMsg({ text: errorText(e), error: true }))
      .finally(() => setBusy(false));
  };
  return (
    <div class="assign small" role="group" aria-label="Assignment">
      <span id="detail-assignee" data-assignee={d.assignee ?? ''}>
        {d.assignee ? `Assigned to ${nameOf(d.assignee)}` : 'Unassigned'}
        {d.assignedAt ? ` · ${fmtAgo(d.assignedAt)}` : ''}
      </span>
      <select
        id="assign-select"
        class="kbd-focus"
        aria-label="Assign to (s)"
        value={choice}
        disabled={!people || busy}
        onChange={(e) => setChoice(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            assign();
          }
        }}
      >
        <option value="">nobody</option>
        {(people ?? []).map((p) => (
          <option key={p.id} value={p.id}>
            {`${p.name} (${humanize(p.role)})`}
          </option>
        ))}
      </select>
      <button type="button" id="assign-button" disabled={!people || busy || (choice || null) === (d.assignee ?? null)} onClick={assign}>
        Assign
      </button>
      <span class={`small${msg?.error ? ' err' : ''}`} role="status" id="assign-msg">
        {msg?.text ?? ''}
      </span>
    </div>
  );
}
