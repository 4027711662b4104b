/**
 * Invented chains for load tests: a valid configuration of N sites (stores, warehouses, offices)
 * across US time zones, deterministic by seed, for `vigil simulate --sites N` and the benchmarks.
 */
import type { z } from 'zod';
import type { configSchema } from '../config/schema.js';
import { normalizeAmount } from '../domain/money.js';
import { Rng, hashSeed } from './random.js';

/** A configuration document before validation (what parseConfig accepts; YAML/JSON-serialisable). */
export type RawConfigDocument = z.input<typeof configSchema>;

// ---------------------------------------------------------------------------------------------
// Invented chains for load tests

/** US time zones the invented chains use, round-robin (coprime with the 3 site kinds). */
const CHAIN_ZONES: { tz: string; lat: number; lon: number; city: string }[] = [
  { tz: 'America/New_York', lat: 40.71, lon: -74.0, city: 'Newark' },
  { tz: 'America/Chicago', lat: 41.88, lon: -87.63, city: 'Joliet' },
  { tz: 'America/Denver', lat: 39.74, lon: -104.99, city: 'Aurora' },
  { tz: 'America/Phoenix', lat: 33.45, lon: -112.07, city: 'Mesa' },
  { tz: 'America/Los_Angeles', lat: 34.05, lon: -118.24, city: 'Pasadena' },
];

type Doc = Record<string, unknown>;

/** Currency of the invented chains (asset values, operating costs). */
const CHAIN_CURRENCY = 'USD';

/**
 * Invents a chain of N sites (stores, warehouses, offices round-robin across 5 US time zones),
 * valid against configSchema, for load tests. Deterministic by seed.
 */
export function inventChain(sites: number, seed: number): RawConfigDocument {
  if (!Number.isInteger(sites) || sites < 1) throw new RangeError('inventChain: sites must be a positive integer');
  const rng = new Rng(hashSeed(seed, 'chain'));
  const width = Math.max(4, String(sites).length);
  const siteDocs: Doc[] = [];
  const contacts: Doc[] = [];
  const ids: string[] = [];
  let phone = 0;
  const nextPhone = () => `+1555${String(++phone).padStart(7, '0')}`;
  for (let i = 0; i < sites; i++) {
    const num = String(i + 1).padStart(width, '0');
    const place = CHAIN_ZONES[i % CHAIN_ZONES.length];
    const kind = (['store', 'warehouse', 'office'] as const)[i % 3];
    const build = kind === 'store' ? inventStore : kind === 'warehouse' ? inventWarehouse : inventOffice;
    const doc = build(num, rng, nextPhone);
    const id = String(doc.id);
    ids.push(id);
    siteDocs.push({
      ...doc,
      timezone: place.tz,
      location: { lat: round4(place.lat + rng.float(-1.5, 1.5)), lon: round4(place.lon + rng.float(-1.5, 1.5)) },
    });
    contacts.push(
      { id: `lead-${id}`, name: `Security lead ${id}`, role: 'security_lead', sites: [id], phone: nextPhone(), email: `lead-${id}@chain.example` },
      { id: `rr-${id}`, name: `Rapid response ${id}`, role: 'rapid_response', sites: [id], phone: nextPhone(), email: `rr-${id}@chain.example` },
    );
  }
  // Regions of 25 sites each have a manager and an investigator; one executive sees all.
  for (let r = 0; r * 25 < sites; r++) {
    const region = ids.slice(r * 25, r * 25 + 25);
    contacts.push(
      { id: `mgr-region-${r + 1}`, name: `Region ${r + 1} manager`, role: 'manager', sites: region, email: `mgr-region-${r + 1}@chain.example` },
      { id: `inv-region-${r + 1}`, name: `Region ${r + 1} investigator`, role: 'investigator', sites: region, phone: nextPhone(), email: `inv-region-${r + 1}@chain.example` },
    );
  }
  contacts.push({ id: 'exec-cso', name: 'Chief Security Officer', role: 'executive', sites: ids, phone: nextPhone(), email: 'cso@chain.example' });
  return {
    organization: { name: `Load Test Chain ${seed}`, currency: CHAIN_CURRENCY, timezone: 'America/New_York' },
    sites: siteDocs,
    contacts,
    notify: {
      sms: { provider: 'twilio', baseUrl: 'http://127.0.0.1:8089', accountSid: 'ACdemo0000000000000000000000000000', authToken: 'demo-token', from: '+15550009999' },
      email: { url: 'smtp://127.0.0.1:2525', from: 'vigil@chain.example' },
    },
    policy: {},
  } as RawConfigDocument;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** A decimal string value around `base` (+-30%), in whole major units of the chain's currency. */
function value(rng: Rng, base: number): string {
  return normalizeAmount(String(Math.round(base * rng.float(0.7, 1.3))), CHAIN_CURRENCY);
}

function rect(x0: number, y0: number, x1: number, y1: number): [number, number][] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
}

function cam(id: string, zone: string, position: [number, number], direction: number, range: number, covers: string[] = []): Doc {
  return { id, kind: 'camera', zone, position, fov: { direction, angle: 90, range }, covers };
}

function people(
  num: string,
  rng: Rng,
  roles: { role: string; clearances: string[]; start: string; end: string; days: string[] }[],
): Doc[] {
  const first = ['Alex', 'Sam', 'Jo', 'Kim', 'Lee', 'Max', 'Ana', 'Raj', 'Eve', 'Ned', 'Ida', 'Tom'];
  const last = ['Reyes', 'Ng', 'Berg', 'Shaw', 'Khan', 'Diaz', 'Hart', 'Moss', 'Park', 'Wolf', 'Cruz', 'Lund'];
  return roles.map((r, k) => ({
    id: `emp-${num}-${k + 1}`,
    name: `${rng.pick(first)} ${rng.pick(last)}`,
    badge: `B-${num}-${k + 1}`,
    role: r.role,
    clearances: r.clearances,
    shift: { days: r.days, start: r.start, end: r.end },
    // The last person on every site has left: their badge should never open a door.
    active: k < roles.length - 1,
  }));
}

const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri'];
const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function inventStore(num: string, rng: Rng, phone: () => string): Doc {
  const open = rng.pick(['08:00', '09:00']);
  const close = rng.pick(['21:00', '22:00']);
  return {
    id: `store-${num}`,
    name: `Store ${num}`,
    kind: 'store',
    businessHours: { open, close },
    hourlyOperatingCost: value(rng, 900),
    zones: [
      { id: 'entrance', name: 'Entrance', kind: 'entrance', polygon: rect(0, 0, 12, 5), adjacent: ['sales-floor'] },
      { id: 'sales-floor', name: 'Sales floor', kind: 'sales_floor', polygon: rect(0, 5, 30, 25), adjacent: ['entrance', 'back-hall'] },
      { id: 'back-hall', name: 'Back hall', kind: 'corridor', polygon: rect(30, 0, 34, 25), adjacent: ['sales-floor', 'stockroom', 'cash-office'] },
      { id: 'cash-office', name: 'Cash office', kind: 'cash_office', restricted: true, requiredClearance: 'cash', polygon: rect(34, 0, 40, 8), adjacent: ['back-hall'] },
      { id: 'stockroom', name: 'Stockroom', kind: 'stockroom', polygon: rect(34, 8, 46, 25), adjacent: ['back-hall', 'loading-dock'] },
      { id: 'loading-dock', name: 'Loading dock', kind: 'loading_dock', polygon: rect(46, 8, 54, 25), adjacent: ['stockroom'] },
    ],
    assets: [
      { id: `safe-${num}`, name: 'Cash safe', category: 'cash', zone: 'cash-office', position: [37, 4], value: value(rng, 20000), vulnerability: 0.6 },
      { id: `bo-server-${num}`, name: 'Back-office POS server', category: 'data', zone: 'cash-office', position: [39, 7], value: value(rng, 6000), vulnerability: 0.3, sensitiveData: true },
      { id: `display-${num}`, name: 'Electronics display', category: 'merchandise', zone: 'sales-floor', position: [25, 20], value: value(rng, 25000), vulnerability: 0.45 },
      { id: `stock-${num}`, name: 'High-value stock', category: 'merchandise', zone: 'stockroom', position: [40, 18], value: value(rng, 40000), vulnerability: 0.35 },
    ],
    devices: [
      cam(`cam-${num}-ent`, 'entrance', [0.5, 0.5], 30, 16, ['sales-floor']),
      cam(`cam-${num}-sf-1`, 'sales-floor', [0.5, 24.5], 315, 28),
      cam(`cam-${num}-sf-2`, 'sales-floor', [29.5, 24.5], 225, 28),
      cam(`cam-${num}-bh`, 'back-hall', [32, 24.5], 270, 26),
      cam(`cam-${num}-co`, 'cash-office', [34.5, 7.5], 315, 9),
      cam(`cam-${num}-sr`, 'stockroom', [45.5, 24.5], 225, 20),
      { id: `cr-${num}-co`, kind: 'card_reader', zone: 'cash-office', position: [34, 4] },
      { id: `dc-${num}-co`, kind: 'door_contact', zone: 'cash-office', position: [34, 4.5] },
      { id: `ms-${num}-co`, kind: 'motion_sensor', zone: 'cash-office', position: [39.5, 0.5] },
      { id: `cr-${num}-sr`, kind: 'card_reader', zone: 'stockroom', position: [34, 16] },
      { id: `eas-${num}`, kind: 'eas_gate', zone: 'entrance', position: [6, 4] },
      { id: `gb-${num}`, kind: 'glass_break_sensor', zone: 'entrance', position: [6, 0.5] },
      { id: `pos-${num}-1`, kind: 'pos_terminal', zone: 'sales-floor', position: [8, 8] },
      { id: `pos-${num}-2`, kind: 'pos_terminal', zone: 'sales-floor', position: [12, 8] },
      { id: `ap-${num}`, kind: 'alarm_panel', zone: 'back-hall', position: [31, 1] },
    ],
    personnel: people(num, rng, [
      { role: 'store_manager', clearances: ['sales_floor', 'stock', 'cash'], start: open, end: '18:00', days: WEEK },
      { role: 'cashier', clearances: ['sales_floor'], start: open, end: '16:00', days: ['mon', 'tue', 'wed', 'sat', 'sun'] },
      { role: 'cashier', clearances: ['sales_floor'], start: '14:00', end: close, days: ['wed', 'thu', 'fri', 'sat', 'sun'] },
      { role: 'stock_associate', clearances: ['sales_floor', 'stock'], start: '07:00', end: '15:00', days: ALL_DAYS },
      { role: 'cashier', clearances: ['sales_floor', 'cash'], start: open, end: '17:00', days: WEEK },
    ]),
    guards: [{ id: `guard-${num}-1`, name: `Guard ${num}-1`, phone: phone(), position: [15, 15], onShift: true }],
  };
}

function inventWarehouse(num: string, rng: Rng, phone: () => string): Doc {
  const open = rng.pick(['05:00', '06:00']);
  const close = rng.pick(['18:00', '21:00']);
  return {
    id: `dc-${num}`,
    name: `Distribution centre ${num}`,
    kind: 'warehouse',
    businessHours: { open, close },
    hourlyOperatingCost: value(rng, 3000),
    zones: [
      { id: 'yard', name: 'Truck yard', kind: 'yard', polygon: rect(0, 0, 80, 20), adjacent: ['dock'] },
      { id: 'dock', name: 'Dock', kind: 'loading_dock', polygon: rect(0, 20, 80, 30), adjacent: ['yard', 'racking', 'cage'] },
      { id: 'racking', name: 'Racking', kind: 'storage', polygon: rect(0, 30, 60, 80), adjacent: ['dock', 'cage', 'office'] },
      { id: 'cage', name: 'High-value cage', kind: 'cage', restricted: true, requiredClearance: 'cage', polygon: rect(60, 30, 80, 50), adjacent: ['dock', 'racking', 'office'] },
      { id: 'office', name: 'Office', kind: 'office', polygon: rect(60, 50, 80, 80), adjacent: ['racking', 'cage'] },
    ],
    assets: [
      { id: `cage-${num}`, name: 'Electronics cage stock', category: 'electronics_cage', zone: 'cage', position: [70, 40], value: value(rng, 120000), vulnerability: 0.35 },
      { id: `racking-${num}`, name: 'General racking stock', category: 'merchandise', zone: 'racking', position: [30, 55], value: value(rng, 300000), vulnerability: 0.15 },
      { id: `forklift-${num}`, name: 'Forklift', category: 'equipment', zone: 'dock', position: [20, 25], value: value(rng, 30000), vulnerability: 0.2 },
    ],
    devices: [
      cam(`cam-${num}-yard`, 'yard', [0.5, 0.5], 15, 80),
      cam(`cam-${num}-dock`, 'dock', [0.5, 29.5], 345, 60),
      cam(`cam-${num}-rack`, 'racking', [0.5, 79.5], 315, 60),
      cam(`cam-${num}-cage`, 'cage', [60.5, 49.5], 315, 28),
      cam(`cam-${num}-off`, 'office', [79.5, 79.5], 225, 35),
      { id: `cr-${num}-dock`, kind: 'card_reader', zone: 'dock', position: [0, 25] },
      { id: `cr-${num}-cage`, kind: 'card_reader', zone: 'cage', position: [60, 35] },
      { id: `dc-${num}-cage`, kind: 'door_contact', zone: 'cage', position: [60, 36] },
      { id: `ms-${num}-cage`, kind: 'motion_sensor', zone: 'cage', position: [79.5, 49.5] },
      { id: `gb-${num}`, kind: 'glass_break_sensor', zone: 'office', position: [80, 65] },
      { id: `ap-${num}`, kind: 'alarm_panel', zone: 'office', position: [61, 79] },
    ],
    personnel: people(num, rng, [
      { role: 'shift_lead', clearances: ['dock', 'cage'], start: open, end: '14:00', days: WEEK },
      { role: 'receiver', clearances: ['dock'], start: open, end: '14:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
      { role: 'picker', clearances: ['dock'], start: '10:00', end: close, days: WEEK },
      { role: 'inventory_controller', clearances: ['dock', 'cage'], start: '10:00', end: close, days: WEEK },
      { role: 'forklift_operator', clearances: ['dock', 'cage'], start: open, end: '14:00', days: WEEK },
    ]),
    guards: [
      { id: `guard-${num}-1`, name: `Guard ${num}-1`, phone: phone(), position: [40, 10], onShift: true },
      { id: `guard-${num}-2`, name: `Guard ${num}-2`, phone: phone(), position: [70, 60], onShift: true },
    ],
  };
}

function inventOffice(num: string, rng: Rng, phone: () => string): Doc {
  return {
    id: `hq-${num}`,
    name: `Office ${num}`,
    kind: 'office',
    businessHours: { open: '07:00', close: '19:00', days: WEEK },
    hourlyOperatingCost: value(rng, 2000),
    zones: [
      { id: 'lobby', name: 'Lobby', kind: 'lobby', polygon: rect(0, 0, 20, 10), adjacent: ['open-office'] },
      { id: 'open-office', name: 'Open office', kind: 'office', polygon: rect(0, 10, 40, 40), adjacent: ['lobby', 'server-room', 'records-room'] },
      { id: 'server-room', name: 'Server room', kind: 'server_room', restricted: true, requiredClearance: 'it', polygon: rect(40, 10, 50, 20), adjacent: ['open-office', 'records-room'] },
      { id: 'records-room', name: 'Records room', kind: 'records', restricted: true, requiredClearance: 'records', polygon: rect(40, 20, 50, 30), adjacent: ['open-office', 'server-room'] },
    ],
    assets: [
      { id: `server-rack-${num}`, name: 'Server rack', category: 'data', zone: 'server-room', position: [45, 15], value: value(rng, 150000), vulnerability: 0.4, sensitiveData: true },
      { id: `hr-records-${num}`, name: 'HR records', category: 'data', zone: 'records-room', position: [45, 25], value: value(rng, 5000), vulnerability: 0.5, sensitiveData: true },
      { id: `laptops-${num}`, name: 'Laptop cart', category: 'equipment', zone: 'open-office', position: [20, 30], value: value(rng, 30000), vulnerability: 0.45 },
    ],
    devices: [
      cam(`cam-${num}-lobby`, 'lobby', [0.5, 0.5], 30, 24, ['open-office']),
      cam(`cam-${num}-oo`, 'open-office', [0.5, 39.5], 315, 45),
      cam(`cam-${num}-srv`, 'server-room', [40.5, 19.5], 315, 14),
      cam(`cam-${num}-rec`, 'records-room', [49.5, 29.5], 225, 14),
      { id: `cr-${num}-lobby`, kind: 'card_reader', zone: 'open-office', position: [10, 10] },
      { id: `cr-${num}-srv`, kind: 'card_reader', zone: 'server-room', position: [40, 15] },
      { id: `ms-${num}-srv`, kind: 'motion_sensor', zone: 'server-room', position: [49.5, 10.5] },
      { id: `cr-${num}-rec`, kind: 'card_reader', zone: 'records-room', position: [40, 25] },
      { id: `gb-${num}`, kind: 'glass_break_sensor', zone: 'lobby', position: [10, 0.5] },
      { id: `ap-${num}`, kind: 'alarm_panel', zone: 'lobby', position: [19, 1] },
    ],
    personnel: people(num, rng, [
      { role: 'receptionist', clearances: ['office'], start: '07:00', end: '15:30', days: WEEK },
      { role: 'sysadmin', clearances: ['office', 'it'], start: '08:00', end: '17:00', days: WEEK },
      { role: 'hr_manager', clearances: ['office', 'records'], start: '08:30', end: '17:30', days: WEEK },
      { role: 'analyst', clearances: ['office'], start: '09:00', end: '18:00', days: WEEK },
      { role: 'it_contractor', clearances: ['office', 'it'], start: '09:00', end: '17:00', days: WEEK },
    ]),
    guards: [{ id: `guard-${num}-1`, name: `Guard ${num}-1`, phone: phone(), position: [5, 5], onShift: true }],
  };
}
