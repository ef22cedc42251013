import { z } from "zod";
import { Task, TaskChanges, TaskId, Timestamp, UserId, text } from "./task.ts";

/** Bumped when a payload changes incompatibly; it is also the suffix of the CloudEvent type. */
export const SCHEMA_VERSION = 1;

export const Topic = {
  taskEvents: "task-events",
  taskUpdates: "task-updates",
  reminders: "reminders",
} as const;
export type Topic = (typeof Topic)[keyof typeof Topic];

/** What a producer sends as CloudEvent `data`, per event type. */
export const Payload = {
  TaskCreated: z.strictObject({ user_id: UserId, task: Task }),
  TaskUpdated: z.strictObject({ user_id: UserId, task_id: TaskId, changes: TaskChanges }),
  TaskDeleted: z.strictObject({ user_id: UserId, task_id: TaskId }),
  ReminderDue: z.strictObject({
    user_id: UserId,
    task_id: TaskId,
    due_date: Timestamp.nullable(),
    reminder_time: Timestamp,
  }),
} as const;
export type EventType = keyof typeof Payload;
export const EVENT_TYPES = Object.keys(Payload) as EventType[];

/** CloudEvent `type` attribute for each event (reverse-DNS, versioned). */
export const CLOUDEVENT_TYPE: Record<EventType, string> = {
  TaskCreated: `com.todo.task.created.v${SCHEMA_VERSION}`,
  TaskUpdated: `com.todo.task.updated.v${SCHEMA_VERSION}`,
  TaskDeleted: `com.todo.task.deleted.v${SCHEMA_VERSION}`,
  ReminderDue: `com.todo.reminder.due.v${SCHEMA_VERSION}`,
};

export function eventTypeOf(cloudEventType: string): EventType | undefined {
  return EVENT_TYPES.find((eventType) => CLOUDEVENT_TYPE[eventType] === cloudEventType);
}

/** Where each event type is published. TaskUpdated also feeds the change stream. */
export const TOPICS: Record<EventType, readonly Topic[]> = {
  TaskCreated: [Topic.taskEvents],
  TaskUpdated: [Topic.taskEvents, Topic.taskUpdates],
  TaskDeleted: [Topic.taskEvents],
  ReminderDue: [Topic.reminders],
};

/** Fields every event carries, whatever its type. */
const baseFields = {
  event_id: text(1, 256),
  schema_version: z.literal(SCHEMA_VERSION),
  timestamp: Timestamp,
  correlation_id: text(1, 256),
  producer: text(1, 512),
};

const Envelope = z.strictObject(baseFields);

/** The events as they travel on the topics (CloudEvent `data`): base fields + payload. */
export const Event = {
  TaskCreated: Envelope.extend({ event_type: z.literal("TaskCreated"), ...Payload.TaskCreated.shape }),
  TaskUpdated: Envelope.extend({ event_type: z.literal("TaskUpdated"), ...Payload.TaskUpdated.shape }),
  TaskDeleted: Envelope.extend({ event_type: z.literal("TaskDeleted"), ...Payload.TaskDeleted.shape }),
  ReminderDue: Envelope.extend({ event_type: z.literal("ReminderDue"), ...Payload.ReminderDue.shape }),
} as const;

export const TaskEvent = z.discriminatedUnion("event_type", [Event.TaskCreated, Event.TaskUpdated, Event.TaskDeleted]);
export type TaskEvent = z.infer<typeof TaskEvent>;
export type TaskCreated = z.infer<typeof Event.TaskCreated>;
export type TaskUpdated = z.infer<typeof Event.TaskUpdated>;
export type TaskDeleted = z.infer<typeof Event.TaskDeleted>;
export type ReminderDue = z.infer<typeof Event.ReminderDue>;
export type AnyEvent = TaskCreated | TaskUpdated | TaskDeleted | ReminderDue;
export type PayloadOf<T extends EventType> = z.infer<(typeof Payload)[T]>;

/** The task an event is about: its CloudEvent subject and its Kafka partition key. */
export function taskIdOf(event: AnyEvent): string {
  return event.event_type === "TaskCreated" ? event.task.id : event.task_id;
}

/** The Dapr job that fires a task's reminder; one per task, overwritten when the reminder moves. */
export const reminderJobName = (taskId: string) => `reminder-${taskId}`;

/**
 * What a reminder job carries to emit-reminder: remind_at, the reminder time it was armed for;
 * armed_at, when it was armed (a job armed after its reminder time fires at once).
 */
export const ReminderTrigger = z.strictObject({
  task_id: TaskId,
  version: z.number().int().positive(),
  remind_at: Timestamp.optional(),
  armed_at: Timestamp.optional(),
});
export type ReminderTrigger = z.infer<typeof ReminderTrigger>;
