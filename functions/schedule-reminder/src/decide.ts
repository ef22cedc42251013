import type { ReminderState, ReminderStatus } from "@todo/reminder-store";
import type { TaskEvent } from "@todo/shared";

/** What to do with the task's trigger (a Dapr job owned by emit-reminder). */
export type Trigger =
  | { readonly action: "schedule"; readonly at: Date; readonly version: number }
  | { readonly action: "cancel" }
  | { readonly action: "none" };

export type Reason = "armed" | "cancelled" | "kept" | "stale" | "no-reminder" | "task-deleted";

export interface Decision {
  readonly reason: Reason;
  /** The reminder to save; null leaves the database as it is. */
  readonly next: ReminderState | null;
  readonly trigger: Trigger;
}

const NO_TRIGGER: Trigger = { action: "none" };
const ignore = (reason: Reason): Decision => ({ reason, next: null, trigger: NO_TRIGGER });

/**
 * Pure: given the task's current reminder (or none) and a task event, the reminder to keep and
 * what to do with its trigger. Duplicates never get here (the store filters them by event_id).
 *
 * - An event older than the last one applied changes nothing (out of order).
 * - A reminder is armed while it has a time, and the task is neither completed nor deleted.
 * - Arming at a new time (or again after a cancel) is a new version, PENDING, scheduled at that
 *   time, even a past one: the job then fires at once, and only once, for that version.
 * - Other changes (title, tags, ...) keep the reminder as it is, SENT included: nothing re-fires.
 */
export function decide(current: ReminderState | null, event: TaskEvent): Decision {
  const eventAt = new Date(event.timestamp);
  if (current && eventAt < current.lastEventAt) return ignore("stale");
  if (current?.deleted) return ignore("task-deleted");

  const task = taskAfter(current, event);
  if (!current && task.remindAt === null) return ignore("no-reminder");

  const armed = task.remindAt !== null && !task.completed && !task.deleted;
  const sameTime = current?.remindAt?.getTime() === task.remindAt?.getTime();
  let status: ReminderStatus;
  let version = current?.version ?? 0;
  let trigger = NO_TRIGGER;
  let reason: Reason;
  if (!armed) {
    reason = "cancelled";
    status = current && current.status !== "PENDING" ? current.status : "CANCELLED";
    if (current?.status === "PENDING") trigger = { action: "cancel" };
  } else if (current && sameTime && current.status !== "CANCELLED") {
    reason = "kept";
    status = current.status;
  } else {
    reason = "armed";
    status = "PENDING";
    version += 1;
    trigger = { action: "schedule", at: task.remindAt, version };
  }

  return {
    reason,
    trigger,
    next: {
      ...task,
      status,
      version,
      lastEventAt: eventAt,
      lastEventId: event.event_id,
      correlationId: event.correlation_id,
    },
  };
}

type TaskFacts = Pick<ReminderState, "taskId" | "userId" | "dueDate" | "remindAt" | "completed" | "deleted">;

/** The facts about the task that matter to its reminder, once the event is applied. */
function taskAfter(current: ReminderState | null, event: TaskEvent): TaskFacts {
  const date = (value: string | null) => (value === null ? null : new Date(value));
  switch (event.event_type) {
    case "TaskCreated":
      return {
        taskId: event.task.id,
        userId: event.user_id,
        dueDate: date(event.task.due_date),
        remindAt: date(event.task.reminder_time),
        completed: event.task.completed,
        deleted: false,
      };
    case "TaskUpdated": {
      const { changes } = event;
      return {
        taskId: event.task_id,
        userId: event.user_id,
        dueDate: changes.due_date !== undefined ? date(changes.due_date) : (current?.dueDate ?? null),
        remindAt: changes.reminder_time !== undefined ? date(changes.reminder_time) : (current?.remindAt ?? null),
        completed: changes.completed ?? current?.completed ?? false,
        deleted: false,
      };
    }
    case "TaskDeleted":
      return {
        taskId: event.task_id,
        userId: event.user_id,
        dueDate: current?.dueDate ?? null,
        remindAt: current?.remindAt ?? null,
        completed: current?.completed ?? false,
        deleted: true,
      };
  }
}
