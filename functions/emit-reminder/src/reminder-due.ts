import type { ReminderState } from "@todo/reminder-store";
import { SCHEMA_VERSION, type ReminderDue, type ReminderTrigger } from "@todo/shared";

export const PRODUCER = "/todo/emit-reminder";

/** Pure: does this trigger still stand for the reminder? Only the current, PENDING version fires. */
export function shouldFire(reminder: ReminderState | null, trigger: ReminderTrigger): boolean {
  return reminder !== null && reminder.status === "PENDING" && reminder.version === trigger.version;
}

/**
 * Pure: the ReminderDue event of a reminder version. Everything in it comes from that version, so
 * a retry after a crash publishes the very same event (same event_id) and consumers de-duplicate.
 */
export function reminderDueEvent(reminder: ReminderState): ReminderDue {
  const remindAt = reminder.remindAt!.toISOString();
  return {
    event_id: `reminder-${reminder.taskId}-v${reminder.version}`,
    event_type: "ReminderDue",
    schema_version: SCHEMA_VERSION,
    timestamp: remindAt,
    correlation_id: reminder.correlationId,
    producer: PRODUCER,
    user_id: reminder.userId,
    task_id: reminder.taskId,
    due_date: reminder.dueDate?.toISOString() ?? null,
    reminder_time: remindAt,
  };
}
