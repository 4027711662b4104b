/**
 * The configuration file (CONTRACT.md) and the policy, as zod schemas. Every problem of a broken
 * config is reported with its path; nothing is half-loaded.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { csvProfilesConfigSchema, SHIPPED_PROFILES } from '../sources/csv-profiles.js';
import { ASSET_STATUSES } from '../domain/asset-status.js';
import { OUTCOMES } from '../domain/case-notes.js';
import { isValidTimeZone } from '../domain/local-time.js';
import { compareMoney, isPlainDecimal } from '../domain/money.js';
import { BANDS, INCIDENT_TYPES } from '../domain/types.js';

const id = z.string().regex(/^[a-z0-9-]+$/, 'expected an id of lowercase letters, digits and dashes ([a-z0-9-]+)');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time "HH:MM"');
const decimal = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine(isPlainDecimal, 'expected a decimal amount like "1200.00"');
const point = z.tuple([z.number(), z.number()]);
const timezone = z.string().refine(isValidTimeZone, 'expected an IANA time zone like "America/New_York"');
const day = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

export const zoneSchema = z.object({
  id,
  name: z.string().min(1),
  kind: z.string().min(1).default('general'),
  restricted: z.boolean().default(false),
  requiredClearance: z.string().optional(),
  polygon: z.array(point).min(3, 'expected a polygon of at least 3 [x, y] points').optional(),
  adjacent: z.array(id).default([]),
});

export const assetSchema = z.object({
  id,
  name: z.string().min(1),
  category: z.string().min(1),
  zone: id,
  position: point.optional(),
  value: decimal,
  vulnerability: z.number().min(0).max(1).default(0.5),
  sensitiveData: z.boolean().default(false),
  status: z.enum(ASSET_STATUSES).default('active'),
});

export const deviceSchema = z.object({
  id,
  kind: z.enum(['camera', 'motion_sensor', 'door_contact', 'card_reader', 'biometric_scanner', 'eas_gate', 'pos_terminal', 'alarm_panel', 'glass_break_sensor']),
  zone: id,
  position: point.optional(),
  fov: z
    .object({ direction: z.number(), angle: z.number().gt(0).max(360), range: z.number().gt(0) })
    .optional(),
  /** For cameras: other zones the field of view also covers. */
  covers: z.array(id).default([]),
});

export const shiftSchema = z.object({ days: z.array(day).min(1), start: hhmm, end: hhmm });

export const personSchema = z.object({
  id,
  name: z.string().min(1),
  badge: z.string().min(1),
  role: z.string().min(1),
  clearances: z.array(z.string()).default([]),
  shift: shiftSchema.optional(),
  active: z.boolean().default(true),
});

export const guardSchema = z.object({
  id,
  name: z.string().min(1),
  phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 phone number like "+15550000001"'),
  position: point.optional(),
  onShift: z.boolean().default(true),
  shift: shiftSchema.optional(),
});

export const siteSchema = z.object({
  id,
  name: z.string().min(1),
  kind: z.string().default('store'),
  timezone,
  businessHours: z.object({ open: hhmm, close: hhmm, days: z.array(day).optional() }),
  hourlyOperatingCost: decimal.default('0.00'),
  location: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
  zones: z.array(zoneSchema).min(1, 'expected at least one zone'),
  assets: z.array(assetSchema).default([]),
  devices: z.array(deviceSchema).default([]),
  personnel: z.array(personSchema).default([]),
  guards: z.array(guardSchema).default([]),
});

/** The roles a contact can have; notification and escalation rules name these. */
export const contactRoleSchema = z.enum(['security_lead', 'rapid_response', 'manager', 'executive', 'investigator']);

export const contactSchema = z.object({
  id,
  name: z.string().min(1),
  role: contactRoleSchema,
  sites: z.array(id).default([]),
  phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 phone number').optional(),
  email: z.string().email().optional(),
});

export const notifySchema = z
  .object({
    sms: z
      .object({
        provider: z.literal('twilio').default('twilio'),
        baseUrl: z.string().url(),
        accountSid: z.string().min(1),
        authToken: z.string().min(1),
        from: z.string().min(1),
      })
      .optional(),
    email: z.object({ url: z.string().min(1), from: z.string().min(1) }).optional(),
    webhooks: z
      .array(z.object({ url: z.string().url(), secret: z.string().min(8), kinds: z.array(z.string()).default([]) }))
      .default([]),
  })
  .default({ webhooks: [] });

const incidentTypeMap = <T extends z.ZodTypeAny>(v: T) => z.object(Object.fromEntries(INCIDENT_TYPES.map((t) => [t, v])) as Record<(typeof INCIDENT_TYPES)[number], T>);

export const eventRuleSchema = z.object({
  incidentType: z.enum(INCIDENT_TYPES),
  opens: z.enum(['always', 'offHoursOrRestricted', 'posPattern', 'never']),
  breach: z.number().min(0).max(1),
});

/** A cron expression (minute hour day-of-month month day-of-week, optional seconds first), checked by croner. */
const cronExpression = z.string().superRefine((v, ctx) => {
  try {
    new Cron(v, { paused: true }).stop();
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `expected a cron expression like "0 6 * * *": ${(e as Error).message}` });
  }
});

/** Ascending numbers (each at least the one before), `n` of them. */
const ascending = (n: number, what: string) =>
  z
    .array(z.number().min(0))
    .length(n, `expected ${n} ${what}`)
    .refine((a) => a.every((x, i) => i === 0 || x >= a[i - 1]!), 'expected each threshold to be at least the one before');

/** Step 11, risk assessment (docs/risk.md): likelihood x impact on a 5x5 matrix. */
export const riskPolicySchema = z
  .object({
    /** Age at which an incident counts half (days). */
    halfLifeDays: z.number().positive(),
    /** Incidents older than this are not read at all (days). */
    lookbackDays: z.number().positive(),
    /** Weight of an incident by its severity band before decay. */
    bandWeights: z.object({ low: z.number().min(0), medium: z.number().min(0), high: z.number().min(0), critical: z.number().min(0) }),
    /** Decayed sums at which likelihood becomes 2, 3, 4 and 5 (below the first: 1). */
    likelihoodThresholds: ascending(4, 'decayed-sum thresholds (likelihood 2, 3, 4, 5)'),
    impact: z.object({
      /** Asset values (organisation currency) at which impact becomes 2, 3, 4 and 5. */
      valueThresholds: z
        .array(decimal)
        .length(4, 'expected 4 value thresholds (impact 2, 3, 4, 5)')
        .refine((a) => a.every((x, i) => i === 0 || compareMoney(x, a[i - 1]!) >= 0), 'expected each threshold to be at least the one before'),
      /** Categories that raise an asset's impact by `categoryRaise`. */
      criticalCategories: z.array(z.string()),
      categoryRaise: z.number().int().min(0).max(4),
      sensitiveDataRaise: z.number().int().min(0).max(4),
      restrictedZoneRaise: z.number().int().min(0).max(4),
      /** Impact of a zone without assets (before the restricted-zone raise), and of incidents with no zone. */
      zoneDefault: z.number().int().min(1).max(5),
    }),
    recurring: z.object({
      count: z.number().int().min(1),
      days: z.number().positive(),
      /** Likelihood levels a recurring scope is raised by (capped at 5). */
      likelihoodRaise: z.number().int().min(0).max(4),
    }),
    /** Scores (1-25) at which the band becomes medium, high, critical. */
    bands: z
      .object({ medium: z.number().int().min(1).max(25), high: z.number().int().min(1).max(25), critical: z.number().int().min(1).max(25) })
      .refine((b) => b.medium <= b.high && b.high <= b.critical, 'expected medium <= high <= critical'),
    /** The severity recurrence factor a zone's current risk gives (the factor is the larger of this and the count-based value). */
    severityRecurrence: z.object({ low: z.number().min(0).max(1), medium: z.number().min(0).max(1), high: z.number().min(0).max(1), critical: z.number().min(0).max(1), recurring: z.number().min(0).max(1) }),
    /** Zones at this risk band or above (or recurring) get a checkpoint patrol. */
    patrolMinBand: z.enum(BANDS),
  })
  .refine((r) => r.lookbackDays >= r.recurring.days, { message: 'expected lookbackDays >= recurring.days', path: ['lookbackDays'] });

export const policySchema = z.object({
  version: z.string().min(1),
  correlation: z.object({
    windowMinutes: z.number().positive(),
    ignoreBusinessHoursMotion: z.boolean(),
    pos: z.object({ spreeCount: z.number().int().min(1), spreeMinutes: z.number().positive(), singleAmount: decimal }),
  }),
  pos: z.object({
    exceptions: z.object({
      enabled: z.boolean(),
      voidRate: z.object({ threshold: z.number().min(0).max(1), minLines: z.number().int().min(1) }),
      noSales: z.object({ max: z.number().int().min(0) }),
      refundsWithoutReceipt: z.object({ max: z.number().int().min(0) }),
      ownSaleRefunds: z.object({ max: z.number().int().min(0) }),
      priceOverrides: z.object({ max: z.number().int().min(0) }),
      managerOverrides: z.object({ max: z.number().int().min(0) }),
      paidOuts: z.object({ max: z.number().int().min(0), maxAmount: decimal }),
    }),
  }),
  eventRules: z.record(z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'expected "source.type"'), eventRuleSchema),
  incidentTypePriority: z.array(z.enum(INCIDENT_TYPES)).length(INCIDENT_TYPES.length),
  severity: z.object({
    weights: z.object({
      breachType: z.number().min(0),
      assetCriticality: z.number().min(0),
      assetVulnerability: z.number().min(0),
      contagion: z.number().min(0),
      afterHours: z.number().min(0),
      restrictedZone: z.number().min(0),
      recurrence: z.number().min(0),
      corroboration: z.number().min(0),
    }),
    criticalAssetValue: decimal,
    cameraOutageBoost: z.number().min(0).max(1),
    recurrenceDays: z.number().positive(),
    recurrenceSaturation: z.number().int().min(1),
    corroborationSaturation: z.number().int().min(2),
    bands: z
      .object({ medium: z.number().min(0).max(100), high: z.number().min(0).max(100), critical: z.number().min(0).max(100) })
      .refine((b) => b.medium <= b.high && b.high <= b.critical, 'expected medium <= high <= critical'),
  }),
  highRisk: z.object({
    minValue: decimal,
    categories: z.array(z.string()),
    restrictedZone: z.boolean(),
    sensitiveData: z.boolean(),
    recentIncidents: z.number().int().min(1),
    recentDays: z.number().positive(),
    reachMetres: z.number().min(0),
  }),
  loss: z.object({
    replacementShare: incidentTypeMap(decimal),
    downtimeHours: incidentTypeMap(decimal),
    remediation: incidentTypeMap(decimal),
    fines: z.object({
      sensitiveDataBreach: decimal,
      regulatedCategories: z.record(z.string(), decimal),
      appliesTo: z.array(z.enum(INCIDENT_TYPES)),
    }),
    executiveThreshold: decimal,
  }),
  sla: z.object({
    acknowledgeMinutes: z.object({ low: z.number(), medium: z.number(), high: z.number(), critical: z.number() }),
    investigationDueHours: z.object({ low: z.number(), medium: z.number(), high: z.number(), critical: z.number() }),
    /** Resolution due this many hours after opening, per band (domain/sla.ts). */
    resolveHours: z.object({ low: z.number().positive(), medium: z.number().positive(), high: z.number().positive(), critical: z.number().positive() }),
  }),
  workflow: z.object({
    maxAttempts: z.number().int().min(1),
    backoffBaseMs: z.number().int().min(1),
    backoffMaxMs: z.number().int().min(1),
  }),
  retention: z.object({ archiveAfterHours: z.number().min(0), keepYears: z.number().min(1) }),
  schedule: z.object({
    catchUpWindows: z.number().int().min(1).max(100),
    /** How long vigil serve waits after its start before the scheduler's first pass (the catch-up), in seconds. */
    startDelaySeconds: z.number().min(0).max(3600).default(10),
    /**
     * How long a run waits at most for a quiet event loop (busy under half over 250 ms), in seconds,
     * before its preparation and again before its transaction. At most 120: both waits stay well
     * inside the run's 10-minute claim.
     */
    quietWaitSeconds: z.number().min(0).max(120).default(10),
    jobs: z.record(z.string().regex(/^[a-z0-9-]+$/, 'expected a job id'), z.object({ cron: cronExpression, enabled: z.boolean().default(true) })),
  }),
  notify: z.object({
    smsMinBand: z.enum(BANDS),
    managementMinBand: z.enum(BANDS),
    executiveMinBand: z.enum(BANDS),
    rateLimit: z.object({ perRecipient: z.number().int().min(1), windowMinutes: z.number().positive() }),
    escalation: z.object({
      afterMinutes: z.number().positive(),
      maxLevels: z.number().int().min(0),
      /** Contact roles alerted at escalation level N: tiers[N - 1], the last tier for every level past it. */
      tiers: z
        .array(z.array(contactRoleSchema).min(1, 'expected at least one contact role in each tier'))
        .min(1, 'expected at least one escalation tier'),
    }),
    retry: z.object({ maxAttempts: z.number().int().min(1), baseMs: z.number().int().min(1), maxMs: z.number().int().min(1) }),
    /**
     * How many deliveries run at once. SMS: recipient lanes (an SMS whose outcome a crash left
     * unknown is settled against the provider's message list). Email and webhooks cannot be
     * settled, so what a crash leaves unrecorded goes twice: at most `emailWebhookInFlight` per crash.
     */
    delivery: z
      .object({ smsLanes: z.number().int().min(1).max(64), emailWebhookInFlight: z.number().int().min(1).max(64) })
      .default({ smsLanes: 8, emailWebhookInFlight: 1 }),
  }),
  investigation: z.object({
    /** An investigation task from this band up ... */
    minBand: z.enum(BANDS),
    /** ... and for incidents of these types at any band. */
    types: z.array(z.enum(INCIDENT_TYPES)),
    /** Minutes added before the first and after the last event of the incident to each camera's clip window. */
    clipPaddingMinutes: z.number().min(0),
    /** Badge events this many minutes either side of the incident's events go in the checklist. */
    badgeWindowMinutes: z.number().min(0),
    /** At most this many badge events are listed (the count says how many there were). */
    maxBadgeEvents: z.number().int().min(1).max(5000),
    /** Email the assignee when a task is assigned (also on reassignment). */
    notifyAssignee: z.boolean(),
    /** How often overdue tasks are looked for (seconds). */
    overdueCheckSeconds: z.number().positive(),
  }),
  /** Step 14, the weekly loss report (docs/weekly-report.md). */
  weeklyReport: z.object({
    /** Contact roles the scheduled report is emailed to (with an email address). */
    recipientRoles: z.array(contactRoleSchema).min(1),
    /** Assets listed in "top assets". */
    topAssets: z.number().int().min(1).max(100),
    /** A zone is a recurring vulnerability with this many incidents in the week ... */
    recurringMinIncidents: z.number().int().min(1),
    /** ... or with incidents in this many of the 5 weeks ending with the report week. */
    recurringMinWeeks: z.number().int().min(1).max(5),
    /** A device not heard from for this long counts as stale in "equipment health". */
    staleDeviceMinutes: z.number().positive(),
  }),
  patrol: z.object({
    minBand: z.enum(BANDS),
    ackMinutes: z.number().positive(),
    maxReassignments: z.number().int().min(0),
    walkingSpeedMps: z.number().positive(),
    checkpointAfterIncidents: z.number().int().min(1),
  }),
  risk: riskPolicySchema,
  report: z.object({
    /** The workflow writes a report for incidents from this band up (on demand, any incident has one). */
    minBand: z.enum(BANDS),
    /** Camera recordings to secure: the incident's window widened by this many minutes on each side. */
    clipMarginMinutes: z.number().min(0).max(1440),
  }),
  /** Step 12 and its daily job: the access-log review rules and their thresholds. */
  accessReview: z.object({
    /** Badge and device events from this many minutes before the incident's first event ... */
    windowBeforeMinutes: z.number().min(0),
    /** ... to this many minutes after its last one are reviewed (the incident window of steps 12 and 13). */
    windowAfterMinutes: z.number().min(0),
    /** Uses of one inactive or unknown badge at one zone this close together are one finding. */
    inactiveClusterMinutes: z.number().positive(),
    /** Wait for the window to close (or the incident to be resolved) before the review is final. */
    waitForWindow: z.boolean(),
    /** Event types that are an entry through a reader. */
    entryTypes: z.array(z.string().min(1)).min(1),
    /** Minutes before a shift's start and after its end that still count as on shift. */
    shiftGraceMinutes: z.number().min(0),
    deniedBurst: z.object({ count: z.number().int().min(2), minutes: z.number().positive() }),
    /** A granted entry followed by a tailgating alarm at the same reader within this many seconds is one finding. */
    tailgatingSeconds: z.number().positive(),
    /** A second entry into the same zone without an exit within this many minutes is an anti-passback violation. */
    antiPassbackMinutes: z.number().positive(),
    /** Faster than this between two readers is impossible travel (metres per second). */
    walkingSpeedMetresPerSecond: z.number().positive(),
    /** Moves shorter than this (metres) are never impossible travel (readers side by side). */
    minTravelMetres: z.number().min(0),
    severity: z.object({
      off_shift: z.enum(['low', 'medium', 'high']),
      after_hours: z.enum(['low', 'medium', 'high']),
      no_clearance: z.enum(['low', 'medium', 'high']),
      denied_burst: z.enum(['low', 'medium', 'high']),
      tailgating: z.enum(['low', 'medium', 'high']),
      anti_passback: z.enum(['low', 'medium', 'high']),
      impossible_travel: z.enum(['low', 'medium', 'high']),
      inactive_badge: z.enum(['low', 'medium', 'high']),
    }),
  }),
  /** Step 13 and its jobs: device health and camera coverage. */
  equipmentAudit: z.object({
    /** A device that reported before and has been silent this long is offline. */
    offlineAfterMinutes: z.number().positive(),
    /** Silent this long (but not yet offline): stale, a warning. */
    staleAfterMinutes: z.number().positive(),
    /** How often the offline check runs (seconds). */
    checkEverySeconds: z.number().positive(),
    /** How far before an incident's window the device events are read for the state at its start (hours). */
    stateLookbackHours: z.number().positive(),
    /** A camera_tamper event within this many hours marks the camera tampered in the audit. */
    tamperLookbackHours: z.number().positive(),
    /** Hours after a maintenance task is opened before it is due. */
    maintenanceDueHours: z.number().positive(),
  }),
  caseNotes: z.object({
    /** The outcome a resolve without one records; null: resolving requires an outcome. */
    defaultOutcome: z.enum(OUTCOMES).nullable(),
  }),
  assetStatus: z.object({
    rules: z.array(
      z.object({
        name: id,
        types: z.array(z.enum(INCIDENT_TYPES)).min(1),
        relations: z.array(z.enum(['named', 'zone', 'reach'])).min(1),
        restrictedZoneOnly: z.boolean().default(false),
        to: z.enum(ASSET_STATUSES),
      }),
    ),
  }),
  /** Live sources (docs/sources.md): when a silent source counts as down. */
  sources: z
    .object({
      /** A connected source that has heard nothing for this long raises device.offline for its devices, once per silence. */
      silentAfterSeconds: z.number().positive(),
      /** How often silence is looked for. */
      checkEverySeconds: z.number().positive(),
    })
    .default({ silentAfterSeconds: 600, checkEverySeconds: 30 }),
  veris: z.object({
    victim: z.object({
      /** NAICS code of the victim's industry (2 to 6 digits); 44 is retail trade. */
      industry: z.string().regex(/^(00|11|2[1-3]|3[1-3]|4[24589]|5[1-6]|6[1-2]|7[12]|81|92)-?\d{0,4}$/, 'expected a NAICS code like "44" or "445110"'),
      /** ISO 3166-1 alpha-2 country code, or "Unknown". */
      country: z.string().regex(/^([A-Z]{2}|Unknown)$/, 'expected a country code like "US", or "Unknown"'),
      employeeCount: z.enum(['Small', '1 to 10', '11 to 100', '101 to 1000', 'Large', '1001 to 10000', '10001 to 25000', '25001 to 50000', '50001 to 100000', 'Over 100000', 'Unknown']),
      government: z.array(z.enum(['Federal', 'Regional', 'Local', 'Unknown', 'Other', 'NA'])).min(1),
    }),
  }),
}).superRefine((p, ctx) => {
  if (p.equipmentAudit.staleAfterMinutes >= p.equipmentAudit.offlineAfterMinutes) {
    ctx.addIssue({ code: 'custom', path: ['equipmentAudit', 'staleAfterMinutes'], message: 'expected staleAfterMinutes below offlineAfterMinutes' });
  }
});

/** A NATS subject: dot-separated tokens, `*` for one token and a final `>` for the rest. */
const natsSubject = z.string().refine((s) => {
  const tokens = s.split('.');
  return tokens.every((t, i) => t.length > 0 && !/\s/.test(t) && (t === '*' || t === '>' || !/[*>]/.test(t)) && (t !== '>' || i === tokens.length - 1));
}, 'expected a NATS subject like "vigil.events" or "vigil.events.>"');

/** The NATS JetStream ingest bus (docs/sources.md): a durable pull consumer feeding the ingest pipeline. */
export const natsSourceSchema = z
  .object({
    /** Server URL(s), comma-separated, e.g. `nats://127.0.0.1:4222`; credentials may ride in the URL and are never shown. */
    url: z.string().min(1),
    /** JetStream stream holding the events; created (capturing `subject`) when missing. */
    stream: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a stream name of letters, digits, - and _'),
    /** Subject the events are published on (may end in `>` to take a subtree). */
    subject: natsSubject,
    /** Durable consumer name: its position survives restarts. */
    durable: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a consumer name of letters, digits, - and _'),
    /** Where refused messages go, with their problems; default `vigil.dead-letter.<durable>`. Must not be matched by `subject`. */
    deadLetterSubject: natsSubject.refine((s) => !/[*>]/.test(s), 'expected a subject without wildcards').optional(),
    /** Deliveries of a message that fails for another reason than validation (a store error) before it is dead-lettered. */
    maxDeliver: z.number().int().min(1).max(1000).default(5),
    /** Most messages fetched (and in flight to the store) at once. */
    batch: z.number().int().min(1).max(1000).default(100),
    /** How long the server waits for an acknowledgement before it redelivers (ms). */
    ackWaitMs: z.number().int().min(1000).max(3_600_000).default(30_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    // A dead letter on a subject the consumer reads would come back to it, and be refused again.
    if (c.deadLetterSubject && natsSubjectMatches(c.subject, c.deadLetterSubject)) {
      ctx.addIssue({ code: 'custom', path: ['deadLetterSubject'], message: `expected a subject outside "${c.subject}" (the consumer would read its own dead letters)` });
    }
  });

/** Whether the subject `pattern` (with `*` and `>`) matches the literal subject `subject`. */
export function natsSubjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** Frigate NVR over MQTT (docs/sources.md): which broker, and how Frigate's cameras and zones map to Vigil's. */
export const frigateSourceSchema = z.object({
  /** The MQTT broker Frigate publishes to, like "mqtt://127.0.0.1:1883" (user and password may be in the URL; never shown). */
  url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'expected a broker URL like "mqtt://127.0.0.1:1883"'),
  /** Frigate's `mqtt.topic_prefix`. */
  topicPrefix: z.string().regex(/^[^#+\s]+$/, 'expected a topic prefix without wildcards, like "frigate"').default('frigate'),
  /** The MQTT client id of the persistent session (stable across restarts, so the broker keeps what arrived meanwhile). */
  clientId: z.string().min(1).max(128).optional(),
  /** Frigate camera name -> Vigil device id (a camera of a configured site). */
  cameras: z.record(z.string().min(1), id).refine((m) => Object.keys(m).length > 0, 'expected at least one camera mapping'),
  /** Frigate zone name -> Vigil zone id (at the site of the camera that saw it). */
  zones: z.record(z.string().min(1), id).default({}),
  /** Object labels that count as a person detection. */
  labels: z.array(z.string().min(1)).min(1).default(['person']),
  /** Frigate's HTTP address, like "http://frigate.local:5000": events then link their snapshot and clip. */
  apiUrl: z.string().url().optional(),
  /** Seconds an object must be stationary-tracked before it is loitering. */
  loiterSeconds: z.number().positive().default(120),
});


export const configSchema = z.object({
  organization: z.object({
    name: z.string().min(1),
    currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code like "USD"'),
    timezone,
  }),
  sites: z.array(siteSchema).min(1, 'expected at least one site'),
  contacts: z.array(contactSchema).default([]),
  notify: notifySchema,
  /** Where people reach this Vigil (links in SMS and email); when absent, the address `vigil serve` listens on. */
  publicUrl: z.string().url().optional(),
  /** The transparency log (docs/archive.md). */
  archive: z
    .object({
      /** A PEM file with the log's Ed25519 private key (PKCS#8); default `transparency-log.key` in the data directory. */
      signingKey: z.string().min(1).optional(),
    })
    .default({}),
  /** Live sources: broker connections that feed events (docs/sources.md). */
  sources: z
    .object({
      nats: natsSourceSchema.optional(),
      frigate: frigateSourceSchema.optional(),
      /** CSV column-mapping profiles (docs/imports.md). */
      csvProfiles: csvProfilesConfigSchema
        .refine((p) => !Object.keys(p).some((n) => n in SHIPPED_PROFILES || n === 'vigil' || n === 'uci-online-retail'), {
          message: 'a configured CSV profile may not reuse the name of a shipped one',
        })
        .default({}),
    })
    .default({ csvProfiles: {} }),
  /** Overrides of the default policy (deep-merged, then validated as a whole). */
  policy: z.record(z.string(), z.unknown()).default({}),
}).superRefine((cfg, ctx) => {
  // Frigate's mapping names configured cameras, and zones at the sites of those cameras.
  const f = cfg.sources.frigate;
  if (!f) return;
  const cameras = new Map(cfg.sites.flatMap((s) => s.devices.filter((d) => d.kind === 'camera').map((d) => [d.id, s] as const)));
  const sites = new Set<(typeof cfg.sites)[number]>();
  for (const [name, device] of Object.entries(f.cameras)) {
    const site = cameras.get(device);
    if (site) sites.add(site);
    else ctx.addIssue({ code: 'custom', path: ['sources', 'frigate', 'cameras', name], message: `unknown camera "${device}": expected the id of a device of kind camera in a configured site` });
  }
  if (sites.size === 0) return;
  const zoneIds = new Set([...sites].flatMap((s) => s.zones.map((z) => z.id)));
  for (const [name, zone] of Object.entries(f.zones)) {
    if (!zoneIds.has(zone)) ctx.addIssue({ code: 'custom', path: ['sources', 'frigate', 'zones', name], message: `unknown zone "${zone}": expected a zone of the sites of the mapped cameras (${[...zoneIds].join(', ')})` });
  }
});

export type Policy = z.infer<typeof policySchema>;
export type RiskPolicy = Policy['risk'];
export type RawConfig = z.infer<typeof configSchema>;
export type SiteConfig = z.infer<typeof siteSchema>;
export type ZoneConfig = z.infer<typeof zoneSchema>;
export type AssetConfig = z.infer<typeof assetSchema>;
export type DeviceConfig = z.infer<typeof deviceSchema>;
export type PersonConfig = z.infer<typeof personSchema>;
export type GuardConfig = z.infer<typeof guardSchema>;
export type ContactConfig = z.infer<typeof contactSchema>;
export type FrigateSourceConfig = z.infer<typeof frigateSourceSchema>;
/** The NATS JetStream source's configuration (`sources.nats`). */
export type NatsSourceConfig = z.infer<typeof natsSourceSchema>;
/** A contact's role (who is alerted for what: notify rules, escalation tiers). */
export type ContactRole = z.infer<typeof contactRoleSchema>;

/** Links point here when neither the configuration nor the server says otherwise. */
export const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:8080';

/** A loaded, validated configuration with its merged policy. */
export interface Config extends Omit<RawConfig, 'policy' | 'publicUrl'> {
  policy: Policy;
  /** Where people reach this Vigil: the configured `publicUrl`, else set by `vigil serve` to the address it listens on. */
  publicUrl: string;
  /** Whether `publicUrl` came from the configuration (then nothing overrides it). */
  publicUrlConfigured: boolean;
}
