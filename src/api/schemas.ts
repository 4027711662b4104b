/**
 * Response schemas shared by several route modules (routes never import each other; what two of
 * them show the same way is described here).
 */
import { z } from 'zod';
import { SOURCES } from '../domain/types.js';

/** An event as the API shows it: the event log's items and the incident detail's `events`. */
export const EVENT_ITEM_SCHEMA = z.object({
  id: z.string().meta({ description: 'evt-<seq>' }),
  source: z.enum(SOURCES),
  type: z.string(),
  sourceEventId: z.string().optional(),
  occurredAt: z.string().meta({ description: 'ISO 8601 instant (UTC)' }),
  site: z.string(),
  zone: z.string().optional(),
  device: z.string().optional(),
  badge: z.string().optional(),
  assets: z.array(z.string()).optional(),
  amount: z.object({ value: z.string(), currency: z.string() }).optional(),
  details: z.record(z.string(), z.unknown()),
  receivedAt: z.string(),
  incidentId: z.string().nullable(),
});
