import { z } from "zod";
import { TaskId, Timestamp, UserId, objectOf, taskChangesSchema, taskSchema, text, type Strictness } from "./task.ts";

/**
 * The major version of the event schemas: bumped only on an incompatible change, and the suffix
 * of the CloudEvent type. A compatible change (a new optional field) keeps it: consumers ignore
 * fields they do not know.
 */
export const SCHEMA_VERSION = 1;
/** The major versions a consumer of this code reads; an event of another goes to the dead-letter topic. */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [SCHEMA_VERSION];

export const Topic = {
  taskEvents: "task-events",
  taskUpdates: "task-updates",
  reminders: "reminders",
} as const;
export type Topic = (typeof Topic)[keyof typeof Topic];

/** What a producer sends as CloudEvent `data`, per event type. */
const payloadSchemas = (strictness: Strictness) => ({
  TaskCreated: objectOf(strictness, { user_id: UserId, task: taskSchema(strictness) }),
  TaskUpdated: objectOf(strictness, { user_id: UserId, task_id: TaskId, changes: taskChangesSchema(strictness) }),
  TaskDeleted: objectOf(strictness, { user_id: UserId, task_id: TaskId }),
  ReminderDue: objectOf(strictness, {
    user_id: UserId,
    task_id: TaskId,
    due_date: Timestamp.nullable(),
    reminder_time: Timestamp,
  }),
});
export const Payload = payloadSchemas("strict");
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

/** The events as they travel on the topics (CloudEvent `data`): fields every event carries + payload. */
const eventSchemas = (strictness: Strictness) => {
  const payload = payloadSchemas(strictness);
  const envelope = {
    event_id: text(1, 256),
    schema_version: z.literal(SCHEMA_VERSION),
    timestamp: Timestamp,
    correlation_id: text(1, 256),
    producer: text(1, 512),
  };
  return {
    TaskCreated: objectOf(strictness, {
      ...envelope,
      event_type: z.literal("TaskCreated"),
      ...payload.TaskCreated.shape,
    }),
    TaskUpdated: objectOf(strictness, {
      ...envelope,
      event_type: z.literal("TaskUpdated"),
      ...payload.TaskUpdated.shape,
    }),
    TaskDeleted: objectOf(strictness, {
      ...envelope,
      event_type: z.literal("TaskDeleted"),
      ...payload.TaskDeleted.shape,
    }),
    ReminderDue: objectOf(strictness, {
      ...envelope,
      event_type: z.literal("ReminderDue"),
      ...payload.ReminderDue.shape,
    }),
  };
};

/** Strict: what the producers write (and publish-task-event accepts). */
export const Event = eventSchemas("strict");
export const TaskEvent = z.discriminatedUnion("event_type", [Event.TaskCreated, Event.TaskUpdated, Event.TaskDeleted]);
export type TaskEvent = z.infer<typeof TaskEvent>;
export type TaskCreated = z.infer<typeof Event.TaskCreated>;
export type TaskUpdated = z.infer<typeof Event.TaskUpdated>;
export type TaskDeleted = z.infer<typeof Event.TaskDeleted>;
export type ReminderDue = z.infer<typeof Event.ReminderDue>;
export type AnyEvent = TaskCreated | TaskUpdated | TaskDeleted | ReminderDue;
export type PayloadOf<T extends EventType> = z.infer<(typeof Payload)[T]>;

/**
 * Tolerant: what a consumer of `task-events` reads. Fields it does not know are dropped, so an
 * event from a newer producer of the same major version is applied as far as this code knows it.
 */
const consumed = eventSchemas("tolerant");
export const ConsumedTaskEvent = z.discriminatedUnion("event_type", [
  consumed.TaskCreated,
  consumed.TaskUpdated,
  consumed.TaskDeleted,
]);

/** The task an event is about: its CloudEvent subject and its Kafka partition key. */
export function taskIdOf(event: AnyEvent): string {
  return event.event_type === "TaskCreated" ? event.task.id : event.task_id;
}
