import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseConfig } from '../config/loader.js';
import { blindSpots, camerasSeeing, coveringDevices, deviceStatus, windowState, zoneCoverage } from './equipment-audit.js';
import { buildOrgModel } from './site-model.js';

// A 10 x 10 m room and a 10 x 10 m store next to it (x 10..20); cameras placed by hand.
const config = parseConfig({
  organization: { name: 'Test', currency: 'USD', timezone: 'UTC' },
  sites: [
    {
      id: 's1',
      name: 'S1',
      timezone: 'UTC',
      businessHours: { open: '08:00', close: '20:00' },
      zones: [
        { id: 'room', name: 'Room', polygon: [[0, 0], [10, 0], [10, 10], [0, 10]], adjacent: ['store'] },
        { id: 'store', name: 'Store', polygon: [[10, 0], [20, 0], [20, 10], [10, 10]] },
        { id: 'yard', name: 'Yard' },
      ],
      assets: [
        { id: 'safe', name: 'Safe', category: 'cash', zone: 'room', position: [8, 5], value: '20000.00' },
        { id: 'cage', name: 'Cage', category: 'electronics_cage', zone: 'room', position: [2, 5], value: '15000.00' },
        { id: 'pallet', name: 'Pallet', category: 'goods', zone: 'store', value: '100.00' },
      ],
      devices: [
        // In the middle of the room looking east with a half-plane view: sees x >= 5 of the room.
        { id: 'cam-half', kind: 'camera', zone: 'room', position: [5, 5], fov: { direction: 0, angle: 180, range: 30 } },
        // Outside the room's west wall, looking west (away): sees nothing of either zone.
        { id: 'cam-away', kind: 'camera', zone: 'room', position: [-1, 5], fov: { direction: 180, angle: 90, range: 50 } },
        { id: 'cr-room', kind: 'card_reader', zone: 'room', position: [0, 1] },
        { id: 'cam-yard', kind: 'camera', zone: 'yard' },
      ],
    },
  ],
});
const org = buildOrgModel(config);
const site = org.sites.get('s1')!;
const policy = config.policy.equipmentAudit; // offline after 15 min, stale after 10
const all = () => true;
const T = Date.parse('2026-01-14T12:00:00Z');
const MIN = 60_000;

describe('zoneCoverage', () => {
  it('a camera looking away covers nothing; a half-plane view covers half the room and the whole store in range', () => {
    const cov = zoneCoverage(site, all);
    const room = cov.find((c) => c.zone === 'room')!;
    const store = cov.find((c) => c.zone === 'store')!;
    expect(room.cameras).toEqual(['cam-half']);
    expect(room.share).toBeCloseTo(0.5, 2);
    expect(store.share).toBeCloseTo(1, 2);
    expect(cov.find((c) => c.zone === 'yard')).toBeUndefined(); // no polygon, no share
  });
  it('the share drops to 0 when the only camera is down, and the design share stays', () => {
    const room = zoneCoverage(site, (id) => id !== 'cam-half').find((c) => c.zone === 'room')!;
    expect(room).toMatchObject({ share: 0, camerasDown: ['cam-half'] });
    expect(room.designShare).toBeCloseTo(0.5, 2);
  });
  it('remembers each outage apart and hands out copies: a camera back up restores the share, and changing an answer changes no later one', () => {
    const up = zoneCoverage(site, all).find((c) => c.zone === 'room')!;
    up.cameras.push('tampered');
    up.share = 7;
    expect(zoneCoverage(site, (id) => id !== 'cam-half').find((c) => c.zone === 'room')!.share).toBe(0);
    const again = zoneCoverage(site, all).find((c) => c.zone === 'room')!;
    expect(again.cameras).toEqual(['cam-half']);
    expect(again.share).toBeCloseTo(0.5, 2);
  });
});

describe('blind spots', () => {
  const highRisk = site.site.assets.filter((a) => a.id !== 'pallet').map((a) => ({ ...a, reasons: ['test'] }));
  it('an asset behind the half-plane camera is seen by no camera; the one in front is seen', () => {
    expect(camerasSeeing(site, site.site.assets[0]!)).toEqual(['cam-half']);
    expect(camerasSeeing(site, site.site.assets[1]!)).toEqual([]);
    expect(blindSpots(site, highRisk, all)).toEqual([expect.objectContaining({ asset: 'cage', reason: 'no_camera', cameras: [] })]);
  });
  it('the seen asset becomes a blind spot when its camera is down', () => {
    const spots = blindSpots(site, highRisk, (id) => id !== 'cam-half');
    expect(spots.map((s) => [s.asset, s.reason])).toEqual([['safe', 'cameras_down'], ['cage', 'no_camera']]);
  });
  it('an asset without a position is seen by a sector touching its zone', () => {
    expect(camerasSeeing(site, { zone: 'store' })).toEqual(['cam-half']);
    expect(camerasSeeing(site, { zone: 'yard' })).toEqual(['cam-yard']);
  });
});

describe('deviceStatus', () => {
  const cam = site.site.devices[0]!;
  const reader = site.site.devices[2]!;
  it('unknown when never heard; online, stale, then offline by silence', () => {
    expect(deviceStatus(cam, 's1', undefined, T, policy)).toMatchObject({ status: 'unknown', working: true });
    const st = (silentMin: number) => deviceStatus(cam, 's1', { id: cam.id, online: true, recording: true, lastSeenAt: T - silentMin * MIN }, T, policy);
    expect(st(9)).toMatchObject({ status: 'online', working: true, silent: false });
    expect(st(10)).toMatchObject({ status: 'stale', working: true });
    expect(st(15)).toMatchObject({ status: 'offline', working: false, silent: true, online: false, silentMinutes: 15 });
  });
  it('offline by state, not recording, tampered; a reader has no recording state', () => {
    expect(deviceStatus(cam, 's1', { id: cam.id, online: false, recording: true, lastSeenAt: T }, T, policy)).toMatchObject({ status: 'offline', silent: false, working: false });
    expect(deviceStatus(cam, 's1', { id: cam.id, online: true, recording: false, lastSeenAt: T }, T, policy)).toMatchObject({ status: 'not_recording', working: false });
    expect(deviceStatus(cam, 's1', { id: cam.id, online: true, recording: true, lastSeenAt: T }, T, policy, T - 60 * MIN)).toMatchObject({ status: 'tampered', working: false });
    expect(deviceStatus(cam, 's1', { id: cam.id, online: true, recording: true, lastSeenAt: T }, T, policy, T - 25 * 60 * MIN)).toMatchObject({ status: 'online', working: true });
    expect(deviceStatus(reader, 's1', { id: reader.id, online: true, recording: false, lastSeenAt: T }, T, policy)).toMatchObject({ status: 'online', recording: null, working: true });
  });
});

describe('windowState', () => {
  const from = T;
  const to = T + 60 * MIN;
  const hb = (m: number, seq = m) => ({ seq, source: 'device', type: 'heartbeat', at: T + m * MIN });
  it('heartbeats every 5 minutes: online and recording throughout', () => {
    const w = windowState('camera', { online: true, recording: true, lastSeenAt: T - 2 * MIN }, [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55].map((m) => hb(m)), from, to, policy);
    expect(w).toMatchObject({ finding: 'covering_ok', onlineThroughout: true, recordingThroughout: true, heartbeats: 12, offline: [] });
  });
  it('an offline event, then online again: the interval between', () => {
    const ev = [
      { seq: 1, source: 'device', type: 'offline', at: T + 10 * MIN },
      { seq: 2, source: 'device', type: 'recording_off', at: T + 10 * MIN },
      { seq: 3, source: 'device', type: 'online', at: T + 30 * MIN },
      { seq: 4, source: 'device', type: 'recording_on', at: T + 31 * MIN },
      hb(40, 5),
      hb(50, 6),
    ];
    const w = windowState('camera', { online: true, recording: true, lastSeenAt: T }, ev, from, to, policy);
    expect(w.finding).toBe('offline');
    expect(w.offline).toEqual([[new Date(T + 10 * MIN).toISOString(), new Date(T + 30 * MIN).toISOString()]]);
    expect(w.notRecording).toEqual([[new Date(T + 10 * MIN).toISOString(), new Date(T + 31 * MIN).toISOString()]]);
    expect(w.evidence).toEqual([1, 2, 3, 4]);
  });
  it('silence until the end of the window is offline too', () => {
    const w = windowState('camera', { online: true, recording: true, lastSeenAt: T }, [hb(10)], from, to, policy);
    expect(w.offline).toEqual([[new Date(T + 25 * MIN).toISOString(), new Date(to).toISOString()]]);
  });
  it('silence past the limit counts as offline from the moment the limit passed', () => {
    const w = windowState('camera', { online: true, recording: true, lastSeenAt: T - 5 * MIN }, [hb(40), hb(50)], from, to, policy);
    expect(w.finding).toBe('offline');
    expect(w.offline).toEqual([[new Date(T + 10 * MIN).toISOString(), new Date(T + 40 * MIN).toISOString()]]);
  });
  it('offline before the window and never back: offline throughout; nothing known: unknown', () => {
    expect(windowState('camera', { online: false, recording: true, lastSeenAt: T - 90 * MIN }, [], from, to, policy)).toMatchObject({ finding: 'offline', onlineThroughout: false });
    expect(windowState('camera', { online: null, recording: null, lastSeenAt: null }, [], from, to, policy)).toMatchObject({ finding: 'unknown', onlineThroughout: null });
  });
  it('a tamper event in the window', () => {
    const w = windowState('camera', { online: true, recording: true, lastSeenAt: T }, [{ seq: 9, source: 'cctv', type: 'camera_tamper', at: T + 5 * MIN }, hb(10), hb(20), hb(30), hb(40), hb(50)], from, to, policy);
    expect(w).toMatchObject({ finding: 'tampered', evidence: [9] });
  });
});

describe('coveringDevices', () => {
  it('devices in the zone, cameras whose sector reaches it, and the cameras that see touched assets', () => {
    const c = coveringDevices(site, ['store'], [{ id: 'safe', zone: 'room', position: [8, 5] }]);
    expect(c).toEqual([{ id: 'cam-half', kind: 'camera', zone: 'room', zones: ['store'], assets: ['safe'] }]);
    const r = coveringDevices(site, ['room'], []);
    expect(r.map((d) => d.id)).toEqual(['cam-away', 'cam-half', 'cr-room']);
  });
});

describe('properties', () => {
  it('coverage with cameras down is never above the design coverage, and both stay in [0, 1]', () => {
    fc.assert(
      fc.property(fc.subarray(['cam-half', 'cam-away', 'cam-yard']), (down) => {
        for (const c of zoneCoverage(site, (id) => !down.includes(id))) {
          expect(c.share).toBeGreaterThanOrEqual(0);
          expect(c.share).toBeLessThanOrEqual(c.designShare + 1e-9);
          expect(c.designShare).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('window intervals lie inside the window, in order; covering_ok means none', () => {
    const arb = fc.array(fc.record({ type: fc.constantFrom('heartbeat', 'offline', 'online', 'recording_on', 'recording_off'), m: fc.integer({ min: -30, max: 90 }) }), { maxLength: 30 });
    fc.assert(
      fc.property(arb, fc.option(fc.boolean(), { nil: null }), (xs, online) => {
        const from = T;
        const to = T + 60 * MIN;
        const events = xs.map((x, i) => ({ seq: i + 1, source: 'device', type: x.type, at: T + x.m * MIN }));
        const w = windowState('camera', { online, recording: true, lastSeenAt: online === null ? null : T - MIN }, events, from, to, policy);
        for (const [a, b] of [...w.offline, ...w.notRecording]) {
          expect(Date.parse(a)).toBeGreaterThanOrEqual(from);
          expect(Date.parse(b)).toBeLessThanOrEqual(to);
          expect(Date.parse(a)).toBeLessThanOrEqual(Date.parse(b));
        }
        if (w.finding === 'covering_ok') expect(w.offline.length + w.notRecording.length).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
