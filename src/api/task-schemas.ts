/**
 * The response schema of a task (documentation), shared by the task routes and the incident
 * detail's `tasks`.
 */
import { z } from 'zod';
import { TASK_STATUSES } from '../domain/task-lifecycle.js';

const clip = z.object({
  id: z.string(),
  kind: z.literal('clip'),
  camera: z.string(),
  from: z.string(),
  to: z.string(),
  zones: z.array(z.string()).meta({ description: "the incident's zones the camera's field of view reaches" }),
  assets: z.array(z.string()).meta({ description: 'touched assets whose position the camera sees' }),
  basis: z.enum(['geometry', 'declared', 'event']),
  footage: z
    .array(z.object({ eventId: z.string(), at: z.string(), nvrEventId: z.string(), clip: z.string().nullable(), snapshot: z.string().nullable() }))
    .optional()
    .meta({ description: "the NVR's own snapshot and clip of the incident's events from this camera (Frigate)" }),
  done: z.boolean(),
});
const badgeEvents = z.object({
  id: z.literal('badge_events'),
  kind: z.literal('badge_events'),
  from: z.string(),
  to: z.string(),
  zones: z.array(z.string()),
  count: z.number().int(),
  complete: z.boolean().meta({ description: 'the window had closed when the events were gathered (else they are gathered again once it has)' }),
  events: z.array(
    z.object({ eventId: z.string(), seq: z.number().int(), at: z.string(), type: z.string(), zone: z.string().nullable(), badge: z.string(), person: z.string().nullable(), name: z.string().nullable(), device: z.string().nullable() }),
  ),
  done: z.boolean(),
});
const posTransactions = z.object({
  id: z.literal('pos_transactions'),
  kind: z.literal('pos_transactions'),
  transactions: z.array(
    z.object({
      transaction: z.string(),
      workstation: z.string().nullable(),
      operator: z.string().nullable(),
      types: z.array(z.string()),
      eventIds: z.array(z.string()),
      at: z.string(),
      amount: z.string().nullable(),
      currency: z.string().nullable(),
    }),
  ),
  totals: z.array(z.object({ currency: z.string(), amount: z.string() })),
  done: z.boolean(),
});
const item = z.object({ id: z.string(), kind: z.literal('item'), text: z.string(), done: z.boolean() });

/** Any other item (maintenance tasks' own kinds): an id, a kind and whether it is done. */
const other = z.looseObject({ id: z.string(), kind: z.string(), done: z.boolean() });

/** One evidence checklist item. */
export const CHECKLIST_ITEM_SCHEMA = z.union([clip, badgeEvents, posTransactions, item, other]);

/** A task as lists and the incident detail show it. */
export const TASK_VIEW_SCHEMA = z.object({
  id: z.string(),
  kind: z.enum(['investigation', 'maintenance']),
  incidentId: z.string().nullable(),
  site: z.string(),
  deviceId: z.string().nullable(),
  title: z.string(),
  status: z.enum(TASK_STATUSES),
  allowedStatuses: z.array(z.enum(TASK_STATUSES)).meta({ description: 'the statuses a PATCH may move the task to' }),
  assignee: z.string().nullable().meta({ description: 'a contact id' }),
  dueAt: z.string().nullable(),
  overdue: z.boolean(),
  overdueNotifiedAt: z.string().nullable(),
  checklist: z.array(CHECKLIST_ITEM_SCHEMA),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
  commentCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().nullable(),
  version: z.number().int(),
});

/** One task with its comments. */
export const TASK_DETAIL_SCHEMA = TASK_VIEW_SCHEMA.extend({
  comments: z.array(z.object({ seq: z.number().int(), at: z.string(), author: z.string(), text: z.string() })),
});
