import type { ReminderState } from "@todo/reminder-store";
import { SCHEMA_VERSION, type ReminderDue, type ReminderTrigger } from "@todo/shared";

export const PRODUCER = "/todo/emit-reminder";

/**
 * Pure: what a trigger means for the reminder as stored now.
 * - "fire": it is for the current version, still PENDING, and its time has come.
 * - "wait": the same, a little before its time. The job fires ahead of the reminder time
 *   (REMINDER_WAKE_AHEAD_MS in schedule-reminder), so that a function at zero is woken and warm
 *   when the time comes; it then waits `waitMs` and checks again.
 * - "stale": the reminder moved on (newer version, SENT or CANCELLED): nothing to do.
 * - "early": the trigger is ahead of the database. schedule-reminder creates the job inside its
 *   transaction, so a job due at once can fire before that transaction commits; answering "try
 *   again" lets the job retry and find the committed reminder.
 * - "orphan": still ahead of the database ORPHAN_AFTER_MS after the job first fired (its reminder
 *   time, or when it was armed if that came later: a past reminder fires at once): the transaction
 *   that created the job never committed, and its event will re-arm the reminder with a new job if
 *   it is ever applied. Retrying would only keep this function awake (every 2 s, for an hour).
 */
export type TriggerVerdict =
  | { readonly verdict: "fire" }
  | { readonly verdict: "wait"; readonly waitMs: number }
  | { readonly verdict: "stale" }
  | { readonly verdict: "early" }
  | { readonly verdict: "orphan" };

export function judgeTrigger(
  reminder: ReminderState | null,
  trigger: ReminderTrigger,
  now: Date,
  orphanAfterMs: number,
): TriggerVerdict {
  if (reminder === null || reminder.version < trigger.version) {
    // The job fires at its reminder time, or at once when it was armed after it (a past reminder).
    const times = [trigger.remind_at, trigger.armed_at].filter((t) => t !== undefined).map((t) => Date.parse(t));
    const firstFired = times.length > 0 ? Math.max(...times) : undefined;
    return firstFired !== undefined && now.getTime() - firstFired > orphanAfterMs
      ? { verdict: "orphan" }
      : { verdict: "early" };
  }
  if (reminder.version !== trigger.version || reminder.status !== "PENDING") return { verdict: "stale" };
  const waitMs = (reminder.remindAt?.getTime() ?? 0) - now.getTime();
  return waitMs > 0 ? { verdict: "wait", waitMs } : { verdict: "fire" };
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
