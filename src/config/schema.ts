/**
 * The configuration file (CONTRACT.md) and the policy, as zod schemas. Every problem of a broken
 * config is reported with its path; nothing is half-loaded.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { isValidTimeZone } from '../domain/local-time.js';
import { isPlainDecimal } from '../domain/money.js';
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
  status: z
    .enum(['active', 'under_investigation', 'restricted_access', 'decommissioned', 'recovered'])
    .default('active'),
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

export const policySchema = z.object({
  version: z.string().min(1),
  correlation: z.object({
    windowMinutes: z.number().positive(),
    ignoreBusinessHoursMotion: z.boolean(),
    pos: z.object({ spreeCount: z.number().int().min(1), spreeMinutes: z.number().positive(), singleAmount: decimal }),
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
  }),
  workflow: z.object({
    maxAttempts: z.number().int().min(1),
    backoffBaseMs: z.number().int().min(1),
    backoffMaxMs: z.number().int().min(1),
  }),
  retention: z.object({ archiveAfterHours: z.number().min(0), keepYears: z.number().min(1) }),
  schedule: z.object({
    catchUpWindows: z.number().int().min(1).max(100),
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
  patrol: z.object({
    minBand: z.enum(BANDS),
    ackMinutes: z.number().positive(),
    maxReassignments: z.number().int().min(0),
    walkingSpeedMps: z.number().positive(),
    checkpointAfterIncidents: z.number().int().min(1),
  }),
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
  /** Overrides of the default policy (deep-merged, then validated as a whole). */
  policy: z.record(z.string(), z.unknown()).default({}),
});

export type Policy = z.infer<typeof policySchema>;
export type RawConfig = z.infer<typeof configSchema>;
export type SiteConfig = z.infer<typeof siteSchema>;
export type ZoneConfig = z.infer<typeof zoneSchema>;
export type AssetConfig = z.infer<typeof assetSchema>;
export type DeviceConfig = z.infer<typeof deviceSchema>;
export type PersonConfig = z.infer<typeof personSchema>;
export type GuardConfig = z.infer<typeof guardSchema>;
export type ContactConfig = z.infer<typeof contactSchema>;
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
