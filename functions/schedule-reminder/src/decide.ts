import type { ReminderState, ReminderStatus } from "@todo/reminder-store";
import type { TaskEvent } from "@todo/shared";

/** What to do with the task's trigger (a Dapr job owned by emit-reminder). */
export type Trigger =
  | { readonly action: "schedule"; readonly at: Date; readonly version: number }
  | { readonly action: "cancel" }
  | { readonly action: "none" };

export type Reason = "armed" | "cancelled" | "kept" | "no-reminder" | "task-deleted";

export interface Decision {
  readonly reason: Reason;
  /** The task's row to save; null leaves the database as it is. */
  readonly next: ReminderState | null;
  readonly trigger: Trigger;
}

const NO_TRIGGER: Trigger = { action: "none" };

/**
 * Pure: given what is known of the task (its row, or none) and the next task event, what to keep
 * and what to do with the task's trigger. Duplicates never get here (the store filters them by
 * event_id). The order rule (docs/architecture.md "Order"):
 *
 * - Events apply in the order of the task's partition of `task-events`, which is the order
 *   publish-task-event acknowledged them; Dapr delivers a partition one record at a time. The
 *   producer's `time` is kept as information and never compared: a clock running ahead (or a
 *   `time` in 2999) cannot make later events look stale.
 * - Deletion is final: a TaskDeleted leaves a tombstone, even for a task never seen before, and
 *   every later event of that task (a create retried after the delete) changes nothing.
 * - Every task gets a row, reminder or not, so that a later change sees the whole task.
 * - A reminder is armed while it has a time and the task is neither completed nor deleted.
 *   Arming at a new time (or again after a cancel) is a new version, PENDING, scheduled at that
 *   time, even a past one: the job then fires at once, and only once, for that version. Other
 *   changes (title, tags, ...) keep the reminder as it is, SENT included: nothing re-fires.
 */
export function decide(current: ReminderState | null, event: TaskEvent): Decision {
  if (current?.deleted) return { reason: "task-deleted", next: null, trigger: NO_TRIGGER };

  const task = taskAfter(current, event);
  const armed = task.remindAt !== null && !task.completed && !task.deleted;
  const sameTime = current?.remindAt?.getTime() === task.remindAt?.getTime();
  const wasArmed = current?.status === "PENDING" || current?.status === "SENT";
  let status: ReminderStatus;
  let version = current?.version ?? 0;
  let trigger = NO_TRIGGER;
  let reason: Reason;
  if (armed && !(wasArmed && sameTime)) {
    reason = "armed";
    status = "PENDING";
    version += 1;
    trigger = { action: "schedule", at: task.remindAt, version };
  } else if (armed) {
    reason = "kept";
    status = current!.status;
  } else if (current?.status === "PENDING") {
    reason = task.deleted ? "task-deleted" : "cancelled";
    status = "CANCELLED";
    trigger = { action: "cancel" };
  } else {
    reason = task.deleted ? "task-deleted" : current?.status === "SENT" ? "kept" : "no-reminder";
    status = current?.status ?? "NONE";
  }

  return {
    reason,
    trigger,
    next: {
      ...task,
      status,
      version,
      lastEventAt: new Date(event.timestamp),
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
