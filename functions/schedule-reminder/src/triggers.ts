import { reminderJobName, throwUnlessOk, type Job, type JobScheduler } from "@todo/shared";
import type { Decision } from "./decide.ts";
import type { Settings } from "./settings.ts";

export type JobTiming = Pick<
  Settings,
  "REMINDER_WAKE_AHEAD_MS" | "REMINDER_JOB_RETRY_INTERVAL_MS" | "REMINDER_JOB_MAX_RETRIES"
>;

/**
 * Pure: the job that fires a reminder version. It is due REMINDER_WAKE_AHEAD_MS before the
 * reminder time: its trigger wakes emit-reminder from zero (a cold start through Knative's
 * activator takes seconds), which then waits for the exact time. Never due in the past: the
 * scheduler spaces a failed trigger's retries from its due time, so a job due a day ago would spend
 * all its retries at once (seen with Dapr 1.18: 1 800 retries in 5 s) and a past reminder armed in
 * a transaction that has not committed yet would be given up.
 */
export function reminderJob(
  taskId: string,
  at: Date,
  version: number,
  timing: JobTiming,
  now: Date,
  traceparent?: string,
): Job {
  const data = { task_id: taskId, version, remind_at: at.toISOString(), armed_at: now.toISOString() };
  return {
    dueTime: new Date(Math.max(at.getTime() - timing.REMINDER_WAKE_AHEAD_MS, now.getTime())),
    data: traceparent === undefined ? data : { ...data, traceparent },
    retry: { intervalMs: timing.REMINDER_JOB_RETRY_INTERVAL_MS, maxRetries: timing.REMINDER_JOB_MAX_RETRIES },
  };
}

/**
 * Arms, moves or cancels the task's job on emit-reminder's sidecar, carrying the trace context of
 * the event that armed it (the ReminderDue continues that trace). Runs inside the store's
 * transaction: if the scheduler refuses, nothing is saved, and the error says whether trying
 * again can help (a 5xx or no answer) or not (a 4xx: the job itself is refused).
 */
export function triggerUpdater(
  scheduler: JobScheduler,
  taskId: string,
  timing: JobTiming,
  clock: () => Date,
  traceparent?: string,
) {
  return async ({ trigger }: Decision): Promise<void> => {
    if (trigger.action === "none") return;
    const name = reminderJobName(taskId);
    const outcome =
      trigger.action === "schedule"
        ? await scheduler.scheduleJob(
            name,
            reminderJob(taskId, trigger.at, trigger.version, timing, clock(), traceparent),
          )
        : await scheduler.deleteJob(name);
    throwUnlessOk(outcome, `job ${trigger.action}`);
  };
}
