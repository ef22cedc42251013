import { counter, histogram } from "@todo/shared";

export const metrics = {
  triggers: counter("todo_triggers_total", "Reminder job triggers, by what was done with them", ["verdict"]),
  fired: counter("todo_reminders_fired_total", "ReminderDue events published"),
  lateness: histogram(
    "todo_reminder_lateness_seconds",
    "ReminderDue published minus the reminder time",
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300],
  ),
  pruned: counter("todo_rows_pruned_total", "Rows older than the retention removed by the sweep, by kind", ["kind"]),
};
