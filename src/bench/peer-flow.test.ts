import { Script, createContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/loader.js';
import type { Config } from '../config/schema.js';
import { withinHours, localTime } from '../domain/local-time.js';
import { computeSeverity } from '../domain/severity.js';
import { inventChain } from '../sim/invent-chain.js';
import { buildPeerFlows, initializeSource, peerSettings, TRIAGE_FUNCTION, triageTable } from './peer-flow.js';

const SMS = { smsBaseUrl: 'http://127.0.0.1:9/', accountSid: 'ACtest', authToken: 'secret', from: '+15550009999' };

function chain(): Config {
  const doc = inventChain(6, 3) as Record<string, unknown>;
  doc.notify = { sms: { provider: 'twilio', baseUrl: 'http://127.0.0.1:9', accountSid: 'ACtest', authToken: 'secret', from: '+15550009999' }, webhooks: [] };
  return parseConfig(doc);
}

type Out = [{ statusCode: number; payload: { band: string | null; score?: number } }, { headers: Record<string, string>; payload: string }[] | null];

/** The function node as Node-RED runs it: the initialize code once, then the body per message, in a vm context. */
function nodeRedFunction(config: Config): (event: Record<string, unknown>) => Out {
  const store = new Map<string, unknown>();
  const context = { get: (k: string) => store.get(k), set: (k: string, v: unknown) => void store.set(k, v) };
  const sandbox = createContext({ context });
  new Script(initializeSource(triageTable(config, SMS))).runInContext(sandbox);
  const fn = new Script(`(function (msg) {\n${TRIAGE_FUNCTION}\n})`).runInContext(sandbox) as (msg: unknown) => Out;
  return (event) => fn({ payload: event, req: {}, res: {} });
}

describe('the Node-RED peer flow', () => {
  it('is valid JSON with HTTP in -> triage -> 202 reply and SMS request, wired in that order', () => {
    const flows = JSON.parse(JSON.stringify(buildPeerFlows(chain(), SMS))) as { id: string; type: string; z?: string; wires?: string[][]; [k: string]: unknown }[];
    const byType = (t: string) => flows.filter((n) => n.type === t);
    expect(flows.map((n) => n.type).sort()).toEqual(['function', 'http in', 'http request', 'http response', 'tab']);
    const tab = byType('tab')[0];
    expect(flows.filter((n) => n.type !== 'tab').every((n) => n.z === tab.id)).toBe(true);
    const httpIn = byType('http in')[0];
    const fn = byType('function')[0];
    const reply = byType('http response')[0];
    const sms = byType('http request')[0];
    expect(httpIn).toMatchObject({ method: 'post', url: '/api/v1/events' });
    expect(httpIn.wires).toEqual([[fn.id]]);
    expect(fn).toMatchObject({ outputs: 2, func: TRIAGE_FUNCTION });
    expect(fn.wires).toEqual([[reply.id], [sms.id]]);
    expect(reply).toMatchObject({ statusCode: '202' });
    expect(sms).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:9/2010-04-01/Accounts/ACtest/Messages.json', persist: true });
    // The ids are unique and every wire points at a node of the flow.
    const ids = new Set(flows.map((n) => n.id));
    expect(ids.size).toBe(flows.length);
    for (const n of flows) for (const out of n.wires ?? []) for (const to of out) expect(ids.has(to)).toBe(true);
  });

  it('writes a settings file with the flow file and user directory, HTTP nodes at / and the admin API on 127.0.0.1', () => {
    const src = peerSettings({ userDir: '/tmp/x/node-red', port: 1880 });
    const m = { exports: {} as Record<string, unknown> };
    new Script(src).runInContext(createContext({ module: m }));
    expect(m.exports).toMatchObject({ uiHost: '127.0.0.1', uiPort: 1880, userDir: '/tmp/x/node-red', flowFile: 'flows.json', httpNodeRoot: '/', disableEditor: true });
    expect(m.exports.adminAuth).toBeUndefined();
  });

  it("gives the band Vigil's domain gives for the first event of an incident, and SMS from high up", () => {
    const config = chain();
    const triage = nodeRedFunction(config);
    const policy = config.policy;
    const types = ['access_control.door_forced', 'access_control.access_denied', 'access_control.door_held_open', 'access_control.access_granted', 'cctv.loitering', 'cctv.motion', 'alarm.intrusion', 'alarm.panic', 'pos.cash_shortage'];
    const times = ['2026-01-05T07:00:00Z', '2026-01-05T17:00:00Z', '2026-01-10T03:30:00Z'];
    const bands = new Set<string>();
    let compared = 0;
    for (const site of config.sites)
      for (const zone of site.zones)
        for (const key of types)
          for (const at of times) {
            const [source, type] = key.split('.');
            const [reply, sms] = triage({ source, type, site: site.id, zone: zone.id, occurredAt: at, sourceEventId: `e-${compared}` });
            expect(reply.statusCode).toBe(202);
            const rule = policy.eventRules[key];
            const afterHours = !withinHours(localTime(new Date(at), site.timezone), site.businessHours);
            const opens = rule.opens === 'always' || (rule.opens === 'offHoursOrRestricted' && (afterHours || !!zone.restricted));
            if (!opens) {
              expect(reply.payload.band).toBeNull();
              expect(sms).toBeNull();
              continue;
            }
            const assets = site.assets.filter((a) => a.zone === zone.id).map((a) => ({ id: a.id, value: a.value, vulnerability: a.vulnerability ?? 0 }));
            const vigil = computeSeverity(
              {
                breach: rule.breach,
                breachDetail: key,
                assets,
                coveringCameras: 0,
                camerasDown: 0,
                adjacentHighRisk: [],
                afterHours,
                afterHoursDetail: '',
                restrictedZone: !!zone.restricted,
                zoneName: zone.name,
                priorIncidents: 0,
                distinctSources: 1,
                currency: 'USD',
              },
              policy,
            );
            expect({ key, site: site.id, zone: zone.id, at, score: reply.payload.score, band: reply.payload.band }).toEqual({ key, site: site.id, zone: zone.id, at, score: vigil.score, band: vigil.band });
            bands.add(vigil.band);
            const high = vigil.band === 'high' || vigil.band === 'critical';
            if (!high) expect(sms).toBeNull();
            else {
              const phones = config.contacts.filter((c) => (c.role === 'security_lead' || c.role === 'rapid_response') && c.sites.includes(site.id)).map((c) => c.phone);
              expect(sms!.map((m) => new URLSearchParams(m.payload).get('To'))).toEqual(phones);
              const form = new URLSearchParams(sms![0].payload);
              expect(form.get('From')).toBe('+15550009999');
              expect(form.get('Body')).toContain(`#incident=e-${compared}`);
              expect(sms![0].headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('ACtest:secret').toString('base64')}` });
            }
            compared++;
          }
    expect(compared).toBeGreaterThan(100);
    // The samples reach every band, so a wrong threshold or weight would show.
    expect([...bands].sort()).toEqual(['critical', 'high', 'low', 'medium']);
  });

  it('documents where it differs: contagion (high-risk assets next door) raises Vigil above the flow, never the other way', () => {
    const config = chain();
    const site = config.sites[0];
    const zone = site.zones.find((z) => z.restricted)!;
    const [reply] = nodeRedFunction(config)({ source: 'access_control', type: 'door_forced', site: site.id, zone: zone.id, occurredAt: '2026-01-05T07:00:00Z' });
    const base = {
      breach: 0.85,
      breachDetail: '',
      assets: site.assets.filter((a) => a.zone === zone.id).map((a) => ({ id: a.id, value: a.value, vulnerability: a.vulnerability ?? 0 })),
      coveringCameras: 0,
      camerasDown: 0,
      afterHours: true,
      afterHoursDetail: '',
      restrictedZone: true,
      zoneName: zone.name,
      priorIncidents: 0,
      distinctSources: 1,
      currency: 'USD',
    };
    const without = computeSeverity({ ...base, adjacentHighRisk: [] }, config.policy);
    const withNeighbour = computeSeverity({ ...base, adjacentHighRisk: [{ id: 'x', value: '50000.00' }] }, config.policy);
    expect(reply.payload.score).toBe(without.score);
    expect(withNeighbour.score).toBeGreaterThan(reply.payload.score!);
  });

  it('answers 202 without a band for an unknown site or event type', () => {
    const triage = nodeRedFunction(chain());
    expect(triage({ source: 'access_control', type: 'door_forced', site: 'nowhere', occurredAt: '2026-01-05T07:00:00Z' })).toEqual([{ payload: { accepted: 1, band: null }, statusCode: 202, req: {}, res: {} }, null]);
    expect(triage({ source: 'cctv', type: 'nothing', site: 'store-0001', occurredAt: '2026-01-05T07:00:00Z' })[0].payload.band).toBeNull();
  });
});
